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
use crate::records::{attrs, to_json};
use crate::store::{Batch, IdsFrom, RecordRow, RecordTable, RowFilter, RowOrder};
use crate::usecases::redaction::Redact;
use amparo_domain::PersonId;
use amparo_domain::cases::{CaseExploitation, CaseInput, CaseRole, CaseStatus, EventInput};
use amparo_domain::paging::ListParams;
use amparo_domain::policy::{Action, Relation, authorize};
use amparo_domain::protection::days_from_civil;
use amparo_domain::validation::{FieldErrors, required_text};
use serde::{Deserialize, Serialize};

#[derive(Default, Serialize, Deserialize)]
struct CaseSecrets {
    notes: Vec<CaseNote>,
}

pub(crate) use crate::usecases::case_views::CaseAttrs;
pub use crate::usecases::case_views::{CaseNote, CaseStep, CaseSummary, CaseView, EventView, Hearing, LinkView, TaskView};

#[derive(Clone, Debug, Default, Deserialize)]
pub struct CaseUpdate {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub note: String,
    #[serde(default, deserialize_with = "amparo_domain::intake::version_text")]
    pub version: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct LinkInput {
    #[serde(default)]
    pub person_id: String,
    #[serde(default)]
    pub role: String,
    #[serde(default, deserialize_with = "amparo_domain::intake::flag")]
    pub official_complicity: bool,
}

#[derive(Clone, Debug, Default, Deserialize)]
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

pub(crate) fn case_reference(random: &[u8; 6], year: &str) -> String {
    const A: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let s: String = random.iter().map(|b| A.get((*b as usize) % A.len()).copied().unwrap_or(b'X') as char).collect();
    format!("C-{year}-{s}")
}

impl Prosecution {
    fn case_summary(&self, row: &RecordRow, shared: bool) -> CoreResult<CaseSummary> {
        let a: CaseAttrs = attrs(row)?;
        Ok(CaseSummary {
            id: row.id.clone(),
            reference: row.lookup.clone().unwrap_or_default(),
            org_id: row.org_id.clone(),
            title: a.title,
            exploitation: row.kind.clone(),
            place: row.area_code.clone().unwrap_or_default(),
            status: row.status.clone(),
            stage: a.stage,
            restricted: a.restricted,
            shared_with_me: shared,
            created_at: row.created_at,
        })
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
        let row = RecordRow {
            area_code: Some(f.place.clone()),
            lookup: Some(case_reference(&self.random.bytes::<6>(), &year)),
            attrs: to_json(&a)?,
            sealed: Some(self.seal_json(RecordTable::Cases, &id, &CaseSecrets { notes })?),
            ..self.new_row(&id, &me.org_id, me.user_id.as_str(), f.exploitation.as_str(), CaseStatus::Open.as_str())
        };
        let mut ev = ctx.event(now, "open_case", "ok", "case", &id);
        ev.details = serde_json::json!({ "exploitation": f.exploitation, "sources": f.sources.len() }).to_string();
        self.commit(&Batch { inserts: vec![(RecordTable::Cases, row.clone())], updates: vec![] }, &ev).await?;
        self.case_summary(&row, false)
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
        let owned =
            self.scan_rows(RecordTable::Cases, RowFilter { owners: vec![org.clone()], ..Default::default() }, &filter, &page).await?;
        let shared_with = IdsFrom { table: RecordTable::Shares, parties: vec![org.clone()], statuses: vec!["granted".into()] };
        let shared =
            self.scan_rows(RecordTable::Cases, RowFilter { ids_from: Some(shared_with), ..Default::default() }, &filter, &page).await?;
        let seen = scanned(merge_rows(owned.into_iter().chain(shared).collect()), page.limit, row_key);
        let mut out = Vec::with_capacity(seen.rows.len());
        for r in &seen.rows {
            // A restricted case, or a share that has ended, drops out of the page; the cursor
            // still moves past it.
            match self.scope().case_access(ctx, r).await?.relation {
                Relation::SameOrg => out.push(self.case_summary(r, false)?),
                Relation::Shared => out.push(self.case_summary(r, true)?),
                _ => {}
            }
        }
        let mut ev = ctx.event(self.now(), "list_cases", "ok", "case", "");
        ev.details = serde_json::json!({ "count": out.len() }).to_string();
        self.append(&ev).await?;
        Ok(self.page_of(ctx, "cases", out, seen.next))
    }

