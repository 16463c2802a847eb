//! The record-linkage job: decrypts every person *in memory only* into the engine's table,
//! runs the `amparo-linkage` engine (in full on demand, incrementally for persons new or
//! changed since the last run, with the model learnt in the last full run), and writes the
//! candidate pairs to the review queue of `linkage.rs`.
//!
//! It is bounded at any size, because it runs inside every server: persons are read a page
//! at a time; the table is kept between runs, so a step after someone edits one person
//! decrypts that person, not everyone; a step asks the store only whether anything changed;
//! the engine's pair budget bounds blocking; a run queues at most `MAX_CANDIDATES_PER_RUN`
//! new pairs; rows are written a chunk per transaction.

use super::Linkage;
use super::queue::{ALERTABLE, Contribution, REVIEW_THRESHOLD, ordered, reference_model};
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::random::RandomExt;
use crate::rows::person_match::{MatchAttrs, MatchStatus, PairState, PersonMatch};
use crate::rows::{self, Row, Stamp};
use crate::store::{Batch, PersonRecord, RowFilter};
use amparo_domain::person::{Identity, PersonRole};
use amparo_domain::policy::{Action, Relation};
use amparo_domain::{OrgId, PersonId, Timestamp};
use amparo_linkage::data::Table;
use amparo_linkage::model::Model;
use amparo_linkage::run::{Options, link_table};
use amparo_linkage::{LinkConfig, Mode};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

/// Persons read and decrypted at a time: reading all of them at once took gigabytes at a
/// million cases.
const PERSONS_PAGE: usize = 5_000;

/// A run queues at most this many *new* candidate pairs, the most probable first. A review
/// queue of millions helps no one, and writing them would take gigabytes; a run that finds
/// more says so (`over_limit`), and the next full run ("Run linkage now") queues the next
/// ones, as the pairs already stored do not count against the limit.
pub const MAX_CANDIDATES_PER_RUN: usize = 100_000;

/// A stored pair's score is rewritten only when it moves by at least this much (half a
/// percentage point, what the queue shows): a full run relearns the model, which moves
/// every score by a hair, and rewriting half a million rows for that took minutes.
const RESCORE_MIN_CHANGE: f64 = 0.005;

/// Up to this many changed persons, a step reads only their stored pairs (two indexed
/// queries per person at most); beyond, every pair, lean.
const FOCUSED_READ_MAX: usize = 500;

/// The job lease a linking server holds: one server links at a time (each would decrypt
/// everyone, and they would race to store and rescore the same pairs).
pub(super) const LINKAGE_LEASE: &str = "linkage";
/// How long the lease lasts without renewal (it is renewed every third of it while a run
/// goes on, so this is how long a server that died holding it blocks the others).
pub(super) const LINKAGE_LEASE_SECS: i64 = 120;

/// Candidate rows written per transaction: memory stays bounded, and each chunk holds its
/// pairs with their alerts, so a failed run leaves no pair without its alert.
const WRITE_CHUNK: usize = 2_000;

