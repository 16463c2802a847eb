//! Full-text search over narratives, notes and names — only what the caller may open.
//!
//! Each server process keeps its own in-memory index, built at start-up from decrypted text
//! and kept current from the audit trail: every write is audited with its record type and
//! id, so reading the trail past the last indexed sequence number tells any process what
//! changed, whichever process wrote it. `refresh_search` runs before every query and every
//! few seconds in the background, so a case written through one server is found through
//! another within seconds. A bulk import (one audit event for a whole file) re-indexes the
//! organisation it went into.
//!
//! A search never reveals that an inaccessible record exists: hits are checked against the
//! policy one by one, and only allowed hits are counted or shown. The query text is not
//! written to the audit trail (it may be a name); the number of results is.

use super::Coordination;
use crate::crypto::sealed_files::{self, Position};
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::random::RandomExt;

use crate::rows::case::{Case, CaseLink, CaseSecrets};
use crate::rows::intake::Report;
use crate::rows::referral::Referral;
use crate::rows::share::{Share, ShareStatus};
use crate::rows::{self, Row};
use crate::search_index::SearchDoc;
use crate::store::{PersonRecord, RecordTable, RowFilter};
use amparo_domain::PersonId;
use amparo_domain::intake::ReportSecrets;
use amparo_domain::person::Identity;
use amparo_domain::policy::{Action, Relation, authorize};
use serde::Serialize;
use std::collections::HashMap;

/// The master-key purpose the search snapshot is sealed under.
const SNAPSHOT_PURPOSE: &str = "amparo search snapshot v1";

/// What a saved snapshot holds.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct SnapshotSaved {
    pub seq: i64,
    pub bytes: u64,
    pub docs: u64,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct SearchHit {
    /// `person`, `report` or `case`.
    pub kind: String,
    pub id: String,
    /// The pseudonymous code, report reference or case reference.
    pub label: String,
    pub link: String,
}

/// What a search read about its hits at once (see `known_about`).
#[derive(Default)]
struct Known {
    persons: HashMap<String, PersonRecord>,
    referred: std::collections::HashSet<String>,
    shared_cases: std::collections::HashSet<String>,
}

/// Audit actions that change searchable text, by record type.
fn changes_text(action: &str) -> bool {
    !(action.starts_with("read_")
        || action.starts_with("list_")
        || action.starts_with("reveal")
        || action == "search"
        || action.ends_with("denied"))
}

/// Persons (or reports, or cases) read and indexed per step of the start-up build.
const SEARCH_BUILD_PAGE: usize = 1_000;

/// The names a person is found by: given names, both surnames and aliases.
fn searchable_names(i: &Identity) -> String {
    [&i.given_names, &i.first_surname, &i.second_surname, &i.aliases].iter().filter_map(|x| x.as_deref()).collect::<Vec<_>>().join(" ")
}

impl Coordination {
    async fn search_doc(&self, kind: &str, id: &str) -> CoreResult<Option<SearchDoc>> {
        Ok(match kind {
            "person" => match self.store.get_person(&PersonId::from_trusted(id.to_owned())).await? {
                Some(p) => {
                    let i = self.scope().open_identity(&p)?;
                    let names = searchable_names(&i);
                    let mut orgs = vec![p.org_id.to_string()];
                    let sub = RowFilter { subject_ids: vec![id.to_owned()], ..Default::default() };
                    orgs.extend(crate::rows::find::<Referral>(&*self.store, &sub).await?.into_iter().map(|r| r.to_org.to_string()));
                    let links =
                        rows::find::<CaseLink>(&*self.store, &RowFilter { lookup: Some(id.to_owned()), ..Default::default() }).await?;
                    for l in links {
                        orgs.extend(self.case_orgs(&l.case_id).await?);
                    }
                    Some(SearchDoc { kind: "person", id: id.to_owned(), text: i.narrative.unwrap_or_default(), names, orgs })
                }
                None => None,
            },
            "report" => match rows::get::<Report>(&*self.store, id).await? {
                Some(r) => Some(self.report_doc(&r)?),
                None => None,
            },
            "case" => match rows::get::<Case>(&*self.store, id).await? {
                Some(c) => Some(self.case_doc(&c, self.case_orgs(id).await?)?),
                None => None,
            },
            _ => None,
        })
    }