    pub async fn get_case(&self, ctx: &Ctx, id: &str) -> CoreResult<CaseView> {
        let (row, access) = self.scope().case_for(ctx, id, Action::ViewCase).await?;
        self.append(&ctx.event(self.now(), "read_case", "ok", "case", id)).await?;
        let a: CaseAttrs = attrs(&row)?;
        let s: CaseSecrets = self.open_json(RecordTable::Cases, &row)?;
        let sub = RowFilter { subject_ids: vec![id.to_owned()], ..Default::default() };
        let link_rows = self.store.find_rows(RecordTable::CaseLinks, &sub).await?;
        let ids: Vec<String> = link_rows.iter().filter_map(|l| l.lookup.clone()).collect();
        let persons = self.store.persons_by_ids(&ids).await?;
        let links = link_rows
            .iter()
            .filter(|l| l.status == "active")
            .map(|l| {
                let pid = l.lookup.clone().unwrap_or_default();
                let code = persons.iter().find(|p| p.id.as_str() == pid).map(|p| p.code.clone()).unwrap_or_default();
                let complicity = serde_json::from_str::<serde_json::Value>(&l.attrs)
                    .ok()
                    .and_then(|v| v.get("official_complicity").and_then(serde_json::Value::as_bool))
                    .unwrap_or(false);
                LinkView { id: l.id.clone(), person_id: pid, person_code: code, role: l.kind.clone(), official_complicity: complicity }
            })
            .collect();
        let mut events: Vec<EventView> = self
            .store
            .find_rows(RecordTable::CaseEvents, &sub)
            .await?
            .iter()
            .map(|e| EventView {
                id: e.id.clone(),
                kind: e.kind.clone(),
                date: e.status.clone(),
                place: e.area_code.clone().unwrap_or_default(),
            })
            .collect();
        events.sort_by(|x, y| x.date.cmp(&y.date));
        let tasks = self.task_views(&self.store.find_rows(RecordTable::Tasks, &sub).await?)?;
        let rel = access.relation;
        let may = |act: Action| ctx.actor.as_ref().is_some_and(|x| authorize(x, act, rel).is_ok());
        let view = CaseView {
            summary: self.case_summary(&row, rel == Relation::Shared)?,
            labour_sector: a.labour_sector,
            sexual_form: a.sexual_form,
            sources: a.sources,
            history: a.history,
            hearings: a.hearings,
            notes: s.notes,
            links,
            events,
            tasks,
            version: row.version,
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
        let (row, _) = self.scope().case_for(ctx, id, Action::EditCase).await?;
        if Some(row.version) != version {
            return Err(CoreError::Conflict { current: serde_json::to_value(self.case_summary(&row, false)?).unwrap_or_default() });
        }
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let now = self.now();
        let mut a: CaseAttrs = attrs(&row)?;
        let mut s: CaseSecrets = self.open_json(RecordTable::Cases, &row)?;
        let mut updated = RecordRow { version: row.version + 1, updated_at: now, ..row.clone() };
        if let Some(st) = status
            && st.as_str() != row.status
        {
            a.history.push(CaseStep { at: now, by: me.user_id.to_string(), what: "status".into(), detail: Some(st.as_str().into()) });
            updated.status = st.as_str().into();
        }
        if let Some(text) = note {
            s.notes.push(CaseNote { at: now, by: me.user_id.to_string(), org: me.org_id.to_string(), text });
            a.history.push(CaseStep { at: now, by: me.user_id.to_string(), what: "note".into(), detail: None });
        }
        updated.attrs = to_json(&a)?;
        updated.sealed = Some(self.seal_json(RecordTable::Cases, id, &s)?);
        self.commit(
            &Batch { inserts: vec![], updates: vec![(RecordTable::Cases, updated.clone())] },
            &ctx.event(now, "update_case", "ok", "case", id),
        )
        .await?;
        self.case_summary(&updated, false)
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
        let (row, _) = self.scope().case_for(ctx, case_id, Action::EditCase).await?;
        let (person, _) = self.scope().person_for(ctx, &pid, Action::ListPersons).await?;
        let existing = self
            .store
            .find_rows(
                RecordTable::CaseLinks,
                &RowFilter { subject_ids: vec![case_id.to_owned()], lookup: Some(pid.to_string()), ..Default::default() },
            )
            .await?;
        if existing.iter().any(|l| l.status == "active" && l.kind == role.as_str()) {
            return Err(CoreError::field("person_id", "already_linked"));
        }
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let now = self.now();
        let id = self.random.new_id();
        let link = RecordRow {
            subject_id: Some(case_id.to_owned()),
            lookup: Some(pid.to_string()),
            attrs: serde_json::json!({ "official_complicity": input.official_complicity }).to_string(),
            ..self.new_row(&id, &row.org_id, me.user_id.as_str(), role.as_str(), "active")
        };
        let mut a: CaseAttrs = attrs(&row)?;
        a.history.push(CaseStep {
            at: now,
            by: me.user_id.to_string(),
            what: format!("linked_{}", role.as_str()),
            detail: Some(person.code.clone()),
        });
        if input.official_complicity && !a.restricted {
            a.restricted = true;
            a.allowed_users = vec![me.user_id.to_string()];
            if row.created_by != me.user_id.as_str() {
                a.allowed_users.push(row.created_by.clone());
            }
            a.history.push(CaseStep { at: now, by: me.user_id.to_string(), what: "restricted".into(), detail: None });
        }
        let updated = RecordRow { attrs: to_json(&a)?, version: row.version + 1, updated_at: now, ..row.clone() };
        let mut ev = ctx.event(now, "link_person", "ok", "case", case_id);
        ev.details = serde_json::json!({ "person": pid, "role": role, "official_complicity": input.official_complicity }).to_string();
        self.commit(&Batch { inserts: vec![(RecordTable::CaseLinks, link)], updates: vec![(RecordTable::Cases, updated)] }, &ev).await?;
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
        let (row, access) = self.scope().case_for(ctx, case_id, Action::ShareCase).await?;
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
        let mut a: CaseAttrs = attrs(&row)?;
        a.restricted = true;
        a.allowed_users = ids.clone();
        a.history.push(CaseStep {
            at: self.now(),
            by: me.user_id.to_string(),
            what: "access_list".into(),
            detail: Some(ids.len().to_string()),
        });
        let updated = RecordRow { attrs: to_json(&a)?, version: row.version + 1, updated_at: self.now(), ..row };
        let mut ev = ctx.event(self.now(), "set_case_access", "ok", "case", case_id);
        ev.details = serde_json::json!({ "users": ids }).to_string();
        self.commit(&Batch { inserts: vec![], updates: vec![(RecordTable::Cases, updated)] }, &ev).await?;
        Ok(ids)
    }

    /// Record a recruitment, transit or exploitation event with its date and place (an area
    /// or a foreign country, so routes abroad show).
    pub async fn add_event(&self, ctx: &Ctx, case_id: &str, input: &EventInput) -> CoreResult<EventView> {
        let f = input.validate(&self.today())?;
        self.scope().place_chain(&f.place).await.map_err(|_| CoreError::field("place", "unknown_area"))?;
        let (row, _) = self.scope().case_for(ctx, case_id, Action::EditCase).await?;
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let id = self.random.new_id();
        let ev_row = RecordRow {
            subject_id: Some(case_id.to_owned()),
            area_code: Some(f.place.clone()),
            occurred_at: days_from_civil(&f.date).map(|d| d * 86_400),
            ..self.new_row(&id, &row.org_id, me.user_id.as_str(), f.kind.as_str(), &f.date)
        };
        let mut ev = ctx.event(self.now(), "add_case_event", "ok", "case", case_id);
        ev.details = serde_json::json!({ "kind": f.kind, "place": f.place }).to_string();
        self.commit(&Batch { inserts: vec![(RecordTable::CaseEvents, ev_row)], updates: vec![] }, &ev).await?;
        Ok(EventView { id, kind: f.kind.as_str().into(), date: f.date, place: f.place })
    }

    fn task_views(&self, rows: &[RecordRow]) -> CoreResult<Vec<TaskView>> {
        let today = self.today();
        rows.iter()
            .map(|r| {
                let title = serde_json::from_str::<serde_json::Value>(&r.attrs)
                    .ok()
                    .and_then(|v| v.get("title").and_then(|t| t.as_str().map(str::to_owned)))
                    .unwrap_or_default();
                let due = amparo_domain::protection::iso_date(r.occurred_at.unwrap_or(0));
                Ok(TaskView {
                    id: r.id.clone(),
                    case_id: r.subject_id.clone().unwrap_or_default(),
                    title,
                    assignee: r.lookup.clone().unwrap_or_default(),
                    done: r.status == "done",
                    overdue: r.status != "done" && due < today,
                    due,
                    version: r.version,
                    org_id: r.org_id.to_string(),
                })
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
        let (row, _) = self.scope().case_for(ctx, case_id, Action::EditCase).await?;
        let assignee = self.store.find_user_by_email(&input.assignee.trim().to_lowercase()).await?;
        let assignee = match assignee {
            Some(u) if !u.user.disabled && (u.user.org_id == row.org_id || Some(&u.user.org_id) == ctx.org_id()) => u.user,
            _ => return Err(CoreError::field("assignee", "unknown_user")),
        };
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let id = self.random.new_id();
        let task = RecordRow {
            subject_id: Some(case_id.to_owned()),
            lookup: Some(assignee.email.clone()),
            occurred_at: due.as_deref().and_then(days_from_civil).map(|d| d * 86_400),
            attrs: serde_json::json!({ "title": title }).to_string(),
            ..self.new_row(&id, &assignee.org_id, me.user_id.as_str(), "task", "open")
        };
        self.commit(
            &Batch { inserts: vec![(RecordTable::Tasks, task.clone())], updates: vec![] },
            &ctx.event(self.now(), "add_task", "ok", "case", case_id),
        )
        .await?;
        self.task_views(&[task])?.into_iter().next().ok_or(CoreError::NotFound)
    }

    pub async fn complete_task(&self, ctx: &Ctx, task_id: &str, version: i64) -> CoreResult<TaskView> {
        let task = self.store.get_row(RecordTable::Tasks, task_id).await?;
        let case_id = task.as_ref().and_then(|t| t.subject_id.clone()).unwrap_or_default();
        // The case decides first: a task of a case the caller may not edit, and a task that
        // does not exist, are refused alike.
        let (_, access) = self.scope().case_for(ctx, &case_id, Action::EditCase).await?;
        let task = task.ok_or(CoreError::NotFound)?;
        let sight = access.sight(ctx);
        if task.version != version {
            let current = self.task_views(&[task])?.redact(sight);
            return Err(CoreError::Conflict { current: serde_json::to_value(current).unwrap_or_default() });
        }
        let done = RecordRow { status: "done".into(), version: task.version + 1, updated_at: self.now(), ..task };
        self.commit(
            &Batch { inserts: vec![], updates: vec![(RecordTable::Tasks, done.clone())] },
            &ctx.event(self.now(), "complete_task", "ok", "case", &case_id),
        )
        .await?;
        self.task_views(&[done])?.redact(sight).into_iter().next().ok_or(CoreError::NotFound)
    }

    /// A page of the unit's tasks (open unless asked otherwise), soonest due first, so the
    /// overdue come first. Filtered by status and date.
    pub async fn unit_tasks(&self, ctx: &Ctx, q: &ListParams) -> CoreResult<Page<TaskView>> {
        self.authorize(ctx, Action::ViewCase, Relation::OwnOrgScope, "task", "").await?;
        let org = ctx.org_id().ok_or(CoreError::Unauthenticated)?.clone();
        let page = self.page_request(ctx, "tasks", q.limit.as_deref(), q.cursor.as_deref())?;
        let filter = q.filter(&["open", "done"]).map_err(CoreError::Validation)?;
        let base = RowFilter { owners: vec![org], statuses: vec!["open".into()], order: RowOrder::Soonest, ..Default::default() };
        let due_key = |r: &RecordRow| amparo_domain::paging::After { at: r.occurred_at.unwrap_or(0), id: r.id.clone() };
        let seen = scanned(self.scan_rows(RecordTable::Tasks, base, &filter, &page).await?, page.limit, due_key);
        let out = self.task_views(&seen.rows)?;
        Ok(self.page_of(ctx, "tasks", out, seen.next))
    }
}

pub fn case_exploitations() -> &'static [CaseExploitation] {
    CaseExploitation::ALL
}
