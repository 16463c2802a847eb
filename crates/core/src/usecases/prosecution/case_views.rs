//! The shapes of a case file — its attributes and history, its views (summary, links,
//! events, tasks, notes, charges and appeals) and a share's attributes — in one module of
//! their own, so that the use cases that build them (`cases`, `prosecution`, `sharing`) and
//! the one that redacts them (`redaction`) each depend on these types and never on each
//! other: no use case imports another in a circle (`usecases::tests` checks it).

use amparo_domain::OrgId;
use amparo_domain::cases::{DecisionOnCharge, LabourSector, SentenceFlag, SexualForm, Stage};
use serde::Serialize;

pub use crate::rows::case::{CaseAttrs, CaseNote, CaseStep, Hearing};
pub use crate::rows::charge::Appeal;
pub use crate::rows::share::ShareAttrs;

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct CaseSummary {
    pub id: String,
    pub reference: String,
    pub org_id: OrgId,
    pub title: String,
    pub exploitation: String,
    pub place: String,
    pub status: String,
    pub stage: Option<Stage>,
    pub restricted: bool,
    pub shared_with_me: bool,
    pub created_at: i64,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct LinkView {
    pub id: String,
    pub person_id: String,
    /// The pseudonymous code; empty when the share hides identities.
    pub person_code: String,
    pub role: String,
    pub official_complicity: bool,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct EventView {
    pub id: String,
    pub kind: String,
    pub date: String,
    pub place: String,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct TaskView {
    pub id: String,
    pub case_id: String,
    pub title: String,
    pub assignee: String,
    pub due: String,
    pub done: bool,
    pub overdue: bool,
    pub version: i64,
    /// The organisation the task belongs to (not sent: the case's owner, for redaction).
    #[serde(skip)]
    pub org_id: String,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct CaseView {
    #[serde(flatten)]
    pub summary: CaseSummary,
    pub labour_sector: Option<LabourSector>,
    pub sexual_form: Option<SexualForm>,
    pub sources: Vec<String>,
    pub history: Vec<CaseStep>,
    pub hearings: Vec<Hearing>,
    pub notes: Vec<CaseNote>,
    pub links: Vec<LinkView>,
    pub events: Vec<EventView>,
    pub tasks: Vec<TaskView>,
    pub version: i64,
    /// True when the caller sees the case through a share that hides identities.
    pub identities_hidden: bool,
    pub can_edit: bool,
    pub can_prosecute: bool,
    pub can_share: bool,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct ChargeView {
    pub id: String,
    pub case_id: String,
    pub person_id: String,
    pub statute_id: String,
    pub offence_date: String,
    pub filed_on: String,
    pub status: String,
    pub decision: Option<DecisionOnCharge>,
    /// Set when the sentence is outside the statute's range: shown until reviewed, kept after.
    pub flag: Option<SentenceFlag>,
    pub reviewed: bool,
    pub appeals: Vec<Appeal>,
    pub version: i64,
}
