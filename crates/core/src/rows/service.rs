//! A services-directory entry: a shelter, a health or legal-aid service… of one provider
//! organisation, in one region. Its exact address is sealed (only its own staff open it).

use super::{Row, Stamp, read_attrs, required, stored, unreadable, write_attrs};
use crate::error::CoreResult;
use crate::store::{RecordRow, RecordTable};
use amparo_domain::OrgId;
use amparo_domain::protection::{ServiceKind, Specialisation};
use serde::{Deserialize, Serialize};

pub use amparo_domain::states::ServiceStatus;

/// A service's id.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ServiceId(pub String);

/// What the directory shows of a service, in clear.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceAttrs {
    pub name: String,
    pub specialisations: Vec<Specialisation>,
    pub capacity: i64,
    pub contact_protocol: String,
}

/// What only the service's own staff see.
#[derive(Default, Serialize, Deserialize)]
pub struct ServiceSecrets {
    pub address: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Service {
    pub id: ServiceId,
    /// The provider.
    pub org_id: OrgId,
    pub kind: ServiceKind,
    pub status: ServiceStatus,
    /// The area code of the region it serves.
    pub region: String,
    pub attrs: ServiceAttrs,
    /// `ServiceSecrets`, sealed to this row.
    pub sealed: Option<Vec<u8>>,
    pub stamp: Stamp,
}

impl Row for Service {
    const TABLE: RecordTable = RecordTable::Services;

    fn id(&self) -> &str {
        &self.id.0
    }

    fn from_row(r: RecordRow) -> CoreResult<Service> {
        let t = Self::TABLE;
        Ok(Service {
            kind: ServiceKind::parse(&r.kind).ok_or_else(|| unreadable(t, &r.id, "kind"))?,
            status: ServiceStatus::parse(&r.status).ok_or_else(|| unreadable(t, &r.id, "status"))?,
            attrs: read_attrs(t, &r)?,
            region: required(t, &r, "area_code", r.area_code.clone())?,
            stamp: Stamp::of(&r),
            id: ServiceId(r.id),
            org_id: r.org_id,
            sealed: r.sealed,
        })
    }

    fn to_row(&self) -> CoreResult<RecordRow> {
        Ok(RecordRow {
            area_code: Some(self.region.clone()),
            occurred_at: None,
            attrs: write_attrs(&self.attrs)?,
            sealed: self.sealed.clone(),
            ..stored(&self.id.0, &self.org_id, self.kind.as_str(), self.status.as_str(), &self.stamp)
        })
    }
}
