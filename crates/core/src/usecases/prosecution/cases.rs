//! Cases (investigations): opened from reports, operations or inspections; persons linked in
//! roles; events with places; encrypted notes; statuses with history; tasks with deadlines.
//!
//! Who relates to a case: the owning organisation (`SameOrg`), organisations holding a
//! granted, unexpired share (`Shared`, possibly with identities hidden), nobody else. A case
//! where a suspect carries the official-complicity flag is further restricted to a named list
//! of users, and every access to it is reported to the coordinating body.

use super::Prosecution;
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::paging::{Page, merge_rows, row_key, scanned};
use crate::random::RandomExt;
use crate::rows::case::{Case, CaseEvent, CaseLink, CaseLinkAttrs, CaseSecrets, LinkStatus};
use crate::rows::share::{Share, ShareStatus};
use crate::rows::task::{Task, TaskAttrs, TaskStatus};
use crate::rows::{self, Row, Stamp};
use crate::store::{Batch, IdsFrom, RecordTable, RowFilter, RowOrder};
use crate::usecases::redaction::Redact;
use amparo_domain::PersonId;
use amparo_domain::cases::{CaseExploitation, CaseInput, CaseRole, CaseStatus, EventInput};
use amparo_domain::paging::ListParams;
use amparo_domain::policy::{Action, Relation, authorize};
use amparo_domain::protection::days_from_civil;
use amparo_domain::validation::{FieldErrors, required_text};
use serde::Deserialize;

pub(crate) use crate::usecases::case_views::CaseAttrs;
pub use crate::usecases::case_views::{CaseNote, CaseStep, CaseSummary, CaseView, EventView, Hearing, LinkView, TaskView};

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct CaseUpdate {
    #[serde(default)]
    #[schemars(with = "amparo_domain::cases::CaseStatus")]
    pub status: String,
    #[serde(default)]
    pub note: String,
    #[schemars(schema_with = "amparo_domain::intake::number_text_schema")]
    #[serde(default, deserialize_with = "amparo_domain::intake::version_text")]
    #[schemars(required)]
    pub version: String,
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct LinkInput {
    #[serde(default)]
    #[schemars(required, extend("pattern" = "\\S"))]
    pub person_id: String,
    #[serde(default)]
    #[schemars(with = "amparo_domain::cases::CaseRole")]
    pub role: String,
    #[schemars(schema_with = "amparo_domain::intake::flag_schema")]
    #[serde(default, deserialize_with = "amparo_domain::intake::flag")]
    pub official_complicity: bool,
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct TaskInput {
    #[serde(default)]
    pub title: String,
    /// The assignee's e-mail (a user of the case's owning organisation).
    #[serde(default)]
    pub assignee: String,
    #[serde(default)]
    pub due: String,
}

pub(crate) use crate::usecases::scope::relations::CaseAccess;

impl CaseAccess {
    /// What the caller may see of the case's people (`redaction.rs`).
    pub(crate) fn sight<'a>(&self, ctx: &'a Ctx) -> crate::usecases::redaction::Sight<'a> {
        use crate::usecases::redaction::Sight;
        if self.hide_identities { Sight::Hidden { my_org: ctx.org_id() } } else { Sight::Full }
    }
}

/// A case reference: `C-<year>-<six characters>` from the given random bytes.
pub fn case_reference(random: &[u8; 6], year: &str) -> String {
    const A: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let s: String = random.iter().map(|b| A.get((*b as usize) % A.len()).copied().unwrap_or(b'X') as char).collect();
    format!("C-{year}-{s}")
}

impl Prosecution {
    fn case_summary(&self, c: &Case, shared: bool) -> CaseSummary {
        CaseSummary {
            id: c.id.clone(),
            reference: c.reference.clone(),
            org_id: c.org_id.clone(),
            title: c.attrs.title.clone(),
            exploitation: c.exploitation.as_str().into(),
            place: c.place.clone().unwrap_or_default(),
            status: c.status.as_str().into(),
            stage: c.attrs.stage,
            restricted: c.attrs.restricted,
            shared_with_me: shared,
            created_at: c.stamp.created_at,
        }
    }