    /// The case's owner and every organisation ever granted a share that does not hide
    /// identities (the policy checks expiry and revocation at query time). A share that
    /// hides identities does not let its recipient find the case or its persons by search:
    /// the case document holds its notes, free text that may name the people involved.
    async fn case_orgs(&self, case_id: &str) -> CoreResult<Vec<String>> {
        Ok(self.case_orgs_of(&[case_id.to_owned()]).await?.remove(case_id).unwrap_or_default())
    }

    /// Build this process's index from the database (start-up). Changes made while it runs
    /// are picked up by the next refresh, which starts from the audit head read first.
    /// The server runs this in the background: it serves while the index fills, and a search
    /// made before the build ends is told so (`search_index_building`) rather than answered
    /// from part of the records.
    pub async fn rebuild_search(&self) -> CoreResult<usize> {
        let (head, _) = self.store.audit_head().await?;
        let mut indexed = 0;
        // Persons a page at a time in id order; each page's referrals, case links, cases and
        // shares read for the whole page (a handful of statements per thousand persons, not
        // four per person), and the page's documents into the index before the next is read.
        let mut after: Option<PersonId> = None;
        loop {
            let page = self.store.persons_page(after.as_ref(), SEARCH_BUILD_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id.clone());
            let docs = self.person_docs(&page).await?;
            self.search.upsert(&docs).map_err(CoreError::Internal)?;
            indexed += docs.len();
        }
        // Reports and cases, a page at a time in the list order.
        for table in [RecordTable::Reports, RecordTable::Cases] {
            let mut after = None;
            loop {
                let f = RowFilter { after: after.clone(), limit: Some(SEARCH_BUILD_PAGE as i64), ..Default::default() };
                let rows = self.store.find_rows(table, &f).await?;
                let Some(last) = rows.last() else { break };
                after = Some(crate::paging::row_key(last));
                let docs = match table {
                    RecordTable::Reports => {
                        rows::typed::<Report>(rows)?.iter().map(|r| self.report_doc(r)).collect::<CoreResult<Vec<_>>>()?
                    }
                    _ => {
                        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
                        let mut orgs = self.case_orgs_of(&ids).await?;
                        rows::typed::<Case>(rows)?
                            .iter()
                            .map(|c| self.case_doc(c, orgs.remove(&c.id).unwrap_or_default()))
                            .collect::<CoreResult<Vec<_>>>()?
                    }
                };
                self.search.upsert(&docs).map_err(CoreError::Internal)?;
                indexed += docs.len();
            }
        }
        *self.search.indexed_seq.lock().map_err(|_| CoreError::Internal("search poisoned".into()))? = head;
        self.search.set_ready();
        Ok(indexed)
    }

    /// The search documents of a page of persons, with everything their "who may find this"
    /// needs read for the page at once.
    async fn person_docs(&self, page: &[PersonRecord]) -> CoreResult<Vec<SearchDoc>> {
        let ids: Vec<String> = page.iter().map(|p| p.id.to_string()).collect();
        let mut orgs: HashMap<String, Vec<String>> = HashMap::new();
        for r in crate::rows::find::<Referral>(&*self.store, &RowFilter { subject_ids: ids.clone(), ..Default::default() }).await? {
            orgs.entry(r.person.to_string()).or_default().push(r.to_org.to_string());
        }
        let mut links: Vec<(String, String)> = Vec::new();
        for chunk in ids.chunks(1_000) {
            let f = RowFilter { lookups: chunk.to_vec(), ..Default::default() };
            links.extend(rows::find::<CaseLink>(&*self.store, &f).await?.into_iter().map(|l| (l.person.to_string(), l.case_id)));
        }
        let case_ids: Vec<String> = links.iter().map(|(_, c)| c.clone()).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        let case_orgs = self.case_orgs_of(&case_ids).await?;
        for (p, c) in links {
            orgs.entry(p).or_default().extend(case_orgs.get(&c).cloned().unwrap_or_default());
        }
        page.iter()
            .map(|p| {
                let id = p.id.as_str();
                let i = self.scope().open_identity(p)?;
                let names = searchable_names(&i);
                let mut who = vec![p.org_id.to_string()];
                who.extend(orgs.remove(id).unwrap_or_default());
                Ok(SearchDoc { kind: "person", id: id.to_owned(), text: i.narrative.unwrap_or_default(), names, orgs: who })
            })
            .collect()
    }

