//! Use cases, one file per resource. Each public method: validate → authorize (policy) →
//! act through the store with its audit event in the same transaction.

pub mod audit;
pub mod auth;
pub mod demo;
pub mod geo;
pub mod orgs;
pub mod persons;
pub mod system;
pub mod tokens;
pub mod users;

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
        let Some(mine) = ctx.org_id() else { return Ok(Relation::Unrelated) };
        if mine == org {
            return Ok(Relation::SameOrg);
        }
        let parents: HashMap<OrgId, Option<OrgId>> = self.store.list_orgs().await?.into_iter().map(|o| (o.id, o.parent_id)).collect();
        let below = is_within(org, mine, |o| parents.get(o).cloned().flatten());
        Ok(if below { Relation::SubOrg } else { Relation::Unrelated })
    }
}
