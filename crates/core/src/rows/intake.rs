//! What intake records: reports (hotline calls, walk-ins, referrals from abroad, anonymous
//! web tips), police operations and labour inspections. A report is held by the unit whose
//! queue it sits in (`queue`) and is seen by the organisation that took it (`taken_by`);
//! an inspection that found forced-labour indicators is seen by the police unit it was
//! handed to. Narratives, reporter contacts and field notes are sealed.

use super::{Row, Stamp, read_attrs, required, stored, unreadable, write_attrs};
use crate::error::CoreResult;
use crate::store::{RecordRow, RecordTable};
use amparo_domain::intake::{Channel, Exploitation, InspectionFields, OperationFields, Priority, ReportStatus, ReportStep};
use amparo_domain::{OrgId, Timestamp};
use serde::{Deserialize, Serialize};

/// What a report keeps in clear: its urgency, what it is about, its clocks and its steps.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReportAttrs {
    /// Read by the database too: the queue's order (migration 0013) sorts on it.
    pub priority: Option<Priority>,
    pub exploitation: Option<Exploitation>,
    pub imminent_danger: bool,
    pub child_involved: bool,
    pub acknowledged_at: Option<i64>,
    pub acted_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub steps: Vec<ReportStep>,
    /// SHA-256 of the anonymous reporter's secret (web reports only).
    pub secret_hash: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub id: String,
    /// The unit whose queue holds it.
    pub queue: OrgId,
    /// The organisation that took it (a hotline); none for an anonymous web tip.
    pub taken_by: Option<OrgId>,
    pub channel: Channel,
    pub status: ReportStatus,
    pub place: Option<String>,
    /// The public reference code an anonymous reporter quotes (web tips only).
    pub reference: Option<String>,
    pub received_at: Timestamp,
    pub attrs: ReportAttrs,
    /// `ReportSecrets`, sealed to this row.
    pub sealed: Option<Vec<u8>>,
    pub stamp: Stamp,
}

impl Row for Report {
    const TABLE: RecordTable = RecordTable::Reports;

    fn id(&self) -> &str {
        &self.id
    }

    fn from_row(r: RecordRow) -> CoreResult<Report> {
        let t = Self::TABLE;
        Ok(Report {
            channel: Channel::parse(&r.kind).ok_or_else(|| unreadable(t, &r.id, "kind"))?,
            status: ReportStatus::parse(&r.status).ok_or_else(|| unreadable(t, &r.id, "status"))?,
            attrs: read_attrs(t, &r)?,
            received_at: r.occurred_at.unwrap_or(r.created_at),
            stamp: Stamp::of(&r),
            id: r.id,
            queue: r.org_id,
            taken_by: r.party_org,
            place: r.area_code,
            reference: r.lookup,
            sealed: r.sealed,
        })
    }

    fn to_row(&self) -> CoreResult<RecordRow> {
        Ok(RecordRow {
            party_org: self.taken_by.clone(),
            area_code: self.place.clone(),
            lookup: self.reference.clone(),
            occurred_at: Some(self.received_at),
            attrs: write_attrs(&self.attrs)?,
            sealed: self.sealed.clone(),
            ..stored(&self.id, &self.queue, self.channel.as_str(), self.status.as_str(), &self.stamp)
        })
    }
}

/// An operation's and an inspection's `status` column when there is nothing more to say.
const RECORDED: &str = "recorded";

/// A police operation (a raid, a rescue): where, when, what exploitation, how many found.
#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    pub id: String,
    pub org_id: OrgId,
    /// The report it acted on, if any.
    pub report_id: Option<String>,
    pub place: String,
    pub on: Option<Timestamp>,
    /// The form's fields (exploitation, date, place and report included).
    pub fields: OperationFields,
    /// The place detail and notes, sealed to this row.
    pub sealed: Option<Vec<u8>>,
    pub stamp: Stamp,
}

impl Row for Operation {
    const TABLE: RecordTable = RecordTable::Operations;

    fn id(&self) -> &str {
        &self.id
    }

