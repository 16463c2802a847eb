//! Cases (investigations) and their prosecution: exploitation types in HTCDS terms, events
//! with places (routes across borders), statutes as data with effective dates, charges,
//! stages, per-defendant decisions, sentences checked against the statute's range, appeals.
//!
//! A sentence outside its statute's range for the date of the offence is never silently
//! stored: `sentence_check` says why it is out of range, and the core keeps the flag on the
//! decision until someone reviews it.

use crate::intake::str_enum;
use crate::protection::{date_field, is_iso_date};
use crate::validation::{FieldErrors, optional_text, required_text};
use serde::{Deserialize, Serialize};

// HTCDS `vic_TypeOfExploitation` groups, as CTDC publishes them.
str_enum!(CaseExploitation { SexualExploit = "isSexualExploit", ForcedLabour = "isForcedLabour", SexAndLabour = "isSexAndLabour", ForcedMarriage = "isForcedMarriage", OrganRemoval = "isOrganRemoval", SlaveryAndPractices = "isSlaveryAndPractices", OtherExploit = "isOtherExploit" });
// Forced-labour sectors the seed names, each with its ISIC Rev. 4 code.
str_enum!(LabourSector { Mining = "mining", Logging = "logging", Agriculture = "agriculture", BrickMaking = "brick_making", DomesticWork = "domestic_work", Fishing = "fishing", Construction = "construction", Manufacturing = "manufacturing", Hospitality = "hospitality", Begging = "begging", Other = "other" });
str_enum!(SexualForm { Brothel = "brothel", BarOrNightclub = "bar_or_nightclub", Street = "street", Online = "online", SexTourism = "sex_tourism", Private = "private", Other = "other" });
// HTCDS `hte_Type`.
str_enum!(EventKind { Recruitment = "Recruitment", Transit = "Transit", Exploitation = "Exploitation" });
str_enum!(CaseStatus { Open = "open", Investigating = "investigating", Prosecution = "prosecution", Trial = "trial", Closed = "closed" });
str_enum!(CaseRole { Victim = "victim", Suspect = "suspect", Witness = "witness" });
str_enum!(Stage { Preliminary = "preliminary_investigation", Formal = "formal_investigation", Accusation = "accusation", Trial = "trial" });
str_enum!(Verdict { Convicted = "convicted", Acquitted = "acquitted", Dismissed = "dismissed" });
str_enum!(PreventionKind { Campaign = "campaign", Training = "training" });
str_enum!(Audience { Police = "police", Prosecutors = "prosecutors", Judges = "judges", LabourInspectors = "labour_inspectors", Public = "public", Students = "students", Other = "other" });
str_enum!(HearingKind { Preliminary = "preliminary", Control = "control_of_accusation", Trial = "trial", Sentencing = "sentencing", Appeal = "appeal" });
str_enum!(AppealResult { Pending = "pending", Upheld = "upheld", Overturned = "overturned", Modified = "modified" });

impl LabourSector {
    pub fn isic(self) -> &'static str {
        match self {
            LabourSector::Mining => "B07",
            LabourSector::Logging => "A02",
            LabourSector::Agriculture => "A01",
            LabourSector::BrickMaking => "C2392",
            LabourSector::DomesticWork => "T97",
            LabourSector::Fishing => "A03",
            LabourSector::Construction => "F",
            LabourSector::Manufacturing => "C",
            LabourSector::Hospitality => "I",
            LabourSector::Begging | LabourSector::Other => "",
        }
    }
}

impl CaseExploitation {
    pub fn is_labour(self) -> bool {
        matches!(self, CaseExploitation::ForcedLabour | CaseExploitation::SexAndLabour)
    }
    pub fn is_sexual(self) -> bool {
        matches!(self, CaseExploitation::SexualExploit | CaseExploitation::SexAndLabour)
    }
}

impl Stage {
    /// Stages only move forward.
    pub fn rank(self) -> u8 {
        match self {
            Stage::Preliminary => 0,
            Stage::Formal => 1,
            Stage::Accusation => 2,
            Stage::Trial => 3,
        }
    }
}

/// A penal provision with the dates it was in force and its range of imprisonment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Statute {
    pub id: String,
    pub country: String,
    pub article: String,
    pub title_es: String,
    pub title_en: String,
    /// `YYYY-MM-DD`, inclusive.
    pub in_force_from: String,
    /// `YYYY-MM-DD`, exclusive; `None` while in force.
    pub in_force_to: Option<String>,
    pub min_months: i64,
    /// `None` = no upper limit in the text ("not less than 25 years").
    pub max_months: Option<i64>,
    pub source: String,
}