    fn report_doc(&self, r: &Report) -> CoreResult<SearchDoc> {
        let s: ReportSecrets = self.open_sealed(Report::TABLE, &r.id, r.sealed.as_deref())?;
        let mut text = vec![s.narrative, s.persons_described.unwrap_or_default(), s.place_detail.unwrap_or_default()];
        text.extend(s.follow_ups.into_iter().map(|f| f.text));
        let orgs = [Some(r.queue.to_string()), r.taken_by.as_ref().map(|o| o.to_string())].into_iter().flatten().collect();
        Ok(SearchDoc { kind: "report", id: r.id.clone(), text: text.join("\n"), names: s.reporter_name.unwrap_or_default(), orgs })
    }

    fn case_doc(&self, c: &Case, orgs: Vec<String>) -> CoreResult<SearchDoc> {
        let n: CaseSecrets = self.open_sealed(Case::TABLE, &c.id, c.sealed.as_deref())?;
        let mut text = vec![c.attrs.title.clone()];
        text.extend(n.notes.into_iter().map(|x| x.text));
        Ok(SearchDoc { kind: "case", id: c.id.clone(), text: text.join("\n"), names: String::new(), orgs })
    }

    /// [`Amparo::case_orgs`] for many cases, read together.
    async fn case_orgs_of(&self, case_ids: &[String]) -> CoreResult<HashMap<String, Vec<String>>> {
        let mut out: HashMap<String, Vec<String>> = HashMap::new();
        for chunk in case_ids.chunks(1_000) {
            // Owners from the cases' clear columns (a case's sealed notes are not opened here).
            for c in self.store.find_rows(Case::TABLE, &RowFilter { ids: chunk.to_vec(), ..Default::default() }).await? {
                out.entry(c.id).or_default().push(c.org_id.to_string());
            }
            let f = RowFilter { subject_ids: chunk.to_vec(), statuses: vec![ShareStatus::Granted.as_str().into()], ..Default::default() };
            for s in rows::find::<Share>(&*self.store, &f).await? {
                if !s.attrs.hide_identities {
                    out.entry(s.case_id).or_default().push(s.to_org.to_string());
                }
            }
        }
        Ok(out)
    }

    /// The audit position the index stands for: its sequence number and that entry's hash
    /// (what tells this database's trail from another's).
    async fn indexed_position(&self) -> CoreResult<Position> {
        let seq = *self.search.indexed_seq.lock().map_err(|_| CoreError::Internal("search poisoned".into()))?;
        let hash = if seq > 0 { self.audit_hash_at(seq).await?.unwrap_or_default() } else { Vec::new() };
        Ok(Position { seq, hash })
    }

    /// The hash of the audit entry `seq`, if this database's trail has one.
    async fn audit_hash_at(&self, seq: i64) -> CoreResult<Option<Vec<u8>>> {
        Ok(self.store.audit_after(seq - 1, 1).await?.into_iter().find(|e| e.seq == seq).map(|e| e.hash))
    }

    /// Write this process's search index to `out`, sealed under the master key
    /// (`crypto/sealed_files.rs`), so the next start loads it instead of decrypting every
    /// person again. `None` while the index is still being built. The position is read
    /// before the files, so the files hold at least everything up to it; the next start
    /// indexes what the trail has after it.
    pub async fn save_search_snapshot(&self, out: &mut (dyn std::io::Write + Send)) -> CoreResult<Option<SnapshotSaved>> {
        if !self.search.is_ready() {
            return Ok(None);
        }
        let at = self.indexed_position().await?;
        // The plan first, then each file read as its turn comes: the index is not copied
        // whole into memory beside itself.
        let export = self.search.export().map_err(CoreError::Internal)?;
        let count = export.names.len();
        let random = self.random.clone();
        let read = |name: &str| export.read(name);
        let bytes = sealed_files::seal(out, &self.keys, SNAPSHOT_PURPOSE, &at, &export.names, read, || random.bytes::<24>())
            .map_err(CoreError::Internal)?;
        let mut ev = Ctx::system("search").event(self.now(), "save_search_snapshot", "ok", "search_index", "");
        ev.details = serde_json::json!({ "seq": at.seq, "files": count, "bytes": bytes, "docs": self.search.len() }).to_string();
        self.append(&ev).await?;
        Ok(Some(SnapshotSaved { seq: at.seq, bytes, docs: self.search.len() }))
    }