/// The job's memory between runs: where the last run stopped, what it learnt, and the
/// engine's table of every person.
#[derive(Default)]
pub struct LinkageState {
    watermark: Option<Timestamp>,
    /// Persons already linked whose `updated_at` equals the watermark: timestamps are in
    /// seconds, so a record written in the same second as the last one seen is still new.
    seen_at_watermark: HashSet<String>,
    model: Option<Model>,
    /// The model was learnt by EM on this installation (not the reference fallback); until
    /// it is, every step is a full run, so the model is relearnt once there is enough data.
    learnt: bool,
    /// Kept between runs, in memory only (never written anywhere): the normalised names of
    /// every person. Re-reading and decrypting 2.76 million persons took over two minutes
    /// each time anyone changed anything.
    people: Option<People>,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct LinkRunSummary {
    /// "full" or "incremental".
    pub mode: &'static str,
    pub persons: usize,
    /// Persons new or changed since the last run (all of them in a full run).
    pub focus: usize,
    pub pairs_compared: usize,
    /// Blocks skipped because they were too large for the pair budget (the most common
    /// keys), and the pairs they would have given: a sign that the rules need tightening.
    pub skipped_blocks: usize,
    pub skipped_pairs: usize,
    pub candidates: usize,
    /// New candidates left out because a run queues at most `MAX_CANDIDATES_PER_RUN`.
    pub over_limit: usize,
    pub new_candidates: usize,
    pub withdrawn: usize,
    /// "em", "reference" (too few pairs to learn from: the shipped reference model), "prior"
    /// (the same, without a reference model) or "given" (the last full run's model).
    pub model: &'static str,
    pub millis: u128,
}

/// What the job keeps of each person besides the engine's table: nothing that names anyone.
struct Member {
    id: PersonId,
    org_id: OrgId,
    role: PersonRole,
    updated_at: Timestamp,
}

impl Member {
    fn of(p: &PersonRecord) -> Self {
        Self { id: p.id.clone(), org_id: p.org_id.clone(), role: p.role, updated_at: p.updated_at }
    }
}

/// One person's values for the engine, field by field and column by column.
fn person_values(cfg: &LinkConfig, p: &PersonRecord, identity: &Identity) -> Vec<Vec<String>> {
    cfg.fields.iter().map(|f| f.columns.iter().map(|c| column(p, identity, c)).collect()).collect()
}

/// The engine's table of every person, and who each row is.
struct People {
    table: Table,
    members: Vec<Member>,
    /// (hash of the person id, row), sorted: a row found by id in a few bytes a person,
    /// where a map of id strings would take hundreds of megabytes at a million cases.
    index: Vec<(u64, u32)>,
}

fn id_hash(id: &str) -> u64 {
    let mut h = DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

impl People {
    fn new(cfg: &LinkConfig) -> Self {
        Self { table: Table::for_config(cfg), members: Vec::new(), index: Vec::new() }
    }

    /// The row of a person, if the table holds them.
    fn row(&self, id: &str) -> Option<usize> {
        let h = id_hash(id);
        let start = self.index.partition_point(|(x, _)| *x < h);
        self.index
            .get(start..)?
            .iter()
            .take_while(|(x, _)| *x == h)
            .map(|(_, r)| *r as usize)
            .find(|r| self.members.get(*r).is_some_and(|m| m.id.as_str() == id))
    }

    /// Add a person, or replace their row if they are already in the table; returns the row.
    fn put(&mut self, cfg: &LinkConfig, p: &PersonRecord, identity: &Identity) -> usize {
        let values = person_values(cfg, p, identity);
        let values: Vec<Vec<&str>> = values.iter().map(|v| v.iter().map(String::as_str).collect()).collect();
        if let Some(r) = self.row(p.id.as_str()) {
            self.table.set(cfg, r, &values);
            if let Some(slot) = self.members.get_mut(r) {
                *slot = Member::of(p);
            }
            return r;
        }
        let key = self.append(cfg, p, &values);
        let at = self.index.partition_point(|x| *x < key);
        self.index.insert(at, key);
        key.1 as usize
    }

    /// Add a person known to be new, leaving the index unsorted (a full read sorts it once
    /// at the end: inserting in order would move the whole index for every person).
    fn append(&mut self, cfg: &LinkConfig, p: &PersonRecord, values: &[Vec<&str>]) -> (u64, u32) {
        let r = self.members.len();
        self.table.push(cfg, &r.to_string(), 0, values);
        self.members.push(Member::of(p));
        let key = (id_hash(p.id.as_str()), u32::try_from(r).unwrap_or(u32::MAX));
        self.index.push(key);
        key
    }
}

/// The engine's columns for one person (names as in `data/linkage/persons.toml`). Without a
/// date of birth, an approximate age gives a year of birth (the year recorded minus the
/// age), which the engine compares as a partial date: most victims have no document and
/// no known birthday, and without it they could never be blocked together.
fn column(rec: &PersonRecord, identity: &Identity, name: &str) -> String {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    match name {
        "given_names" => o(&identity.given_names),
        "first_surname" => o(&identity.first_surname),
        "second_surname" => o(&identity.second_surname),
        "date_of_birth" => match (&identity.birth_date, rec.approx_age) {
            (Some(d), _) => d.clone(),
            (None, Some(age)) => (i64::from(crate::usecases::statistics::year_of(rec.created_at)) - age).to_string(),
            (None, None) => String::new(),
        },
        "document_number" => o(&identity.document_number),
        "origin_ubigeo" => o(&rec.profile.origin_area),
        // "unknown" and "other" say nothing about whether two records are one person.
        "sex" => rec.sex.clone().filter(|s| s == "female" || s == "male").unwrap_or_default(),
        _ => String::new(),
    }
}

fn config() -> CoreResult<LinkConfig> {
    LinkConfig::parse(super::queue::PERSON_CONFIG).map_err(|e| CoreError::Internal(format!("linkage config: {e}")))
}

impl LinkageState {
    fn is_new(&self, id: &str, updated_at: Timestamp) -> bool {
        match self.watermark {
            None => true,
            Some(w) => updated_at > w || (updated_at == w && !self.seen_at_watermark.contains(id)),
        }
    }
}

/// What a run has yet to write, a chunk at a time.
#[derive(Default)]
struct Writes {
    /// New candidate rows.
    batch: Batch,
    /// The cross-agency alerts the new rows raise.
    alerts: Vec<(PersonId, PersonId)>,
    /// Stored pairs whose score moved (lean read, new probability, contributions).
    rescore: Vec<(PairState, f64, Vec<Contribution>)>,
    /// Stored pending pairs that no longer score (lean reads).
    withdraw: Vec<PairState>,
}

impl Writes {
    fn len(&self) -> usize {
        self.batch.inserts.len() + self.batch.updates.len() + self.rescore.len() + self.withdraw.len()
    }
}

/// The stored pairs, by the engine's record numbers (smaller first): they are always
/// re-scored, and do not count against `MAX_CANDIDATES_PER_RUN`.
fn known_pairs(people: &People, by_pair: &HashMap<(String, String), PairState>) -> HashSet<(usize, usize)> {
    by_pair
        .keys()
        .filter_map(|(l, r)| {
            let (i, j) = (people.row(l)?, people.row(r)?);
            Some((i.min(j), i.max(j)))
        })
        .collect()
}

impl Linkage {
    /// The background job's step: link persons recorded or changed since the last run.
    /// Returns `None` when nothing changed, or when another server is linking (one at a
    /// time, by a job lease). The first run in a process is a full one.
    pub async fn linkage_tick(&self) -> CoreResult<Option<LinkRunSummary>> {
        let ctx = Ctx::system(&self.new_operation_id());
        self.authorize(&ctx, Action::RunLinkage, Relation::OwnOrgScope, "person_match", "").await?;
        let mut state = self.linkage.lock().await;
        let mut changed = Vec::new();
        if let (Some(w), true) = (state.watermark, state.model.is_some()) {
            // Only the persons changed since the last run are read to find out.
            changed = self.store.persons_changed_since(w).await?;
            changed.retain(|(id, at)| state.is_new(id.as_str(), *at));
            if changed.is_empty() {
                return Ok(None);
            }
        }
        let full = state.model.is_none() || !state.learnt;
        let Some(lease) = self.try_lease(LINKAGE_LEASE, LINKAGE_LEASE_SECS).await? else {
            // Another server is linking; what changed is still new here at the next tick.
            tracing::info!("linkage: another server is linking now; this one tries again at its next tick");
            return Ok(None);
        };
        let ids: Vec<PersonId> = changed.into_iter().map(|(id, _)| id).collect();
        let out = self.link(&ctx, &mut state, full, &ids).await;
        lease.release().await;
        out.map(Some)
    }

    /// Decrypt every person, a page at a time, into a new table: the identities live only
    /// in this loop.
    async fn read_people(&self, cfg: &LinkConfig) -> CoreResult<People> {
        let mut people = People::new(cfg);
        let mut after: Option<PersonId> = None;
        loop {
            let page = self.store.persons_page(after.as_ref(), PERSONS_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id.clone());
            for p in &page {
                // Ids are unique and read once each: every person is new to this table.
                let values = person_values(cfg, p, &self.scope().open_identity(p)?);
                people.append(cfg, p, &values.iter().map(|v| v.iter().map(String::as_str).collect::<Vec<_>>()).collect::<Vec<_>>());
            }
            if page.len() < PERSONS_PAGE {
                break;
            }
        }
        people.index.sort_unstable();
        // The raw spellings are only needed while filling the table (new and changed persons
        // are prepared afresh).
        people.table.seal();
        Ok(people)
    }

    /// The table for this run, and which rows to link: everyone in a full run (read afresh);
    /// in a step, the persons changed since the last run, updated in the kept table.
    async fn people_for_run(
        &self,
        cfg: &LinkConfig,
        state: &mut LinkageState,
        full: bool,
        changed: &[PersonId],
    ) -> CoreResult<(People, Vec<bool>)> {
        if let (false, Some(mut people)) = (full, state.people.take()) {
            let ids: Vec<String> = changed.iter().map(ToString::to_string).collect();
            let mut rows = Vec::new();
            for p in self.store.persons_by_ids(&ids).await? {
                rows.push(people.put(cfg, &p, &self.scope().open_identity(&p)?));
            }
            let mut focus = vec![false; people.members.len()];
            for r in rows {
                if let Some(f) = focus.get_mut(r) {
                    *f = true;
                }
            }
            return Ok((people, focus));
        }
        let people = self.read_people(cfg).await?;
        let focus = people.members.iter().map(|m| full || state.is_new(m.id.as_str(), m.updated_at)).collect();
        Ok((people, focus))
    }

    /// One run: in full (everyone, the model relearnt) or a step about `changed`. The
    /// caller holds the job's lock and has authorized the run.
    pub(super) async fn link(&self, ctx: &Ctx, state: &mut LinkageState, full: bool, changed: &[PersonId]) -> CoreResult<LinkRunSummary> {
        let started = std::time::Instant::now();
        let cfg = config()?;
        // The decryption of persons is a read of personal data: audited before it happens
        // (the result is a last event, with the counts).
        self.append(&ctx.event(self.now(), "link_persons_start", "ok", "person_match", "")).await?;
        let (people, focus) = self.people_for_run(&cfg, state, full, changed).await?;
        tracing::info!(
            persons = people.members.len(),
            full,
            millis = started.elapsed().as_millis(),
            "linkage: persons in the engine's table"
        );
        let focused: Vec<&str> = people.members.iter().zip(&focus).filter(|(_, f)| **f).map(|(m, _)| m.id.as_str()).collect();
        let existing = self.stored_pairs(full, &focused).await?;
        let mut by_pair: HashMap<(String, String), PairState> =
            existing.into_iter().map(|p| ((p.left.clone(), p.right.clone()), p)).collect();
        let known = known_pairs(&people, &by_pair);
        let model = if full { None } else { state.model.clone() };
        let reference = reference_model(&cfg);
        let People { table, members, index } = people;
        let focus_for_engine = focus.clone();
        let (out, table) = tokio::task::spawn_blocking(move || {
            let known = |i: usize, j: usize| known.contains(&(i.min(j), i.max(j)));
            let opts = Options {
                threshold: Some(REVIEW_THRESHOLD),
                focus: if full { None } else { Some(&focus_for_engine) },
                model: model.as_ref(),
                fallback: reference.as_ref(),
                explain: true,
                max_links: Some(MAX_CANDIDATES_PER_RUN),
                known: Some(&known),
            };
            let out = link_table(&cfg, &table, Mode::Dedupe, &opts, &|_| {});
            (out, table)
        })
        .await
        .map_err(CoreError::internal)?;
        let out = out.map_err(|e| CoreError::Internal(format!("linkage: {e}")))?;
        let phases: Vec<String> = out.timings.iter().map(|(name, d)| format!("{name} {:.1}s", d.as_secs_f64())).collect();
        tracing::info!(
            pairs_compared = out.pairs_compared,
            candidates = out.pairs.len(),
            over_limit = out.links_over_limit,
            phases = %phases.join(", "),
            "linkage: engine done"
        );
        if out.skipped_blocks > 0 {
            tracing::warn!(
                skipped_blocks = out.skipped_blocks,
                skipped_pairs = out.skipped_pairs,
                largest_block = out.largest_block,
                "linkage: blocks over the pair budget were skipped (max_pairs in data/linkage/persons.toml); some true matches may be missed"
            );
        }
        if out.links_over_limit > 0 {
            tracing::warn!(
                over_limit = out.links_over_limit,
                queued = out.pairs.len(),
                "linkage: more new candidate pairs than a run queues; the most probable were queued, and the next full run (Run linkage now) queues the next ones"
            );
        }

        let member_at = |id: &str| id.parse::<usize>().ok().and_then(|k| members.get(k));
        let mut w = Writes::default();
        let mut seen: HashSet<(String, String)> = HashSet::new();
        let mut notify: HashSet<OrgId> = HashSet::new();
        let (mut new_candidates, mut written) = (0, 0);
        for ((a, b, p), contributions) in out.pairs.iter().zip(out.explanations.iter()) {
            let (Some(ma), Some(mb)) = (member_at(a), member_at(b)) else { continue };
            let (l, _) = ordered(ma.id.as_str(), mb.id.as_str());
            let (left, right) = if l == ma.id.as_str() { (ma, mb) } else { (mb, ma) };
            let key = (left.id.to_string(), right.id.to_string());
            seen.insert(key.clone());
            let contributions: Vec<Contribution> = contributions
                .iter()
                .map(|c| Contribution { field: c.field.clone(), level: c.level.to_owned(), weight: (c.weight * 100.0).round() / 100.0 })
                .collect();
            match by_pair.remove(&key) {
                None => {
                    new_candidates += 1;
                    let pair = PersonMatch {
                        id: self.random.new_id(),
                        left: left.id.clone(),
                        left_org: left.org_id.clone(),
                        right: right.id.clone(),
                        right_org: right.org_id.clone(),
                        status: MatchStatus::Pending,
                        attrs: MatchAttrs { probability: *p, contributions, decisions: vec![] },
                        sealed: None,
                        stamp: Stamp::new(self.now(), "system"),
                    };
                    notify.extend([left.org_id.clone(), right.org_id.clone()]);
                    w.batch.inserts.push(rows::entry(&pair)?);
                    if left.org_id != right.org_id && ALERTABLE.contains(&left.role) && ALERTABLE.contains(&right.role) {
                        w.alerts.push((left.id.clone(), right.id.clone()));
                    }
                }
                Some(lean) if matches!(lean.status, MatchStatus::Pending | MatchStatus::Withdrawn) => {
                    let stored = lean.probability;
                    if stored.is_none_or(|old| (old - p).abs() >= RESCORE_MIN_CHANGE) || lean.status == MatchStatus::Withdrawn {
                        w.rescore.push((lean, *p, contributions));
                    }
                }
                // A person's decision stands whatever the engine now says.
                Some(_) => {}
            }
            if w.len() >= WRITE_CHUNK {
                written += self.write_matches(ctx, &mut w).await?;
            }
        }
        // Pending candidates about the persons looked at that no longer score: withdrawn (the
        // stored pairs are never left out by the limit, so an unseen one no longer scores).
        let looked_at: HashSet<&str> = members.iter().zip(focus.iter()).filter(|(_, f)| **f).map(|(m, _)| m.id.as_str()).collect();
        let mut withdrawn = 0;
        for (key, lean) in by_pair {
            if lean.status == MatchStatus::Pending
                && !seen.contains(&key)
                && (looked_at.contains(key.0.as_str()) || looked_at.contains(key.1.as_str()))
            {
                withdrawn += 1;
                w.withdraw.push(lean);
                if w.len() >= WRITE_CHUNK {
                    written += self.write_matches(ctx, &mut w).await?;
                }
            }
        }
        written += self.write_matches(ctx, &mut w).await?;
        let mut batch = Batch::default();
        if new_candidates > 0 || withdrawn > 0 {
            for org in notify {
                batch.inserts.push(self.notify(&org, "match_review", "/matches"));
            }
        }
        let summary = LinkRunSummary {
            mode: if full { "full" } else { "incremental" },
            persons: members.len(),
            focus: focus.iter().filter(|f| **f).count(),
            pairs_compared: out.pairs_compared,
            skipped_blocks: out.skipped_blocks,
            skipped_pairs: out.skipped_pairs,
            candidates: out.pairs.len(),
            over_limit: out.links_over_limit,
            new_candidates,
            withdrawn,
            model: out.model_source,
            millis: started.elapsed().as_millis(),
        };
        tracing::debug!(written, "linkage: candidate rows written in chunks");
        let mut ev = ctx.event(self.now(), "link_persons", "ok", "person_match", "");
        ev.details = serde_json::to_string(&summary).unwrap_or_default();
        self.commit(&batch, &ev).await?;
        if full || state.model.is_none() {
            // The term-frequency tables hold everyone's names: not kept between runs (they are
            // recomputed from the table each time).
            state.model = out.model.map(|m| Model {
                fields: m.fields.into_iter().map(|f| amparo_linkage::model::FieldModel { tf: None, ..f }).collect(),
                ..m
            });
            state.learnt = out.model_source == "em";
        }
        if let Some(w) = members.iter().map(|m| m.updated_at).max() {
            state.seen_at_watermark = members.iter().filter(|m| m.updated_at == w).map(|m| m.id.to_string()).collect();
            state.watermark = Some(w);
        }
        state.people = Some(People { table, members, index });
        Ok(summary)
    }

    /// The stored pairs a run may touch. A step about a few persons reads only theirs, by
    /// the two indexed person columns; otherwise every pair, lean (ids, status and
    /// probability; a row is read whole only when the run changes it): reading every pair
    /// whole took 13 s at 500,000 pairs, and even lean took that long on every step.
    async fn stored_pairs(&self, full: bool, focused: &[&str]) -> CoreResult<Vec<PairState>> {
        let lean = |found: Vec<crate::store::RecordRow>| found.iter().map(PairState::from_lean).collect::<CoreResult<Vec<_>>>();
        if full || focused.len() > FOCUSED_READ_MAX {
            return lean(self.store.stat_rows(PersonMatch::TABLE, &["probability"]).await?);
        }
        let ids: Vec<String> = focused.iter().map(|id| (*id).to_owned()).collect();
        let mut pairs = lean(self.store.find_rows(PersonMatch::TABLE, &RowFilter { subject_ids: ids, ..RowFilter::default() }).await?)?;
        for id in focused {
            let filter = RowFilter { lookup: Some((*id).to_owned()), ..RowFilter::default() };
            pairs.extend(lean(self.store.find_rows(PersonMatch::TABLE, &filter).await?)?);
        }
        // A pair of two focused persons comes twice.
        let mut seen = HashSet::new();
        pairs.retain(|r| seen.insert(r.id.clone()));
        Ok(pairs)
    }

    /// Write a chunk: new candidate rows with the cross-agency alerts they raise, and the
    /// stored pairs rescored or withdrawn (read whole in one query for the chunk), in one
    /// transaction with one audit event. Empties `w`; returns the rows written.
    async fn write_matches(&self, ctx: &Ctx, w: &mut Writes) -> CoreResult<usize> {
        if w.len() == 0 {
            return Ok(0);
        }
        let mut batch = std::mem::take(&mut w.batch);
        if !w.rescore.is_empty() || !w.withdraw.is_empty() {
            let subjects: HashSet<String> = w.rescore.iter().map(|r| &r.0).chain(&w.withdraw).map(|r| r.left.clone()).collect();
            let filter = RowFilter { subject_ids: subjects.into_iter().collect(), ..RowFilter::default() };
            let mut whole: HashMap<String, PersonMatch> =
                rows::find::<PersonMatch>(&*self.store, &filter).await?.into_iter().map(|m| (m.id.clone(), m)).collect();
            let now = self.now();
            for (lean, probability, contributions) in w.rescore.drain(..) {
                // A decision taken since the run began stands.
                let undecided = |m: &PersonMatch| matches!(m.status, MatchStatus::Pending | MatchStatus::Withdrawn);
                let Some(m) = whole.remove(&lean.id).filter(undecided) else { continue };
                let attrs = MatchAttrs { probability, contributions, ..m.attrs.clone() };
                batch.updates.push(rows::entry(&PersonMatch { status: MatchStatus::Pending, attrs, stamp: m.stamp.next(now), ..m })?);
            }
            for lean in w.withdraw.drain(..) {
                let Some(m) = whole.remove(&lean.id).filter(|m| m.status == MatchStatus::Pending) else { continue };
                batch.updates.push(rows::entry(&PersonMatch { status: MatchStatus::Withdrawn, stamp: m.stamp.next(now), ..m })?);
            }
        }
        if !w.alerts.is_empty() {
            let ids: Vec<String> = w.alerts.iter().flat_map(|(l, r)| [l.to_string(), r.to_string()]).collect();
            let persons: HashMap<String, PersonRecord> =
                self.store.persons_by_ids(&ids).await?.into_iter().map(|p| (p.id.to_string(), p)).collect();
            for (l, r) in w.alerts.drain(..) {
                if let (Some(l), Some(r)) = (persons.get(l.as_str()), persons.get(r.as_str())) {
                    batch.inserts.extend(
                        self.coordination().match_alert_rows(l, &[(r.clone(), crate::rows::alert::AlertBasis::RecordLinkage)]).await?,
                    );
                }
            }
        }
        let rows = batch.inserts.len() + batch.updates.len();
        if rows > 0 {
            let mut ev = ctx.event(self.now(), "link_persons_write", "ok", "person_match", "");
            ev.details = format!("{{\"rows\":{rows}}}");
            self.commit(&batch, &ev).await?;
        }
        Ok(rows)
    }
}
