//! Anonymised victim microdata in the Counter Trafficking Data Collaborative's columns
//! (DOMAIN.md §6), k-anonymised the way CTDC's older release was: a row whose combination of
//! quasi-identifiers occurs fewer than k times is suppressed.
//!
//! A published row carries no direct identifier: no name, no id, no date finer than the year,
//! no place finer than the country. What is left can still single out a person in a small
//! country (one 13-year-old Bolivian boy exploited in Peru), which is what k guards.

use crate::statistics::{TypeFlags, age_broad};
use serde::Serialize;
use std::collections::BTreeMap;

/// The quasi-identifiers k-anonymity is checked over.
pub const QUASI_IDENTIFIERS: [&str; 7] =
    ["gender", "ageBroad", "citizenship", "CountryOfExploitation", "isForcedLabour", "isSexualExploit", "isOtherExploit"];

/// CTDC `typeOfLabour…` columns and the Amparo labour sectors behind each.
pub const LABOUR_COLUMNS: [(&str, &[&str]); 9] = [
    ("typeOfLabourAgriculture", &["agriculture", "logging", "fishing"]),
    ("typeOfLabourBegging", &["begging"]),
    ("typeOfLabourConstruction", &["construction", "brick_making"]),
    ("typeOfLabourDomesticWork", &["domestic_work"]),
    ("typeOfLabourHospitality", &["hospitality"]),
    ("typeOfLabourManufacturing", &["manufacturing"]),
    ("typeOfLabourMiningOrDrilling", &["mining"]),
    ("typeOfLabourOther", &["other"]),
    ("typeOfLabourNotSpecified", &[]),
];

/// CTDC `typeOfSex…` columns and the Amparo sexual forms behind each.
pub const SEX_COLUMNS: [(&str, &[&str]); 4] = [
    ("typeOfSexProstitution", &["brothel", "bar_or_nightclub", "street", "sex_tourism"]),
    ("typeOfSexPornography", &[]),
    ("typeOfSexRemoteInteractiveServices", &["online"]),
    ("typeOfSexPrivateSexualServices", &["private"]),
];

/// CTDC `meansOfControl…` columns and the ILO/EC screening indicators behind each, by the
/// indicator's name, whichever dimension it was recorded under (coercion at recruitment and
/// at destination share names). Deception and coercion are means of control, and so are the
/// two exploitative conditions CTDC has columns for (wages taken, excessive hours);
/// vulnerability is not. A deception or coercion indicator with no column of its own counts
/// as `meansOfControlOther`.
pub const MEANS_OF_CONTROL: [(&str, &[&str]); 16] = [
    ("meansOfControlDebtBondage", &["debt_bondage"]),
    ("meansOfControlTakesEarnings", &["withholding_wages", "wage_manipulation"]),
    ("meansOfControlRestrictsFinancialAccess", &["withholding_money"]),
    ("meansOfControlThreats", &["threats_violence", "threat_inform_family", "threat_worse_conditions", "violence_on_family"]),
    ("meansOfControlPsychologicalAbuse", &["under_strong_influence"]),
    ("meansOfControlPhysicalAbuse", &["violence_on_victim"]),
    ("meansOfControlSexualAbuse", &[]),
    (
        "meansOfControlFalsePromises",
        &[
            "deceived_nature_job",
            "deceived_conditions_work",
            "deceived_contract",
            "deceived_family_reunification",
            "deceived_housing",
            "deceived_legal_documents",
            "deceived_travel",
            "deceived_wages",
            "deceived_marriage_adoption",
            "deceived_education",
        ],
    ),
    ("meansOfControlPsychoactiveSubstances", &[]),
    ("meansOfControlRestrictsMovement", &["isolation_confinement"]),
    ("meansOfControlRestrictsMedicalCare", &[]),
    ("meansOfControlExcessiveWorkingHours", &["excessive_hours"]),
    ("meansOfControlUsesChildren", &[]),
    ("meansOfControlThreatOfLawEnforcement", &["threat_denunciation"]),
    ("meansOfControlWithholdsNecessities", &[]),
    ("meansOfControlWithholdsDocuments", &["confiscation_documents"]),
];

