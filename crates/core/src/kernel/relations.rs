//! How an organisation relates to the acting user (same, below, or other), the relation
//! every policy question about a record is asked with.

use crate::ctx::Ctx;
use crate::error::CoreResult;
use crate::kernel::Kernel;
use amparo_domain::OrgId;
use amparo_domain::org::is_within;
use amparo_domain::policy::Relation;
use std::collections::HashMap;

impl Kernel {
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