    fn from_row(r: RecordRow) -> CoreResult<Operation> {
        let t = Self::TABLE;
        let fields: OperationFields = read_attrs(t, &r)?;
        if r.status != RECORDED || Exploitation::parse(&r.kind) != Some(fields.exploitation) {
            return Err(unreadable(t, &r.id, "kind"));
        }
        Ok(Operation {
            place: required(t, &r, "area_code", r.area_code.clone())?,
            stamp: Stamp::of(&r),
            fields,
            id: r.id,
            org_id: r.org_id,
            report_id: r.subject_id,
            on: r.occurred_at,
            sealed: r.sealed,
        })
    }

    fn to_row(&self) -> CoreResult<RecordRow> {
        Ok(RecordRow {
            subject_id: self.report_id.clone(),
            area_code: Some(self.place.clone()),
            occurred_at: self.on,
            attrs: write_attrs(&self.fields)?,
            sealed: self.sealed.clone(),
            ..stored(&self.id, &self.org_id, self.fields.exploitation.as_str(), RECORDED, &self.stamp)
        })
    }
}

/// Whether an inspection observed forced-labour indicators (and so was handed to the police).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InspectionOutcome {
    NoIndicators,
    IndicatorsObserved,
}

impl InspectionOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            InspectionOutcome::NoIndicators => "no_indicators",
            InspectionOutcome::IndicatorsObserved => "indicators_observed",
        }
    }
    pub fn of(fields: &InspectionFields) -> InspectionOutcome {
        if fields.indicators.is_empty() { InspectionOutcome::NoIndicators } else { InspectionOutcome::IndicatorsObserved }
    }
}

/// A labour inspection: the workplace's sector (ISIC section, `kind`), the workers found and
/// the indicators observed.
#[derive(Clone, Debug, PartialEq)]
pub struct Inspection {
    pub id: String,
    pub org_id: OrgId,
    /// The police unit it was handed to, when indicators were observed.
    pub police: Option<OrgId>,
    pub report_id: Option<String>,
    pub place: String,
    pub on: Option<Timestamp>,
    pub fields: InspectionFields,
    /// The workplace and notes, sealed to this row.
    pub sealed: Option<Vec<u8>>,
    pub stamp: Stamp,
}

impl Row for Inspection {
    const TABLE: RecordTable = RecordTable::Inspections;

    fn id(&self) -> &str {
        &self.id
    }

    fn from_row(r: RecordRow) -> CoreResult<Inspection> {
        let t = Self::TABLE;
        let fields: InspectionFields = read_attrs(t, &r)?;
        if r.kind != fields.isic {
            return Err(unreadable(t, &r.id, "kind"));
        }
        if r.status != InspectionOutcome::of(&fields).as_str() {
            return Err(unreadable(t, &r.id, "status"));
        }
        Ok(Inspection {
            place: required(t, &r, "area_code", r.area_code.clone())?,
            stamp: Stamp::of(&r),
            fields,
            id: r.id,
            org_id: r.org_id,
            police: r.party_org,
            report_id: r.subject_id,
            on: r.occurred_at,
            sealed: r.sealed,
        })
    }

    fn to_row(&self) -> CoreResult<RecordRow> {
        Ok(RecordRow {
            party_org: self.police.clone(),
            subject_id: self.report_id.clone(),
            area_code: Some(self.place.clone()),
            occurred_at: self.on,
            attrs: write_attrs(&self.fields)?,
            sealed: self.sealed.clone(),
            ..stored(&self.id, &self.org_id, &self.fields.isic, InspectionOutcome::of(&self.fields).as_str(), &self.stamp)
        })
    }
}

/// Who holds an intake record and who else was given sight of it (the taking hotline of a
/// report, the police unit an inspection was handed to): what `scope::report_relation` asks.
pub trait Held {
    fn holder(&self) -> &OrgId;
    fn party(&self) -> Option<&OrgId>;
}

impl Held for Report {
    fn holder(&self) -> &OrgId {
        &self.queue
    }
    fn party(&self) -> Option<&OrgId> {
        self.taken_by.as_ref()
    }
}

impl Held for Operation {
    fn holder(&self) -> &OrgId {
        &self.org_id
    }
    fn party(&self) -> Option<&OrgId> {
        None
    }
}

impl Held for Inspection {
    fn holder(&self) -> &OrgId {
        &self.org_id
    }
    fn party(&self) -> Option<&OrgId> {
        self.police.as_ref()
    }
}
