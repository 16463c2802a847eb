//! Record linkage in the product: the same victim or suspect recorded by the hotline, the
//! police, the prosecutor and a shelter, each spelling the name their own way.
//!
//! The job of `linkage_job.rs` decrypts persons *in memory only*, runs the `amparo-linkage`
//! engine over them, and stores candidate pairs in `person_matches` with their score and
//! field-by-field contributions — never a name; this file is the review queue over them. People decide: confirming
//! makes the row a link (status `linked`), which can be undone (`unlinked`); no record is ever
//! merged or changed. Only users whose organisation may see *both* persons see identities and
//! decide; everyone else with one side sees "a match needs review by organisation X".
//!
//! Cross-organisation candidates about victims or suspects also raise the cross-agency
//! alerts of `alerts.rs` through `raise_match_alerts`, and `person_groups` turns confirmed
//! links (plus equal document numbers) into "count this person once" for statistics.

use super::Linkage;
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};

use crate::rows::person_match::{MatchSecrets, MatchStatus, PairState, PersonMatch};
use crate::rows::{self, Row};
use crate::store::{Batch, RowFilter};
use amparo_domain::org::Organisation;
use amparo_domain::person::{Identity, PersonRole};
use amparo_domain::policy::{Action, Relation};
use amparo_domain::{OrgId, PersonId};
use amparo_linkage::LinkConfig;
use amparo_linkage::model::Model;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The shipped configuration for Amparo's person schema (also used by the benchmark).
pub const PERSON_CONFIG: &str = include_str!("../../../../../data/linkage/persons.toml");

/// m, u and λ learnt by the engine on the seeded synthetic Peruvian set of 100,000 persons
/// (`amparo link dedupe --config data/linkage/persons.toml … --model-out`). Used while an
/// installation has too few persons for EM to learn from its own data.
const REFERENCE_MODEL: &str = include_str!("../../../../../data/linkage/persons-model.json");

/// Candidate pairs at or above this probability go to the review queue. Lower than the
/// engine's 0.5: a person decides, and a missed link double-counts a victim.
pub const REVIEW_THRESHOLD: f64 = 0.3;

pub use crate::rows::person_match::{Contribution, MatchDecision};

/// A pair is shown to an organisation that sees only one of the two records only when the
/// engine is this sure: each such row tells someone where a similar person is held.
pub const ONE_SIDED_MIN_PROBABILITY: f64 = 0.8;

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
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

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
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

/// A page of the review queue.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct MatchQueuePage {
    pub rows: Vec<MatchView>,
    /// Pairs in the whole queue.
    pub total: usize,
}

pub(super) const ALERTABLE: [PersonRole; 3] = [PersonRole::PossibleVictim, PersonRole::Victim, PersonRole::Suspect];

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
pub(super) fn ordered<'a>(a: &'a str, b: &'a str) -> (&'a str, &'a str) {
    if a <= b { (a, b) } else { (b, a) }
}

impl Linkage {
    async fn match_view(&self, ctx: &Ctx, m: &PersonMatch, with_identities: bool) -> CoreResult<MatchView> {
        let relation = self.scope().match_relation(ctx, m).await?;
        let orgs = self.store.list_orgs().await?;
        self.match_view_as(m, relation, &orgs, with_identities).await
    }

