//! What a share that hides identities lets its recipient see of a case: the case, its
//! events, charges and verdicts, and nothing that says who is involved — no person codes or
//! ids, no staff user ids or e-mails, no free text written by the owner (notes, task titles,
//! a transfer's purpose), since free text can name anyone.
//!
//! Every view a hiding share can reach is built through [`Redact`], in one place. Each
//! implementation destructures its struct without `..`, so a field added later does not
//! compile until someone decides here what a hiding share sees of it: a new field cannot
//! leak by default. History steps keep their detail only for kinds on an allow-list
//! ([`STEP_DETAILS_SHOWN`]); a new kind of step shows no detail until it is added there.

use crate::usecases::case_views::{CaseNote, CaseStep, CaseView, ChargeView, LinkView, TaskView};
use amparo_domain::OrgId;

/// How much of a case's people the caller may see.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Sight<'a> {
    /// Owner, or a share that does not hide identities.
    Full,
    /// A share that hides identities; `my_org` is the recipient (its own notes and tasks
    /// are its own).
    Hidden { my_org: Option<&'a OrgId> },
}

/// History steps whose detail is a status, a stage, a statute or a count — never a person
/// or free text — and may be shown through a hiding share.
pub(crate) const STEP_DETAILS_SHOWN: &[&str] = &["opened", "status", "stage", "charge_filed", "note", "restricted", "access_list"];

