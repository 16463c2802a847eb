//! Organisations: the agencies that use Amparo, arranged as a tree (national → regional →
//! local), each with a kind and a jurisdiction (an administrative area).

use crate::Timestamp;
use crate::ids::OrgId;
use crate::validation::{FieldErrors, required_text};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    PoliceUnit,
    ProsecutorOffice,
    Court,
    LabourInspectorate,
    Ngo,
    Shelter,
    Hotline,
    Ministry,
    CoordinatingBody,
}

impl OrgKind {
    pub const ALL: [OrgKind; 9] = [
        OrgKind::PoliceUnit,
        OrgKind::ProsecutorOffice,
        OrgKind::Court,
        OrgKind::LabourInspectorate,
        OrgKind::Ngo,
        OrgKind::Shelter,
        OrgKind::Hotline,
        OrgKind::Ministry,
        OrgKind::CoordinatingBody,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::PoliceUnit => "police_unit",
            OrgKind::ProsecutorOffice => "prosecutor_office",
            OrgKind::Court => "court",
            OrgKind::LabourInspectorate => "labour_inspectorate",
            OrgKind::Ngo => "ngo",
            OrgKind::Shelter => "shelter",
            OrgKind::Hotline => "hotline",
            OrgKind::Ministry => "ministry",
            OrgKind::CoordinatingBody => "coordinating_body",
        }
    }
    pub fn parse(s: &str) -> Option<OrgKind> {
        OrgKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label_key(self) -> String {
        format!("orgkind-{}", self.as_str().replace('_', "-"))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    pub id: OrgId,
    pub parent_id: Option<OrgId>,
    pub name: String,
    pub kind: OrgKind,
    /// Area code (see `geo.rs`), e.g. `PE-16` for Loreto.
    pub jurisdiction: String,
    pub version: i64,
    pub created_at: Timestamp,
}

/// What a user submits to create or edit an organisation, before validation.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct OrgInput {
    pub name: String,
    pub kind: String,
    pub jurisdiction: String,
    #[serde(default)]
    pub parent_id: Option<String>,
}

/// Validated organisation fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgFields {
    pub name: String,
    pub kind: OrgKind,
    pub jurisdiction: String,
    pub parent_id: Option<OrgId>,
}

impl OrgInput {
    /// Check shape only; whether the area and parent exist is checked by the use case.
    pub fn validate(&self) -> Result<OrgFields, FieldErrors> {
        let mut e = FieldErrors::new();
        let name = required_text(&mut e, "name", &self.name, 200);
        let kind = OrgKind::parse(self.kind.trim());
        if kind.is_none() {
            e.add("kind", "invalid_choice");
        }
        let jurisdiction = self.jurisdiction.trim().to_owned();
        if jurisdiction.is_empty() {
            e.add("jurisdiction", "required");
        }
        let parent_id = match self.parent_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(p) => match OrgId::parse(p) {
                Some(id) => Some(id),
                None => {
                    e.add("parent_id", "invalid_choice");
                    None
                }
            },
        };
        e.into_result()?;
        match kind {
            Some(kind) => Ok(OrgFields { name, kind, jurisdiction, parent_id }),
            None => Err(FieldErrors::new()),
        }
    }
}

/// True if `candidate` is `ancestor` itself or lies below it, given each org's parent.
/// `parent_of` returns `None` at a root. A cycle guard stops at 64 levels.
pub fn is_within(candidate: &OrgId, ancestor: &OrgId, parent_of: impl Fn(&OrgId) -> Option<OrgId>) -> bool {
    let mut cur = Some(candidate.clone());
    for _ in 0..64 {
        match cur {
            Some(ref c) if c == ancestor => return true,
            Some(ref c) => cur = parent_of(c),
            None => return false,
        }
    }
    false
}
