//! Record linkage in the product: the same victim or suspect recorded by the hotline, the
//! police, the prosecutor and a shelter, each spelling the name their own way.
//!
//! A job decrypts every person *in memory only*, runs the `amparo-linkage` engine over them
//! (in full on demand, incrementally for records new or changed since the last run, with the
//! model learnt in the last full run), and stores candidate pairs in `person_matches` with
//! their score and field-by-field contributions — never a name. People decide: confirming
//! makes the row a link (status `linked`), which can be undone (`unlinked`); no record is ever
//! merged or changed. Only users whose organisation may see *both* persons see identities and
//! decide; everyone else with one side sees "a match needs review by organisation X".
//!
//! Cross-organisation candidates about victims or suspects also raise the cross-agency
//! alerts of `alerts.rs` through `raise_match_alerts`, and `person_groups` turns confirmed
//! links (plus equal document numbers) into "count this person once" for statistics.

use crate::Amparo;
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::random::RandomExt;
use crate::records::{attrs, to_json};
use crate::store::{Batch, PersonRecord, RecordRow, RecordTable, RowFilter};
use amparo_domain::person::{Identity, PersonRole};
use amparo_domain::policy::{Action, Relation};
use amparo_domain::{OrgId, PersonId, Timestamp};
use amparo_linkage::data::Table;
use amparo_linkage::model::Model;
use amparo_linkage::run::{Options, link_table};
use amparo_linkage::{LinkConfig, Mode};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The shipped configuration for Amparo's person schema (also used by the benchmark).
pub const PERSON_CONFIG: &str = include_str!("../../../../data/linkage/persons.toml");

/// m, u and λ learnt by the engine on the seeded synthetic Peruvian set of 100,000 persons
/// (`amparo link dedupe --config data/linkage/persons.toml … --model-out`). Used while an
/// installation has too few persons for EM to learn from its own data.
const REFERENCE_MODEL: &str = include_str!("../../../../data/linkage/persons-model.json");

/// Candidate pairs at or above this probability go to the review queue. Lower than the
/// engine's 0.5: a person decides, and a missed link double-counts a victim.
pub const REVIEW_THRESHOLD: f64 = 0.3;

/// The job's memory between runs: where the last run stopped and what it learnt.
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
}

