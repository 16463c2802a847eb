//! Organisations: the agencies that use Amparo, arranged as a tree (national → regional →
//! local), each with a kind and a jurisdiction (an administrative area).

use crate::Timestamp;
use crate::ids::OrgId;
use crate::validation::{FieldErrors, required_text};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
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

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct OrgInput {
    #[schemars(required, extend("pattern" = "\\S"))]
    pub name: String,
    #[schemars(with = "crate::org::OrgKind")]
    pub kind: String,
    #[schemars(required, extend("pattern" = "\\S"))]
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn kinds_have_distinct_names_that_parse_back_and_labels() {
        let mut seen = std::collections::HashSet::new();
        for k in OrgKind::ALL {
            let s = k.as_str();
            assert!(!s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{k:?}");
            assert!(seen.insert(s));
            assert_eq!(OrgKind::parse(s), Some(k));
            assert_eq!(k.label_key(), format!("orgkind-{}", s.replace('_', "-")));
        }
        assert_eq!(OrgKind::PoliceUnit.as_str(), "police_unit");
        assert_eq!(OrgKind::CoordinatingBody.label_key(), "orgkind-coordinating-body");
        assert_eq!(OrgKind::parse("sheriff"), None);
        assert_eq!(OrgKind::parse(""), None);
    }

    #[test]
    fn an_organisation_needs_a_name_a_kind_and_a_place_and_its_parent_must_be_an_id() {
        let ok = OrgInput { name: " Comisaría ".into(), kind: "police_unit".into(), jurisdiction: "PE-16".into(), parent_id: None };
        let f = ok.validate().unwrap();
        assert_eq!((f.name.as_str(), f.kind, f.jurisdiction.as_str(), f.parent_id), ("Comisaría", OrgKind::PoliceUnit, "PE-16", None));
        let blank_parent = OrgInput { parent_id: Some("  ".into()), ..ok.clone() };
        assert_eq!(blank_parent.validate().unwrap().parent_id, None);
        let bad = OrgInput { name: String::new(), kind: "x".into(), jurisdiction: " ".into(), parent_id: Some("not an id!".into()) };
        let e = bad.validate().unwrap_err();
        for (field, code) in
            [("name", "required"), ("kind", "invalid_choice"), ("jurisdiction", "required"), ("parent_id", "invalid_choice")]
        {
            assert_eq!(e.for_field(field), Some(code), "{field}");
        }
    }

    #[test]
    fn within_follows_parents_to_the_root_and_stops_at_cycles() {
        let id = |s: &str| OrgId::from_trusted(s.into());
        let parents: HashMap<OrgId, Option<OrgId>> =
            HashMap::from([(id("root"), None), (id("region"), Some(id("root"))), (id("unit"), Some(id("region"))), (id("other"), None)]);
        let up = |o: &OrgId| parents.get(o).cloned().flatten();
        assert!(is_within(&id("unit"), &id("unit"), up));
        assert!(is_within(&id("unit"), &id("region"), up));
        assert!(is_within(&id("unit"), &id("root"), up));
        assert!(!is_within(&id("root"), &id("unit"), up));
        assert!(!is_within(&id("other"), &id("root"), up));
        let cycle = |o: &OrgId| Some(if o.as_str() == "a" { id("b") } else { id("a") });
        assert!(!is_within(&id("a"), &id("c"), cycle), "a cycle ends");
    }
}
