//! Protection after intake: identification decisions (HTCDS), the services directory,
//! referrals with consent (national referral mechanism), and the assistance delivered.
//!
//! The seed reports victims "released without classification or referral". The decision and
//! the referral are therefore first-class records with a history, and the referral lifecycle
//! is a closed state machine: a transition not listed here cannot happen.

use crate::Timestamp;
use crate::intake::str_enum;
use crate::validation::{FieldErrors, optional_text, required_text};
use serde::{Deserialize, Serialize};

str_enum!(TraffickingStatus { PossibleVictim = "PossibleVictim", ActualVictim = "ActualVictim", NotAVictim = "NotAVictim" });
str_enum!(DecidingOrg { Police = "Police", Ngo = "NGO", CourtOrProsecution = "CourtOrProsecution", NonPoliceGovernmental = "NonPoliceGovernmentalOrganization", Other = "Other" });
str_enum!(ServiceKind { Shelter = "shelter", Health = "health", LegalAid = "legal_aid", Psychosocial = "psychosocial", Repatriation = "repatriation", Reintegration = "reintegration", Education = "education" });
str_enum!(Specialisation { Children = "children", AdultWomen = "adult_women", AdultMen = "adult_men", ForeignNationals = "foreign_nationals" });
str_enum!(ReferralStatus { Requested = "requested", Accepted = "accepted", Rejected = "rejected", InProgress = "in_progress", Completed = "completed", Revoked = "revoked" });
str_enum!(ConsentBy { Person = "person", Guardian = "guardian", Authority = "authority" });
str_enum!(ConsentMethod { Written = "written", Verbal = "verbal", Recorded = "recorded" });
str_enum!(AssistanceKind { ServiceDelivered = "service_delivered", Participation = "participation", ProtectionMeasure = "protection_measure", AlternativeToRemoval = "alternative_to_removal", Repatriation = "repatriation" });

impl DecidingOrg {
    /// The HTCDS deciding-organisation type implied by an organisation kind.
    pub fn for_org_kind(kind: crate::org::OrgKind) -> DecidingOrg {
        use crate::org::OrgKind::*;
        match kind {
            PoliceUnit => DecidingOrg::Police,
            ProsecutorOffice | Court => DecidingOrg::CourtOrProsecution,
            Ngo | Shelter => DecidingOrg::Ngo,
            LabourInspectorate | Ministry | CoordinatingBody | Hotline => DecidingOrg::NonPoliceGovernmental,
        }
    }
}

