//! Case data in the Human Trafficking Case Data Standard's field names (HTCDS 2.0, IOM and
//! partners): how Amparo talks to other case-management systems and how a legacy system's
//! data comes in.
//!
//! The exchange table is flat: one row per person in a case, with the case's fields
//! (`cas_`, `vic_` exploitation types, `hte_` place of exploitation) repeated on each of its
//! persons' rows, and the person's fields (`prs_`, `vic_` identification, `per_` role of a
//! perpetrator). `cas_CaseId` and `prs_PersonId` are the source system's ids: importing the
//! same file twice adds nothing the second time.
//!
//! Parsing and validation are pure: a bad value is reported by row and field, with a stable
//! code, and nothing is written unless the whole file is good.

use crate::cases::{CaseExploitation, LabourSector, SexualForm};
use crate::protection::is_iso_date;
use std::collections::{BTreeMap, BTreeSet};

/// The columns, in order. Import needs the required ones (see `REQUIRED`); the rest may be
/// missing from the header or empty.
pub const COLUMNS: [&str; 19] = [
    "cas_CaseId",
    "cas_Status",
    "cas_CreatedDate",
    "vic_TypeOfExploitation",
    "vic_TypeOfLabourExploitation",
    "vic_TypeOfSexExploitation",
    "hte_Type",
    "hte_Date",
    "hte_Country",
    "hte_State",
    "prs_PersonId",
    "prs_FirstName",
    "prs_SecondName",
    "prs_Birthdate",
    "prs_Gender",
    "prs_Nationality",
    "vic_TraffickingStatus",
    "vic_DateOfIdentification",
    "per_RoleInProcess",
];

pub const REQUIRED: [&str; 5] = ["cas_CaseId", "vic_TypeOfExploitation", "hte_State", "prs_PersonId", "cas_CreatedDate"];

/// HTCDS `vic_TypeOfLabourExploitation` values and Amparo's sectors.
pub const LABOUR: [(&str, LabourSector); 7] = [
    ("Agriculture", LabourSector::Agriculture),
    ("Begging", LabourSector::Begging),
    ("Construction", LabourSector::Construction),
    ("DomesticWork", LabourSector::DomesticWork),
    ("Hospitality", LabourSector::Hospitality),
    ("Manufacturing", LabourSector::Manufacturing),
    ("MiningOrDrilling", LabourSector::Mining),
];

/// HTCDS `vic_TypeOfSexExploitation` values and Amparo's sexual forms (the first of each is
/// what an export writes).
pub const SEX: [(&str, SexualForm); 3] = [
    ("Prostitution", SexualForm::Brothel),
    ("RemoteInteractiveServices", SexualForm::Online),
    ("PrivateSexualServices", SexualForm::Private),
];

pub const CASE_STATUS: [&str; 4] = ["Active", "FollowUp", "Closed", "ClosedReferred"];
pub const GENDER: [(&str, Option<&str>); 4] =
    [("Female", Some("female")), ("Male", Some("male")), ("Transgender/NonConforming", Some("other")), ("Unknown", None)];
pub const STATUS: [&str; 3] = ["PossibleVictim", "ActualVictim", "NotAVictim"];

pub fn sector_to_htcds(s: Option<LabourSector>) -> &'static str {
    s.and_then(|s| LABOUR.iter().find(|(_, x)| *x == s)).map(|(n, _)| *n).unwrap_or(if s.is_some() { "Other" } else { "" })
}

pub fn form_to_htcds(f: Option<SexualForm>) -> &'static str {
    match f {
        None => "",
        Some(SexualForm::Online) => "RemoteInteractiveServices",
        Some(SexualForm::Private) => "PrivateSexualServices",
        Some(_) => "Prostitution",
    }
}

/// One problem in an import file: 1-based data row (0 = the header), field, stable code.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    pub row: usize,
    pub field: String,
    pub code: &'static str,
}

/// A validated row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub case_id: String,
    pub case_closed: bool,
    pub created: String,
    pub exploitation: CaseExploitation,
    pub labour_sector: Option<LabourSector>,
    pub sexual_form: Option<SexualForm>,
    /// Area code (`PE-1601`) of the place of exploitation.
    pub place: String,
    pub person_id: String,
    pub given_names: Option<String>,
    pub surnames: Option<String>,
    pub birth_date: Option<String>,
    pub sex: Option<String>,
    pub nationality: Option<String>,
    /// Present for victims; `None` with `perpetrator` for a perpetrator.
    pub status: Option<String>,
    pub identified_on: Option<String>,
    pub perpetrator: Option<String>,
}

