//! The authorization policy. One function, deny by default.
//!
//! `authorize` decides whether an actor may perform an action on a target. It is pure: the
//! core computes how the actor relates to the target (same organisation, a share, an
//! assignment, a sub-organisation) and this module decides. Roles never grant access alone,
//! and neither do rank or jurisdiction: a record must also be owned by the actor's
//! organisation, shared with it, or assigned to the actor. Administrators manage accounts and
//! organisations but are never granted the identity of a person.

use crate::ids::{OrgId, UserId};
use crate::role::Role;
use serde::Serialize;

/// Who is acting. `System` is the operator at the command line with access to the data
/// directory and master key; it is audited like everyone else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    User(UserActor),
    System,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserActor {
    pub user_id: UserId,
    pub org_id: OrgId,
    pub roles: Vec<Role>,
    /// True once the session passed two-factor (or the account is a demo account exempt from it).
    pub mfa_satisfied: bool,
}

impl UserActor {
    fn has_any(&self, roles: &[Role]) -> bool {
        self.roles.iter().any(|r| roles.contains(r))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// See the dashboard, the organisation directory and reference geography.
    ViewDirectory,
    CreateOrg,
    UpdateOrg,
    ListUsers,
    ReadUser,
    CreateUser,
    UpdateUser,
    ReadAudit,
    /// Create a person record (the identity is written encrypted).
    CreatePerson,
    /// See persons by pseudonymous code and non-identifying fields.
    ListPersons,
    /// Decrypt and show a person's identity. Needs a stated purpose.
    RevealPerson,
    UpdatePerson,
    ManageOwnTokens,
    /// Record a report (hotline call, walk-in, referral from abroad).
    CreateReport,
    /// Read intake records (reports, operations, inspections), narrative included.
    ViewReports,
    /// Acknowledge, act on, reassign or close a report in the unit's queue.
    TriageReport,
    RecordOperation,
    RecordInspection,
    /// Fill in or finish a screening with the operational indicators.
    Screen,
    /// Record an identification decision (a human act, separate from the screening).
    Decide,
    /// See referrals that the actor's organisation sent or received.
    ViewReferrals,
    Refer,
    /// Refer without the person's recorded consent. A dedicated permission, always with a reason.
    ReferWithoutConsent,
    /// Accept, reject, start or complete a referral received by the actor's organisation.
    RespondReferral,
    RevokeReferral,
    RecordAssistance,
    /// Add or edit services in the directory.
    ManageServices,
    /// A shelter's exact address: only that shelter's own staff.
    ViewServiceAddress,
    /// The "referral gap": identified victims not referred after N days.
    ViewReferralGap,
    /// Publish a new version of a screening instrument.
    PublishInstrument,
    /// Open a case (investigation) in the actor's organisation.
    OpenCase,
    /// Read a case: its links, events, charges, timeline (notes included).
    ViewCase,
    /// Change a case: status, events, notes, persons linked, tasks.
    EditCase,
    /// File charges, record stages, decisions, sentences and appeals.
    Prosecute,
    /// Grant, refuse or revoke shares of the organisation's cases; transfer ownership.
    ShareCase,
    /// Ask another organisation to share a case.
    RequestShare,
    /// See and decide cross-agency match alerts about the organisation's persons.
    HandleAlerts,
    /// Record prevention activities (campaigns, trainings).
    RecordPrevention,
    /// See the record-linkage queue of candidate pairs touching the organisation's persons.
    ViewMatches,
    /// See a candidate pair side by side, and confirm, reject or undo the link. The core
    /// passes `SameOrg` only when the actor's organisation may see *both* persons.
    DecideMatch,
    /// Run record linkage over every person now (the background job runs it incrementally).
    RunLinkage,
    /// National figures and aggregates (no person-level data).
    ViewStatistics,
    /// See a statistics breakdown cell under the small-cell threshold. Without it the core
    /// hides those cells: a count of two women from one district names them to a neighbour.
    /// The people who may already read persons hold it, and the operator at the console.
    ViewSmallCells,
    /// Export k-anonymised victim microdata (CTDC columns).
    ExportAnonymised,
    /// Import cases from another system (HTCDS).
    ImportCaseData,
    /// Export full case data with identities (HTCDS): the operator only.
    ExportCaseData,
    /// Key rotation, backups, geography import: operator-level work.
    ManageSystem,
}

impl Action {
    /// Every action (a test checks the list against the names).
    pub const ALL: [Action; 47] = [
        Action::CreateOrg,
        Action::CreatePerson,
        Action::CreateReport,
        Action::CreateUser,
        Action::Decide,
        Action::DecideMatch,
        Action::EditCase,
        Action::ExportAnonymised,
        Action::ExportCaseData,
        Action::HandleAlerts,
        Action::ImportCaseData,
        Action::ListPersons,
        Action::ListUsers,
        Action::ManageOwnTokens,
        Action::ManageServices,
        Action::ManageSystem,
        Action::OpenCase,
        Action::Prosecute,
        Action::PublishInstrument,
        Action::ReadAudit,
        Action::ReadUser,
        Action::RecordAssistance,
        Action::RecordInspection,
        Action::RecordOperation,
        Action::RecordPrevention,
        Action::Refer,
        Action::ReferWithoutConsent,
        Action::RequestShare,
        Action::RespondReferral,
        Action::RevealPerson,
        Action::RevokeReferral,
        Action::RunLinkage,
        Action::Screen,
        Action::ShareCase,
        Action::TriageReport,
        Action::UpdateOrg,
        Action::UpdatePerson,
        Action::UpdateUser,
        Action::ViewCase,
        Action::ViewDirectory,
        Action::ViewMatches,
        Action::ViewReferralGap,
        Action::ViewReferrals,
        Action::ViewReports,
        Action::ViewServiceAddress,
        Action::ViewSmallCells,
        Action::ViewStatistics,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::ViewDirectory => "view_directory",
            Action::CreateOrg => "create_org",
            Action::UpdateOrg => "update_org",
            Action::ListUsers => "list_users",
            Action::ReadUser => "read_user",
            Action::CreateUser => "create_user",
            Action::UpdateUser => "update_user",
            Action::ReadAudit => "read_audit",
            Action::CreatePerson => "create_person",
            Action::ListPersons => "list_persons",
            Action::RevealPerson => "reveal_person",
            Action::UpdatePerson => "update_person",
            Action::ManageOwnTokens => "manage_own_tokens",
            Action::ManageSystem => "manage_system",
            Action::CreateReport => "create_report",
            Action::ViewReports => "view_reports",
            Action::TriageReport => "triage_report",
            Action::RecordOperation => "record_operation",
            Action::RecordInspection => "record_inspection",
            Action::Screen => "screen",
            Action::Decide => "decide",
            Action::ViewReferrals => "view_referrals",
            Action::Refer => "refer",
            Action::ReferWithoutConsent => "refer_without_consent",
            Action::RespondReferral => "respond_referral",
            Action::RevokeReferral => "revoke_referral",
            Action::RecordAssistance => "record_assistance",
            Action::ManageServices => "manage_services",
            Action::ViewServiceAddress => "view_service_address",
            Action::ViewReferralGap => "view_referral_gap",
            Action::PublishInstrument => "publish_instrument",
            Action::OpenCase => "open_case",
            Action::ViewCase => "view_case",
            Action::EditCase => "edit_case",
            Action::Prosecute => "prosecute",
            Action::ShareCase => "share_case",
            Action::RequestShare => "request_share",
            Action::HandleAlerts => "handle_alerts",
            Action::RecordPrevention => "record_prevention",
            Action::ViewMatches => "view_matches",
            Action::DecideMatch => "decide_match",
            Action::RunLinkage => "run_linkage",
            Action::ViewStatistics => "view_statistics",
            Action::ViewSmallCells => "view_small_cells",
            Action::ExportAnonymised => "export_anonymised",
            Action::ImportCaseData => "import_case_data",
            Action::ExportCaseData => "export_case_data",
        }
    }
}

