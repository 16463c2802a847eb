//! Use cases, one file per resource. Each public method: validate → authorize (policy) →
//! act through the store with its audit event in the same transaction.

pub mod alerts;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod capabilities;
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