impl TraffickingStatus {
    /// Possible and actual victims are "identified" for the referral gap and statistics.
    pub fn is_identified(self) -> bool {
        matches!(self, TraffickingStatus::PossibleVictim | TraffickingStatus::ActualVictim)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReferralAction {
    Accept,
    Reject,
    Start,
    Complete,
    Revoke,
}

impl ReferralAction {
    pub fn parse(s: &str) -> Option<ReferralAction> {
        match s {
            "accept" => Some(ReferralAction::Accept),
            "reject" => Some(ReferralAction::Reject),
            "start" => Some(ReferralAction::Start),
            "complete" => Some(ReferralAction::Complete),
            "revoke" => Some(ReferralAction::Revoke),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            ReferralAction::Accept => "accept",
            ReferralAction::Reject => "reject",
            ReferralAction::Start => "start",
            ReferralAction::Complete => "complete",
            ReferralAction::Revoke => "revoke",
        }
    }
    /// Only the referring organisation revokes; the receiving one does everything else.
    pub fn by_receiver(self) -> bool {
        self != ReferralAction::Revoke
    }
}

/// The lifecycle: requested → accepted | rejected; accepted → in progress → completed;
/// requested, accepted or in progress → revoked. Anything else is refused.
pub fn next_status(from: ReferralStatus, action: ReferralAction) -> Option<ReferralStatus> {
    use ReferralAction as A;
    use ReferralStatus as S;
    match (from, action) {
        (S::Requested, A::Accept) => Some(S::Accepted),
        (S::Requested, A::Reject) => Some(S::Rejected),
        (S::Accepted, A::Start) => Some(S::InProgress),
        (S::Accepted | S::InProgress, A::Complete) => Some(S::Completed),
        (S::Requested | S::Accepted | S::InProgress, A::Revoke) => Some(S::Revoked),
        _ => None,
    }
}

impl ReferralStatus {
    /// A referral that holds a place in the service (counts towards occupancy).
    pub fn occupies(self) -> bool {
        matches!(self, ReferralStatus::Accepted | ReferralStatus::InProgress)
    }
    /// A referral still under way (a second one to the same service is refused meanwhile).
    pub fn is_open(self) -> bool {
        matches!(self, ReferralStatus::Requested | ReferralStatus::Accepted | ReferralStatus::InProgress)
    }
    /// A referral that answers the "referral gap": anything not refused or withdrawn.
    pub fn counts_as_referred(self) -> bool {
        !matches!(self, ReferralStatus::Rejected | ReferralStatus::Revoked)
    }
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct DecisionInput {
    #[serde(default)]
    #[schemars(with = "crate::protection::TraffickingStatus")]
    pub status: String,
    #[serde(default)]
    pub decided_on: String,
    #[serde(default)]
    pub screening_id: String,
    #[serde(default)]
    pub basis: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecisionFields {
    pub status: TraffickingStatus,
    pub decided_on: String,
    pub screening_id: Option<String>,
    pub basis: Option<String>,
}

impl DecisionInput {
    pub fn validate(&self, today: &str) -> Result<DecisionFields, FieldErrors> {
        let mut e = FieldErrors::new();
        let status = TraffickingStatus::parse(self.status.trim());
        if status.is_none() {
            e.add("status", "invalid_choice");
        }
        let decided_on = date_field(&mut e, "decided_on", &self.decided_on, today);
        let basis = optional_text(&mut e, "basis", &self.basis, 5_000);
        let screening_id = Some(self.screening_id.trim().to_owned()).filter(|s| !s.is_empty());
        e.into_result()?;
        match status {
            Some(status) => Ok(DecisionFields { status, decided_on: decided_on.unwrap_or_else(|| today.to_owned()), screening_id, basis }),
            None => Err(FieldErrors::new()),
        }
    }
}

/// A `YYYY-MM-DD` date, not in the future. Empty means today.
pub fn date_field(e: &mut FieldErrors, field: &str, value: &str, today: &str) -> Option<String> {
    let v = value.trim();
    if v.is_empty() {
        return Some(today.to_owned());
    }
    if !is_iso_date(v) {
        e.add(field, "invalid_date");
        return None;
    }
    if v > today {
        e.add(field, "date_in_future");
        return None;
    }
    Some(v.to_owned())
}

pub fn is_iso_date(v: &str) -> bool {
    v.len() == 10 && parse_day(v).is_some_and(|d| (1900..=2200).contains(&d.year()))
}

/// `YYYY-MM-DD`, a real day of the proleptic Gregorian calendar (`time::Date`), or nothing.
fn parse_day(v: &str) -> Option<time::Date> {
    time::Date::parse(v, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// The Julian day number of 1970-01-01: day counts here are days since the Unix epoch.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// Days since the epoch for an ISO date (for day differences), read from its first ten
/// characters (a timestamp's date part will do). Real dates only.
pub fn days_from_civil(v: &str) -> Option<i64> {
    parse_day(v.get(0..10)?).map(|d| i64::from(d.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY)
}

/// The ISO date of a timestamp (UTC).
pub fn iso_date(ts: Timestamp) -> String {
    let (y, m, d) = civil_from_days(ts.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// (year, month, day) of a day count since 1970-01-01 (proleptic Gregorian). Outside the
/// years −9999…9999, which no record holds, 1970-01-01.
pub fn civil_from_days(days: i64) -> (i32, u32, u32) {
    i32::try_from(days + UNIX_EPOCH_JULIAN_DAY)
        .ok()
        .and_then(|j| time::Date::from_julian_day(j).ok())
        .map(|d| (d.year(), u32::from(u8::from(d.month())), u32::from(d.day())))
        .unwrap_or((1970, 1, 1))
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ServiceInput {
    #[serde(default)]
    #[schemars(required, extend("pattern" = "\\S"))]
    pub name: String,
    #[serde(default)]
    #[schemars(with = "crate::protection::ServiceKind")]
    pub kind: String,
    #[serde(default)]
    pub specialisations: Vec<String>,
    #[serde(default)]
    #[schemars(required, extend("pattern" = "\\S"))]
    pub region: String,
    #[schemars(schema_with = "crate::intake::number_text_schema")]
    #[serde(default, deserialize_with = "crate::intake::number_text")]
    pub capacity: String,
    #[serde(default)]
    #[schemars(required, extend("pattern" = "\\S"))]
    pub contact_protocol: String,
    #[serde(default)]
    pub address: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ServiceFields {
    pub name: String,
    pub kind: ServiceKind,
    pub specialisations: Vec<Specialisation>,
    pub region: String,
    pub capacity: i64,
    pub contact_protocol: String,
    pub address: Option<String>,
}

impl ServiceInput {
    pub fn validate(&self) -> Result<ServiceFields, FieldErrors> {
        let mut e = FieldErrors::new();
        let name = required_text(&mut e, "name", &self.name, 200);
        let kind = ServiceKind::parse(self.kind.trim());
        if kind.is_none() {
            e.add("kind", "invalid_choice");
        }
        let mut specialisations = Vec::new();
        for s in &self.specialisations {
            match Specialisation::parse(s.trim()) {
                Some(x) if !specialisations.contains(&x) => specialisations.push(x),
                Some(_) => {}
                None => e.add("specialisations", "invalid_choice"),
            }
        }
        let region = crate::validation::required_code(&mut e, "region", &self.region);
        let capacity = match self.capacity.trim().parse::<i64>() {
            Ok(n @ 0..=10_000) => n,
            _ => {
                e.add("capacity", "invalid_number");
                0
            }
        };
        let contact_protocol = required_text(&mut e, "contact_protocol", &self.contact_protocol, 1_000);
        let address = optional_text(&mut e, "address", &self.address, 500);
        e.into_result()?;
        match kind {
            Some(kind) => Ok(ServiceFields { name, kind, specialisations, region, capacity, contact_protocol, address }),
            None => Err(FieldErrors::new()),
        }
    }
}

/// How consent to a referral was given. The consenting person's name (for a guardian) is
/// sealed separately; this part is safe to keep in clear.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Consent {
    pub by: ConsentBy,
    pub method: ConsentMethod,
    pub given_on: String,
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ReferralInput {
    #[serde(default)]
    #[schemars(required, extend("pattern" = "\\S"))]
    pub service_id: String,
    /// `person`, `guardian` or `authority`; empty = no consent (needs the override).
    #[serde(default)]
    #[schemars(with = "crate::protection::ConsentBy")]
    pub consent_by: String,
    #[serde(default)]
    #[schemars(with = "crate::protection::ConsentMethod")]
    pub consent_method: String,
    #[serde(default)]
    pub consent_on: String,
    /// Name of the guardian or authority who consented (sealed).
    #[serde(default)]
    pub consent_name: String,
    /// Why the referral proceeds without consent (needs the dedicated permission).
    #[serde(default)]
    pub no_consent_reason: String,
    #[serde(default)]
    pub notes: String,
    /// When the referral was made, if it is recorded after the fact (default today).
    #[serde(default)]
    pub referred_on: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferralFields {
    pub service_id: String,
    pub referred_on: String,
    pub consent: Option<Consent>,
    pub consent_name: Option<String>,
    pub no_consent_reason: Option<String>,
    pub notes: Option<String>,
}

impl ReferralInput {
    /// `is_child`: a child's consent is given by a guardian or an authority, not the child alone.
    pub fn validate(&self, today: &str, is_child: bool) -> Result<ReferralFields, FieldErrors> {
        let mut e = FieldErrors::new();
        let service_id = crate::validation::required_code(&mut e, "service_id", &self.service_id);
        let notes = optional_text(&mut e, "notes", &self.notes, 5_000);
        let consent_name = optional_text(&mut e, "consent_name", &self.consent_name, 200);
        let (consent, no_consent_reason) = match self.consent_by.trim() {
            "" => (None, Some(crate::intake::reason(&mut e, "no_consent_reason", &self.no_consent_reason))),
            by => {
                let by = ConsentBy::parse(by);
                let method = ConsentMethod::parse(self.consent_method.trim());
                if by.is_none() {
                    e.add("consent_by", "invalid_choice");
                }
                if method.is_none() {
                    e.add("consent_method", "invalid_choice");
                }
                if is_child && by == Some(ConsentBy::Person) {
                    e.add("consent_by", "child_consent_needs_guardian");
                }
                if matches!(by, Some(ConsentBy::Guardian | ConsentBy::Authority)) && consent_name.is_none() {
                    e.add("consent_name", "required");
                }
                let on = date_field(&mut e, "consent_on", &self.consent_on, today);
                match (by, method, on) {
                    (Some(by), Some(method), Some(given_on)) => (Some(Consent { by, method, given_on }), None),
                    _ => (None, None),
                }
            }
        };
        let referred_on = date_field(&mut e, "referred_on", &self.referred_on, today);
        e.into_result()?;
        Ok(ReferralFields {
            service_id,
            referred_on: referred_on.unwrap_or_else(|| today.to_owned()),
            consent,
            consent_name,
            no_consent_reason,
            notes,
        })
    }
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct AssistanceInput {
    #[serde(default)]
    #[schemars(with = "crate::protection::AssistanceKind")]
    pub kind: String,
    #[serde(default)]
    pub detail: String,
    #[serde(default)]
    pub started_on: String,
    #[serde(default)]
    pub ended_on: String,
    /// Country of return, for voluntary repatriation (ISO alpha-2).
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub notes: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AssistanceFields {
    pub kind: AssistanceKind,
    /// A service kind, a participation step, a measure or an alternative, from a fixed list.
    pub detail: String,
    pub started_on: String,
    pub ended_on: Option<String>,
    pub country: Option<String>,
    #[serde(skip)]
    pub notes: Option<String>,
}

/// The fixed vocabulary for each kind of assistance record, so the statistics can count them.
pub fn assistance_details(kind: AssistanceKind) -> &'static [&'static str] {
    match kind {
        AssistanceKind::ServiceDelivered => &["shelter", "health", "legal_aid", "psychosocial", "reintegration", "education"],
        AssistanceKind::Participation => &["complaint_filed", "statement_given", "testified_at_trial", "declined_to_participate"],
        AssistanceKind::ProtectionMeasure => {
            &["identity_reserved", "witness_protection", "restraining_order", "relocation", "chamber_testimony"]
        }
        AssistanceKind::AlternativeToRemoval => {
            &["offered_residence_permit", "offered_humanitarian_visa", "accepted_residence", "declined"]
        }
        AssistanceKind::Repatriation => &["voluntary_repatriation"],
    }
}

impl AssistanceInput {
    pub fn validate(&self, today: &str) -> Result<AssistanceFields, FieldErrors> {
        let mut e = FieldErrors::new();
        let kind = AssistanceKind::parse(self.kind.trim());
        let detail = self.detail.trim().to_owned();
        match kind {
            None => e.add("kind", "invalid_choice"),
            Some(k) if !assistance_details(k).contains(&detail.as_str()) => e.add("detail", "invalid_choice"),
            Some(_) => {}
        }
        let started_on = date_field(&mut e, "started_on", &self.started_on, today);
        let ended_on = match self.ended_on.trim() {
            "" => None,
            v => date_field(&mut e, "ended_on", v, today),
        };
        if let (Some(s), Some(en)) = (&started_on, &ended_on)
            && en < s
        {
            e.add("ended_on", "ends_before_start");
        }
        let country = Some(self.country.trim().to_uppercase()).filter(|c| !c.is_empty());
        if country.as_ref().is_some_and(|c| c.len() != 2 || !c.chars().all(|x| x.is_ascii_uppercase())) {
            e.add("country", "invalid_choice");
        }
        if kind == Some(AssistanceKind::Repatriation) && country.is_none() {
            e.add("country", "required");
        }
        let notes = optional_text(&mut e, "notes", &self.notes, 5_000);
        e.into_result()?;
        match (kind, started_on) {
            (Some(kind), Some(started_on)) => Ok(AssistanceFields { kind, detail, started_on, ended_on, country, notes }),
            _ => Err(FieldErrors::new()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_day_counts_agree_with_the_calendar() {
        assert_eq!(days_from_civil("1970-01-01"), Some(0));
        assert_eq!(days_from_civil("2000-03-01"), Some(11_017));
        assert_eq!(days_from_civil("1969-12-31"), Some(-1));
        assert_eq!(days_from_civil("2024-02-29T13:00:00Z"), Some(19_782), "a timestamp's date part");
        assert_eq!(days_from_civil("2023-02-29"), None, "not a day");
        assert_eq!(days_from_civil("2023-13-01"), None);
        assert!(is_iso_date("2024-02-29") && !is_iso_date("2023-02-29") && !is_iso_date("1899-12-31") && !is_iso_date("2024-2-29"));
        assert_eq!(iso_date(951_868_800), "2000-03-01");
        assert_eq!(iso_date(-1), "1969-12-31");
        // Every day of three centuries goes there and back.
        let (first, last) = (days_from_civil("1900-01-01").unwrap(), days_from_civil("2200-12-31").unwrap());
        for day in first..=last {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(&format!("{y:04}-{m:02}-{d:02}")), Some(day));
        }
        assert_eq!(last - first + 1, 301 * 365 + 73, "leap days: every fourth year but 1900, 2100 and 2200");
    }

    #[test]
    fn the_referral_lifecycle_is_closed() {
        use ReferralAction as A;
        use ReferralStatus as S;
        assert_eq!(next_status(S::Requested, A::Accept), Some(S::Accepted));
        assert_eq!(next_status(S::Accepted, A::Start), Some(S::InProgress));
        assert_eq!(next_status(S::InProgress, A::Complete), Some(S::Completed));
        assert_eq!(next_status(S::Requested, A::Start), None, "cannot start before acceptance");
        assert_eq!(next_status(S::Rejected, A::Accept), None);
        assert_eq!(next_status(S::Completed, A::Revoke), None);
        assert_eq!(next_status(S::InProgress, A::Revoke), Some(S::Revoked));
    }

    #[test]
    fn a_child_cannot_consent_alone_and_no_consent_needs_a_reason() {
        let base =
            ReferralInput { service_id: "s".into(), consent_by: "person".into(), consent_method: "verbal".into(), ..Default::default() };
        assert!(base.validate("2026-01-01", false).is_ok());
        let e = base.validate("2026-01-01", true).unwrap_err();
        assert_eq!(e.for_field("consent_by"), Some("child_consent_needs_guardian"));
        let none = ReferralInput { service_id: "s".into(), ..Default::default() };
        assert_eq!(none.validate("2026-01-01", false).unwrap_err().for_field("no_consent_reason"), Some("required"));
    }

    #[test]
    fn dates_round_trip_and_refuse_nonsense() {
        assert_eq!(iso_date(0), "1970-01-01");
        assert_eq!(iso_date(1_795_000_000), "2026-11-18");
        assert_eq!(days_from_civil("2026-11-18").map(|d| d * 86_400), Some(1_794_960_000));
        assert!(is_iso_date("2024-02-29") && !is_iso_date("2023-02-29") && !is_iso_date("2024-13-01"));
        let mut e = FieldErrors::new();
        assert_eq!(date_field(&mut e, "d", "2030-01-01", "2026-01-01"), None);
        assert_eq!(e.for_field("d"), Some("date_in_future"));
    }

    #[test]
    fn repatriation_needs_a_country() {
        let a = AssistanceInput { kind: "repatriation".into(), detail: "voluntary_repatriation".into(), ..Default::default() };
        assert_eq!(a.validate("2026-01-01").unwrap_err().for_field("country"), Some("required"));
        let a = AssistanceInput { country: "bo".into(), ..a };
        assert_eq!(a.validate("2026-01-01").map(|f| f.country), Ok(Some("BO".into())));
    }
}
