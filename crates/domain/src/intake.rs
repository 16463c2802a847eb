//! Intake and triage: reports (hotline calls, anonymous web tips, walk-ins, police operations,
//! labour inspections), their priority, their deadlines, and where they are routed.
//!
//! The seed's complaint is a hotline "whose reports go nowhere measurable". So every report
//! lands in exactly one unit's queue, carries deadlines to acknowledge and to act that follow
//! from its urgency, and can change queue only with a written reason.

use crate::Timestamp;
use crate::ids::OrgId;
use crate::org::{OrgKind, Organisation};
use crate::validation::{FieldErrors, optional_text, required_text};
use serde::{Deserialize, Serialize};

/// A closed vocabulary whose wire form (JSON, database, forms) is exactly the given string —
/// for HTCDS fields that is the standard's own spelling (`PossibleVictim`, `NGO`).
macro_rules! str_enum {
    ($name:ident { $($var:ident = $s:literal),+ $(,)? }) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
        pub enum $name { $(#[serde(rename = $s)] $var),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$var),+];
            pub fn as_str(self) -> &'static str { match self { $($name::$var => $s),+ } }
            pub fn parse(s: &str) -> Option<$name> { $name::ALL.iter().copied().find(|v| v.as_str() == s) }
        }
    };
}
pub(crate) use str_enum;

str_enum!(Channel { Hotline = "hotline", Web = "web", WalkIn = "walk_in", PoliceOperation = "police_operation", LabourInspection = "labour_inspection", Abroad = "abroad" });
str_enum!(ReportStatus { New = "new", Acknowledged = "acknowledged", Actioned = "actioned", Closed = "closed" });
str_enum!(Priority { Urgent = "urgent", High = "high", Normal = "normal" });
str_enum!(Exploitation { Sexual = "sexual", Labour = "labour", Begging = "begging", ForcedCriminality = "forced_criminality", Servitude = "servitude", OrganRemoval = "organ_removal", Unknown = "unknown" });

impl Priority {
    /// Imminent danger outranks everything; a child involved makes a report high priority.
    pub fn from_urgency(imminent_danger: bool, child_involved: bool) -> Priority {
        if imminent_danger {
            Priority::Urgent
        } else if child_involved {
            Priority::High
        } else {
            Priority::Normal
        }
    }
    /// Seconds allowed to acknowledge and to act. Acting means a person was recorded, an
    /// operation or visit planned, or the report closed with a reason.
    pub fn deadlines(self) -> (i64, i64) {
        match self {
            Priority::Urgent => (3_600, 24 * 3_600),
            Priority::High => (4 * 3_600, 72 * 3_600),
            Priority::Normal => (24 * 3_600, 7 * 24 * 3_600),
        }
    }
}

/// What the exploitation kind maps to on the screening form.
impl Exploitation {
    pub fn screening_kind(self) -> &'static str {
        if self == Exploitation::Sexual { "sexual" } else { "labour" }
    }
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ReportInput {
    #[serde(default)]
    #[schemars(with = "crate::intake::Channel")]
    pub channel: String,
    /// Area code of the place (district, province, region or country).
    #[serde(default)]
    #[schemars(required, extend("pattern" = "\\S"))]
    pub place: String,
    #[serde(default)]
    pub place_detail: String,
    #[serde(default)]
    #[schemars(with = "crate::intake::Exploitation")]
    pub exploitation: String,
    #[schemars(schema_with = "crate::intake::flag_schema")]
    #[serde(default, deserialize_with = "crate::intake::flag")]
    pub imminent_danger: bool,
    #[schemars(schema_with = "crate::intake::flag_schema")]
    #[serde(default, deserialize_with = "crate::intake::flag")]
    pub child_involved: bool,
    #[serde(default)]
    #[schemars(required, extend("pattern" = "\\S"))]
    pub narrative: String,
    #[serde(default)]
    pub reporter_name: String,
    #[serde(default)]
    pub reporter_contact: String,
    #[serde(default)]
    pub persons_described: String,
}

/// Accept `true`/`false`, `"on"`, `"1"`, `"true"` (HTML checkboxes send "on").
pub fn flag<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum B {
        Bool(bool),
        Text(String),
    }
    Ok(match B::deserialize(d)? {
        B::Bool(b) => b,
        B::Text(s) => matches!(s.as_str(), "on" | "1" | "true" | "yes"),
    })
}

