//! What the caller may do, in one answer, so pages show only the menu entries and buttons
//! that lead somewhere. The core decides (the policy, with the caller's own scope); the web
//! renders. A record's own page carries its own flags (`PersonFile::can_edit`,
//! `CaseView::can_edit`, `UserAdminRow::can_edit`).

use crate::Amparo;
use crate::ctx::Ctx;
use amparo_domain::policy::{Action, Relation, authorize};
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
}

impl Amparo {
    /// The caller's capabilities within their own organisation's scope.
    pub fn capabilities(&self, ctx: &Ctx) -> Capabilities {
        let Some(actor) = ctx.actor.as_ref() else { return Capabilities::default() };
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
        }
    }
}