/// The screening dimensions whose indicators are all means of control: deceptive
/// recruitment, coercive recruitment, coercion at destination (ILO/EC 2009 D1, D2, D5).
const CONTROL_DIMENSIONS: [&str; 3] = ["d1", "d2", "d5"];

/// The CTDC means-of-control column an indicator id (`d5.debt_bondage`) stands for:
/// `Some(column)`, `Some("meansOfControlOther")` for a deception or coercion indicator with
/// no column of its own, `None` for an indicator that is not a means of control.
pub fn means_of_control(indicator: &str) -> Option<&'static str> {
    let (dim, name) = indicator.split_once('.')?;
    match MEANS_OF_CONTROL.iter().find(|(_, names)| names.contains(&name)) {
        Some((col, _)) => Some(col),
        None => CONTROL_DIMENSIONS.contains(&dim).then_some("meansOfControlOther"),
    }
}

/// The columns of the export, in order.
pub fn columns() -> Vec<&'static str> {
    let mut c = vec![
        "yearOfRegistration",
        "Datasource",
        "gender",
        "ageBroad",
        "majorityStatus",
        "citizenship",
        "CountryOfExploitation",
        "isForcedLabour",
        "isSexualExploit",
        "isOtherExploit",
    ];
    c.extend(LABOUR_COLUMNS.iter().map(|(n, _)| *n));
    c.extend(SEX_COLUMNS.iter().map(|(n, _)| *n));
    c.extend(MEANS_OF_CONTROL.iter().map(|(n, _)| *n));
    c.extend(["meansOfControlOther", "meansOfControlNotSpecified", "recruiterRelationUnknown"]);
    c
}

/// What the export knows about one identified victim (one unique person).
#[derive(Clone, Debug, Default)]
pub struct VictimRecord {
    pub year: i32,
    /// `female`, `male`, `other` or none.
    pub sex: Option<String>,
    pub age: Option<i64>,
    /// ISO alpha-2.
    pub citizenship: Option<String>,
    /// ISO alpha-3.
    pub country_of_exploitation: Option<String>,
    pub types: TypeFlags,
    pub labour_sector: Option<String>,
    pub sexual_form: Option<String>,
    /// Indicators present in the person's final screenings (`None`: never screened).
    pub indicators: Option<Vec<String>>,
}

fn flag(b: bool) -> String {
    if b { "1".into() } else { "0".into() }
}

/// One CTDC row, by column name. Unknown values are empty, as in CTDC's files.
pub fn row(v: &VictimRecord, datasource: &str) -> BTreeMap<&'static str, String> {
    let mut r = BTreeMap::new();
    r.insert("yearOfRegistration", v.year.to_string());
    r.insert("Datasource", datasource.to_owned());
    r.insert(
        "gender",
        match v.sex.as_deref() {
            Some("female") => "Female",
            Some("male") => "Male",
            Some("other") => "Transgender/NonConforming",
            _ => "",
        }
        .into(),
    );
    r.insert("ageBroad", v.age.map(age_broad).unwrap_or("").into());
    r.insert(
        "majorityStatus",
        match v.age {
            Some(a) if a < 18 => "Minor",
            Some(_) => "Adult",
            None => "",
        }
        .into(),
    );
    r.insert("citizenship", v.citizenship.clone().unwrap_or_default());
    r.insert("CountryOfExploitation", v.country_of_exploitation.clone().unwrap_or_default());
    let known = !v.types.is_unknown();
    let typed = |b: bool| if known { flag(b) } else { String::new() };
    r.insert("isForcedLabour", typed(v.types.labour));
    r.insert("isSexualExploit", typed(v.types.sexual));
    r.insert("isOtherExploit", typed(v.types.other));
    for (col, sectors) in LABOUR_COLUMNS {
        let value = if !v.types.labour {
            String::new()
        } else {
            match v.labour_sector.as_deref() {
                None => flag(col == "typeOfLabourNotSpecified"),
                Some(s) => flag(sectors.contains(&s)),
            }
        };
        r.insert(col, value);
    }
    for (col, forms) in SEX_COLUMNS {
        let value = match (v.types.sexual, v.sexual_form.as_deref()) {
            (true, Some(f)) => flag(forms.contains(&f)),
            _ => String::new(),
        };
        r.insert(col, value);
    }
    // Means of control from the screening's deception and coercion indicators. A person
    // never screened, or screened without any, has them "not specified" (empty columns),
    // which is not the same as a recorded absence.
    let means: Vec<&str> = v.indicators.iter().flatten().filter_map(|i| means_of_control(i)).collect();
    for (col, _) in MEANS_OF_CONTROL.iter().chain([("meansOfControlOther", &[] as &[&str])].iter()) {
        r.insert(col, if means.is_empty() { String::new() } else { flag(means.contains(col)) });
    }
    r.insert("meansOfControlNotSpecified", flag(means.is_empty()));
    // Amparo does not record the recruiter's relation to the victim: said so explicitly
    // rather than guessed.
    r.insert("recruiterRelationUnknown", "1".into());
    r
}