/// A record version as text, from a form field (`"3"`) or from JSON as read back (`3`): a
/// client that echoes the `version` it was given must not be refused for its type.
/// What `number_text` and `version_text` accept, for the API's document: a number, a numeral
/// as text, or null.
pub fn number_text_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "type": ["integer", "number", "string", "null"], "description": "A number, or a numeral as text" })
}

/// What `flag` accepts: a boolean, or a form's `on`/`1`/`true`/`yes` (anything else is false).
pub fn flag_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "type": ["boolean", "string"] })
}

pub fn version_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    number_text(d)
}

/// A number field as text, from a form (`"12"`) or from JSON (`12`): the API takes either,
/// and validation (with its field error) is the same for both.
pub fn number_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum V {
        Number(i64),
        Fraction(f64),
        Text(String),
    }
    // `null` is "not given", as an absent field is.
    Ok(match Option::<V>::deserialize(d)? {
        None => String::new(),
        Some(V::Number(n)) => n.to_string(),
        Some(V::Fraction(x)) => x.to_string(),
        Some(V::Text(s)) => s,
    })
}

/// The fields of a report that identify or describe people: sealed at rest.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReportSecrets {
    pub narrative: String,
    pub place_detail: Option<String>,
    pub reporter_name: Option<String>,
    pub reporter_contact: Option<String>,
    pub persons_described: Option<String>,
    /// Information added later by an anonymous reporter with the reference code and secret.
    #[serde(default)]
    pub follow_ups: Vec<FollowUp>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FollowUp {
    pub at: Timestamp,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportFields {
    pub channel: Channel,
    pub place: String,
    pub exploitation: Exploitation,
    pub imminent_danger: bool,
    pub child_involved: bool,
    pub secrets: ReportSecrets,
}

impl ReportInput {
    pub fn validate(&self) -> Result<ReportFields, FieldErrors> {
        let mut e = FieldErrors::new();
        let channel = Channel::parse(self.channel.trim());
        if channel.is_none() {
            e.add("channel", "invalid_choice");
        }
        let place = crate::validation::required_code(&mut e, "place", &self.place);
        let exploitation = match self.exploitation.trim() {
            "" => Some(Exploitation::Unknown),
            s => Exploitation::parse(s),
        };
        if exploitation.is_none() {
            e.add("exploitation", "invalid_choice");
        }
        let secrets = ReportSecrets {
            narrative: required_text(&mut e, "narrative", &self.narrative, 20_000),
            place_detail: optional_text(&mut e, "place_detail", &self.place_detail, 500),
            reporter_name: optional_text(&mut e, "reporter_name", &self.reporter_name, 200),
            reporter_contact: optional_text(&mut e, "reporter_contact", &self.reporter_contact, 200),
            persons_described: optional_text(&mut e, "persons_described", &self.persons_described, 5_000),
            follow_ups: Vec::new(),
        };
        e.into_result()?;
        match (channel, exploitation) {
            (Some(channel), Some(exploitation)) => Ok(ReportFields {
                channel,
                place,
                exploitation,
                imminent_danger: self.imminent_danger,
                child_involved: self.child_involved,
                secrets,
            }),
            _ => Err(FieldErrors::new()),
        }
    }
}

/// One step in a report's life, kept in order on the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReportStep {
    pub at: Timestamp,
    pub by: String,
    pub step: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_org: Option<OrgId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_org: Option<OrgId>,
    /// A reassignment or closing reason. Staff text; may mention the case, so it stays inside.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Where a report stands against its deadlines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Timeliness {
    /// Seconds from receipt to acknowledgement (so far, if not yet acknowledged).
    pub to_acknowledge: i64,
    pub to_act: i64,
    pub ack_overdue: bool,
    pub act_overdue: bool,
}

pub fn timeliness(
    priority: Priority,
    received: Timestamp,
    acknowledged: Option<Timestamp>,
    acted: Option<Timestamp>,
    now: Timestamp,
) -> Timeliness {
    let (ack_limit, act_limit) = priority.deadlines();
    let to_acknowledge = acknowledged.unwrap_or(now) - received;
    let to_act = acted.unwrap_or(now) - received;
    Timeliness { to_acknowledge, to_act, ack_overdue: to_acknowledge > ack_limit, act_overdue: to_act > act_limit }
}

