//! Use cases, one file per resource. Each public method: validate → authorize (policy) →
//! act through the store with its audit event in the same transaction.

pub mod alerts;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod capabilities;
pub mod case_views;
pub mod cases;
pub mod ctdc;
pub mod demo;
mod demo_cases;
mod demo_generate;
mod demo_history;
mod demo_names;
mod demo_protection;
pub mod geo;
pub mod htcds;
pub mod idempotency;
pub mod identification;
pub mod instruments;
pub mod intake;
pub mod linkage;
pub mod linkage_job;
pub mod linkage_runs;
pub mod orgs;
pub mod persons;
pub mod prevention;
pub mod prosecution;
mod redaction;
pub mod referrals;
pub mod refusals;
pub mod search;
pub mod sharing;
mod stat_projection;
pub mod statistics;
pub mod summary;
pub mod system;
pub mod timeline;
pub mod tokens;
pub mod users;
pub mod visibility;

use crate::Amparo;
use crate::ctx::Ctx;
use crate::error::CoreResult;
use amparo_domain::OrgId;
use amparo_domain::org::is_within;
use amparo_domain::policy::Relation;
use std::collections::HashMap;

impl Amparo {
    /// How an organisation relates to the acting user: their own, one below theirs, or other.
    pub(crate) async fn relation_to_org(&self, ctx: &Ctx, org: &OrgId) -> CoreResult<Relation> {
        if ctx.org_id() == Some(org) {
            return Ok(Relation::SameOrg);
        }
        Ok(relation_in(ctx, org, &self.org_parents().await?))
    }

    /// Each organisation's parent, read once so that many relations can be computed from it.
    pub(crate) async fn org_parents(&self) -> CoreResult<HashMap<OrgId, Option<OrgId>>> {
        Ok(self.store.list_orgs().await?.into_iter().map(|o| (o.id, o.parent_id)).collect())
    }
}

/// The relation of `org` to the actor's organisation, given the organisation tree.
pub(crate) fn relation_in(ctx: &Ctx, org: &OrgId, parents: &HashMap<OrgId, Option<OrgId>>) -> Relation {
    match ctx.org_id() {
        Some(mine) if mine == org => Relation::SameOrg,
        Some(mine) if is_within(org, mine, |o| parents.get(o).cloned().flatten()) => Relation::SubOrg,
        _ => Relation::Unrelated,
    }
}

/// Use cases may build on one another, but never in a circle: a circle is two files that can
/// only be understood, changed and tested together. This reads the use case files and fails
/// on any cycle of `crate::usecases::…` references, naming it.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    fn graph() -> BTreeMap<String, BTreeSet<String>> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/usecases");
        let mut g = BTreeMap::new();
        for e in std::fs::read_dir(&dir).unwrap() {
            let path = e.unwrap().path();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            if name == "mod" {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            // Test modules may use anything; only the code that ships counts.
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            let marker = ["crate::usecases", "::"].concat();
            let deps: BTreeSet<String> = code
                .match_indices(&marker)
                .map(|(i, _)| code[i + marker.len()..].chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect::<String>())
                .filter(|d| !d.is_empty() && *d != name)
                .collect();
            g.insert(name, deps);
        }
        g
    }

    fn cycle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
        fn visit(
            n: &str,
            g: &BTreeMap<String, BTreeSet<String>>,
            path: &mut Vec<String>,
            done: &mut BTreeSet<String>,
        ) -> Option<Vec<String>> {
            if let Some(at) = path.iter().position(|p| p == n) {
                let mut c = path[at..].to_vec();
                c.push(n.to_owned());
                return Some(c);
            }
            if done.contains(n) {
                return None;
            }
            path.push(n.to_owned());
            for d in g.get(n).into_iter().flatten() {
                if let Some(c) = visit(d, g, path, done) {
                    return Some(c);
                }
            }
            path.pop();
            done.insert(n.to_owned());
            None
        }
        let mut done = BTreeSet::new();
        g.keys().find_map(|n| visit(n, g, &mut Vec::new(), &mut done))
    }

    #[test]
    fn no_use_case_imports_another_in_a_circle() {
        let g = graph();
        assert!(g.len() > 30 && g.contains_key("cases") && g["sharing"].contains("case_views"), "read the use cases: {g:?}");
        assert_eq!(cycle(&g), None);
    }

    #[test]
    fn the_cycle_check_finds_a_circle() {
        let mut g = BTreeMap::new();
        g.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
        g.insert("b".to_owned(), BTreeSet::from(["c".to_owned()]));
        g.insert("c".to_owned(), BTreeSet::from(["a".to_owned()]));
        assert_eq!(cycle(&g), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
    }
}