/// How the target record relates to the actor. Computed by the core from the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// Not a particular record (a list, or a form for a new record in the actor's org).
    OwnOrgScope,
    /// The record is the actor themself (their own account).
    SelfRecord,
    /// Owned by the actor's organisation.
    SameOrg,
    /// Owned by an organisation below the actor's in the tree.
    SubOrg,
    /// Shared with the actor's organisation for a purpose that is still in force.
    Shared,
    /// Referred or assigned to the actor personally.
    Assigned,
    /// None of the above: another organisation's record.
    Unrelated,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Denial {
    /// The role set has no business with this action.
    RoleNotPermitted,
    /// The role could do it, but not on this record.
    NoRelation,
    /// Two-factor authentication must be completed first.
    MfaRequired,
}

const IDENTITY_WORKERS: [Role; 7] = [
    Role::HotlineOperator,
    Role::Investigator,
    Role::Prosecutor,
    Role::LabourInspector,
    Role::CaseWorker,
    Role::ShelterStaff,
    Role::Coordinator,
];
const INTAKE: [Role; 5] = [Role::HotlineOperator, Role::Investigator, Role::LabourInspector, Role::CaseWorker, Role::Coordinator];
const INTAKE_READERS: [Role; 6] =
    [Role::HotlineOperator, Role::Investigator, Role::Prosecutor, Role::LabourInspector, Role::CaseWorker, Role::Coordinator];
