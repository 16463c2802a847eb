//! What the caller may do, in one answer, so pages show only the menu entries and buttons
//! that lead somewhere. The core decides (the policy, with the caller's own scope); the web
//! renders. A record's own page carries its own flags (`PersonFile::can_edit`,
//! `CaseView::can_edit`, `UserAdminRow::can_edit`).

use super::Access;
use crate::ctx::Ctx;
use amparo_domain::policy::{Action, Actor, Relation, authorize};
use serde::Serialize;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    pub view_directory: bool,
    pub create_org: bool,
    pub list_users: bool,
    pub read_audit: bool,
    pub list_persons: bool,
    pub create_person: bool,
    pub view_reports: bool,
    pub create_report: bool,
    pub record_operation: bool,
    pub record_inspection: bool,
    pub view_referrals: bool,
    pub view_referral_gap: bool,
    pub manage_services: bool,
    pub view_cases: bool,
    pub open_case: bool,
    pub handle_alerts: bool,
    pub view_matches: bool,
    pub run_linkage: bool,
    pub view_statistics: bool,
    pub record_prevention: bool,
    pub publish_instrument: bool,
    pub request_share: bool,
    pub export_anonymised: bool,
    /// Read the persons of the caller's own organisation (the dashboard's "you may").
    pub reveal_persons: bool,
    pub manage_system: bool,
    /// See statistics cells under the small-cell threshold (`annual_report` decides the same).
    pub view_small_cells: bool,
}

impl Access {
    /// The caller's capabilities within their own organisation's scope.
    pub fn capabilities(&self, ctx: &Ctx) -> Capabilities {
        capabilities_of(ctx.actor.as_ref())
    }
}

/// What an actor (or nobody) may do within their own organisation's scope, by the policy.
pub fn capabilities_of(actor: Option<&Actor>) -> Capabilities {
    let Some(actor) = actor else { return Capabilities::default() };
    let can = |a: Action| authorize(actor, a, Relation::OwnOrgScope).is_ok();
    Capabilities {
        view_directory: can(Action::ViewDirectory),
        create_org: can(Action::CreateOrg),
        list_users: can(Action::ListUsers),
        read_audit: can(Action::ReadAudit),
        list_persons: can(Action::ListPersons),
        create_person: can(Action::CreatePerson),
        view_reports: can(Action::ViewReports),
        create_report: can(Action::CreateReport),
        record_operation: can(Action::RecordOperation),
        record_inspection: can(Action::RecordInspection),
        view_referrals: can(Action::ViewReferrals),
        view_referral_gap: can(Action::ViewReferralGap),
        manage_services: can(Action::ManageServices),
        view_cases: can(Action::ViewCase),
        open_case: can(Action::OpenCase),
        handle_alerts: can(Action::HandleAlerts),
        view_matches: can(Action::ViewMatches),
        run_linkage: can(Action::RunLinkage),
        view_statistics: can(Action::ViewStatistics),
        record_prevention: can(Action::RecordPrevention),
        publish_instrument: can(Action::PublishInstrument),
        request_share: can(Action::RequestShare),
        export_anonymised: can(Action::ExportAnonymised),
        reveal_persons: authorize(actor, Action::RevealPerson, Relation::SameOrg).is_ok(),
        manage_system: can(Action::ManageSystem),
        view_small_cells: can(Action::ViewSmallCells),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use amparo_domain::policy::UserActor;
    use amparo_domain::role::Role;
    use amparo_domain::{OrgId, UserId};

    fn of(roles: &[Role], mfa: bool) -> Capabilities {
        let u = UserActor {
            user_id: UserId::from_trusted("u".into()),
            org_id: OrgId::from_trusted("o".into()),
            roles: roles.to_vec(),
            mfa_satisfied: mfa,
        };
        capabilities_of(Some(&Actor::User(u)))
    }

    /// The menu each desk sees: what its work needs and nothing that leads to a refusal.
    #[test]
    fn each_role_sees_the_entries_of_its_own_work() {
        let none = Capabilities::default();
        assert_eq!(capabilities_of(None), none, "nobody signed in: nothing");
        let analyst = of(&[Role::Analyst], true);
        assert_eq!(
            analyst,
            Capabilities { view_directory: true, view_referral_gap: true, view_statistics: true, export_anonymised: true, ..none },
            "an analyst reads figures, never persons"
        );
        let inv = of(&[Role::Investigator], true);
        assert!(inv.list_persons && inv.create_person && inv.open_case && inv.record_operation && inv.handle_alerts);
        assert!(inv.view_reports && inv.create_report && inv.view_cases && inv.view_matches && inv.view_referrals);
        assert!(!inv.record_inspection && !inv.view_statistics && !inv.list_users && !inv.publish_instrument && !inv.manage_services);
        let insp = of(&[Role::LabourInspector], true);
        assert!(insp.record_inspection && !insp.record_operation);
        let shelter = of(&[Role::ShelterStaff], true);
        assert!(shelter.manage_services && shelter.list_persons && !shelter.view_reports && !shelter.open_case);
        let hotline = of(&[Role::HotlineOperator], true);
        assert!(hotline.create_report && hotline.view_reports && !hotline.open_case && !hotline.record_operation);
        let admin = of(&[Role::SystemAdmin], true);
        assert!(admin.publish_instrument && admin.create_org && admin.list_users && admin.read_audit && admin.run_linkage);
        assert!(!admin.list_persons && !admin.view_cases, "administration is not case work");
        assert!(inv.reveal_persons && inv.request_share && inv.view_small_cells && !inv.export_anonymised && !inv.manage_system);
        assert!(admin.manage_system && !admin.reveal_persons && !admin.view_small_cells);
        let org_admin = of(&[Role::OrgAdmin], true);
        assert!(org_admin.list_users && org_admin.read_audit && org_admin.create_org && !org_admin.publish_instrument);
        assert!(org_admin.record_prevention && !org_admin.run_linkage);
        let coord = of(&[Role::Coordinator], true);
        assert!(coord.run_linkage && coord.view_statistics && coord.record_prevention && !coord.record_operation);
        assert!(coord.view_small_cells && coord.export_anonymised && coord.request_share);
        // Two roles: the union of both desks.
        let both = of(&[Role::OrgAdmin, Role::Investigator], true);
        assert!(both.list_users && both.open_case && !both.view_statistics);
    }

    /// Until the second factor is done, a role that needs it has no entry at all: the only
    /// page it reaches is the two-factor one.
    #[test]
    fn without_the_second_factor_nothing_is_offered() {
        assert_eq!(of(&[Role::Investigator], false), Capabilities::default());
        assert_eq!(of(&[Role::Analyst], false), of(&[Role::Analyst], true), "an analyst needs no second factor");
    }
}