/// Check the header: every required column present, no unknown column (a typo in a column
/// name would otherwise silently drop a whole field).
pub fn check_header(header: &[String]) -> Vec<RowError> {
    let mut e = Vec::new();
    for r in REQUIRED {
        if !header.iter().any(|h| h == r) {
            e.push(RowError { row: 0, field: r.to_owned(), code: "missing_column" });
        }
    }
    let mut seen = BTreeSet::new();
    for h in header {
        if !COLUMNS.contains(&h.as_str()) {
            e.push(RowError { row: 0, field: h.clone(), code: "unknown_column" });
        } else if !seen.insert(h.as_str()) {
            e.push(RowError { row: 0, field: h.clone(), code: "duplicate_column" });
        }
    }
    e
}

/// Validate one data row (`n` is its 1-based number), given by column. `known_area` says
/// whether an area code exists; `known_country` likewise for ISO alpha-2.
pub fn parse_row(
    n: usize,
    cells: &BTreeMap<String, String>,
    today: &str,
    known_area: &dyn Fn(&str) -> bool,
    known_country: &dyn Fn(&str) -> bool,
) -> Result<Row, Vec<RowError>> {
    let mut e = Vec::new();
    let get = |k: &str| cells.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let mut err = |field: &str, code: &'static str| e.push(RowError { row: n, field: field.to_owned(), code });
    fn id(v: Option<&str>) -> Option<&str> {
        v.filter(|v| v.len() <= 100 && v.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:/".contains(c)))
    }
    let case_id = id(get("cas_CaseId"));
    if case_id.is_none() {
        err("cas_CaseId", if get("cas_CaseId").is_none() { "required" } else { "invalid_id" });
    }
    let person_id = id(get("prs_PersonId"));
    if person_id.is_none() {
        err("prs_PersonId", if get("prs_PersonId").is_none() { "required" } else { "invalid_id" });
    }
    let status_case = get("cas_Status").unwrap_or("Active");
    if !CASE_STATUS.contains(&status_case) {
        err("cas_Status", "invalid_choice");
    }
    let date = |v: Option<&str>, field: &str, err: &mut dyn FnMut(&str, &'static str)| -> Option<String> {
        match v {
            None => None,
            Some(d) if !is_iso_date(d) => {
                err(field, "invalid_date");
                None
            }
            Some(d) if d > today => {
                err(field, "date_in_future");
                None
            }
            Some(d) => Some(d.to_owned()),
        }
    };
    let created = date(get("cas_CreatedDate"), "cas_CreatedDate", &mut err);
    if get("cas_CreatedDate").is_none() {
        err("cas_CreatedDate", "required");
    }
    let exploitation = get("vic_TypeOfExploitation").and_then(CaseExploitation::parse);
    if exploitation.is_none() {
        err("vic_TypeOfExploitation", if get("vic_TypeOfExploitation").is_none() { "required" } else { "invalid_choice" });
    }
    let labour_sector = match get("vic_TypeOfLabourExploitation") {
        None => None,
        Some("Other") => Some(LabourSector::Other),
        Some(v) => match LABOUR.iter().find(|(n, _)| *n == v) {
            Some((_, s)) => Some(*s),
            None => {
                err("vic_TypeOfLabourExploitation", "invalid_choice");
                None
            }
        },
    };
    let sexual_form = match get("vic_TypeOfSexExploitation") {
        None => None,
        Some(v) => match SEX.iter().find(|(n, _)| *n == v) {
            Some((_, f)) => Some(*f),
            None => {
                err("vic_TypeOfSexExploitation", "invalid_choice");
                None
            }
        },
    };
    if let Some(t) = get("hte_Type")
        && t != "Exploitation"
    {
        // The flat table carries the place of exploitation only.
        err("hte_Type", "invalid_choice");
    }
    let place = get("hte_State").map(str::to_owned);
    match &place {
        None => err("hte_State", "required"),
        Some(p) if !known_area(p) => err("hte_State", "unknown_area"),
        Some(_) => {}
    }
    if let Some(c) = get("hte_Country")
        && !known_country(c)
    {
        err("hte_Country", "invalid_choice");
    }
    let _ = date(get("hte_Date"), "hte_Date", &mut err);
    let text = |v: Option<&str>, field: &str, err: &mut dyn FnMut(&str, &'static str)| -> Option<String> {
        match v {
            Some(t) if t.chars().count() > 200 || t.chars().any(char::is_control) => {
                err(field, "invalid_text");
                None
            }
            t => t.map(str::to_owned),
        }
    };
    let given_names = text(get("prs_FirstName"), "prs_FirstName", &mut err);
    let surnames = text(get("prs_SecondName"), "prs_SecondName", &mut err);
    let birth_date = date(get("prs_Birthdate"), "prs_Birthdate", &mut err);
    let sex = match get("prs_Gender") {
        None => None,
        Some(g) => match GENDER.iter().find(|(n, _)| *n == g) {
            Some((_, s)) => s.map(str::to_owned),
            None => {
                err("prs_Gender", "invalid_choice");
                None
            }
        },
    };
    let nationality = get("prs_Nationality").map(str::to_ascii_uppercase);
    if let Some(n) = &nationality
        && !known_country(n)
    {
        err("prs_Nationality", "invalid_choice");
    }
    let perpetrator = get("per_RoleInProcess").map(str::to_owned);
    let status = get("vic_TraffickingStatus").map(str::to_owned);
    match (&status, &perpetrator) {
        (Some(s), _) if !STATUS.contains(&s.as_str()) => err("vic_TraffickingStatus", "invalid_choice"),
        (Some(_), Some(_)) => err("per_RoleInProcess", "victim_and_perpetrator"),
        _ => {}
    }
    let identified_on = date(get("vic_DateOfIdentification"), "vic_DateOfIdentification", &mut err);
    if status.is_some() && identified_on.is_none() && get("vic_DateOfIdentification").is_none() {
        err("vic_DateOfIdentification", "required");
    }
    if !e.is_empty() {
        return Err(e);
    }
    match (case_id, person_id, created, exploitation, place) {
        (Some(c), Some(p), Some(created), Some(exploitation), Some(place)) => Ok(Row {
            case_id: c.to_owned(),
            case_closed: status_case.starts_with("Closed"),
            created,
            exploitation,
            labour_sector,
            sexual_form,
            place,
            person_id: p.to_owned(),
            given_names,
            surnames,
            birth_date,
            sex,
            nationality,
            status,
            identified_on,
            perpetrator,
        }),
        _ => Err(vec![RowError { row: n, field: "cas_CaseId".into(), code: "required" }]),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn cells(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn good() -> Vec<(&'static str, &'static str)> {
        vec![
            ("cas_CaseId", "LEG-2008-001"),
            ("cas_CreatedDate", "2008-03-01"),
            ("vic_TypeOfExploitation", "isForcedLabour"),
            ("vic_TypeOfLabourExploitation", "MiningOrDrilling"),
            ("hte_Type", "Exploitation"),
            ("hte_State", "PE-1701"),
            ("prs_PersonId", "P-1"),
            ("prs_FirstName", "Rosa"),
            ("prs_Gender", "Female"),
            ("prs_Nationality", "pe"),
            ("vic_TraffickingStatus", "ActualVictim"),
            ("vic_DateOfIdentification", "2008-03-05"),
        ]
    }

    #[test]
    fn a_good_row_parses_into_amparo_terms() {
        let r = parse_row(1, &cells(&good()), "2026-01-01", &|a| a.starts_with("PE-"), &|c| c == "PE").unwrap();
        assert_eq!((r.labour_sector, r.sex.as_deref(), r.nationality.as_deref()), (Some(LabourSector::Mining), Some("female"), Some("PE")));
        assert_eq!(r.status.as_deref(), Some("ActualVictim"));
    }

    #[test]
    fn every_bad_field_is_reported_by_row_and_field() {
        let mut c = cells(&good());
        c.insert("vic_TypeOfExploitation".into(), "slavery".into());
        c.insert("hte_State".into(), "XX-99".into());
        c.insert("prs_Gender".into(), "F".into());
        c.insert("vic_DateOfIdentification".into(), "2099-01-01".into());
        c.insert("per_RoleInProcess".into(), "Recruiter".into());
        let e = parse_row(7, &c, "2026-01-01", &|a| a.starts_with("PE-"), &|c| c == "PE").unwrap_err();
        let got: Vec<(usize, &str, &str)> = e.iter().map(|x| (x.row, x.field.as_str(), x.code)).collect();
        for want in [
            (7, "vic_TypeOfExploitation", "invalid_choice"),
            (7, "hte_State", "unknown_area"),
            (7, "prs_Gender", "invalid_choice"),
            (7, "vic_DateOfIdentification", "date_in_future"),
            (7, "per_RoleInProcess", "victim_and_perpetrator"),
        ] {
            assert!(got.contains(&want), "{want:?} in {got:?}");
        }
    }

    #[test]
    fn the_header_must_name_known_columns() {
        let h: Vec<String> = ["cas_CaseId", "prs_PersonId", "prs_Frstname"].iter().map(|s| (*s).to_owned()).collect();
        let e = check_header(&h);
        assert!(e.iter().any(|x| x.field == "prs_Frstname" && x.code == "unknown_column"));
        assert!(e.iter().any(|x| x.field == "hte_State" && x.code == "missing_column"));
    }
}