const TRIAGERS: [Role; 4] = [Role::HotlineOperator, Role::Investigator, Role::LabourInspector, Role::Coordinator];
/// Those who meet victims: they screen, decide, refer and record assistance.
const PROTECTORS: [Role; 5] = [Role::Investigator, Role::Prosecutor, Role::LabourInspector, Role::CaseWorker, Role::ShelterStaff];
/// Those who investigate and prosecute: they open and work cases.
const INVESTIGATORS: [Role; 3] = [Role::Investigator, Role::Prosecutor, Role::LabourInspector];
const PREVENTION: [Role; 6] =
    [Role::Coordinator, Role::CaseWorker, Role::Investigator, Role::Prosecutor, Role::LabourInspector, Role::OrgAdmin];
const SERVICE_STAFF: [Role; 2] = [Role::CaseWorker, Role::ShelterStaff];
const PERSON_WRITERS: [Role; 6] =
    [Role::HotlineOperator, Role::Investigator, Role::Prosecutor, Role::LabourInspector, Role::CaseWorker, Role::ShelterStaff];

/// The policy. Every use case calls this before touching data.
pub fn authorize(actor: &Actor, action: Action, relation: Relation) -> Result<(), Denial> {
    let u = match actor {
        // The operator at the console may do operator work only; it has no web session and
        // reads no persons through the application.
        Actor::System => {
            return match action {
                Action::ManageSystem
                | Action::CreateOrg
                | Action::UpdateOrg
                | Action::CreateUser
                | Action::UpdateUser
                | Action::ListUsers
                | Action::ReadUser
                | Action::ViewDirectory
                | Action::ReadAudit
                | Action::ManageOwnTokens
                // The background linkage job; what it finds goes to people to decide.
                | Action::RunLinkage
                // The operator's `amparo report annual`: aggregates only, never a person.
                | Action::ViewStatistics
                // The operator's report shows every cell (`--small-cells` hides them); the
                // operator holds the master key, so hiding cells from them protects nobody.
                | Action::ViewSmallCells
                | Action::ExportAnonymised
                // The operator's HTCDS import and export (the file is encrypted to a recipient).
                | Action::ImportCaseData
                | Action::ExportCaseData => Ok(()),
                _ => Err(Denial::RoleNotPermitted),
            };
        }
        Actor::User(u) => u,
    };
    let needs_mfa = u.roles.iter().any(|r| r.requires_mfa());
    if needs_mfa && !u.mfa_satisfied {
        return Err(Denial::MfaRequired);
    }
    use Relation::*;
    let admin_scope = |rel: Relation| -> Result<(), Denial> {
        if u.has_any(&[Role::SystemAdmin]) {
            return Ok(());
        }
        if u.has_any(&[Role::OrgAdmin]) {
            return if matches!(rel, OwnOrgScope | SameOrg | SubOrg | SelfRecord) { Ok(()) } else { Err(Denial::NoRelation) };
        }
        Err(Denial::RoleNotPermitted)
    };
    match action {
        Action::ViewDirectory | Action::ManageOwnTokens => Ok(()),
        Action::CreateOrg | Action::UpdateOrg | Action::ListUsers | Action::CreateUser | Action::UpdateUser => admin_scope(relation),
        Action::ReadUser => {
            if relation == SelfRecord {
                Ok(())
            } else {
                admin_scope(relation)
            }
        }
        Action::ReadAudit => {
            if u.has_any(&[Role::SystemAdmin]) {
                Ok(())
            } else if u.has_any(&[Role::OrgAdmin]) {
                if matches!(relation, OwnOrgScope | SameOrg) { Ok(()) } else { Err(Denial::NoRelation) }
            } else {
                Err(Denial::RoleNotPermitted)
            }
        }
        Action::CreatePerson => {
            if !u.has_any(&PERSON_WRITERS) {
                Err(Denial::RoleNotPermitted)
            } else if matches!(relation, OwnOrgScope | SameOrg) {
                Ok(())
            } else {
                Err(Denial::NoRelation)
            }
        }
        Action::ListPersons | Action::RevealPerson => {
            if !u.has_any(&IDENTITY_WORKERS) {
                Err(Denial::RoleNotPermitted)
            } else if matches!(relation, OwnOrgScope | SameOrg | Shared | Assigned) {
                Ok(())
            } else {
                Err(Denial::NoRelation)
            }
        }
        Action::UpdatePerson => {
            if !u.has_any(&PERSON_WRITERS) {
                Err(Denial::RoleNotPermitted)
            } else if matches!(relation, SameOrg | Assigned) {
                Ok(())
            } else {
                Err(Denial::NoRelation)
            }
        }
        Action::CreateReport => grant(u, &INTAKE, relation, &[OwnOrgScope, SameOrg]),
        Action::ViewReports => grant(u, &INTAKE_READERS, relation, &[OwnOrgScope, SameOrg, SubOrg, Shared]),
        Action::TriageReport => grant(u, &TRIAGERS, relation, &[SameOrg]),
        Action::RecordOperation => grant(u, &[Role::Investigator], relation, &[OwnOrgScope, SameOrg]),
        Action::RecordInspection => grant(u, &[Role::LabourInspector], relation, &[OwnOrgScope, SameOrg]),
        Action::Screen | Action::Decide | Action::Refer | Action::RecordAssistance => {
            grant(u, &PROTECTORS, relation, &[SameOrg, Shared, Assigned])
        }
        Action::ViewReferrals => grant(u, &IDENTITY_WORKERS, relation, &[OwnOrgScope, SameOrg, Shared]),
        Action::ReferWithoutConsent => grant(u, &[Role::Prosecutor], relation, &[SameOrg, Shared]),
        Action::RespondReferral => grant(u, &SERVICE_STAFF, relation, &[SameOrg]),
        Action::RevokeReferral => grant(u, &PROTECTORS, relation, &[SameOrg]),
        Action::ManageServices => {
            if u.has_any(&[Role::SystemAdmin]) {
                Ok(())
            } else if u.has_any(&[Role::OrgAdmin]) {
                if matches!(relation, OwnOrgScope | SameOrg | SubOrg) { Ok(()) } else { Err(Denial::NoRelation) }
            } else {
                grant(u, &SERVICE_STAFF, relation, &[OwnOrgScope, SameOrg])
            }
        }
        Action::ViewServiceAddress => grant(u, &[Role::CaseWorker, Role::ShelterStaff, Role::OrgAdmin], relation, &[SameOrg]),
        Action::ViewReferralGap => {
            let mut who = PROTECTORS.to_vec();
            who.extend([Role::Coordinator, Role::Analyst]);
            grant(u, &who, relation, &[OwnOrgScope])
        }
        Action::PublishInstrument => grant(u, &[Role::SystemAdmin], relation, &[OwnOrgScope]),
        Action::OpenCase => grant(u, &INVESTIGATORS, relation, &[OwnOrgScope, SameOrg]),
        Action::ViewCase => grant(u, &IDENTITY_WORKERS, relation, &[OwnOrgScope, SameOrg, Shared]),
        Action::EditCase => grant(u, &INVESTIGATORS, relation, &[SameOrg, Shared]),
        Action::Prosecute => grant(u, &[Role::Prosecutor], relation, &[SameOrg, Shared]),
        Action::ShareCase => grant(u, &INVESTIGATORS, relation, &[SameOrg]),
        Action::RequestShare => {
            let mut who = INVESTIGATORS.to_vec();
            who.push(Role::Coordinator);
            grant(u, &who, relation, &[OwnOrgScope, Unrelated, SameOrg, Shared])
        }
        Action::HandleAlerts => grant(u, &PERSON_WRITERS, relation, &[OwnOrgScope, SameOrg]),
        Action::RecordPrevention => grant(u, &PREVENTION, relation, &[OwnOrgScope, SameOrg]),
        Action::ViewMatches => grant(u, &IDENTITY_WORKERS, relation, &[OwnOrgScope, SameOrg, Shared]),
        Action::DecideMatch => grant(u, &IDENTITY_WORKERS, relation, &[SameOrg]),
        Action::RunLinkage => grant(u, &[Role::SystemAdmin, Role::Coordinator], relation, &[OwnOrgScope]),
        Action::ViewStatistics => grant(u, &[Role::Coordinator, Role::Analyst, Role::SystemAdmin], relation, &[OwnOrgScope]),
        Action::ViewSmallCells => grant(u, &IDENTITY_WORKERS, relation, &[OwnOrgScope]),
        // Microdata, even anonymised, goes to the people who publish national data.
        Action::ExportAnonymised => grant(u, &[Role::Coordinator, Role::Analyst], relation, &[OwnOrgScope]),
        // Bulk identities in and out are an operator's job at the command line, never a
        // session's: no role is granted them.
        Action::ImportCaseData | Action::ExportCaseData => Err(Denial::RoleNotPermitted),
        Action::ManageSystem => {
            if u.has_any(&[Role::SystemAdmin]) {
                Ok(())
            } else {
                Err(Denial::RoleNotPermitted)
            }
        }
    }
}