    /// The pair as the caller sees it, its relation to the caller already worked out (a
    /// queue works it out for every pair to sort them, and builds views for one page).
    async fn match_view_as(
        &self,
        m: &PersonMatch,
        (rel, sees_l, sees_r): (Relation, bool, bool),
        orgs: &[Organisation],
        with_identities: bool,
    ) -> CoreResult<MatchView> {
        let persons = self.store.persons_by_ids(&[m.left.to_string(), m.right.to_string()]).await?;
        let org_name = |id: &OrgId| orgs.iter().find(|o| &o.id == id).map(|o| o.name.clone()).unwrap_or_default();
        let can_decide = rel == Relation::SameOrg;
        let side = |pid: &PersonId, owner: OrgId, visible: bool| -> CoreResult<MatchSide> {
            let rec = persons.iter().find(|p| &p.id == pid);
            let show = |v: String| if visible { v } else { String::new() };
            Ok(MatchSide {
                person_id: show(pid.to_string()),
                code: show(rec.map(|p| p.code.clone()).unwrap_or_default()),
                org_name: org_name(&owner),
                org_id: owner,
                visible,
                role: show(rec.map(|p| p.role.as_str().to_owned()).unwrap_or_default()),
                sex: show(rec.and_then(|p| p.sex.clone()).unwrap_or_default()),
                approx_age: show(rec.and_then(|p| p.approx_age).map(|a| a.to_string()).unwrap_or_default()),
                nationality: show(rec.and_then(|p| p.profile.nationality.clone()).unwrap_or_default()),
                identity: match rec {
                    Some(p) if visible && with_identities && can_decide => Some(self.scope().open_identity(p)?),
                    _ => None,
                },
            })
        };
        let left = side(&m.left, m.left_org.clone(), sees_l)?;
        let right = side(&m.right, m.right_org.clone(), sees_r)?;
        let mut review_by: Vec<String> =
            [(&left, sees_l), (&right, sees_r)].iter().filter(|(_, sees)| !sees).map(|(s, _)| s.org_name.clone()).collect();
        review_by.dedup();
        let a = &m.attrs;
        let decisions = if can_decide {
            let secrets: MatchSecrets = self.open_sealed(PersonMatch::TABLE, &m.id, m.sealed.as_deref())?;
            a.decisions
                .iter()
                .enumerate()
                .map(|(k, d)| MatchDecision { reason: secrets.reasons.get(k).cloned().unwrap_or_default(), ..d.clone() })
                .collect()
        } else {
            Vec::new()
        };
        Ok(MatchView {
            id: m.id.clone(),
            probability: can_decide.then_some(a.probability),
            status: m.status.as_str().into(),
            version: if can_decide { m.stamp.version } else { 0 },
            left,
            right,
            // The explanation says which fields agreed; it names no value, but on a pair the
            // caller cannot fully see it still says too much about the other record.
            contributions: if can_decide { a.contributions.clone() } else { Vec::new() },
            decisions,
            can_decide,
            review_by,
        })
    }

    /// The review queue: candidate pairs and links touching the caller's organisation's persons,
    /// undecided ones first, most likely first.
    pub async fn list_matches(&self, ctx: &Ctx) -> CoreResult<Vec<MatchView>> {
        Ok(self.list_matches_page(ctx, 0, usize::MAX).await?.rows)
    }