/// How a k-anonymised export came out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Suppression {
    pub k: usize,
    pub rows_in: usize,
    pub rows_out: usize,
    pub rows_suppressed: usize,
    /// Combinations of quasi-identifiers that were dropped (each held fewer than k rows).
    pub groups_suppressed: usize,
    /// Rows suppressed, by the size of the group they were in ("1", "2", … "k-1").
    pub by_group_size: BTreeMap<usize, usize>,
}

/// The key of a row over the quasi-identifiers.
pub fn quasi_key(r: &BTreeMap<&'static str, String>) -> Vec<String> {
    QUASI_IDENTIFIERS.iter().map(|c| r.get(c).cloned().unwrap_or_default()).collect()
}

/// Keep only rows whose quasi-identifier combination occurs at least `k` times.
pub fn k_anonymise(rows: Vec<BTreeMap<&'static str, String>>, k: usize) -> (Vec<BTreeMap<&'static str, String>>, Suppression) {
    let mut size: BTreeMap<Vec<String>, usize> = BTreeMap::new();
    for r in &rows {
        *size.entry(quasi_key(r)).or_default() += 1;
    }
    let mut s = Suppression { k, rows_in: rows.len(), ..Default::default() };
    for n in size.values().filter(|n| **n < k) {
        s.groups_suppressed += 1;
        *s.by_group_size.entry(*n).or_default() += *n;
    }
    let kept: Vec<_> = rows.into_iter().filter(|r| size.get(&quasi_key(r)).is_some_and(|n| *n >= k)).collect();
    s.rows_out = kept.len();
    s.rows_suppressed = s.rows_in - s.rows_out;
    (kept, s)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn victim(sex: &str, age: i64, nat: &str, sexual: bool) -> VictimRecord {
        VictimRecord {
            year: 2008,
            sex: Some(sex.into()),
            age: Some(age),
            citizenship: Some(nat.into()),
            country_of_exploitation: Some("PER".into()),
            types: TypeFlags { sexual, labour: !sexual, other: false },
            labour_sector: (!sexual).then(|| "mining".into()),
            sexual_form: sexual.then(|| "bar_or_nightclub".into()),
            indicators: None,
        }
    }

    #[test]
    fn means_of_control_come_from_deception_and_coercion_indicators_only() {
        assert_eq!(means_of_control("d5.debt_bondage"), Some("meansOfControlDebtBondage"));
        assert_eq!(means_of_control("d2.debt_bondage"), Some("meansOfControlDebtBondage"), "at recruitment too");
        assert_eq!(means_of_control("d5.confiscation_documents"), Some("meansOfControlWithholdsDocuments"));
        assert_eq!(means_of_control("d1.deceived_wages"), Some("meansOfControlFalsePromises"));
        assert_eq!(means_of_control("d2.abduction_sale"), Some("meansOfControlOther"), "coercion without a column of its own");
        assert_eq!(means_of_control("d3.economic_reasons"), None, "vulnerability is not a means of control");
        assert_eq!(means_of_control("d3.psychological_dependency"), None);
        assert_eq!(means_of_control("d4.hazardous_work"), None, "nor are exploitative conditions in general…");
        assert_eq!(means_of_control("d4.excessive_hours"), Some("meansOfControlExcessiveWorkingHours"), "…but CTDC counts this one");

        let mut v = victim("female", 15, "PE", true);
        let r = row(&v, "A");
        assert_eq!((r["meansOfControlNotSpecified"].as_str(), r["meansOfControlDebtBondage"].as_str()), ("1", ""), "never screened");
        v.indicators = Some(vec!["d5.debt_bondage".into(), "d5.isolation_confinement".into(), "d3.economic_reasons".into()]);
        let r = row(&v, "A");
        assert_eq!(r.len(), columns().len());
        assert_eq!(
            ["meansOfControlNotSpecified", "meansOfControlDebtBondage", "meansOfControlRestrictsMovement", "meansOfControlThreats"]
                .map(|c| r[c].as_str()),
            ["0", "1", "1", "0"]
        );
        v.indicators = Some(vec!["d3.economic_reasons".into()]);
        assert_eq!(row(&v, "A")["meansOfControlNotSpecified"], "1", "screened, but no means of control recorded");
    }

    /// Every indicator name the mapping uses is one the shipped ILO/EC instrument has (a
    /// typo here would silently never match).
    #[test]
    fn the_mapping_names_only_indicators_of_the_shipped_instrument() {
        let csv = include_str!("../../../data/screening/ilo-ec-2009-indicators.csv");
        let known: Vec<&str> =
            csv.lines().filter_map(|l| l.split(',').nth(3)).filter_map(|id| id.split_once('.').map(|(_, n)| n)).collect();
        for (col, names) in MEANS_OF_CONTROL {
            for n in names {
                assert!(known.contains(n), "{col}: {n} is not an indicator of the instrument");
            }
        }
    }

    #[test]
    fn a_row_has_every_column_and_no_identifier() {
        let r = row(&victim("female", 15, "PE", true), "Amparo");
        assert_eq!(r.len(), columns().len());
        assert_eq!((r["gender"].as_str(), r["ageBroad"].as_str(), r["majorityStatus"].as_str()), ("Female", "09--17", "Minor"));
        assert_eq!((r["isSexualExploit"].as_str(), r["isForcedLabour"].as_str()), ("1", "0"));
        assert_eq!(r["typeOfSexProstitution"], "1");
        assert_eq!(r["typeOfLabourMiningOrDrilling"], "", "not a labour case: unknown, not no");
        let m = row(&victim("male", 30, "PE", false), "Amparo");
        assert_eq!((m["typeOfLabourMiningOrDrilling"].as_str(), m["typeOfLabourAgriculture"].as_str()), ("1", "0"));
    }

    #[test]
    fn groups_under_k_are_suppressed_and_counted() {
        let mut rows: Vec<_> = (0..12).map(|_| row(&victim("female", 15, "PE", true), "A")).collect();
        rows.extend((0..3).map(|_| row(&victim("female", 15, "EC", true), "A")));
        rows.push(row(&victim("male", 13, "BO", false), "A"));
        let (kept, s) = k_anonymise(rows, 11);
        assert_eq!((s.rows_in, s.rows_out, s.rows_suppressed, s.groups_suppressed), (16, 12, 4, 2));
        assert_eq!(s.by_group_size.get(&3), Some(&3));
        assert_eq!(s.by_group_size.get(&1), Some(&1));
        assert!(kept.iter().all(|r| r["citizenship"] == "PE"));
    }
}