    /// Open a case from reports, operations or inspections the caller may read.
    pub async fn open_case(&self, ctx: &Ctx, input: &CaseInput) -> CoreResult<CaseSummary> {
        let f = input.validate()?;
        self.scope().place_chain(&f.place).await?;
        self.authorize(ctx, Action::OpenCase, Relation::OwnOrgScope, "case", "").await?;
        for src in &f.sources {
            let kind = self.source_kind(src).await?;
            self.scope().check_source(ctx, kind, src).await?;
        }
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let id = self.random.new_id();
        let now = self.now();
        let year = self.today().get(..4).unwrap_or("0000").to_owned();
        let a = CaseAttrs {
            title: f.title.clone(),
            labour_sector: f.labour_sector,
            sexual_form: f.sexual_form,
            sources: f.sources.clone(),
            history: vec![CaseStep { at: now, by: me.user_id.to_string(), what: "opened".into(), detail: None }],
            ..Default::default()
        };
        let notes =
            f.notes.iter().map(|t| CaseNote { at: now, by: me.user_id.to_string(), org: me.org_id.to_string(), text: t.clone() }).collect();
        let case = Case {
            sealed: Some(self.seal_json(Case::TABLE, &id, &CaseSecrets { notes })?),
            id: id.clone(),
            org_id: me.org_id.clone(),
            reference: case_reference(&self.random.bytes::<6>(), &year),
            exploitation: f.exploitation,
            status: CaseStatus::Open,
            place: Some(f.place.clone()),
            opened_at: Some(now),
            attrs: a,
            stamp: Stamp::new(now, me.user_id.as_str()),
        };
        let mut ev = ctx.event(now, "open_case", "ok", "case", &id);
        ev.details = serde_json::json!({ "exploitation": f.exploitation, "sources": f.sources.len() }).to_string();
        self.commit(&Batch { inserts: vec![rows::entry(&case)?], updates: vec![] }, &ev).await?;
        Ok(self.case_summary(&case, false))
    }