    /// One page of the review queue, in its order, and how many pairs the whole queue holds.
    /// Every pair's relation to the caller is worked out (to filter and sort), but views are
    /// built for the page only: a police unit's queue can hold hundreds of pairs, and a
    /// reviewer on a slow link needs the first ones.
    pub async fn list_matches_page(&self, ctx: &Ctx, offset: usize, limit: usize) -> CoreResult<MatchQueuePage> {
        self.authorize(ctx, Action::ViewMatches, Relation::OwnOrgScope, "person_match", "").await?;
        let org = ctx.org_id().ok_or(CoreError::Unauthenticated)?;
        let open = || vec![MatchStatus::Pending.as_str().to_owned(), MatchStatus::Linked.as_str().to_owned()];
        let mut pairs =
            rows::find::<PersonMatch>(&*self.store, &RowFilter { orgs: vec![org.clone()], statuses: open(), ..Default::default() }).await?;
        // Pairs of persons referred to the organisation by others (a shelter may hold both of
        // two records the police and an NGO each referred to it, and is the one to decide):
        // found in the database through `referred_to`, so the cost follows the open pairs,
        // not the thousands of persons a shelter has received.
        let f = RowFilter { naming_referred_to: Some(org.clone()), statuses: open(), ..Default::default() };
        let known: HashSet<String> = pairs.iter().map(|r| r.id.clone()).collect();
        pairs.extend(rows::find::<PersonMatch>(&*self.store, &f).await?.into_iter().filter(|r| !known.contains(&r.id)));
        // Which of the persons these pairs name are referred to the organisation, asked for
        // those persons only (a slice per statement, under both backends' bound-value limits).
        let counting: Vec<String> = amparo_domain::protection::ReferralStatus::ALL
            .iter()
            .filter(|s| s.counts_as_referred())
            .map(|s| s.as_str().to_owned())
            .collect();
        let named: Vec<String> =
            pairs.iter().flat_map(|m| [m.left.to_string(), m.right.to_string()]).collect::<HashSet<String>>().into_iter().collect();
        let mut referred: HashSet<String> = HashSet::new();
        for slice in named.chunks(2_000) {
            // By person, then by recipient here: asked with the recipient too, the database
            // walks every referral the shelter ever received (its (party, status) index wins).
            let f = RowFilter { statuses: counting.clone(), subject_ids: slice.to_vec(), ..Default::default() };
            let found = rows::find::<crate::rows::referral::Referral>(&*self.store, &f).await?;
            referred.extend(found.into_iter().filter(|r| &r.to_org == org).map(|r| r.person.to_string()));
        }
        let mut queue = Vec::new();
        for r in &pairs {
            // The pair touches the organisation's persons, or persons it was given access to.
            let relation = self.scope().match_relation_knowing(ctx, r, &referred).await?;
            let probability = r.attrs.probability;
            let rel = relation.0;
            if rel == Relation::SameOrg || (rel == Relation::Shared && probability >= ONE_SIDED_MIN_PROBABILITY) {
                // Sorted by what the caller is shown: a probability only to those who decide.
                let shown = if rel == Relation::SameOrg { probability } else { 0.0 };
                queue.push((r, relation, shown));
            }
        }
        queue.sort_by(|(a, ra, pa), (b, rb, pb)| {
            (a.status != MatchStatus::Pending)
                .cmp(&(b.status != MatchStatus::Pending))
                .then((rb.0 == Relation::SameOrg).cmp(&(ra.0 == Relation::SameOrg)))
                .then(pb.total_cmp(pa))
        });
        let orgs = self.store.list_orgs().await?;
        let mut page = Vec::new();
        for (r, relation, _) in queue.iter().skip(offset).take(limit) {
            page.push(self.match_view_as(r, *relation, &orgs, false).await?);
        }
        self.append(&ctx.event(self.now(), "list_matches", "ok", "person_match", "")).await?;
        Ok(MatchQueuePage { rows: page, total: queue.len() })
    }

    /// Load a pair and authorize `action` on it, as `person_for` does for a person: an
    /// unrelated caller learns nothing, not even whether the pair exists.
    async fn match_for(&self, ctx: &Ctx, id: &str, action: Action) -> CoreResult<PersonMatch> {
        let found = rows::get::<PersonMatch>(&*self.store, id).await?;
        let rel = match &found {
            Some(m) => self.scope().match_relation(ctx, m).await?.0,
            None => Relation::Unrelated,
        };
        self.authorize(ctx, action, rel, "person_match", id).await?;
        found.ok_or(CoreError::NotFound)
    }

    /// One pair side by side. Identities only when the caller may see both persons — that
    /// read is audited with both person ids.
    pub async fn get_match(&self, ctx: &Ctx, id: &str) -> CoreResult<MatchView> {
        let row = self.match_for(ctx, id, Action::ViewMatches).await?;
        let view = self.match_view(ctx, &row, false).await?;
        self.append(&ctx.event(self.now(), "view_match", "ok", "person_match", id)).await?;
        Ok(view)
    }

    /// The pair side by side with both identities, for a stated purpose — like revealing one
    /// person, and audited the same way: one `reveal_person` event per person, with the
    /// purpose, before anything is decrypted.
    pub async fn reveal_match(&self, ctx: &Ctx, id: &str, purpose: &str) -> CoreResult<MatchView> {
        let row = self.match_for(ctx, id, Action::DecideMatch).await?;
        let purpose = purpose.trim();
        if purpose.chars().count() < crate::usecases::persons::MIN_PURPOSE_CHARS {
            return Err(CoreError::field("purpose", "purpose_required"));
        }
        for pid in [&row.left, &row.right] {
            let (_, _) = self.scope().person_for(ctx, pid, Action::RevealPerson).await?;
            let mut ev = ctx.event(self.now(), "reveal_person", "ok", "person", pid.as_str());
            ev.purpose = purpose.to_owned();
            ev.details = serde_json::json!({ "via_match": id }).to_string();
            self.append(&ev).await?;
        }
        self.match_view(ctx, &row, true).await
    }