/// The unit competent for a place: among organisations of the first kind in `kinds` that has
/// any candidate, the one whose jurisdiction is the most specific area containing the place.
/// `place_chain` lists the place and its ancestors, most specific first, ending at the country.
pub fn route<'a>(place_chain: &[String], orgs: &'a [Organisation], kinds: &[OrgKind]) -> Option<&'a Organisation> {
    for kind in kinds {
        let best = orgs
            .iter()
            .filter(|o| o.kind == *kind)
            .filter_map(|o| place_chain.iter().position(|a| *a == o.jurisdiction).map(|depth| (depth, o)))
            .min_by(|(da, a), (db, b)| da.cmp(db).then(a.created_at.cmp(&b.created_at)).then(a.id.cmp(&b.id)));
        if let Some((_, o)) = best {
            return Some(o);
        }
    }
    None
}

/// A reason must say something: reassignments and closures are read later by supervisors.
pub fn reason(e: &mut FieldErrors, field: &str, value: &str) -> String {
    let r = required_text(e, field, value, 2_000);
    if !r.is_empty() && r.chars().count() < 5 {
        e.add(field, "reason_too_short");
    }
    r
}

/// A reference code for an anonymous reporter: 10 symbols, no confusable letters.
pub fn reference_code(random: &[u8; 10]) -> String {
    const A: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let s: String = random.iter().map(|b| A.get((*b as usize) % A.len()).copied().unwrap_or(b'X') as char).collect();
    format!("R-{}-{}", s.get(..5).unwrap_or(""), s.get(5..).unwrap_or(""))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn org(id: &str, kind: OrgKind, j: &str) -> Organisation {
        Organisation {
            id: OrgId::from_trusted(id.into()),
            parent_id: None,
            name: id.into(),
            kind,
            jurisdiction: j.into(),
            version: 1,
            created_at: 0,
        }
    }

    #[test]
    fn number_fields_take_json_numbers_text_or_null_alike() {
        let from = |v: serde_json::Value| serde_json::from_value::<OperationInput>(v).unwrap();
        let numbers = from(serde_json::json!({ "persons_found": 4, "rescued": 2.0 }));
        let text = from(serde_json::json!({ "persons_found": "4", "rescued": "2" }));
        assert_eq!((numbers.persons_found.as_str(), text.persons_found.as_str()), ("4", "4"));
        assert_eq!(numbers.rescued, "2", "a whole number sent as a float is that number");
        let none = from(serde_json::json!({ "persons_found": null }));
        assert_eq!(none.persons_found, "", "null is not given, like an absent field");
        assert!(serde_json::from_value::<OperationInput>(serde_json::json!({ "persons_found": [1] })).is_err());
    }

    #[test]
    fn urgency_sets_priority() {
        assert_eq!(Priority::from_urgency(true, false), Priority::Urgent);
        assert_eq!(Priority::from_urgency(true, true), Priority::Urgent);
        assert_eq!(Priority::from_urgency(false, true), Priority::High);
        assert_eq!(Priority::from_urgency(false, false), Priority::Normal);
    }

    #[test]
    fn reports_go_to_the_most_specific_competent_unit() {
        let orgs = vec![
            org("national", OrgKind::PoliceUnit, "PE"),
            org("loreto", OrgKind::PoliceUnit, "PE-16"),
            org("shelter", OrgKind::Shelter, "PE-1601"),
        ];
        let chain = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let kinds = [OrgKind::PoliceUnit, OrgKind::CoordinatingBody];
        let r = route(&chain(&["PE-160101", "PE-1601", "PE-16", "PE"]), &orgs, &kinds);
        assert_eq!(r.map(|o| o.id.as_str()), Some("loreto"));
        let r = route(&chain(&["PE-080101", "PE-0801", "PE-08", "PE"]), &orgs, &kinds);
        assert_eq!(r.map(|o| o.id.as_str()), Some("national"));
        assert!(route(&chain(&["BO-01", "BO"]), &orgs, &kinds).is_none());
    }

    #[test]
    fn overdue_follows_the_priority() {
        let t = timeliness(Priority::Urgent, 0, None, None, 3_601);
        assert!(t.ack_overdue && !t.act_overdue);
        let t = timeliness(Priority::Normal, 0, Some(100), None, 3_601);
        assert!(!t.ack_overdue);
        assert_eq!(t.to_acknowledge, 100);
    }

    #[test]
    fn a_report_needs_a_place_and_a_narrative_but_no_reporter() {
        let ok = ReportInput { channel: "web".into(), place: "PE-16".into(), narrative: "Hay menores".into(), ..Default::default() };
        assert!(ok.validate().is_ok());
        let e = ReportInput { channel: "fax".into(), ..Default::default() }.validate().unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|x| x.field.as_str()).collect();
        assert_eq!(fields, ["channel", "place", "narrative"]);
    }
}