    async fn source_kind(&self, id: &str) -> CoreResult<&'static str> {
        for (t, k) in [(RecordTable::Reports, "report"), (RecordTable::Operations, "operation"), (RecordTable::Inspections, "inspection")] {
            if self.store.get_row(t, id).await?.is_some() {
                return Ok(k);
            }
        }
        Err(CoreError::field("sources", "invalid_choice"))
    }

    /// A page of the cases the caller's organisation owns or holds a share of (restricted
    /// ones only for the named users), newest first, filtered by status, region and date.
    pub async fn list_cases(&self, ctx: &Ctx, q: &ListParams) -> CoreResult<Page<CaseSummary>> {
        self.authorize(ctx, Action::ViewCase, Relation::OwnOrgScope, "case", "").await?;
        let org = ctx.org_id().ok_or(CoreError::Unauthenticated)?.clone();
        let page = self.page_request(ctx, "cases", q.limit.as_deref(), q.cursor.as_deref())?;
        let statuses: Vec<&str> = CaseStatus::ALL.iter().map(|s| s.as_str()).collect();
        let filter = q.filter(&statuses).map_err(CoreError::Validation)?;
        // Owned, and shared through a granted share: two index walks, merged.
        let owned = self.scan_rows(Case::TABLE, RowFilter { owners: vec![org.clone()], ..Default::default() }, &filter, &page).await?;
        let shared_with = IdsFrom { table: Share::TABLE, parties: vec![org.clone()], statuses: vec![ShareStatus::Granted.as_str().into()] };
        let shared = self.scan_rows(Case::TABLE, RowFilter { ids_from: Some(shared_with), ..Default::default() }, &filter, &page).await?;
        let seen = scanned(merge_rows(owned.into_iter().chain(shared).collect()), page.limit, row_key);
        let mut out = Vec::with_capacity(seen.rows.len());
        for c in &rows::typed::<Case>(seen.rows)? {
            // A restricted case, or a share that has ended, drops out of the page; the cursor
            // still moves past it.
            match self.scope().case_access(ctx, c).await?.relation {
                Relation::SameOrg => out.push(self.case_summary(c, false)),
                Relation::Shared => out.push(self.case_summary(c, true)),
                _ => {}
            }
        }
        let mut ev = ctx.event(self.now(), "list_cases", "ok", "case", "");
        ev.details = serde_json::json!({ "count": out.len() }).to_string();
        self.append(&ev).await?;
        Ok(self.page_of(ctx, "cases", out, seen.next))
    }

    pub async fn get_case(&self, ctx: &Ctx, id: &str) -> CoreResult<CaseView> {
        let (case, access) = self.scope().case_for(ctx, id, Action::ViewCase).await?;
        self.append(&ctx.event(self.now(), "read_case", "ok", "case", id)).await?;
        let s: CaseSecrets = self.open_sealed(Case::TABLE, &case.id, case.sealed.as_deref())?;
        let sub = RowFilter { subject_ids: vec![id.to_owned()], ..Default::default() };
        let link_rows = rows::find::<CaseLink>(&*self.store, &sub).await?;
        let ids: Vec<String> = link_rows.iter().map(|l| l.person.to_string()).collect();
        let persons = self.store.persons_by_ids(&ids).await?;
        let links = link_rows
            .iter()
            .filter(|l| l.status == LinkStatus::Active)
            .map(|l| {
                let code = persons.iter().find(|p| p.id == l.person).map(|p| p.code.clone()).unwrap_or_default();
                LinkView {
                    id: l.id.clone(),
                    person_id: l.person.to_string(),
                    person_code: code,
                    role: l.role.as_str().into(),
                    official_complicity: l.attrs.official_complicity,
                }
            })
            .collect();
        let mut events: Vec<EventView> = rows::find::<CaseEvent>(&*self.store, &sub)
            .await?
            .into_iter()
            .map(|e| EventView { id: e.id, kind: e.kind.as_str().into(), date: e.date, place: e.place.unwrap_or_default() })
            .collect();
        events.sort_by(|x, y| x.date.cmp(&y.date));
        let tasks = self.task_views(&rows::find::<Task>(&*self.store, &sub).await?);
        let rel = access.relation;
        let may = |act: Action| ctx.actor.as_ref().is_some_and(|x| authorize(x, act, rel).is_ok());
        let view = CaseView {
            summary: self.case_summary(&case, rel == Relation::Shared),
            labour_sector: case.attrs.labour_sector,
            sexual_form: case.attrs.sexual_form,
            sources: case.attrs.sources,
            history: case.attrs.history,
            hearings: case.attrs.hearings,
            notes: s.notes,
            links,
            events,
            tasks,
            version: case.stamp.version,
            identities_hidden: access.hide_identities,
            can_edit: may(Action::EditCase),
            can_prosecute: may(Action::Prosecute),
            can_share: may(Action::ShareCase),
        };
        // Built whole, then projected for the caller: a hiding share sees it redacted.
        Ok(view.redact(access.sight(ctx)))
    }

    /// Change the status and/or add a note. A stale version gets 409 with the current case.
    pub async fn update_case(&self, ctx: &Ctx, id: &str, input: &CaseUpdate) -> CoreResult<CaseSummary> {
        let mut e = FieldErrors::new();
        let version: Option<i64> = input.version.trim().parse().ok();
        if version.is_none() {
            e.add("version", "required");
        }
        let status = match input.status.trim() {
            "" => None,
            s => {
                let v = CaseStatus::parse(s);
                if v.is_none() {
                    e.add("status", "invalid_choice");
                }
                v
            }
        };
        let note = amparo_domain::validation::optional_text(&mut e, "note", &input.note, 50_000);
        if status.is_none() && note.is_none() && e.is_empty() {
            e.add("note", "required");
        }
        e.into_result()?;
        let (case, _) = self.scope().case_for(ctx, id, Action::EditCase).await?;
        if Some(case.stamp.version) != version {
            return Err(CoreError::Conflict { current: serde_json::to_value(self.case_summary(&case, false)).unwrap_or_default() });
        }
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let now = self.now();
        let mut s: CaseSecrets = self.open_sealed(Case::TABLE, &case.id, case.sealed.as_deref())?;
        let mut updated = Case { stamp: case.stamp.next(now), ..case.clone() };
        if let Some(st) = status
            && st != case.status
        {
            updated.attrs.history.push(CaseStep {
                at: now,
                by: me.user_id.to_string(),
                what: "status".into(),
                detail: Some(st.as_str().into()),
            });
            updated.status = st;
        }
        if let Some(text) = note {
            s.notes.push(CaseNote { at: now, by: me.user_id.to_string(), org: me.org_id.to_string(), text });
            updated.attrs.history.push(CaseStep { at: now, by: me.user_id.to_string(), what: "note".into(), detail: None });
        }
        updated.sealed = Some(self.seal_json(Case::TABLE, id, &s)?);
        self.commit(&Batch { inserts: vec![], updates: vec![rows::entry(&updated)?] }, &ctx.event(now, "update_case", "ok", "case", id))
            .await?;
        Ok(self.case_summary(&updated, false))
    }

    /// Link a person the caller may see to the case in a role. The official-complicity flag on
    /// a suspect restricts the case to the caller and the users the owner names.
    pub async fn link_person(&self, ctx: &Ctx, case_id: &str, input: &LinkInput) -> CoreResult<LinkView> {
        let mut e = FieldErrors::new();
        let role = CaseRole::parse(input.role.trim());
        if role.is_none() {
            e.add("role", "invalid_choice");
        }
        if input.official_complicity && role != Some(CaseRole::Suspect) {
            e.add("official_complicity", "only_for_suspects");
        }
        let pid = PersonId::parse(input.person_id.trim());
        if pid.is_none() {
            e.add("person_id", "required");
        }
        e.into_result()?;
        let (Some(role), Some(pid)) = (role, pid) else { return Err(CoreError::field("person_id", "required")) };
        let (case, _) = self.scope().case_for(ctx, case_id, Action::EditCase).await?;
        let (person, _) = self.scope().person_for(ctx, &pid, Action::ListPersons).await?;
        let same = RowFilter { subject_ids: vec![case_id.to_owned()], lookup: Some(pid.to_string()), ..Default::default() };
        let existing = rows::find::<CaseLink>(&*self.store, &same).await?;
        if existing.iter().any(|l| l.status == LinkStatus::Active && l.role == role) {
            return Err(CoreError::field("person_id", "already_linked"));
        }
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let now = self.now();
        let id = self.random.new_id();
        let link = CaseLink {
            id: id.clone(),
            org_id: case.org_id.clone(),
            case_id: case_id.to_owned(),
            person: pid.clone(),
            role,
            status: LinkStatus::Active,
            attrs: CaseLinkAttrs { official_complicity: input.official_complicity },
            stamp: Stamp::new(now, me.user_id.as_str()),
        };
        let mut updated = Case { stamp: case.stamp.next(now), ..case.clone() };
        let a = &mut updated.attrs;
        a.history.push(CaseStep {
            at: now,
            by: me.user_id.to_string(),
            what: format!("linked_{}", role.as_str()),
            detail: Some(person.code.clone()),
        });
        if input.official_complicity && !a.restricted {
            a.restricted = true;
            a.allowed_users = vec![me.user_id.to_string()];
            if case.stamp.created_by != me.user_id.as_str() {
                a.allowed_users.push(case.stamp.created_by.clone());
            }
            a.history.push(CaseStep { at: now, by: me.user_id.to_string(), what: "restricted".into(), detail: None });
        }
        let mut ev = ctx.event(now, "link_person", "ok", "case", case_id);
        ev.details = serde_json::json!({ "person": pid, "role": role, "official_complicity": input.official_complicity }).to_string();
        self.commit(&Batch { inserts: vec![rows::entry(&link)?], updates: vec![rows::entry(&updated)?] }, &ev).await?;
        Ok(LinkView {
            id,
            person_id: pid.to_string(),
            person_code: person.code,
            role: role.as_str().into(),
            official_complicity: input.official_complicity,
        })
    }

    /// Name the users allowed on a restricted case (owner only; e-mails of any organisation).
    pub async fn set_case_access(&self, ctx: &Ctx, case_id: &str, emails: &[String]) -> CoreResult<Vec<String>> {
        let (case, access) = self.scope().case_for(ctx, case_id, Action::ShareCase).await?;
        if access.relation != Relation::SameOrg {
            return Err(CoreError::Forbidden(amparo_domain::policy::Denial::NoRelation));
        }
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let mut ids = vec![me.user_id.to_string()];
        for email in emails.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            match self.store.find_user_by_email(&email.to_lowercase()).await? {
                Some(u) if !u.user.disabled => ids.push(u.user.id.to_string()),
                _ => return Err(CoreError::field("emails", "unknown_user")),
            }
        }
        ids.sort();
        ids.dedup();
        let mut updated = Case { stamp: case.stamp.next(self.now()), ..case };
        updated.attrs.restricted = true;
        updated.attrs.allowed_users = ids.clone();
        updated.attrs.history.push(CaseStep {
            at: self.now(),
            by: me.user_id.to_string(),
            what: "access_list".into(),
            detail: Some(ids.len().to_string()),
        });
        let mut ev = ctx.event(self.now(), "set_case_access", "ok", "case", case_id);
        ev.details = serde_json::json!({ "users": ids }).to_string();
        self.commit(&Batch { inserts: vec![], updates: vec![rows::entry(&updated)?] }, &ev).await?;
        Ok(ids)
    }

    /// Record a recruitment, transit or exploitation event with its date and place (an area
    /// or a foreign country, so routes abroad show).
    pub async fn add_event(&self, ctx: &Ctx, case_id: &str, input: &EventInput) -> CoreResult<EventView> {
        let f = input.validate(&self.today())?;
        self.scope().place_chain(&f.place).await.map_err(|_| CoreError::field("place", "unknown_area"))?;
        let (case, _) = self.scope().case_for(ctx, case_id, Action::EditCase).await?;
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let id = self.random.new_id();
        let event = CaseEvent {
            id: id.clone(),
            org_id: case.org_id.clone(),
            case_id: case_id.to_owned(),
            kind: f.kind,
            date: f.date.clone(),
            place: Some(f.place.clone()),
            on: days_from_civil(&f.date).map(|d| d * 86_400),
            stamp: Stamp::new(self.now(), me.user_id.as_str()),
        };
        let mut ev = ctx.event(self.now(), "add_case_event", "ok", "case", case_id);
        ev.details = serde_json::json!({ "kind": f.kind, "place": f.place }).to_string();
        self.commit(&Batch { inserts: vec![rows::entry(&event)?], updates: vec![] }, &ev).await?;
        Ok(EventView { id, kind: f.kind.as_str().into(), date: f.date, place: f.place })
    }

    fn task_views(&self, tasks: &[Task]) -> Vec<TaskView> {
        let today = self.today();
        tasks
            .iter()
            .map(|t| {
                let due = amparo_domain::protection::iso_date(t.due_at.unwrap_or(0));
                let done = t.status == TaskStatus::Done;
                TaskView {
                    id: t.id.clone(),
                    case_id: t.case_id.clone(),
                    title: t.attrs.title.clone(),
                    assignee: t.assignee.clone(),
                    done,
                    overdue: !done && due < today,
                    due,
                    version: t.stamp.version,
                    org_id: t.org_id.to_string(),
                }
            })
            .collect()
    }

    /// A task with a procedural deadline, assigned to a user of the case's owning organisation.
    pub async fn add_task(&self, ctx: &Ctx, case_id: &str, input: &TaskInput) -> CoreResult<TaskView> {
        let mut e = FieldErrors::new();
        let title = required_text(&mut e, "title", &input.title, 300);
        let due = match input.due.trim() {
            d if amparo_domain::protection::is_iso_date(d) => Some(d.to_owned()),
            _ => {
                e.add("due", "invalid_date");
                None
            }
        };
        e.into_result()?;
        let (case, _) = self.scope().case_for(ctx, case_id, Action::EditCase).await?;
        let assignee = self.store.find_user_by_email(&input.assignee.trim().to_lowercase()).await?;
        let assignee = match assignee {
            Some(u) if !u.user.disabled && (u.user.org_id == case.org_id || Some(&u.user.org_id) == ctx.org_id()) => u.user,
            _ => return Err(CoreError::field("assignee", "unknown_user")),
        };
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let task = Task {
            id: self.random.new_id(),
            org_id: assignee.org_id.clone(),
            case_id: case_id.to_owned(),
            assignee: assignee.email.clone(),
            status: TaskStatus::Open,
            due_at: due.as_deref().and_then(days_from_civil).map(|d| d * 86_400),
            attrs: TaskAttrs { title },
            stamp: Stamp::new(self.now(), me.user_id.as_str()),
        };
        self.commit(
            &Batch { inserts: vec![rows::entry(&task)?], updates: vec![] },
            &ctx.event(self.now(), "add_task", "ok", "case", case_id),
        )
        .await?;
        self.task_views(&[task]).into_iter().next().ok_or(CoreError::NotFound)
    }

    pub async fn complete_task(&self, ctx: &Ctx, task_id: &str, version: i64) -> CoreResult<TaskView> {
        let task = rows::get::<Task>(&*self.store, task_id).await?;
        let case_id = task.as_ref().map(|t| t.case_id.clone()).unwrap_or_default();
        // The case decides first: a task of a case the caller may not edit, and a task that
        // does not exist, are refused alike.
        let (_, access) = self.scope().case_for(ctx, &case_id, Action::EditCase).await?;
        let task = task.ok_or(CoreError::NotFound)?;
        let sight = access.sight(ctx);
        if task.stamp.version != version {
            let current = self.task_views(&[task]).redact(sight);
            return Err(CoreError::Conflict { current: serde_json::to_value(current).unwrap_or_default() });
        }
        let done = Task { status: TaskStatus::Done, stamp: task.stamp.next(self.now()), ..task };
        self.commit(
            &Batch { inserts: vec![], updates: vec![rows::entry(&done)?] },
            &ctx.event(self.now(), "complete_task", "ok", "case", &case_id),
        )
        .await?;
        self.task_views(&[done]).redact(sight).into_iter().next().ok_or(CoreError::NotFound)
    }

    /// A page of the unit's tasks (open unless asked otherwise), soonest due first, so the
    /// overdue come first. Filtered by status and date.
    pub async fn unit_tasks(&self, ctx: &Ctx, q: &ListParams) -> CoreResult<Page<TaskView>> {
        self.authorize(ctx, Action::ViewCase, Relation::OwnOrgScope, "task", "").await?;
        let org = ctx.org_id().ok_or(CoreError::Unauthenticated)?.clone();
        let page = self.page_request(ctx, "tasks", q.limit.as_deref(), q.cursor.as_deref())?;
        let statuses: Vec<&str> = TaskStatus::ALL.iter().map(|s| s.as_str()).collect();
        let filter = q.filter(&statuses).map_err(CoreError::Validation)?;
        let base = RowFilter {
            owners: vec![org],
            statuses: vec![TaskStatus::Open.as_str().into()],
            order: RowOrder::Soonest,
            ..Default::default()
        };
        let due_key = |t: &Task| amparo_domain::paging::After { at: t.due_at.unwrap_or(0), id: t.id.clone() };
        let found = rows::typed::<Task>(self.scan_rows(Task::TABLE, base, &filter, &page).await?)?;
        let seen = scanned(found, page.limit, due_key);
        let out = self.task_views(&seen.rows);
        Ok(self.page_of(ctx, "tasks", out, seen.next))
    }
}

pub fn case_exploitations() -> &'static [CaseExploitation] {
    CaseExploitation::ALL
}
