//! Whether the caller may see a record at all, asked before anything about a request to
//! change it is looked at. A stranger to a record — or to an id that names nothing — must
//! get one and the same answer whatever the request's body says: if the body were checked
//! first, "422: this field is required" would tell a stranger that the record exists.
//!
//! The web layer asks this for every state-changing route on a record (`/…/{id}…`) before
//! it reads the body; the use case then authorizes the change itself, as always. The check
//! writes no audit entry when it passes (the use case writes its own); a refusal is audited
//! by `authorize`, like any other.

use super::Coordination;
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};

use amparo_domain::policy::{Action, Denial, Relation};
use amparo_domain::{PersonId, UserId};

/// The kinds of record a route can name by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    Person,
    Screening,
    Report,
    Referral,
    Case,
    Charge,
    Task,
    Share,
    Match,
    Alert,
    User,
    /// The organisation and services directories are visible to every signed-in user; the
    /// use case alone decides.
    Directory,
}

impl RecordKind {
    /// The kind a route's path names, from its first segment (`/persons/{id}/…`,
    /// `/api/v1/charges/{id}/…`). `None` for a path that names no record by id.
    pub fn of_path(path: &str) -> Option<RecordKind> {
        let rest = path.strip_prefix("/api/v1").unwrap_or(path);
        let mut segs = rest.trim_start_matches('/').split('/');
        let first = segs.next()?;
        let second = segs.next()?;
        if !(second.starts_with('{') && second.ends_with('}')) {
            return None;
        }
        Some(match first {
            "persons" => RecordKind::Person,
            "screenings" => RecordKind::Screening,
            "reports" => RecordKind::Report,
            "referrals" => RecordKind::Referral,
            "cases" => RecordKind::Case,
            "charges" => RecordKind::Charge,
            "tasks" => RecordKind::Task,
            "shares" => RecordKind::Share,
            "matches" => RecordKind::Match,
            "alerts" => RecordKind::Alert,
            "users" => RecordKind::User,
            "organisations" | "orgs" | "services" | "screening-instruments" => RecordKind::Directory,
            _ => return None,
        })
    }
}

impl Coordination {
    /// Refuse unless the caller may see the record. A record that does not exist and one
    /// the caller may not see give the same error (`Forbidden(NoRelation)`, audited).
    pub async fn require_visible(&self, ctx: &Ctx, kind: RecordKind, id: &str) -> CoreResult<()> {
        if ctx.actor.is_none() {
            return Err(CoreError::Unauthenticated);
        }
        match kind {
            RecordKind::Directory => Ok(()),
            RecordKind::Person => {
                self.scope().person_for(ctx, &PersonId::from_trusted(id.to_owned()), Action::ListPersons).await.map(|_| ())
            }
            RecordKind::Screening => {
                let found = crate::rows::get::<crate::rows::screening::Screening>(&*self.store, id).await?;
                match found.map(|sc| sc.person) {
                    Some(p) => self.scope().person_for(ctx, &p, Action::ListPersons).await.map(|_| ()),
                    None => self.authorize(ctx, Action::ListPersons, Relation::Unrelated, "screening", id).await,
                }
            }
            RecordKind::Report => {
                use crate::rows::intake::{Held, Report};
                let found = crate::rows::get::<Report>(&*self.store, id).await?;
                let rel = match &found {
                    Some(r) => self.scope().report_relation(ctx, r.holder(), r.party()).await?,
                    None => Relation::Unrelated,
                };
                self.authorize(ctx, Action::ViewReports, rel, "report", id).await
            }
            RecordKind::Referral => {
                let found = crate::rows::get::<crate::rows::referral::Referral>(&*self.store, id).await?;
                let mine = ctx.org_id();
                let rel = match &found {
                    Some(r) if Some(&r.from_org) == mine || Some(&r.to_org) == mine => Relation::SameOrg,
                    _ => Relation::Unrelated,
                };
                self.authorize(ctx, Action::ViewReferrals, rel, "referral", id).await
            }
            RecordKind::Case => self.case_visible(ctx, id).await,
            RecordKind::Charge | RecordKind::Task | RecordKind::Share => {
                use crate::rows::{charge::Charge, get, share::Share, task::Task};
                let case_id = match kind {
                    RecordKind::Charge => get::<Charge>(&*self.store, id).await?.map(|c| c.case_id),
                    RecordKind::Task => get::<Task>(&*self.store, id).await?.map(|t| t.case_id),
                    _ => get::<Share>(&*self.store, id).await?.map(|s| s.case_id),
                };
                self.case_visible(ctx, &case_id.unwrap_or_default()).await
            }
            RecordKind::Match => {
                let found = crate::rows::get::<crate::rows::person_match::PersonMatch>(&*self.store, id).await?;
                let rel = match &found {
                    Some(m) => self.scope().match_relation(ctx, m).await?.0,
                    None => Relation::Unrelated,
                };
                self.authorize(ctx, Action::ViewMatches, rel, "person_match", id).await
            }
            RecordKind::Alert => {
                let found = crate::rows::get::<crate::rows::alert::Alert>(&*self.store, id).await?;
                let rel = match &found {
                    Some(a) if ctx.org_id() == Some(&a.org_id) => Relation::SameOrg,
                    _ => Relation::Unrelated,
                };
                self.authorize(ctx, Action::HandleAlerts, rel, "alert", id).await
            }
            RecordKind::User => {
                let rel = match UserId::parse(id) {
                    Some(uid) => match self.store.get_user(&uid).await? {
                        Some(u) => self.scope().user_relation(ctx, &u.user).await?,
                        None => Relation::Unrelated,
                    },
                    None => Relation::Unrelated,
                };
                self.authorize(ctx, Action::ReadUser, rel, "user", id).await
            }
        }
    }