/// The ILO's 11 indicators of forced labour (2012): hints on the labour-inspection form.
/// (id, English, Spanish)
pub const FORCED_LABOUR_INDICATORS: [(&str, &str, &str); 11] = [
    ("fl01_abuse_of_vulnerability", "Abuse of vulnerability", "Abuso de vulnerabilidad"),
    ("fl02_deception", "Deception", "Engaño"),
    ("fl03_restriction_of_movement", "Restriction of movement", "Restricción de movimiento"),
    ("fl04_isolation", "Isolation", "Aislamiento"),
    ("fl05_violence", "Physical and sexual violence", "Violencia física y sexual"),
    ("fl06_intimidation_threats", "Intimidation and threats", "Intimidación y amenazas"),
    ("fl07_retention_of_documents", "Retention of identity documents", "Retención de documentos de identidad"),
    ("fl08_withholding_of_wages", "Withholding of wages", "Retención de salarios"),
    ("fl09_debt_bondage", "Debt bondage", "Servidumbre por deudas"),
    ("fl10_abusive_conditions", "Abusive working and living conditions", "Condiciones laborales y de vida abusivas"),
    ("fl11_excessive_overtime", "Excessive overtime", "Horas extras excesivas"),
];

/// ISIC Rev. 4 sections (code, English, Spanish). Inspections record the section; a finer
/// division code may follow in the notes.
pub const ISIC_SECTIONS: [(&str, &str, &str); 21] = [
    ("A", "Agriculture, forestry and fishing", "Agricultura, ganadería, silvicultura y pesca"),
    ("B", "Mining and quarrying", "Explotación de minas y canteras"),
    ("C", "Manufacturing", "Industrias manufactureras"),
    ("D", "Electricity, gas and steam supply", "Suministro de electricidad y gas"),
    ("E", "Water supply and waste management", "Suministro de agua y gestión de desechos"),
    ("F", "Construction", "Construcción"),
    ("G", "Wholesale and retail trade", "Comercio al por mayor y al por menor"),
    ("H", "Transportation and storage", "Transporte y almacenamiento"),
    ("I", "Accommodation and food service", "Alojamiento y servicio de comidas"),
    ("J", "Information and communication", "Información y comunicaciones"),
    ("K", "Financial and insurance activities", "Actividades financieras y de seguros"),
    ("L", "Real estate activities", "Actividades inmobiliarias"),
    ("M", "Professional, scientific and technical activities", "Actividades profesionales, científicas y técnicas"),
    ("N", "Administrative and support services", "Actividades de servicios administrativos y de apoyo"),
    ("O", "Public administration and defence", "Administración pública y defensa"),
    ("P", "Education", "Enseñanza"),
    ("Q", "Human health and social work", "Atención de la salud humana y asistencia social"),
    ("R", "Arts, entertainment and recreation", "Actividades artísticas, de entretenimiento y recreativas"),
    ("S", "Other service activities", "Otras actividades de servicios"),
    ("T", "Households as employers (domestic work)", "Hogares como empleadores (trabajo doméstico)"),
    ("U", "Extraterritorial organisations", "Organizaciones extraterritoriales"),
];