#[derive(Clone, Debug, Serialize)]
pub struct LinkRunSummary {
    /// "full" or "incremental".
    pub mode: &'static str,
    pub persons: usize,
    /// Persons new or changed since the last run (all of them in a full run).
    pub focus: usize,
    pub pairs_compared: usize,
    pub candidates: usize,
    pub new_candidates: usize,
    pub withdrawn: usize,
    /// "em", "reference" (too few pairs to learn from: the shipped reference model), "prior"
    /// (the same, without a reference model) or "given" (the last full run's model).
    pub model: &'static str,
    pub millis: u128,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Contribution {
    pub field: String,
    pub level: String,
    /// Bits of evidence: positive for a match, negative against, 0 when a value is missing.
    pub weight: f64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct MatchAttrs {
    probability: f64,
    contributions: Vec<Contribution>,
    #[serde(default)]
    decisions: Vec<MatchDecision>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MatchDecision {
    pub decision: String,
    pub by: String,
    pub at: Timestamp,
    /// Why. Free text may describe the person: sealed in the row, shown only to those who
    /// may decide.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

/// The decisions' free-text reasons, in order (sealed).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct MatchSecrets {
    reasons: Vec<String>,
}

/// A pair is shown to an organisation that sees only one of the two records only when the
/// engine is this sure: each such row tells someone where a similar person is held.
pub const ONE_SIDED_MIN_PROBABILITY: f64 = 0.8;

#[derive(Clone, Debug, Serialize)]
pub struct MatchSide {
    pub person_id: String,
    /// Empty when the caller may not see this person.
    pub code: String,
    pub org_id: OrgId,
    pub org_name: String,
    pub visible: bool,
    pub role: String,
    pub sex: String,
    pub approx_age: String,
    pub nationality: String,
    /// Only in the side-by-side view, and only when the caller may see both persons.
    pub identity: Option<Identity>,
}

#[derive(Clone, Debug, Serialize)]
pub struct MatchView {
    pub id: String,
    /// Only for those who may decide: re-reading a score after editing one's own record
    /// would otherwise let an insider probe the other record field by field.
    pub probability: Option<f64>,
    /// pending | linked | rejected | unlinked | withdrawn
    pub status: String,
    pub version: i64,
    pub left: MatchSide,
    pub right: MatchSide,
    pub contributions: Vec<Contribution>,
    pub decisions: Vec<MatchDecision>,
    /// The caller's organisation may see both persons, so may decide.
    pub can_decide: bool,
    /// When it may not: the organisations holding the side(s) it cannot see.
    pub review_by: Vec<String>,
}

const ALERTABLE: [PersonRole; 3] = [PersonRole::PossibleVictim, PersonRole::Victim, PersonRole::Suspect];

/// The reference model, if it fits the configuration field by field (name, kind, number of
/// levels); a model that does not fit would silently weigh the wrong fields.
pub fn reference_model(cfg: &LinkConfig) -> Option<Model> {
    let m: Model = match serde_json::from_str::<Option<Model>>(REFERENCE_MODEL) {
        Ok(Some(m)) => m,
        Ok(None) => return None,
        Err(e) => {
            tracing::warn!(error = %e, "the reference linkage model does not parse; using the generic prior");
            return None;
        }
    };
    let fits = m.fields.len() == cfg.fields.len()
        && m.fields
            .iter()
            .zip(&cfg.fields)
            .all(|(f, c)| f.name == c.name && f.kind == c.kind && f.m.len() == c.kind.levels() && f.u.len() == c.kind.levels());
    if !fits {
        tracing::warn!("the reference linkage model does not match data/linkage/persons.toml; using the generic prior");
    }
    fits.then_some(m)
}

fn config() -> CoreResult<LinkConfig> {
    LinkConfig::parse(PERSON_CONFIG).map_err(|e| CoreError::Internal(format!("linkage config: {e}")))
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

/// Persons grouped by record linkage and shared documents.
#[derive(Debug, Default)]
pub(crate) struct PersonGroups {
    /// The group of every person that is not the first of their group (others: their own id).
    pub group: HashMap<String, String>,
    /// Every person read (they share a document or have a confirmed link): (person id,
    /// organisation id).
    pub members: Vec<(String, String)>,
}

impl PersonGroups {
    pub fn of(&self, id: &str) -> String {
        self.group.get(id).cloned().unwrap_or_else(|| id.to_owned())
    }
}

/// The pair's row key: the two person ids in a fixed order.
fn ordered<'a>(a: &'a str, b: &'a str) -> (&'a str, &'a str) {
    if a <= b { (a, b) } else { (b, a) }
}

impl LinkageState {
    fn is_new(&self, p: &PersonRecord) -> bool {
        match self.watermark {
            None => true,
            Some(w) => p.updated_at > w || (p.updated_at == w && !self.seen_at_watermark.contains(p.id.as_str())),
        }
    }
}

impl Amparo {
    /// Link every person now, and learn the model afresh (coordinators, system admins).
    pub async fn run_linkage(&self, ctx: &Ctx) -> CoreResult<LinkRunSummary> {
        self.authorize(ctx, Action::RunLinkage, Relation::OwnOrgScope, "person_match", "").await?;
        let mut state = self.linkage.lock().await;
        let persons = self.store.list_all_persons().await?;
        self.link(ctx, &mut state, true, persons).await
    }

    /// The background job's step: link persons recorded or changed since the last run.
    /// Returns `None` when nothing changed. The first run in a process is a full one.
    pub async fn linkage_tick(&self) -> CoreResult<Option<LinkRunSummary>> {
        let ctx = Ctx::system(&self.new_operation_id());
        self.authorize(&ctx, Action::RunLinkage, Relation::OwnOrgScope, "person_match", "").await?;
        let mut state = self.linkage.lock().await;
        let persons = self.store.list_all_persons().await?;
        if state.model.is_some() && !persons.iter().any(|p| state.is_new(p)) {
            return Ok(None);
        }
        let full = state.model.is_none() || !state.learnt;
        self.link(&ctx, &mut state, full, persons).await.map(Some)
    }

    async fn link(&self, ctx: &Ctx, state: &mut LinkageState, full: bool, persons: Vec<PersonRecord>) -> CoreResult<LinkRunSummary> {
        let started = std::time::Instant::now();
        let cfg = config()?;
        let focus: Vec<bool> = persons.iter().map(|p| full || state.is_new(p)).collect();
        let watermark = persons.iter().map(|p| p.updated_at).max();
        // The decryption of every person is a read of personal data: audited before it happens
        // (the result is a second event, with the counts).
        self.append(&ctx.event(self.now(), "link_persons_start", "ok", "person_match", "")).await?;
        // Decrypt into the engine's table; the identities are dropped as soon as it is built.
        let mut table = Table::default();
        for (k, p) in persons.iter().enumerate() {
            let identity = self.open_identity(p)?;
            let owned: Vec<Vec<String>> = cfg.fields.iter().map(|f| f.columns.iter().map(|c| column(p, &identity, c)).collect()).collect();
            let values: Vec<Vec<&str>> = owned.iter().map(|v| v.iter().map(String::as_str).collect()).collect();
            table.push(&cfg, &k.to_string(), 0, &values);
        }
        let model = if full { None } else { state.model.clone() };
        let reference = reference_model(&cfg);
        let focus_for_engine = focus.clone();
        let out = tokio::task::spawn_blocking(move || {
            let opts = Options {
                threshold: Some(REVIEW_THRESHOLD),
                focus: if full { None } else { Some(&focus_for_engine) },
                model: model.as_ref(),
                fallback: reference.as_ref(),
                explain: true,
            };
            link_table(&cfg, &table, Mode::Dedupe, &opts, &|_| {})
        })
        .await
        .map_err(CoreError::internal)?
        .map_err(|e| CoreError::Internal(format!("linkage: {e}")))?;

        let existing = self.store.find_rows(RecordTable::PersonMatches, &RowFilter::default()).await?;
        let mut by_pair: HashMap<(String, String), RecordRow> =
            existing.into_iter().filter_map(|r| Some(((r.subject_id.clone()?, r.lookup.clone()?), r))).collect();
        let person_at = |id: &str| id.parse::<usize>().ok().and_then(|k| persons.get(k));
        let mut batch = Batch::default();
        let mut seen: HashSet<(String, String)> = HashSet::new();
        let mut alerts: Vec<(PersonRecord, PersonRecord)> = Vec::new();
        let mut new_candidates = 0;
        for ((a, b, p), contributions) in out.pairs.iter().zip(out.explanations.iter()) {
            let (Some(pa), Some(pb)) = (person_at(a), person_at(b)) else { continue };
            let (l, r) = ordered(pa.id.as_str(), pb.id.as_str());
            let (left, right) = if l == pa.id.as_str() { (pa, pb) } else { (pb, pa) };
            let key = (l.to_owned(), r.to_owned());
            seen.insert(key.clone());
            let contributions: Vec<Contribution> = contributions
                .iter()
                .map(|c| Contribution { field: c.field.clone(), level: c.level.to_owned(), weight: (c.weight * 100.0).round() / 100.0 })
                .collect();
            match by_pair.remove(&key) {
                None => {
                    new_candidates += 1;
                    let a = MatchAttrs { probability: *p, contributions, decisions: vec![] };
                    let row = RecordRow {
                        party_org: Some(right.org_id.clone()),
                        subject_id: Some(key.0.clone()),
                        lookup: Some(key.1.clone()),
                        attrs: to_json(&a)?,
                        ..self.new_row(&self.random.new_id(), &left.org_id, "system", "record_linkage", "pending")
                    };
                    batch.inserts.push((RecordTable::PersonMatches, row));
                    if left.org_id != right.org_id && ALERTABLE.contains(&left.role) && ALERTABLE.contains(&right.role) {
                        alerts.push((left.clone(), right.clone()));
                    }
                }
                Some(row) if row.status == "pending" || row.status == "withdrawn" => {
                    let old: MatchAttrs = attrs(&row)?;
                    if (old.probability - p).abs() > 1e-9 || row.status == "withdrawn" {
                        let a = MatchAttrs { probability: *p, contributions, ..old };
                        let row = RecordRow {
                            status: "pending".into(),
                            attrs: to_json(&a)?,
                            version: row.version + 1,
                            updated_at: self.now(),
                            ..row
                        };
                        batch.updates.push((RecordTable::PersonMatches, row));
                    }
                }
                // A person's decision stands whatever the engine now says.
                Some(_) => {}
            }
        }
        // Pending candidates about the persons looked at that no longer score: withdrawn.
        let looked_at: HashSet<&str> = persons.iter().zip(focus.iter()).filter(|(_, f)| **f).map(|(p, _)| p.id.as_str()).collect();
        let mut withdrawn = 0;
        for (key, row) in by_pair {
            if row.status == "pending" && !seen.contains(&key) && (looked_at.contains(key.0.as_str()) || looked_at.contains(key.1.as_str()))
            {
                withdrawn += 1;
                let row = RecordRow { status: "withdrawn".into(), version: row.version + 1, updated_at: self.now(), ..row };
                batch.updates.push((RecordTable::PersonMatches, row));
            }
        }
        if !batch.inserts.is_empty() || !batch.updates.is_empty() {
            let notify: HashSet<OrgId> =
                batch.inserts.iter().flat_map(|(_, r)| [Some(r.org_id.clone()), r.party_org.clone()]).flatten().collect();
            for org in notify {
                batch.inserts.push((RecordTable::Notifications, self.notification(&org, "match_review", "/matches")));
            }
        }
        let summary = LinkRunSummary {
            mode: if full { "full" } else { "incremental" },
            persons: persons.len(),
            focus: focus.iter().filter(|f| **f).count(),
            pairs_compared: out.pairs_compared,
            candidates: out.pairs.len(),
            new_candidates,
            withdrawn,
            model: out.model_source,
            millis: started.elapsed().as_millis(),
        };
        // The alerts go in the same batch: if the run fails, neither the pairs nor their alerts
        // are written, and the next run finds both anew.
        for (l, r) in alerts {
            batch.inserts.extend(self.match_alert_rows(&l, &[(r, "record_linkage")]).await?);
        }
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
        if let Some(w) = watermark {
            state.seen_at_watermark = persons.iter().filter(|p| p.updated_at == w).map(|p| p.id.to_string()).collect();
            state.watermark = Some(w);
        }
        Ok(summary)
    }

    /// How the caller's organisation stands to a pair: `SameOrg` when it may see both persons,
    /// `Shared` when only one, `Unrelated` when neither.
    async fn match_relation(&self, ctx: &Ctx, row: &RecordRow) -> CoreResult<(Relation, bool, bool)> {
        let mut sees = [false, false];
        for (k, pid) in [row.subject_id.as_deref(), row.lookup.as_deref()].into_iter().enumerate() {
            let owner = if k == 0 { Some(row.org_id.clone()) } else { row.party_org.clone() };
            if let (Some(pid), Some(owner)) = (pid, owner) {
                let rel = self.person_relation(ctx, &PersonId::from_trusted(pid.to_owned()), &owner).await?;
                if let Some(s) = sees.get_mut(k) {
                    *s = matches!(rel, Relation::SameOrg | Relation::Shared | Relation::Assigned);
                }
            }
        }
        let [l, r] = sees;
        let rel = match (l, r) {
            (true, true) => Relation::SameOrg,
            (true, false) | (false, true) => Relation::Shared,
            _ => Relation::Unrelated,
        };
        Ok((rel, l, r))
    }

    async fn match_view(&self, ctx: &Ctx, row: &RecordRow, with_identities: bool) -> CoreResult<MatchView> {
        let (rel, sees_l, sees_r) = self.match_relation(ctx, row).await?;
        let ids: Vec<String> = [row.subject_id.clone(), row.lookup.clone()].into_iter().flatten().collect();
        let persons = self.store.persons_by_ids(&ids).await?;
        let orgs = self.store.list_orgs().await?;
        let org_name = |id: &OrgId| orgs.iter().find(|o| &o.id == id).map(|o| o.name.clone()).unwrap_or_default();
        let can_decide = rel == Relation::SameOrg;
        let side = |pid: Option<&String>, owner: OrgId, visible: bool| -> CoreResult<MatchSide> {
            let rec = persons.iter().find(|p| Some(&p.id.to_string()) == pid);
            let show = |v: String| if visible { v } else { String::new() };
            Ok(MatchSide {
                person_id: show(pid.cloned().unwrap_or_default()),
                code: show(rec.map(|p| p.code.clone()).unwrap_or_default()),
                org_name: org_name(&owner),
                org_id: owner,
                visible,
                role: show(rec.map(|p| p.role.as_str().to_owned()).unwrap_or_default()),
                sex: show(rec.and_then(|p| p.sex.clone()).unwrap_or_default()),
                approx_age: show(rec.and_then(|p| p.approx_age).map(|a| a.to_string()).unwrap_or_default()),
                nationality: show(rec.and_then(|p| p.profile.nationality.clone()).unwrap_or_default()),
                identity: match rec {
                    Some(p) if visible && with_identities && can_decide => Some(self.open_identity(p)?),
                    _ => None,
                },
            })
        };
        let right_org = row.party_org.clone().unwrap_or_else(|| row.org_id.clone());
        let left = side(row.subject_id.as_ref(), row.org_id.clone(), sees_l)?;
        let right = side(row.lookup.as_ref(), right_org, sees_r)?;
        let mut review_by: Vec<String> =
            [(&left, sees_l), (&right, sees_r)].iter().filter(|(_, sees)| !sees).map(|(s, _)| s.org_name.clone()).collect();
        review_by.dedup();
        let a: MatchAttrs = attrs(row)?;
        let decisions = if can_decide {
            let secrets: MatchSecrets = self.open_json(RecordTable::PersonMatches, row)?;
            a.decisions
                .iter()
                .enumerate()
                .map(|(k, d)| MatchDecision { reason: secrets.reasons.get(k).cloned().unwrap_or_default(), ..d.clone() })
                .collect()
        } else {
            Vec::new()
        };
        Ok(MatchView {
            id: row.id.clone(),
            probability: can_decide.then_some(a.probability),
            status: row.status.clone(),
            version: if can_decide { row.version } else { 0 },
            left,
            right,
            // The explanation says which fields agreed; it names no value, but on a pair the
            // caller cannot fully see it still says too much about the other record.
            contributions: if can_decide { a.contributions } else { Vec::new() },
            decisions,
            can_decide,
            review_by,
        })
    }

    /// The review queue: candidate pairs and links touching the caller's organisation's persons,
    /// undecided ones first, most likely first.
    pub async fn list_matches(&self, ctx: &Ctx) -> CoreResult<Vec<MatchView>> {
        self.authorize(ctx, Action::ViewMatches, Relation::OwnOrgScope, "person_match", "").await?;
        let org = ctx.org_id().ok_or(CoreError::Unauthenticated)?;
        let open = || vec!["pending".to_owned(), "linked".to_owned()];
        let mut rows = self
            .store
            .find_rows(RecordTable::PersonMatches, &RowFilter { orgs: vec![org.clone()], statuses: open(), ..Default::default() })
            .await?;
        // Pairs of persons referred to the organisation by others (a shelter may hold both of
        // two records the police and an NGO each referred to it, and is the one to decide).
        let referred: HashSet<String> = self
            .store
            .find_rows(RecordTable::Referrals, &RowFilter { orgs: vec![org.clone()], ..Default::default() })
            .await?
            .into_iter()
            .filter(|r| {
                r.party_org.as_ref() == Some(org)
                    && amparo_domain::protection::ReferralStatus::parse(&r.status)
                        .is_some_and(amparo_domain::protection::ReferralStatus::counts_as_referred)
            })
            .filter_map(|r| r.subject_id)
            .collect();
        if !referred.is_empty() {
            let mut more = self
                .store
                .find_rows(
                    RecordTable::PersonMatches,
                    &RowFilter { subject_ids: referred.iter().cloned().collect(), statuses: open(), ..Default::default() },
                )
                .await?;
            for pid in &referred {
                more.extend(
                    self.store
                        .find_rows(
                            RecordTable::PersonMatches,
                            &RowFilter { lookup: Some(pid.clone()), statuses: open(), ..Default::default() },
                        )
                        .await?,
                );
            }
            let known: HashSet<String> = rows.iter().map(|r| r.id.clone()).collect();
            let mut added: HashSet<String> = HashSet::new();
            rows.extend(more.into_iter().filter(|r| !known.contains(&r.id) && added.insert(r.id.clone())));
        }
        let mut out = Vec::new();
        for r in &rows {
            // The pair touches the organisation's persons, or persons it was given access to.
            let (rel, _, _) = self.match_relation(ctx, r).await?;
            let sure = attrs::<MatchAttrs>(r).map(|a| a.probability >= ONE_SIDED_MIN_PROBABILITY).unwrap_or(false);
            if rel == Relation::SameOrg || (rel == Relation::Shared && sure) {
                out.push(self.match_view(ctx, r, false).await?);
            }
        }
        out.sort_by(|a, b| {
            (a.status != "pending")
                .cmp(&(b.status != "pending"))
                .then(b.can_decide.cmp(&a.can_decide))
                .then(b.probability.unwrap_or(0.0).total_cmp(&a.probability.unwrap_or(0.0)))
        });
        self.append(&ctx.event(self.now(), "list_matches", "ok", "person_match", "")).await?;
        Ok(out)
    }

    /// One pair side by side. Identities only when the caller may see both persons — that
    /// read is audited with both person ids.
    pub async fn get_match(&self, ctx: &Ctx, id: &str) -> CoreResult<MatchView> {
        let row = self.store.get_row(RecordTable::PersonMatches, id).await?;
        let rel = match &row {
            Some(r) => self.match_relation(ctx, r).await?.0,
            None => Relation::Unrelated,
        };
        self.authorize(ctx, Action::ViewMatches, rel, "person_match", id).await?;
        let row = row.ok_or(CoreError::NotFound)?;
        let view = self.match_view(ctx, &row, false).await?;
        self.append(&ctx.event(self.now(), "view_match", "ok", "person_match", id)).await?;
        Ok(view)
    }

    /// The pair side by side with both identities, for a stated purpose — like revealing one
    /// person, and audited the same way: one `reveal_person` event per person, with the
    /// purpose, before anything is decrypted.
    pub async fn reveal_match(&self, ctx: &Ctx, id: &str, purpose: &str) -> CoreResult<MatchView> {
        let row = self.store.get_row(RecordTable::PersonMatches, id).await?;
        let rel = match &row {
            Some(r) => self.match_relation(ctx, r).await?.0,
            None => Relation::Unrelated,
        };
        self.authorize(ctx, Action::DecideMatch, rel, "person_match", id).await?;
        let row = row.ok_or(CoreError::NotFound)?;
        let purpose = purpose.trim();
        if purpose.chars().count() < crate::usecases::persons::MIN_PURPOSE_CHARS {
            return Err(CoreError::field("purpose", "purpose_required"));
        }
        for pid in [row.subject_id.as_deref(), row.lookup.as_deref()].into_iter().flatten() {
            let (_, _) = self.person_for(ctx, &PersonId::from_trusted(pid.to_owned()), Action::RevealPerson).await?;
            let mut ev = ctx.event(self.now(), "reveal_person", "ok", "person", pid);
            ev.purpose = purpose.to_owned();
            ev.details = serde_json::json!({ "via_match": id }).to_string();
            self.append(&ev).await?;
        }
        self.match_view(ctx, &row, true).await
    }

    /// Confirm (`linked`), reject (`rejected`) or undo a link (`unlinked`, reason required).
    /// Nothing about either person changes; the row's history keeps every decision.
    pub async fn decide_match(&self, ctx: &Ctx, id: &str, decision: &str, reason: &str, version: i64) -> CoreResult<MatchView> {
        let row = self.store.get_row(RecordTable::PersonMatches, id).await?;
        let rel = match &row {
            Some(r) => self.match_relation(ctx, r).await?.0,
            None => Relation::Unrelated,
        };
        self.authorize(ctx, Action::DecideMatch, rel, "person_match", id).await?;
        let row = row.ok_or(CoreError::NotFound)?;
        if row.version != version {
            return Err(CoreError::Conflict { current: serde_json::Value::Null });
        }
        let reason = reason.trim();
        let status = match (decision.trim(), row.status.as_str()) {
            ("confirm", "pending" | "rejected" | "unlinked" | "withdrawn") => "linked",
            ("reject", "pending" | "withdrawn") => "rejected",
            ("unlink", "linked") if reason.chars().count() >= 3 => "unlinked",
            ("unlink", "linked") => return Err(CoreError::field("reason", "required")),
            ("confirm" | "reject" | "unlink", _) => return Err(CoreError::field("decision", "invalid_transition")),
            _ => return Err(CoreError::field("decision", "invalid_choice")),
        };
        if reason.chars().count() > 500 {
            return Err(CoreError::field("reason", "too_long"));
        }
        let mut a: MatchAttrs = attrs(&row)?;
        let by = ctx.user().map(|u| u.user_id.to_string()).unwrap_or_default();
        a.decisions.push(MatchDecision { decision: status.into(), by, at: self.now(), reason: String::new() });
        let mut secrets: MatchSecrets = self.open_json(RecordTable::PersonMatches, &row)?;
        secrets.reasons.resize(a.decisions.len() - 1, String::new());
        secrets.reasons.push(reason.to_owned());
        let updated = RecordRow {
            status: status.into(),
            attrs: to_json(&a)?,
            sealed: Some(self.seal_json(RecordTable::PersonMatches, &row.id, &secrets)?),
            version: row.version + 1,
            updated_at: self.now(),
            ..row.clone()
        };
        let mut ev = ctx.event(self.now(), "decide_match", "ok", "person_match", id);
        ev.details = serde_json::json!({ "decision": status, "persons": [row.subject_id, row.lookup] }).to_string();
        self.commit(&Batch { inserts: vec![], updates: vec![(RecordTable::PersonMatches, updated.clone())] }, &ev).await?;
        self.match_view(ctx, &updated, false).await
    }

    /// Which persons are the same person, by confirmed links and by equal document numbers
    /// (exact, keyed hash), except pairs people said are not the same. Statistics count
    /// groups, not records. Only persons that share a document or have a confirmed link can
    /// be in a group with another, so only they are read: every other person is a group of
    /// one, named by their own id.
    pub(crate) async fn person_groups(&self) -> CoreResult<PersonGroups> {
        let shared = self.store.stat_shared_documents().await?;
        let mut matches =
            self.store.find_rows(RecordTable::PersonMatches, &RowFilter { statuses: vec!["linked".into()], ..Default::default() }).await?;
        matches.extend(
            self.store
                .find_rows(
                    RecordTable::PersonMatches,
                    &RowFilter { statuses: vec!["rejected".into(), "unlinked".into()], ..Default::default() },
                )
                .await?,
        );
        let mut groups = group_components(&shared, &matches);
        // Linked persons' organisations (links are few: one read).
        let unknown: Vec<String> = groups.members.iter().filter(|(_, o)| o.is_empty()).map(|(id, _)| id.clone()).collect();
        if !unknown.is_empty() {
            let orgs: HashMap<String, String> =
                self.store.persons_by_ids(&unknown).await?.into_iter().map(|p| (p.id.to_string(), p.org_id.to_string())).collect();
            for (id, org) in &mut groups.members {
                if org.is_empty()
                    && let Some(o) = orgs.get(id)
                {
                    org.clone_from(o);
                }
            }
        }
        Ok(groups)
    }
}

/// Persons sharing a document with more than this many others are chained (each to the next
/// by id) instead of paired with every one: a document number typed as `00000000` must not
/// cost a million pairs.
const DOC_PAIRS_UP_TO: usize = 64;

/// Persons into groups, the same way whoever asks (the whole count, or the statistics
/// projection one neighbourhood at a time): persons sharing a document (`(match_doc, person,
/// organisation)`, any order) are one person unless people said that pair is not (a
/// `rejected` or `unlinked` match); persons with a `linked` match are one person. A group
/// is named by its smallest person id, so its name does not depend on reading order.
pub(crate) fn group_components(docs: &[(String, String, String)], matches: &[RecordRow]) -> PersonGroups {
    let never: HashSet<(&str, &str)> = matches
        .iter()
        .filter(|m| m.status == "rejected" || m.status == "unlinked")
        .filter_map(|m| Some(ordered(m.subject_id.as_deref()?, m.lookup.as_deref()?)))
        .collect();
    let mut org_of: BTreeMap<&str, &str> = BTreeMap::new();
    for (_, id, org) in docs {
        org_of.insert(id.as_str(), org.as_str());
    }
    let linked: Vec<(&str, &str)> =
        matches.iter().filter(|m| m.status == "linked").filter_map(|m| Some((m.subject_id.as_deref()?, m.lookup.as_deref()?))).collect();
    for (a, b) in &linked {
        org_of.entry(a).or_insert("");
        org_of.entry(b).or_insert("");
    }
    // Nodes in id order, so the smaller index is the smaller id.
    let ids: Vec<&str> = org_of.keys().copied().collect();
    let index: HashMap<&str, usize> = ids.iter().enumerate().map(|(k, id)| (*id, k)).collect();
    let mut parent: Vec<usize> = (0..ids.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while let Some(&p) = parent.get(i) {
            if p == i {
                break;
            }
            let grand = parent.get(p).copied().unwrap_or(p);
            if let Some(x) = parent.get_mut(i) {
                *x = grand;
            }
            i = p;
        }
        i
    }
    let mut union = |a: usize, b: usize| {
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        if let Some(x) = parent.get_mut(ra.max(rb)) {
            *x = ra.min(rb);
        }
    };
    let mut by_doc: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (doc, id, _) in docs {
        if let Some(&k) = index.get(id.as_str()) {
            by_doc.entry(doc.as_str()).or_default().push(k);
        }
    }
    for (_, mut members) in by_doc {
        members.sort_unstable();
        members.dedup();
        let name = |k: usize| ids.get(k).copied().unwrap_or("");
        if members.len() <= DOC_PAIRS_UP_TO {
            for (x, &a) in members.iter().enumerate() {
                for &b in members.iter().skip(x + 1) {
                    if !never.contains(&ordered(name(a), name(b))) {
                        union(a, b);
                    }
                }
            }
        } else {
            for w in members.windows(2) {
                if let [a, b] = *w
                    && !never.contains(&ordered(name(a), name(b)))
                {
                    union(a, b);
                }
            }
        }
    }
    for (a, b) in linked {
        if let (Some(&x), Some(&y)) = (index.get(a), index.get(b)) {
            union(x, y);
        }
    }
    let mut groups = PersonGroups::default();
    for (k, id) in ids.iter().enumerate() {
        let r = root(&mut parent, k);
        if r != k
            && let Some(g) = ids.get(r)
        {
            groups.group.insert((*id).to_owned(), (*g).to_owned());
        }
        groups.members.push(((*id).to_owned(), org_of.get(id).copied().unwrap_or("").to_owned()));
    }
    groups
}