    /// Whether the caller may view the case (a restricted case counts only its named users).
    async fn case_visible(&self, ctx: &Ctx, case_id: &str) -> CoreResult<()> {
        let found = crate::rows::get::<crate::rows::case::Case>(&*self.store, case_id).await?;
        let rel = match &found {
            Some(c) => self.scope().case_access(ctx, c).await?.relation,
            None => Relation::Unrelated,
        };
        self.authorize(ctx, Action::ViewCase, rel, "case", case_id).await
    }
}

/// Whether an error from [`Amparo::require_visible`] is about the record (missing or not
/// the caller's), as opposed to the caller (not signed in, two-factor pending, a role that
/// never does this). The web layer answers the first kind with one `not_found`.
pub fn is_record_refusal(e: &CoreError) -> bool {
    matches!(e, CoreError::NotFound | CoreError::Forbidden(Denial::NoRelation))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Missing and not-yours read alike; a caller-side refusal (role, two-factor, signed out)
    /// is not hidden behind a 404.
    #[test]
    fn record_refusals_are_told_apart_from_caller_refusals() {
        assert!(is_record_refusal(&CoreError::NotFound));
        assert!(is_record_refusal(&CoreError::Forbidden(Denial::NoRelation)));
        assert!(!is_record_refusal(&CoreError::Forbidden(Denial::RoleNotPermitted)));
        assert!(!is_record_refusal(&CoreError::Forbidden(Denial::MfaRequired)));
        assert!(!is_record_refusal(&CoreError::Unauthenticated));
    }

    #[test]
    fn paths_name_their_record_kind() {
        assert_eq!(RecordKind::of_path("/api/v1/cases/{id}/charges"), Some(RecordKind::Case));
        assert_eq!(RecordKind::of_path("/charges/{id}/decision"), Some(RecordKind::Charge));
        assert_eq!(RecordKind::of_path("/tasks/{id}/done"), Some(RecordKind::Task));
        assert_eq!(RecordKind::of_path("/orgs/{id}"), Some(RecordKind::Directory));
        assert_eq!(RecordKind::of_path("/api/v1/persons"), None);
        assert_eq!(RecordKind::of_path("/persons/new"), None);
        assert_eq!(RecordKind::of_path("/somewhere/{id}"), None);
        assert_eq!(RecordKind::of_path("/persons/{id"), None, "a half placeholder is not one");
        assert_eq!(RecordKind::of_path("/persons/id}"), None);
        // Every kind, from the API and the UI spelling.
        for (path, kind) in [
            ("/persons/{id}", RecordKind::Person),
            ("/api/v1/screenings/{id}", RecordKind::Screening),
            ("/reports/{id}/triage", RecordKind::Report),
            ("/api/v1/referrals/{id}/act", RecordKind::Referral),
            ("/cases/{id}", RecordKind::Case),
            ("/api/v1/shares/{id}", RecordKind::Share),
            ("/matches/{id}/decision", RecordKind::Match),
            ("/alerts/{id}", RecordKind::Alert),
            ("/users/{id}/status", RecordKind::User),
            ("/api/v1/organisations/{id}", RecordKind::Directory),
            ("/services/{id}", RecordKind::Directory),
            ("/api/v1/screening-instruments/{id}/evaluate", RecordKind::Directory),
        ] {
            assert_eq!(RecordKind::of_path(path), Some(kind), "{path}");
        }
    }
}
