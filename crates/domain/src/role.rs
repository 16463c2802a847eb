//! Roles a user can hold.
//!
//! Roles say what kind of work a user does. They never grant access to a record on their own:
//! the policy (`policy.rs`) also requires ownership, a share or an assignment.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    HotlineOperator,
    Investigator,
    Prosecutor,
    LabourInspector,
    CaseWorker,
    ShelterStaff,
    Analyst,
    Coordinator,
    OrgAdmin,
    SystemAdmin,
}

impl Role {
    pub const ALL: [Role; 10] = [
        Role::HotlineOperator,
        Role::Investigator,
        Role::Prosecutor,
        Role::LabourInspector,
        Role::CaseWorker,
        Role::ShelterStaff,
        Role::Analyst,
        Role::Coordinator,
        Role::OrgAdmin,
        Role::SystemAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::HotlineOperator => "hotline_operator",
            Role::Investigator => "investigator",
            Role::Prosecutor => "prosecutor",
            Role::LabourInspector => "labour_inspector",
            Role::CaseWorker => "case_worker",
            Role::ShelterStaff => "shelter_staff",
            Role::Analyst => "analyst",
            Role::Coordinator => "coordinator",
            Role::OrgAdmin => "org_admin",
            Role::SystemAdmin => "system_admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Roles whose work involves seeing who victims, suspects and witnesses are.
    pub fn sees_identities(self) -> bool {
        matches!(
            self,
            Role::HotlineOperator
                | Role::Investigator
                | Role::Prosecutor
                | Role::LabourInspector
                | Role::CaseWorker
                | Role::ShelterStaff
                | Role::Coordinator
        )
    }

    /// Two-factor authentication is required for every role that can see identities, and for
    /// administrators, whose accounts can create accounts that see identities.
    pub fn requires_mfa(self) -> bool {
        self.sees_identities() || matches!(self, Role::OrgAdmin | Role::SystemAdmin)
    }

    /// Message key of the role's display name (see the web crate's locale files).
    pub fn label_key(self) -> String {
        format!("role-{}", self.as_str().replace('_', "-"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_name() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn every_role_that_sees_identities_requires_two_factor() {
        for r in Role::ALL {
            if r.sees_identities() {
                assert!(r.requires_mfa(), "{r:?}");
            }
        }
        assert!(!Role::Analyst.requires_mfa());
    }
}