    /// Confirm (`linked`), reject (`rejected`) or undo a link (`unlinked`, reason required).
    /// Nothing about either person changes; the row's history keeps every decision.
    pub async fn decide_match(&self, ctx: &Ctx, id: &str, decision: &str, reason: &str, version: i64) -> CoreResult<MatchView> {
        let row = self.match_for(ctx, id, Action::DecideMatch).await?;
        if row.stamp.version != version {
            return Err(CoreError::Conflict { current: serde_json::Value::Null });
        }
        let reason = reason.trim();
        use MatchStatus as S;
        let status = match (decision.trim(), row.status) {
            ("confirm", S::Pending | S::Rejected | S::Unlinked | S::Withdrawn) => S::Linked,
            ("reject", S::Pending | S::Withdrawn) => S::Rejected,
            ("unlink", S::Linked) if reason.chars().count() >= 3 => S::Unlinked,
            ("unlink", S::Linked) => return Err(CoreError::field("reason", "required")),
            ("confirm" | "reject" | "unlink", _) => return Err(CoreError::field("decision", "invalid_transition")),
            _ => return Err(CoreError::field("decision", "invalid_choice")),
        };
        if reason.chars().count() > 500 {
            return Err(CoreError::field("reason", "too_long"));
        }
        let mut a = row.attrs.clone();
        let by = ctx.user().map(|u| u.user_id.to_string()).unwrap_or_default();
        a.decisions.push(MatchDecision { decision: status.as_str().into(), by, at: self.now(), reason: String::new() });
        let mut secrets: MatchSecrets = self.open_sealed(PersonMatch::TABLE, &row.id, row.sealed.as_deref())?;
        secrets.reasons.resize(a.decisions.len() - 1, String::new());
        secrets.reasons.push(reason.to_owned());
        let updated = PersonMatch {
            status,
            attrs: a,
            sealed: Some(self.seal_json(PersonMatch::TABLE, &row.id, &secrets)?),
            stamp: row.stamp.next(self.now()),
            ..row.clone()
        };
        let mut ev = ctx.event(self.now(), "decide_match", "ok", "person_match", id);
        ev.details = serde_json::json!({ "decision": status.as_str(), "persons": [row.left, row.right] }).to_string();
        self.commit(&Batch { inserts: vec![], updates: vec![rows::entry(&updated)?] }, &ev).await?;
        self.match_view(ctx, &updated, false).await
    }

    /// Which persons are the same person, by confirmed links and by equal document numbers
    /// (exact, keyed hash), except pairs people said are not the same. Statistics count
    /// groups, not records. Only persons that share a document or have a confirmed link can
    /// be in a group with another, so only they are read: every other person is a group of
    /// one, named by their own id.
    pub(crate) async fn person_groups(&self) -> CoreResult<PersonGroups> {
        let shared = self.store.stat_shared_documents().await?;
        // Decided pairs only (linked, rejected, unlinked): people decide them one by one,
        // so they are few beside the pending ones.
        let decided = [MatchStatus::Linked, MatchStatus::Rejected, MatchStatus::Unlinked];
        let f = RowFilter { statuses: decided.iter().map(|s| s.as_str().to_owned()).collect(), ..Default::default() };
        let matches: Vec<PairState> =
            self.store.find_rows(PersonMatch::TABLE, &f).await?.iter().map(PairState::from_lean).collect::<CoreResult<_>>()?;
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
pub(crate) fn group_components(docs: &[(String, String, String)], matches: &[PairState]) -> PersonGroups {
    let never: HashSet<(&str, &str)> = matches
        .iter()
        .filter(|m| matches!(m.status, MatchStatus::Rejected | MatchStatus::Unlinked))
        .map(|m| ordered(&m.left, &m.right))
        .collect();
    let mut org_of: BTreeMap<&str, &str> = BTreeMap::new();
    for (_, id, org) in docs {
        org_of.insert(id.as_str(), org.as_str());
    }
    let linked: Vec<(&str, &str)> =
        matches.iter().filter(|m| m.status == MatchStatus::Linked).map(|m| (m.left.as_str(), m.right.as_str())).collect();
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