    /// Start from a sealed snapshot instead of building: the index is replaced by the
    /// snapshot's, then brought up to date from the audit trail after its position.
    /// `Ok(Err(why))` when the snapshot cannot be used — damaged, sealed under a key this
    /// server does not hold, or taken from another database (its position is not on this
    /// trail): the caller then builds as before, and nothing of the snapshot is kept.
    pub async fn load_search_snapshot(&self, input: &mut (dyn std::io::Read + Send)) -> CoreResult<Result<u64, String>> {
        let opened = match sealed_files::open(input, &self.keys, SNAPSHOT_PURPOSE) {
            Ok(o) => o,
            Err(why) => return Ok(Err(why)),
        };
        let at = opened.at.clone();
        if at.seq > 0 {
            let here = self.audit_hash_at(at.seq).await?;
            if here.as_deref() != Some(at.hash.as_slice()) {
                return Ok(Err("the snapshot was taken from another database".into()));
            }
        }
        let docs = match self.search.load_files(opened) {
            Ok(n) => n,
            Err(why) => return Ok(Err(why)),
        };
        *self.search.indexed_seq.lock().map_err(|_| CoreError::Internal("search poisoned".into()))? = at.seq;
        self.search.set_ready();
        let caught_up = self.refresh_search().await?;
        let mut ev = Ctx::system("search").event(self.now(), "load_search_snapshot", "ok", "search_index", "");
        ev.details = serde_json::json!({ "seq": at.seq, "docs": docs, "caught_up": caught_up }).to_string();
        self.append(&ev).await?;
        Ok(Ok(docs))
    }

    /// Whether the search index has been built since start-up.
    pub fn search_ready(&self) -> bool {
        self.search.is_ready()
    }

    /// Index whatever changed since the last refresh, as told by the audit trail.
    pub async fn refresh_search(&self) -> CoreResult<usize> {
        if !self.search.is_ready() {
            return Ok(0);
        }
        let mut from = *self.search.indexed_seq.lock().map_err(|_| CoreError::Internal("search poisoned".into()))?;
        let mut total = 0;
        loop {
            let entries = self.store.audit_after(from, 1_000).await?;
            let Some(last) = entries.last().map(|e| e.seq) else { break };
            let mut todo: Vec<(String, String)> = Vec::new();
            let mut queued: std::collections::HashSet<(String, String)> = std::collections::HashSet::new();
            for e in &entries {
                let kind = e.event.record_type.as_str();
                if e.event.outcome != "ok" || e.event.record_id.is_empty() || !changes_text(&e.event.action) {
                    continue;
                }
                let mut keys = Vec::new();
                match kind {
                    "person" | "report" => keys.push((kind.to_owned(), e.event.record_id.clone())),
                    "case" => {
                        // A share or link changes who may find the case's persons too.
                        keys.push(("case".to_owned(), e.event.record_id.clone()));
                        let sub = RowFilter { subject_ids: vec![e.event.record_id.clone()], ..Default::default() };
                        let links = rows::find::<CaseLink>(&*self.store, &sub).await?;
                        keys.extend(links.into_iter().map(|l| ("person".to_owned(), l.person.to_string())));
                    }
                    "referral" => {
                        if let Some(r) = crate::rows::get::<Referral>(&*self.store, &e.event.record_id).await? {
                            keys.push(("person".to_owned(), r.person.to_string()));
                        }
                    }
                    // A bulk import is one audit event for the whole file (all or nothing): index
                    // every person and case of the organisation it went into, or the imported
                    // records would stay unfindable until a restart (and people would record
                    // them again).
                    "organisation" if e.event.action == "import_htcds" => {
                        if let Some(org) = amparo_domain::OrgId::parse(&e.event.record_id) {
                            keys.extend(self.store.list_persons(&org).await?.into_iter().map(|p| ("person".to_owned(), p.id.to_string())));
                            let own = RowFilter { orgs: vec![org], ..Default::default() };
                            keys.extend(
                                self.store.find_rows(RecordTable::Cases, &own).await?.into_iter().map(|c| ("case".to_owned(), c.id)),
                            );
                        }
                    }
                    _ => {}
                }
                for key in keys {
                    if queued.insert(key.clone()) {
                        todo.push(key);
                    }
                }
            }
            let mut docs = Vec::new();
            for (kind, id) in &todo {
                if let Some(d) = self.search_doc(kind, id).await? {
                    docs.push(d);
                }
            }
            if !docs.is_empty() {
                self.search.upsert(&docs).map_err(CoreError::Internal)?;
            }
            total += docs.len();
            from = last;
            let mut seq = self.search.indexed_seq.lock().map_err(|_| CoreError::Internal("search poisoned".into()))?;
            if *seq < last {
                *seq = last;
            }
        }
        Ok(total)
    }

