//! A referral: one organisation refers a person to another's service, with consent (or a
//! recorded reason why not), and the receiver accepts, starts, completes or rejects it.
//! Its kind is the service's kind at the time of referral, kept for the statistics.

use super::service::ServiceId;
use super::{Row, Stamp, read_attrs, required, stored, unreadable, write_attrs};
use crate::error::CoreResult;
use crate::store::{RecordRow, RecordTable};
use amparo_domain::protection::{Consent, ReferralStatus, ServiceKind};
use amparo_domain::{OrgId, PersonId, Timestamp};
use serde::{Deserialize, Serialize};

/// A referral's id.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReferralId(pub String);

/// One step of a referral's history: who moved it to which status, when and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReferralStep {
    pub at: i64,
    pub by: String,
    pub status: ReferralStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default)]
    pub capacity_override: bool,
}

/// What is kept of a referral in clear.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReferralAttrs {
    pub service_name: String,
    pub consent: Option<Consent>,
    pub without_consent: bool,
    pub steps: Vec<ReferralStep>,
}

/// What is sealed: who consented, why there was no consent, notes.
#[derive(Default, Serialize, Deserialize)]
pub struct ReferralSecrets {
    pub consent_name: Option<String>,
    pub no_consent_reason: Option<String>,
    pub notes: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Referral {
    pub id: ReferralId,
    /// The referring organisation.
    pub from_org: OrgId,
    /// The receiving organisation (the service's provider).
    pub to_org: OrgId,
    pub person: PersonId,
    pub service: ServiceId,
    pub service_kind: ServiceKind,
    pub status: ReferralStatus,
    /// The service's region.
    pub region: Option<String>,
    /// The day it was referred on (midnight UTC), when given.
    pub referred_at: Option<Timestamp>,
    pub attrs: ReferralAttrs,
    /// `ReferralSecrets`, sealed to this row.
    pub sealed: Option<Vec<u8>>,
    pub stamp: Stamp,
}

impl Row for Referral {
    const TABLE: RecordTable = RecordTable::Referrals;

    fn id(&self) -> &str {
        &self.id.0
    }

    fn from_row(r: RecordRow) -> CoreResult<Referral> {
        let t = Self::TABLE;
        Ok(Referral {
            service_kind: ServiceKind::parse(&r.kind).ok_or_else(|| unreadable(t, &r.id, "kind"))?,
            status: ReferralStatus::parse(&r.status).ok_or_else(|| unreadable(t, &r.id, "status"))?,
            attrs: read_attrs(t, &r)?,
            to_org: r.party_org.clone().ok_or_else(|| unreadable(t, &r.id, "party_org"))?,
            person: PersonId::from_trusted(required(t, &r, "subject_id", r.subject_id.clone())?),
            service: ServiceId(required(t, &r, "lookup", r.lookup.clone())?),
            stamp: Stamp::of(&r),
            id: ReferralId(r.id),
            from_org: r.org_id,
            region: r.area_code,
            referred_at: r.occurred_at,
            sealed: r.sealed,
        })
    }

    fn to_row(&self) -> CoreResult<RecordRow> {
        Ok(RecordRow {
            party_org: Some(self.to_org.clone()),
            subject_id: Some(self.person.to_string()),
            area_code: self.region.clone(),
            lookup: Some(self.service.0.clone()),
            occurred_at: self.referred_at,
            attrs: write_attrs(&self.attrs)?,
            sealed: self.sealed.clone(),
            ..stored(&self.id.0, &self.from_org, self.service_kind.as_str(), self.status.as_str(), &self.stamp)
        })
    }
}