fn count(e: &mut FieldErrors, field: &str, v: &str) -> i64 {
    match v.trim() {
        "" => 0,
        v => match v.parse::<i64>() {
            Ok(n @ 0..=100_000) => n,
            _ => {
                e.add(field, "invalid_number");
                0
            }
        },
    }
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct OperationInput {
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    #[schemars(required, extend("pattern" = "\\S"))]
    pub place: String,
    #[serde(default)]
    pub place_detail: String,
    #[serde(default)]
    #[schemars(with = "crate::intake::Exploitation")]
    pub exploitation: String,
    #[schemars(schema_with = "crate::intake::number_text_schema")]
    #[serde(default, deserialize_with = "crate::intake::number_text")]
    pub persons_found: String,
    #[schemars(schema_with = "crate::intake::number_text_schema")]
    #[serde(default, deserialize_with = "crate::intake::number_text")]
    pub rescued: String,
    /// The report that led to the operation, if any (it is then marked as acted on).
    #[serde(default)]
    pub report_id: String,
    #[serde(default)]
    pub notes: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OperationFields {
    pub date: String,
    pub place: String,
    pub exploitation: Exploitation,
    pub persons_found: i64,
    pub rescued: i64,
    pub report_id: Option<String>,
    #[serde(skip)]
    pub place_detail: Option<String>,
    #[serde(skip)]
    pub notes: Option<String>,
}

impl OperationInput {
    pub fn validate(&self, today: &str) -> Result<OperationFields, FieldErrors> {
        let mut e = FieldErrors::new();
        let date = crate::protection::date_field(&mut e, "date", &self.date, today);
        let place = crate::validation::required_code(&mut e, "place", &self.place);
        let exploitation = match self.exploitation.trim() {
            "" => Some(Exploitation::Unknown),
            s => Exploitation::parse(s),
        };
        if exploitation.is_none() {
            e.add("exploitation", "invalid_choice");
        }
        let persons_found = count(&mut e, "persons_found", &self.persons_found);
        let rescued = count(&mut e, "rescued", &self.rescued);
        if rescued > persons_found {
            e.add("rescued", "more_rescued_than_found");
        }
        let place_detail = optional_text(&mut e, "place_detail", &self.place_detail, 500);
        let notes = optional_text(&mut e, "notes", &self.notes, 20_000);
        let report_id = Some(self.report_id.trim().to_owned()).filter(|s| !s.is_empty());
        e.into_result()?;
        match (date, exploitation) {
            (Some(date), Some(exploitation)) => {
                Ok(OperationFields { date, place, exploitation, persons_found, rescued, report_id, place_detail, notes })
            }
            _ => Err(FieldErrors::new()),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct InspectionInput {
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    #[schemars(required, extend("pattern" = "\\S"))]
    pub place: String,
    #[serde(default)]
    #[schemars(required, extend("pattern" = "\\S"))]
    pub workplace: String,
    #[serde(default)]
    pub isic: String,
    #[schemars(schema_with = "crate::intake::number_text_schema")]
    #[serde(default, deserialize_with = "crate::intake::number_text")]
    pub workers_found: String,
    #[serde(default)]
    pub indicators: Vec<String>,
    #[serde(default)]
    pub report_id: String,
    #[serde(default)]
    pub notes: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InspectionFields {
    pub date: String,
    pub place: String,
    pub isic: String,
    pub workers_found: i64,
    pub indicators: Vec<String>,
    pub report_id: Option<String>,
    #[serde(skip)]
    pub workplace: String,
    #[serde(skip)]
    pub notes: Option<String>,
}

impl InspectionInput {
    pub fn validate(&self, today: &str) -> Result<InspectionFields, FieldErrors> {
        let mut e = FieldErrors::new();
        let date = crate::protection::date_field(&mut e, "date", &self.date, today);
        let place = crate::validation::required_code(&mut e, "place", &self.place);
        let workplace = required_text(&mut e, "workplace", &self.workplace, 300);
        let isic = self.isic.trim().to_uppercase();
        if !ISIC_SECTIONS.iter().any(|(c, _, _)| *c == isic) {
            e.add("isic", "invalid_choice");
        }
        let workers_found = count(&mut e, "workers_found", &self.workers_found);
        let mut indicators = Vec::new();
        for i in &self.indicators {
            let i = i.trim();
            if !FORCED_LABOUR_INDICATORS.iter().any(|(id, _, _)| *id == i) {
                e.add_detail("indicators", "unknown_indicator", i);
            } else if !indicators.iter().any(|x| x == i) {
                indicators.push(i.to_owned());
            }
        }
        let notes = optional_text(&mut e, "notes", &self.notes, 20_000);
        let report_id = Some(self.report_id.trim().to_owned()).filter(|s| !s.is_empty());
        e.into_result()?;
        match date {
            Some(date) => Ok(InspectionFields { date, place, isic, workers_found, indicators, report_id, workplace, notes }),
            None => Err(FieldErrors::new()),
        }
    }
}
