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
    c.extend(["meansOfControlNotSpecified", "recruiterRelationUnknown"]);
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
    // Amparo does not yet map screening indicators to CTDC's means of control, nor record
    // the recruiter's relation: said so explicitly rather than guessed.
    r.insert("meansOfControlNotSpecified", "1".into());
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
