//! Organisations: the directory every user sees, and its administration.

use super::Administration;
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::random::RandomExt;
use amparo_domain::OrgId;
use amparo_domain::org::{OrgFields, OrgInput, Organisation, is_within};
use amparo_domain::policy::{Action, Relation};
use std::collections::HashMap;

/// An organisation in the directory with what the viewer may do with it: edit it, or put a
/// new organisation under it.
#[derive(Clone, Debug)]
pub struct OrgDirectoryRow {
    pub org: Organisation,
    pub can_edit: bool,
    pub can_be_parent: bool,
}

impl Administration {
    /// The directory with the viewer's capabilities on each row, so the page offers only
    /// the actions that will be allowed.
    pub async fn org_directory(&self, ctx: &Ctx) -> CoreResult<Vec<OrgDirectoryRow>> {
        let orgs = self.list_orgs(ctx).await?;
        let actor = ctx.actor.as_ref().ok_or(CoreError::Unauthenticated)?;
        let parents = self.org_parents().await?;
        Ok(orgs
            .into_iter()
            .map(|o| {
                let rel = crate::kernel::relation_in(ctx, &o.id, &parents);
                let as_parent = if rel == Relation::SameOrg { Relation::SubOrg } else { rel };
                OrgDirectoryRow {
                    can_edit: amparo_domain::policy::authorize(actor, Action::UpdateOrg, rel).is_ok(),
                    can_be_parent: amparo_domain::policy::authorize(actor, Action::CreateOrg, as_parent).is_ok(),
                    org: o,
                }
            })
            .collect())
    }

    pub async fn list_orgs(&self, ctx: &Ctx) -> CoreResult<Vec<Organisation>> {
        self.authorize(ctx, Action::ViewDirectory, Relation::OwnOrgScope, "organisation", "").await?;
        let mut orgs = self.store.list_orgs().await?;
        orgs.sort_by(|a, b| a.jurisdiction.cmp(&b.jurisdiction).then(a.name.cmp(&b.name)));
        Ok(orgs)
    }

    pub async fn get_org(&self, ctx: &Ctx, id: &OrgId) -> CoreResult<Organisation> {
        self.authorize(ctx, Action::ViewDirectory, Relation::OwnOrgScope, "organisation", id.as_str()).await?;
        self.store.get_org(id).await?.ok_or(CoreError::NotFound)
    }

    /// The organisation, if the actor may edit it (for showing an edit form).
    pub async fn org_for_edit(&self, ctx: &Ctx, id: &OrgId) -> CoreResult<Organisation> {
        let org = self.store.get_org(id).await?;
        let rel = if org.is_some() { self.relation_to_org(ctx, id).await? } else { Relation::Unrelated };
        self.authorize(ctx, Action::UpdateOrg, rel, "organisation", id.as_str()).await?;
        org.ok_or(CoreError::NotFound)
    }

    async fn check_org_refs(&self, f: &OrgFields) -> CoreResult<()> {
        if self.store.get_area(&f.jurisdiction).await?.is_none() {
            return Err(CoreError::field("jurisdiction", "unknown_area"));
        }
        if let Some(p) = &f.parent_id
            && self.store.get_org(p).await?.is_none()
        {
            return Err(CoreError::field("parent_id", "unknown_organisation"));
        }
        Ok(())
    }

    /// Create an organisation. An organisation admin creates only below their own; the
    /// system admin and the console operator anywhere.
    pub async fn create_org(&self, ctx: &Ctx, input: &OrgInput) -> CoreResult<Organisation> {
        let f = input.validate()?;
        let rel = match &f.parent_id {
            Some(p) => match self.relation_to_org(ctx, p).await? {
                Relation::SameOrg => Relation::SubOrg,
                r => r,
            },
            None => Relation::Unrelated,
        };
        self.authorize(ctx, Action::CreateOrg, rel, "organisation", "").await?;
        self.check_org_refs(&f).await?;
        let org = Organisation {
            id: OrgId::from_trusted(self.random.new_id()),
            parent_id: f.parent_id,
            name: f.name,
            kind: f.kind,
            jurisdiction: f.jurisdiction,
            version: 1,
            created_at: self.now(),
        };
        let ev = ctx.event(self.now(), "create_org", "ok", "organisation", org.id.as_str());
        let seq = self.store.insert_org(&org, &ev).await?;
        self.maybe_checkpoint(seq).await;
        Ok(org)
    }

    /// Edit an organisation. `version` is the one the user saw; a stale one is a conflict
    /// that carries the current record.
    pub async fn update_org(&self, ctx: &Ctx, id: &OrgId, input: &OrgInput, version: i64) -> CoreResult<Organisation> {
        let current = self.store.get_org(id).await?;
        let rel = if current.is_some() { self.relation_to_org(ctx, id).await? } else { Relation::Unrelated };
        self.authorize(ctx, Action::UpdateOrg, rel, "organisation", id.as_str()).await?;
        let current = current.ok_or(CoreError::NotFound)?;
        let f = input.validate()?;
        self.check_org_refs(&f).await?;
        if let Some(p) = &f.parent_id {
            let parents: HashMap<OrgId, Option<OrgId>> = self.store.list_orgs().await?.into_iter().map(|o| (o.id, o.parent_id)).collect();
            if is_within(p, id, |o| parents.get(o).cloned().flatten()) {
                return Err(CoreError::field("parent_id", "would_create_cycle"));
            }
        }
        if current.version != version {
            return Err(CoreError::Conflict { current: serde_json::to_value(&current).unwrap_or_default() });
        }
        let org = Organisation {
            parent_id: f.parent_id,
            name: f.name,
            kind: f.kind,
            jurisdiction: f.jurisdiction,
            version: version + 1,
            ..current.clone()
        };
        let ev = ctx.event(self.now(), "update_org", "ok", "organisation", id.as_str());
        match self.store.update_org(&org, &ev).await {
            Ok(seq) => {
                self.maybe_checkpoint(seq).await;
                Ok(org)
            }
            Err(crate::store::StoreError::Conflict) => {
                let now = self.store.get_org(id).await?.ok_or(CoreError::NotFound)?;
                Err(CoreError::Conflict { current: serde_json::to_value(&now).unwrap_or_default() })
            }
            Err(e) => Err(e.into()),
        }
    }
}