    /// May the caller open this hit? Uses the same relations as the record's own page, with
    /// the pure policy (a refusal here is not an access attempt, so it is not audited).
    async fn may_open(&self, ctx: &Ctx, kind: &str, id: &str, known: &Known) -> CoreResult<Option<SearchHit>> {
        let Some(actor) = &ctx.actor else { return Ok(None) };
        match kind {
            "person" => {
                let Some(p) = known.persons.get(id) else { return Ok(None) };
                // Referred to the caller's organisation: `Shared`, as `person_relation` would
                // say, without asking again; anyone else is asked as always.
                let rel = if ctx.org_id() != Some(&p.org_id) && known.referred.contains(id) {
                    Relation::Shared
                } else {
                    self.scope().person_relation(ctx, &p.id, &p.org_id).await?
                };
                Ok(authorize(actor, Action::ListPersons, rel).is_ok().then(|| SearchHit {
                    kind: "person".into(),
                    id: id.into(),
                    label: p.code.clone(),
                    link: format!("/persons/{id}"),
                }))
            }
            "report" => {
                let Some(r) = rows::get::<Report>(&*self.store, id).await? else { return Ok(None) };
                let rel = self.scope().report_relation(ctx, &r.queue, r.taken_by.as_ref()).await?;
                let label = r.reference.clone().unwrap_or_else(|| id.get(..8).unwrap_or("").to_uppercase());
                Ok(authorize(actor, Action::ViewReports, rel).is_ok().then(|| SearchHit {
                    kind: "report".into(),
                    id: id.into(),
                    label,
                    link: format!("/reports/{id}"),
                }))
            }
            "case" => {
                let Some(c) = crate::rows::get::<crate::rows::case::Case>(&*self.store, id).await? else { return Ok(None) };
                // Most hits belong to other organisations: skip the share lookup for cases that
                // are neither ours nor shared with us (the full check below still decides).
                if ctx.org_id() != Some(&c.org_id) && !known.shared_cases.contains(id) {
                    return Ok(None);
                }
                let access = self.scope().case_access(ctx, &c).await?;
                let label = c.reference.clone();
                // A share that hides identities does not let names lead to the case either;
                // the case itself is still found by its title and notes.
                Ok(authorize(actor, Action::ViewCase, access.relation).is_ok().then(|| SearchHit {
                    kind: "case".into(),
                    id: id.into(),
                    label,
                    link: format!("/cases/{id}"),
                }))
            }
            _ => Ok(None),
        }
    }