/// The common shape: one of these roles, and one of these relations.
fn grant(u: &UserActor, roles: &[Role], relation: Relation, relations: &[Relation]) -> Result<(), Denial> {
    if !u.has_any(roles) {
        Err(Denial::RoleNotPermitted)
    } else if relations.contains(&relation) {
        Ok(())
    } else {
        Err(Denial::NoRelation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(roles: &[Role], mfa: bool) -> Actor {
        Actor::User(UserActor {
            user_id: UserId::from_trusted("u1".into()),
            org_id: OrgId::from_trusted("o1".into()),
            roles: roles.to_vec(),
            mfa_satisfied: mfa,
        })
    }

    #[test]
    fn every_action_has_its_own_snake_case_name_as_serialized() {
        let mut seen = std::collections::HashSet::new();
        for a in Action::ALL {
            let name = a.as_str();
            assert!(!name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{a:?}: {name:?}");
            assert!(seen.insert(name), "{name} used twice");
            assert_eq!(serde_json::to_string(&a).unwrap_or_default(), format!("\"{name}\""), "the audit trail and the API agree");
        }
        assert_eq!(Action::CreatePerson.as_str(), "create_person");
        assert_eq!(Action::ReferWithoutConsent.as_str(), "refer_without_consent");
    }

    #[test]
    fn the_console_does_operator_work_and_nothing_else() {
        let allowed = [
            Action::ManageSystem,
            Action::CreateOrg,
            Action::UpdateOrg,
            Action::CreateUser,
            Action::UpdateUser,
            Action::ListUsers,
            Action::ReadUser,
            Action::ViewDirectory,
            Action::ReadAudit,
            Action::ManageOwnTokens,
            Action::RunLinkage,
            Action::ViewStatistics,
            Action::ViewSmallCells,
            Action::ExportAnonymised,
            Action::ImportCaseData,
            Action::ExportCaseData,
        ];
        for a in Action::ALL {
            let expected = if allowed.contains(&a) { Ok(()) } else { Err(Denial::RoleNotPermitted) };
            assert_eq!(authorize(&Actor::System, a, Relation::OwnOrgScope), expected, "{a:?}");
        }
    }

    #[test]
    fn small_cells_are_seen_only_by_those_who_may_read_persons() {
        for role in Role::ALL {
            let a = actor(&[role], true);
            assert_eq!(
                authorize(&a, Action::ViewSmallCells, Relation::OwnOrgScope).is_ok(),
                authorize(&a, Action::ListPersons, Relation::OwnOrgScope).is_ok(),
                "{role:?}"
            );
        }
        assert!(authorize(&actor(&[Role::Analyst], true), Action::ViewSmallCells, Relation::OwnOrgScope).is_err());
        assert!(authorize(&actor(&[Role::SystemAdmin], true), Action::ViewSmallCells, Relation::OwnOrgScope).is_err());
        assert!(authorize(&actor(&[Role::Coordinator], true), Action::ViewSmallCells, Relation::OwnOrgScope).is_ok());
        assert!(authorize(&actor(&[Role::Coordinator], false), Action::ViewSmallCells, Relation::OwnOrgScope).is_err());
    }

    #[test]
    fn anyone_reads_their_own_account_but_not_a_colleagues() {
        let inv = actor(&[Role::Investigator], true);
        assert!(authorize(&inv, Action::ReadUser, Relation::SelfRecord).is_ok());
        assert_eq!(authorize(&inv, Action::ReadUser, Relation::SameOrg), Err(Denial::RoleNotPermitted));
    }

    #[test]
    fn only_person_writers_create_and_edit_persons() {
        for (roles, ok) in [
            (&[Role::Investigator][..], true),
            (&[Role::Analyst][..], false),
            (&[Role::OrgAdmin][..], false),
            (&[Role::Coordinator][..], false),
        ] {
            let a = actor(roles, true);
            assert_eq!(authorize(&a, Action::CreatePerson, Relation::OwnOrgScope).is_ok(), ok, "{roles:?} create");
            assert_eq!(authorize(&a, Action::UpdatePerson, Relation::SameOrg).is_ok(), ok, "{roles:?} update");
            if !ok {
                assert_eq!(authorize(&a, Action::CreatePerson, Relation::OwnOrgScope), Err(Denial::RoleNotPermitted));
                assert_eq!(authorize(&a, Action::UpdatePerson, Relation::SameOrg), Err(Denial::RoleNotPermitted));
            }
        }
        let inv = actor(&[Role::Investigator], true);
        assert_eq!(authorize(&inv, Action::CreatePerson, Relation::Unrelated), Err(Denial::NoRelation));
        assert_eq!(authorize(&inv, Action::UpdatePerson, Relation::Shared), Err(Denial::NoRelation));
    }

    #[test]
    fn administrators_never_read_victim_identities() {
        for rel in [Relation::SameOrg, Relation::SubOrg, Relation::Shared, Relation::Assigned, Relation::OwnOrgScope] {
            for role in [Role::SystemAdmin, Role::OrgAdmin, Role::Analyst] {
                assert!(authorize(&actor(&[role], true), Action::RevealPerson, rel).is_err(), "{role:?} {rel:?}");
            }
        }
        assert!(authorize(&Actor::System, Action::RevealPerson, Relation::SameOrg).is_err());
    }

    #[test]
    fn a_role_alone_never_grants_another_organisations_record() {
        for role in Role::ALL {
            assert!(authorize(&actor(&[role], true), Action::RevealPerson, Relation::Unrelated).is_err(), "{role:?}");
            assert!(authorize(&actor(&[role], true), Action::UpdatePerson, Relation::Unrelated).is_err(), "{role:?}");
        }
    }

    #[test]
    fn identity_roles_need_two_factor_before_anything() {
        let a = actor(&[Role::Investigator], false);
        assert_eq!(authorize(&a, Action::ViewDirectory, Relation::OwnOrgScope), Err(Denial::MfaRequired));
        let a = actor(&[Role::Investigator], true);
        assert_eq!(authorize(&a, Action::RevealPerson, Relation::SameOrg), Ok(()));
        assert_eq!(authorize(&a, Action::RevealPerson, Relation::Shared), Ok(()));
    }

    #[test]
    fn only_prosecutors_refer_without_consent_and_only_own_staff_see_a_shelter_address() {
        for role in Role::ALL {
            let a = actor(&[role], true);
            assert_eq!(authorize(&a, Action::ReferWithoutConsent, Relation::SameOrg).is_ok(), role == Role::Prosecutor, "{role:?}");
            assert!(authorize(&a, Action::ViewServiceAddress, Relation::Unrelated).is_err(), "{role:?}");
            assert!(authorize(&a, Action::ViewServiceAddress, Relation::Shared).is_err(), "{role:?}");
        }
        assert!(authorize(&actor(&[Role::ShelterStaff], true), Action::ViewServiceAddress, Relation::SameOrg).is_ok());
    }

    #[test]
    fn org_admins_manage_only_their_own_subtree() {
        let a = actor(&[Role::OrgAdmin], true);
        assert!(authorize(&a, Action::CreateUser, Relation::SubOrg).is_ok());
        assert_eq!(authorize(&a, Action::CreateUser, Relation::Unrelated), Err(Denial::NoRelation));
        let s = actor(&[Role::SystemAdmin], true);
        assert!(authorize(&s, Action::CreateUser, Relation::Unrelated).is_ok());
    }
}