impl Statute {
    pub fn in_force_on(&self, date: &str) -> bool {
        self.in_force_from.as_str() <= date && self.in_force_to.as_deref().is_none_or(|to| date < to)
    }
}

/// Why a sentence needs review, if it does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum SentenceFlag {
    BelowMinimum { min_months: i64 },
    AboveMaximum { max_months: i64 },
}

pub fn sentence_check(statute: &Statute, total_months: i64) -> Option<SentenceFlag> {
    if total_months < statute.min_months {
        return Some(SentenceFlag::BelowMinimum { min_months: statute.min_months });
    }
    match statute.max_months {
        Some(max) if total_months > max => Some(SentenceFlag::AboveMaximum { max_months: max }),
        _ => None,
    }
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct CaseInput {
    #[serde(default)]
    #[schemars(required, extend("pattern" = "\\S"))]
    pub title: String,
    #[serde(default)]
    #[schemars(with = "crate::cases::CaseExploitation")]
    pub exploitation: String,
    #[serde(default)]
    pub labour_sector: String,
    #[serde(default)]
    #[schemars(with = "crate::cases::SexualForm")]
    pub sexual_form: String,
    /// Area code where the case is investigated.
    #[serde(default)]
    #[schemars(required, extend("pattern" = "\\S"))]
    pub place: String,
    /// Report, operation or inspection ids the case is opened from (comma-separated or repeated).
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub notes: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CaseFields {
    /// A short working title; may name places, never persons (it is shown in lists).
    pub title: String,
    pub exploitation: CaseExploitation,
    pub labour_sector: Option<LabourSector>,
    pub sexual_form: Option<SexualForm>,
    pub place: String,
    pub sources: Vec<String>,
    #[serde(skip)]
    pub notes: Option<String>,
}

impl CaseInput {
    pub fn validate(&self) -> Result<CaseFields, FieldErrors> {
        let mut e = FieldErrors::new();
        let title = required_text(&mut e, "title", &self.title, 200);
        let exploitation = CaseExploitation::parse(self.exploitation.trim());
        if exploitation.is_none() {
            e.add("exploitation", "invalid_choice");
        }
        let labour_sector = match self.labour_sector.trim() {
            "" => None,
            s => {
                let v = LabourSector::parse(s);
                if v.is_none() {
                    e.add("labour_sector", "invalid_choice");
                }
                v
            }
        };
        let sexual_form = match self.sexual_form.trim() {
            "" => None,
            s => {
                let v = SexualForm::parse(s);
                if v.is_none() {
                    e.add("sexual_form", "invalid_choice");
                }
                v
            }
        };
        if exploitation.is_some_and(CaseExploitation::is_labour) && labour_sector.is_none() {
            e.add("labour_sector", "required");
        }
        if exploitation.is_some_and(|x| !x.is_labour()) && labour_sector.is_some() {
            e.add("labour_sector", "only_for_forced_labour");
        }
        if exploitation.is_some_and(|x| !x.is_sexual()) && sexual_form.is_some() {
            e.add("sexual_form", "only_for_sexual_exploitation");
        }
        let place = crate::validation::required_code(&mut e, "place", &self.place);
        let sources: Vec<String> =
            self.sources.iter().flat_map(|s| s.split(',')).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
        let notes = optional_text(&mut e, "notes", &self.notes, 50_000);
        e.into_result()?;
        match exploitation {
            Some(exploitation) => Ok(CaseFields { title, exploitation, labour_sector, sexual_form, place, sources, notes }),
            None => Err(FieldErrors::new()),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct EventInput {
    #[serde(default)]
    #[schemars(with = "crate::cases::EventKind")]
    pub kind: String,
    #[serde(default)]
    #[schemars(required, extend("pattern" = "\\S"))]
    pub date: String,
    /// An area code (`PE-1601`) or a country (`ES`).
    #[serde(default)]
    #[schemars(required, extend("pattern" = "\\S"))]
    pub place: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EventFields {
    pub kind: EventKind,
    pub date: String,
    pub place: String,
}

impl EventInput {
    pub fn validate(&self, today: &str) -> Result<EventFields, FieldErrors> {
        let mut e = FieldErrors::new();
        let kind = EventKind::parse(self.kind.trim());
        if kind.is_none() {
            e.add("kind", "invalid_choice");
        }
        let date = match self.date.trim() {
            "" => {
                e.add("date", "required");
                None
            }
            d => date_field(&mut e, "date", d, today),
        };
        let place = crate::validation::required_code(&mut e, "place", &self.place);
        e.into_result()?;
        match (kind, date) {
            (Some(kind), Some(date)) => Ok(EventFields { kind, date, place }),
            _ => Err(FieldErrors::new()),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ChargeInput {
    /// The defendant: a person linked to the case as suspect.
    #[serde(default)]
    #[schemars(required, extend("pattern" = "\\S"))]
    pub person_id: String,
    #[serde(default)]
    #[schemars(required, extend("pattern" = "\\S"))]
    pub statute_id: String,
    #[serde(default)]
    #[schemars(required, extend("pattern" = "\\S"))]
    pub offence_date: String,
    #[serde(default)]
    pub filed_on: String,
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct DecisionOnChargeInput {
    #[serde(default)]
    #[schemars(with = "crate::cases::Verdict")]
    pub verdict: String,
    #[serde(default)]
    pub decided_on: String,
    #[schemars(schema_with = "crate::intake::number_text_schema")]
    #[serde(default, deserialize_with = "crate::intake::number_text")]
    pub years: String,
    #[schemars(schema_with = "crate::intake::number_text_schema")]
    #[serde(default, deserialize_with = "crate::intake::number_text")]
    pub months: String,
    /// Fine in the local currency's smallest sensible unit (soles), optional.
    #[schemars(schema_with = "crate::intake::number_text_schema")]
    #[serde(default, deserialize_with = "crate::intake::number_text")]
    pub fine: String,
    #[schemars(schema_with = "crate::intake::number_text_schema")]
    #[serde(default, deserialize_with = "crate::intake::version_text")]
    pub version: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DecisionOnCharge {
    pub verdict: Verdict,
    pub decided_on: String,
    /// Total months of imprisonment (convictions only).
    pub sentence_months: Option<i64>,
    pub fine: Option<i64>,
}

impl DecisionOnChargeInput {
    pub fn validate(&self, today: &str) -> Result<DecisionOnCharge, FieldErrors> {
        let mut e = FieldErrors::new();
        let verdict = Verdict::parse(self.verdict.trim());
        if verdict.is_none() {
            e.add("verdict", "invalid_choice");
        }
        let decided_on = date_field(&mut e, "decided_on", &self.decided_on, today);
        let num = |e: &mut FieldErrors, field: &str, v: &str, max: i64| -> Option<i64> {
            match v.trim() {
                "" => None,
                v => match v.parse::<i64>() {
                    Ok(n) if (0..=max).contains(&n) => Some(n),
                    _ => {
                        e.add(field, "invalid_number");
                        None
                    }
                },
            }
        };
        let years = num(&mut e, "years", &self.years, 99);
        let months = num(&mut e, "months", &self.months, 11);
        let fine = num(&mut e, "fine", &self.fine, 1_000_000_000);
        let sentence_months = match verdict {
            Some(Verdict::Convicted) => {
                let total = years.unwrap_or(0) * 12 + months.unwrap_or(0);
                if years.is_none() && months.is_none() {
                    e.add("years", "required");
                }
                Some(total)
            }
            _ => {
                if years.is_some() || months.is_some() {
                    e.add("years", "sentence_only_for_conviction");
                }
                None
            }
        };
        e.into_result()?;
        match (verdict, decided_on) {
            (Some(verdict), Some(decided_on)) => Ok(DecisionOnCharge { verdict, decided_on, sentence_months, fine }),
            _ => Err(FieldErrors::new()),
        }
    }
}

/// Validate a charge's shape; whether the statute applies on the offence date is checked
/// against the statute table by `statute_for_charge`.
pub fn validate_charge(input: &ChargeInput, today: &str) -> Result<(String, String, String, String), FieldErrors> {
    let mut e = FieldErrors::new();
    let person = input.person_id.trim().to_owned();
    if person.is_empty() {
        e.add("person_id", "required");
    }
    let statute = input.statute_id.trim().to_owned();
    if statute.is_empty() {
        e.add("statute_id", "required");
    }
    let offence = match input.offence_date.trim() {
        "" => {
            e.add("offence_date", "required");
            None
        }
        d => date_field(&mut e, "offence_date", d, today),
    };
    let filed = date_field(&mut e, "filed_on", &input.filed_on, today);
    if let (Some(o), Some(f)) = (&offence, &filed)
        && f < o
    {
        e.add("filed_on", "ends_before_start");
    }
    e.into_result()?;
    Ok((person, statute, offence.unwrap_or_default(), filed.unwrap_or_default()))
}

/// The statute must exist and be in force on the date of the offence.
pub fn statute_for_charge<'a>(statutes: &'a [Statute], id: &str, offence_date: &str) -> Result<&'a Statute, FieldErrors> {
    let mut e = FieldErrors::new();
    match statutes.iter().find(|s| s.id == id) {
        None => e.add("statute_id", "invalid_choice"),
        Some(s) if !is_iso_date(offence_date) || !s.in_force_on(offence_date) => {
            e.add("statute_id", "statute_not_in_force_on_offence_date")
        }
        Some(s) => return Ok(s),
    }
    Err(e)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn statute(from: &str, to: Option<&str>, min: i64, max: Option<i64>) -> Statute {
        Statute {
            id: "s".into(),
            country: "PE".into(),
            article: "153".into(),
            title_es: "t".into(),
            title_en: "t".into(),
            in_force_from: from.into(),
            in_force_to: to.map(str::to_owned),
            min_months: min,
            max_months: max,
            source: String::new(),
        }
    }

    #[test]
    fn sentences_outside_the_range_are_flagged() {
        let s = statute("2007-01-16", None, 96, Some(180));
        assert_eq!(sentence_check(&s, 96), None);
        assert_eq!(sentence_check(&s, 180), None);
        assert_eq!(sentence_check(&s, 95), Some(SentenceFlag::BelowMinimum { min_months: 96 }));
        assert_eq!(sentence_check(&s, 181), Some(SentenceFlag::AboveMaximum { max_months: 180 }));
        let open = statute("2007-01-16", None, 300, None);
        assert_eq!(sentence_check(&open, 600), None, "no upper limit");
    }

    #[test]
    fn a_charge_needs_a_statute_in_force_on_the_offence_date() {
        let list = vec![
            Statute { id: "old".into(), ..statute("2007-01-16", Some("2014-10-21"), 96, Some(180)) },
            Statute { id: "new".into(), ..statute("2014-10-21", None, 96, Some(180)) },
        ];
        assert!(statute_for_charge(&list, "old", "2010-05-01").is_ok());
        assert_eq!(
            statute_for_charge(&list, "old", "2015-01-01").unwrap_err().for_field("statute_id"),
            Some("statute_not_in_force_on_offence_date")
        );
        assert!(statute_for_charge(&list, "new", "2014-10-21").is_ok(), "in force from its first day");
        assert!(statute_for_charge(&list, "new", "2014-10-20").is_err());
        assert!(statute_for_charge(&list, "nope", "2015-01-01").is_err());
    }

    #[test]
    fn forced_labour_cases_record_a_sector_and_only_they_do() {
        let base =
            CaseInput { title: "Campamento".into(), exploitation: "isForcedLabour".into(), place: "PE-17".into(), ..Default::default() };
        assert_eq!(base.validate().unwrap_err().for_field("labour_sector"), Some("required"));
        let ok = CaseInput { labour_sector: "mining".into(), ..base.clone() };
        assert_eq!(ok.validate().unwrap().labour_sector.map(LabourSector::isic), Some("B07"));
        let sexual = CaseInput { exploitation: "isSexualExploit".into(), labour_sector: "mining".into(), ..base };
        assert_eq!(sexual.validate().unwrap_err().for_field("labour_sector"), Some("only_for_forced_labour"));
    }

    #[test]
    fn a_conviction_needs_a_sentence_and_an_acquittal_has_none() {
        let c = DecisionOnChargeInput { verdict: "convicted".into(), years: "10".into(), months: "6".into(), ..Default::default() };
        assert_eq!(c.validate("2026-01-01").unwrap().sentence_months, Some(126));
        let no = DecisionOnChargeInput { verdict: "convicted".into(), ..Default::default() };
        assert_eq!(no.validate("2026-01-01").unwrap_err().for_field("years"), Some("required"));
        let a = DecisionOnChargeInput { verdict: "acquitted".into(), years: "3".into(), ..Default::default() };
        assert_eq!(a.validate("2026-01-01").unwrap_err().for_field("years"), Some("sentence_only_for_conviction"));
        let m = DecisionOnChargeInput { verdict: "convicted".into(), years: "8".into(), months: "12".into(), ..Default::default() };
        assert!(m.validate("2026-01-01").is_err(), "months run 0–11");
    }
}