    /// What the hits' checks need, read for all of them at once: the persons hit, which of
    /// them are referred to the caller's organisation (a referral that counts), and which of
    /// the cases hit are shared with it. Three queries for up to 500 hits, where each hit
    /// used to cost its own (a shelter's search is almost all persons referred to it).
    async fn known_about(&self, ctx: &Ctx, raw: &[(String, String)]) -> CoreResult<Known> {
        let of = |kind: &str| raw.iter().filter(|(k, _)| k == kind).map(|(_, id)| id.clone()).collect::<Vec<String>>();
        let (person_ids, case_ids) = (of("person"), of("case"));
        let mut known = Known::default();
        let Some(org) = ctx.org_id() else { return Ok(known) };
        if !person_ids.is_empty() {
            known.persons = self.store.persons_by_ids(&person_ids).await?.into_iter().map(|p| (p.id.to_string(), p)).collect();
            let counting: Vec<String> = amparo_domain::protection::ReferralStatus::ALL
                .iter()
                .filter(|s| s.counts_as_referred())
                .map(|s| s.as_str().into())
                .collect();
            // By person, then by recipient here (asked with the recipient, the database would
            // walk every referral the organisation ever received).
            let f = RowFilter { subject_ids: person_ids, statuses: counting, ..Default::default() };
            known.referred = rows::find::<Referral>(&*self.store, &f)
                .await?
                .into_iter()
                .filter(|r| &r.to_org == org)
                .map(|r| r.person.to_string())
                .collect();
        }
        if !case_ids.is_empty() {
            let f = RowFilter { subject_ids: case_ids, statuses: vec![ShareStatus::Granted.as_str().into()], ..Default::default() };
            known.shared_cases =
                rows::find::<Share>(&*self.store, &f).await?.into_iter().filter(|s| &s.to_org == org).map(|s| s.case_id).collect();
        }
        Ok(known)
    }

    /// Search what the caller may open. At most `limit` hits; inaccessible records are not
    /// counted, shown or hinted at.
    pub async fn search(&self, ctx: &Ctx, q: &str, limit: usize) -> CoreResult<Vec<SearchHit>> {
        let q = q.trim();
        if q.chars().count() < 2 || q.chars().count() > 200 {
            return Err(CoreError::field("q", "search_query_length"));
        }
        ctx.user().ok_or(CoreError::Unauthenticated)?;
        if !self.search.is_ready() {
            return Err(CoreError::field("q", "search_index_building"));
        }
        self.refresh_search().await?;
        // The caller's organisation and those below it (reports of sub-units are readable).
        let Some(my_org) = ctx.org_id() else { return Ok(vec![]) };
        let parents = self.org_parents().await?;
        let mine: Vec<String> = parents
            .keys()
            .filter(|o| amparo_domain::org::is_within(o, my_org, |x| parents.get(x).cloned().flatten()))
            .map(ToString::to_string)
            .collect();
        let raw = self.search.query(q, &mine, 500).map_err(CoreError::Internal)?;
        // A kind of record the caller's roles may not open under any relation is never a
        // hit: skipped before any is read (an administrator's search used to read hundreds
        // of persons only to refuse each).
        let actor = ctx.actor.as_ref().ok_or(CoreError::Unauthenticated)?;
        let relations = [Relation::SameOrg, Relation::SubOrg, Relation::Shared, Relation::Assigned];
        let may_ever = |a: Action| relations.iter().any(|r| authorize(actor, a, *r).is_ok());
        let openable =
            [("person", may_ever(Action::ListPersons)), ("report", may_ever(Action::ViewReports)), ("case", may_ever(Action::ViewCase))];
        let candidates: Vec<(String, String)> =
            raw.into_iter().filter(|(kind, _)| openable.iter().any(|(k, ok)| *ok && k == kind)).collect();
        // Checked a chunk at a time, in rank order: what a chunk's checks need is read at once,
        // and no more chunks are read than the page needs.
        let limit = limit.clamp(1, 100);
        let mut out = Vec::new();
        for chunk in candidates.chunks(limit.max(20)) {
            let known = self.known_about(ctx, chunk).await?;
            for (kind, id) in chunk {
                if out.len() >= limit {
                    break;
                }
                if let Some(hit) = self.may_open(ctx, kind, id, &known).await? {
                    out.push(hit);
                }
            }
            if out.len() >= limit {
                break;
            }
        }
        let mut ev = ctx.event(self.now(), "search", "ok", "search", "");
        ev.details = serde_json::json!({ "results": out.len() }).to_string();
        self.append(&ev).await?;
        Ok(out)
    }
}