pub(crate) trait Redact {
    /// The value as `sight` may see it.
    #[must_use]
    fn redact(self, sight: Sight<'_>) -> Self;
}

impl Redact for CaseStep {
    fn redact(self, sight: Sight<'_>) -> Self {
        let CaseStep { at, by, what, detail } = self;
        match sight {
            Sight::Full => CaseStep { at, by, what, detail },
            Sight::Hidden { .. } => {
                let detail = if STEP_DETAILS_SHOWN.contains(&what.as_str()) { detail } else { None };
                CaseStep { at, by: String::new(), what, detail }
            }
        }
    }
}

impl Redact for LinkView {
    fn redact(self, sight: Sight<'_>) -> Self {
        let LinkView { id, person_id, person_code, role, official_complicity } = self;
        match sight {
            Sight::Full => LinkView { id, person_id, person_code, role, official_complicity },
            Sight::Hidden { .. } => LinkView { id, person_id: String::new(), person_code: String::new(), role, official_complicity },
        }
    }
}

impl Redact for TaskView {
    fn redact(self, sight: Sight<'_>) -> Self {
        let TaskView { id, case_id, title, assignee, due, done, overdue, version, org_id } = self;
        match sight {
            Sight::Full => TaskView { id, case_id, title, assignee, due, done, overdue, version, org_id },
            Sight::Hidden { my_org } => {
                let mine = my_org.is_some_and(|o| o.as_str() == org_id);
                TaskView {
                    id,
                    case_id,
                    title: if mine { title } else { String::new() },
                    assignee: String::new(),
                    due,
                    done,
                    overdue,
                    version,
                    org_id,
                }
            }
        }
    }
}

impl Redact for ChargeView {
    fn redact(self, sight: Sight<'_>) -> Self {
        let ChargeView { id, case_id, person_id, statute_id, offence_date, filed_on, status, decision, flag, reviewed, appeals, version } =
            self;
        let person_id = match sight {
            Sight::Full => person_id,
            Sight::Hidden { .. } => String::new(),
        };
        ChargeView { id, case_id, person_id, statute_id, offence_date, filed_on, status, decision, flag, reviewed, appeals, version }
    }
}

impl Redact for CaseView {
    fn redact(self, sight: Sight<'_>) -> Self {
        let CaseView {
            summary,
            labour_sector,
            sexual_form,
            sources,
            history,
            hearings,
            notes,
            links,
            events,
            tasks,
            version,
            identities_hidden,
            can_edit,
            can_prosecute,
            can_share,
        } = self;
        let notes: Vec<CaseNote> = match sight {
            Sight::Full => notes,
            // Another organisation's notes are free text about the people in the case.
            Sight::Hidden { my_org } => notes.into_iter().filter(|n| my_org.is_some_and(|o| o.as_str() == n.org)).collect(),
        };
        CaseView {
            summary,
            labour_sector,
            sexual_form,
            sources,
            history: history.into_iter().map(|s| s.redact(sight)).collect(),
            hearings,
            notes,
            links: links.into_iter().map(|l| l.redact(sight)).collect(),
            events,
            tasks: tasks.into_iter().map(|t| t.redact(sight)).collect(),
            version,
            identities_hidden: identities_hidden || matches!(sight, Sight::Hidden { .. }),
            can_edit,
            can_prosecute,
            can_share,
        }
    }
}

impl<T: Redact> Redact for Vec<T> {
    fn redact(self, sight: Sight<'_>) -> Self {
        self.into_iter().map(|x| x.redact(sight)).collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn step(what: &str, detail: &str) -> CaseStep {
        CaseStep { at: 1, by: "u-1".into(), what: what.into(), detail: Some(detail.into()) }
    }

    #[test]
    fn hidden_steps_lose_who_and_any_detail_not_on_the_list() {
        let org = OrgId::from_trusted("o-2".into());
        let hidden = Sight::Hidden { my_org: Some(&org) };
        let s = step("linked_victim", "P-ABCD-1234").redact(hidden);
        assert_eq!((s.by.as_str(), s.detail), ("", None));
        let s = step("transferred", "purpose naming someone").redact(hidden);
        assert_eq!(s.detail, None);
        let s = step("status", "closed").redact(hidden);
        assert_eq!((s.by.as_str(), s.detail.as_deref()), ("", Some("closed")));
        let s = step("some_future_step", "anything").redact(hidden);
        assert_eq!(s.detail, None, "a new kind of step shows nothing until it is allowed");
        let s = step("linked_victim", "P-ABCD-1234").redact(Sight::Full);
        assert_eq!((s.by.as_str(), s.detail.as_deref()), ("u-1", Some("P-ABCD-1234")));
    }

    #[test]
    fn hidden_tasks_keep_only_the_recipients_own_titles() {
        let org = OrgId::from_trusted("o-2".into());
        let t = |o: &str| TaskView {
            id: "t".into(),
            case_id: "c".into(),
            title: "Entrevistar a María".into(),
            assignee: "fiscal@x.pe".into(),
            due: "2026-01-01".into(),
            done: false,
            overdue: false,
            version: 1,
            org_id: o.into(),
        };
        let theirs = t("o-1").redact(Sight::Hidden { my_org: Some(&org) });
        assert_eq!((theirs.title.as_str(), theirs.assignee.as_str()), ("", ""));
        let mine = t("o-2").redact(Sight::Hidden { my_org: Some(&org) });
        assert_eq!((mine.title.as_str(), mine.assignee.as_str()), ("Entrevistar a María", ""));
    }

    fn case_view(hidden: bool) -> CaseView {
        use crate::usecases::case_views::CaseSummary;
        let note = |org: &str| CaseNote { at: 1, by: "u-1".into(), org: org.into(), text: format!("nota de {org} sobre María") };
        CaseView {
            summary: CaseSummary {
                id: "c".into(),
                reference: "C-2026-X".into(),
                org_id: OrgId::from_trusted("o-1".into()),
                title: "Bar".into(),
                exploitation: "x".into(),
                place: "PE-16".into(),
                status: "open".into(),
                stage: None,
                restricted: false,
                shared_with_me: true,
                created_at: 1,
            },
            labour_sector: None,
            sexual_form: None,
            sources: vec![],
            history: vec![step("linked_victim", "P-ABCD-1234"), step("status", "open")],
            hearings: vec![],
            notes: vec![note("o-1"), note("o-2")],
            links: vec![LinkView {
                id: "l".into(),
                person_id: "p-1".into(),
                person_code: "P-ABCD-1234".into(),
                role: "victim".into(),
                official_complicity: false,
            }],
            events: vec![],
            tasks: vec![],
            version: 3,
            identities_hidden: hidden,
            can_edit: false,
            can_prosecute: false,
            can_share: false,
        }
    }

    #[test]
    fn a_hidden_case_keeps_only_the_recipients_notes_and_says_it_is_hidden() {
        let me = OrgId::from_trusted("o-2".into());
        let v = case_view(false).redact(Sight::Hidden { my_org: Some(&me) });
        assert!(v.identities_hidden);
        assert_eq!(v.notes.iter().map(|n| n.org.as_str()).collect::<Vec<_>>(), vec!["o-2"], "only the recipient's own note");
        assert_eq!((v.links[0].person_id.as_str(), v.links[0].person_code.as_str()), ("", ""));
        assert_eq!(v.history.len(), 2, "every step is still there");
        assert_eq!(v.history[0].detail, None);
        assert_eq!(v.history[1].detail.as_deref(), Some("open"));
        let none = case_view(false).redact(Sight::Hidden { my_org: None });
        assert!(none.notes.is_empty(), "no organisation, no notes");
        let full = case_view(false).redact(Sight::Full);
        assert!(!full.identities_hidden && full.notes.len() == 2 && full.links[0].person_code == "P-ABCD-1234");
    }

    #[test]
    fn a_list_is_redacted_item_by_item() {
        let me = OrgId::from_trusted("o-2".into());
        let steps = vec![step("linked_suspect", "P-1"), step("stage", "trial")].redact(Sight::Hidden { my_org: Some(&me) });
        assert_eq!(steps.len(), 2);
        assert_eq!((steps[0].detail.as_deref(), steps[1].detail.as_deref()), (None, Some("trial")));
    }
}
