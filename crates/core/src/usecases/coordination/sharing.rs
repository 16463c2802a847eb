//! Sharing and transfer of cases between organisations, and "who has seen this".
//!
//! A share is for a stated purpose, until a stated date, and may hide identities (a
//! coordinator sees the case but not who is in it). It is offered by the owner (granted at
//! once) or requested by another organisation, then granted or refused; the owner can revoke
//! it at any time. A transfer moves ownership and keeps the whole history; the previous owner
//! keeps a share so that the police, for example, still follow a case the prosecutor took up.

use super::Coordination;
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::random::RandomExt;
use crate::rows::case::Case;
use crate::rows::share::{Share, ShareStatus};
use crate::rows::{self, Stamp};
use crate::store::{AuditFilter, Batch, RowFilter};
use crate::usecases::case_views::CaseStep;
use amparo_domain::OrgId;
use amparo_domain::policy::{Action, Relation};
use amparo_domain::protection::is_iso_date;
use amparo_domain::validation::FieldErrors;
use serde::{Deserialize, Serialize};

pub(crate) use crate::usecases::case_views::ShareAttrs;

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ShareInput {
    #[serde(default)]
    #[schemars(required, extend("pattern" = "\\S"))]
    pub to_org: String,
    #[serde(default)]
    #[schemars(required, extend("pattern" = "\\S"))]
    pub purpose: String,
    #[serde(default)]
    pub until: String,
    #[schemars(schema_with = "amparo_domain::intake::flag_schema")]
    #[serde(default, deserialize_with = "amparo_domain::intake::flag")]
    pub hide_identities: bool,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct ShareView {
    pub id: String,
    pub case_id: String,
    pub case_reference: String,
    pub owner: OrgId,
    pub to_org: OrgId,
    pub purpose: String,
    pub until: String,
    pub hide_identities: bool,
    pub status: String,
    pub version: i64,
    /// What the caller may do: grant/refuse (owner, on a request), revoke (owner).
    pub actions: Vec<&'static str>,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct SeenEntry {
    pub at: i64,
    pub org_id: String,
    pub user_id: String,
    pub action: String,
}

fn validate(input: &ShareInput, today: &str) -> Result<(OrgId, String, String), FieldErrors> {
    let mut e = FieldErrors::new();
    let to = OrgId::parse(input.to_org.trim());
    if to.is_none() {
        e.add("to_org", "required");
    }
    let purpose = amparo_domain::intake::reason(&mut e, "purpose", &input.purpose);
    let until = input.until.trim().to_owned();
    if !is_iso_date(&until) {
        e.add("until", "invalid_date");
    } else if until.as_str() < today {
        e.add("until", "date_in_past");
    }
    e.into_result()?;
    match to {
        Some(to) => Ok((to, purpose, until)),
        None => Err(FieldErrors::new()),
    }
}

impl Coordination {
    fn share_view(&self, ctx: &Ctx, sh: &Share, case_ref: &str) -> ShareView {
        let owner = ctx.org_id() == Some(&sh.owner);
        let mut actions = Vec::new();
        if owner && sh.status == ShareStatus::Requested {
            actions.extend(["grant", "refuse"]);
        }
        if owner && sh.status == ShareStatus::Granted {
            actions.push("revoke");
        }
        ShareView {
            id: sh.id.clone(),
            case_id: sh.case_id.clone(),
            case_reference: case_ref.to_owned(),
            owner: sh.owner.clone(),
            to_org: sh.to_org.clone(),
            purpose: sh.attrs.purpose.clone(),
            until: sh.attrs.until.clone(),
            hide_identities: sh.attrs.hide_identities,
            status: sh.status.as_str().into(),
            version: sh.stamp.version,
            actions,
        }
    }

    /// A new share of `case` with `to`, owned by the case's owner.
    fn new_share(&self, ctx: &Ctx, case: &Case, to: &OrgId, attrs: ShareAttrs, status: ShareStatus) -> Share {
        let by = ctx.user().map(|u| u.user_id.to_string()).unwrap_or_default();
        Share {
            id: self.random.new_id(),
            owner: case.org_id.clone(),
            case_id: case.id.clone(),
            to_org: to.clone(),
            status,
            attrs,
            stamp: Stamp::new(self.now(), &by),
        }
    }

    /// The owner shares a case with another organisation: granted at once.
    pub async fn share_case(&self, ctx: &Ctx, case_id: &str, input: &ShareInput) -> CoreResult<ShareView> {
        let (to, purpose, until) = validate(input, &self.today())?;
        let (case, access) = self.scope().case_for(ctx, case_id, Action::ShareCase).await?;
        if access.relation != Relation::SameOrg {
            return Err(CoreError::Forbidden(amparo_domain::policy::Denial::NoRelation));
        }
        self.store.get_org(&to).await?.ok_or_else(|| CoreError::field("to_org", "invalid_choice"))?;
        if to == case.org_id {
            return Err(CoreError::field("to_org", "same_unit"));
        }
        let a = ShareAttrs { purpose, until, hide_identities: input.hide_identities, requested: false, history: vec![] };
        let share = self.new_share(ctx, &case, &to, a, ShareStatus::Granted);
        let note = self.notify(&to, "case_shared", &format!("/cases/{case_id}"));
        let mut ev = ctx.event(self.now(), "share_case", "ok", "case", case_id);
        ev.details =
            serde_json::json!({ "to": to, "until": share.attrs.until, "hide_identities": share.attrs.hide_identities }).to_string();
        self.commit(&Batch { inserts: vec![rows::entry(&share)?, note], updates: vec![] }, &ev).await?;
        Ok(self.share_view(ctx, &share, &case.reference))
    }

    /// Ask for a share of a case by its reference (as another organisation told you after an
    /// alert). The answer is the same whether or not the reference exists, so a request never
    /// confirms that a case exists.
    pub async fn request_share(&self, ctx: &Ctx, case_ref: &str, purpose: &str, until: &str) -> CoreResult<()> {
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?.clone();
        let input =
            ShareInput { to_org: me.org_id.to_string(), purpose: purpose.to_owned(), until: until.to_owned(), hide_identities: false };
        let (_, purpose, until) = validate(&input, &self.today())?;
        self.authorize(ctx, Action::RequestShare, Relation::OwnOrgScope, "case", "").await?;
        let by_ref = RowFilter { lookup: Some(case_ref.trim().to_uppercase()), limit: Some(1), ..Default::default() };
        let found = rows::find::<Case>(&*self.store, &by_ref).await?.into_iter().next();
        let mut ev = ctx.event(self.now(), "request_share", "ok", "case", found.as_ref().map(|c| c.id.as_str()).unwrap_or(""));
        ev.details = serde_json::json!({ "found": found.is_some() }).to_string();
        match found {
            Some(case) if case.org_id != me.org_id => {
                let a = ShareAttrs { purpose, until, hide_identities: false, requested: true, history: vec![] };
                let share = self.new_share(ctx, &case, &me.org_id, a, ShareStatus::Requested);
                let note = self.notify(&case.org_id, "share_requested", &format!("/cases/{}", case.id));
                self.commit(&Batch { inserts: vec![rows::entry(&share)?, note], updates: vec![] }, &ev).await
            }
            _ => self.append(&ev).await.map(|_| ()),
        }
    }

    /// Grant or refuse a request, or revoke a share (owning organisation only).
    pub async fn answer_share(&self, ctx: &Ctx, share_id: &str, action: &str, version: i64) -> CoreResult<ShareView> {
        let share = rows::get::<Share>(&*self.store, share_id).await?;
        let case_id = share.as_ref().map(|s| s.case_id.clone()).unwrap_or_default();
        let (case, access) = self.scope().case_for(ctx, &case_id, Action::ShareCase).await?;
        let share = share.ok_or(CoreError::NotFound)?;
        if access.relation != Relation::SameOrg || share.owner != case.org_id {
            return Err(CoreError::Forbidden(amparo_domain::policy::Denial::NoRelation));
        }
        if share.stamp.version != version {
            return Err(CoreError::Conflict { current: serde_json::to_value(self.share_view(ctx, &share, "")).unwrap_or_default() });
        }
        use ShareStatus as S;
        let next = match (share.status, action) {
            (S::Requested, "grant") => S::Granted,
            (S::Requested, "refuse") => S::Refused,
            (S::Granted, "revoke") => S::Revoked,
            _ => return Err(CoreError::field("action", "not_allowed_in_this_state")),
        };
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let mut updated = Share { status: next, stamp: share.stamp.next(self.now()), ..share.clone() };
        updated.attrs.history.push(CaseStep { at: self.now(), by: me.user_id.to_string(), what: next.as_str().into(), detail: None });
        let to = share.to_org.clone();
        let note = self.notify(&to, &format!("share_{}", next.as_str()), &format!("/cases/{case_id}"));
        let mut ev = ctx.event(self.now(), &format!("{action}_share"), "ok", "case", &case_id);
        ev.details = serde_json::json!({ "share": share_id, "to": to }).to_string();
        self.commit(&Batch { inserts: vec![note], updates: vec![rows::entry(&updated)?] }, &ev).await?;
        Ok(self.share_view(ctx, &updated, &case.reference))
    }

    /// Shares of a case (owner: all; others: their own).
    pub async fn case_shares(&self, ctx: &Ctx, case_id: &str) -> CoreResult<Vec<ShareView>> {
        let (case, access) = self.scope().case_for(ctx, case_id, Action::ViewCase).await?;
        let shares = rows::find::<Share>(&*self.store, &RowFilter { subject_ids: vec![case_id.to_owned()], ..Default::default() }).await?;
        let mine = ctx.org_id();
        Ok(shares
            .iter()
            .filter(|s| access.relation == Relation::SameOrg || Some(&s.to_org) == mine)
            .map(|s| self.share_view(ctx, s, &case.reference))
            .collect())
    }

    /// Hand a case to another organisation (for example police → prosecutor). History stays on
    /// the case; the previous owner keeps a share until the stated date.
    pub async fn transfer_case(&self, ctx: &Ctx, case_id: &str, input: &ShareInput) -> CoreResult<()> {
        let (to, purpose, until) = validate(input, &self.today())?;
        let (case, access) = self.scope().case_for(ctx, case_id, Action::ShareCase).await?;
        if access.relation != Relation::SameOrg {
            return Err(CoreError::Forbidden(amparo_domain::policy::Denial::NoRelation));
        }
        self.store.get_org(&to).await?.ok_or_else(|| CoreError::field("to_org", "invalid_choice"))?;
        if to == case.org_id {
            return Err(CoreError::field("to_org", "same_unit"));
        }
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let from = case.org_id.clone();
        let mut moved = Case { org_id: to.clone(), stamp: case.stamp.next(self.now()), ..case.clone() };
        moved.attrs.history.push(CaseStep {
            at: self.now(),
            by: me.user_id.to_string(),
            what: "transferred".into(),
            detail: Some(purpose.clone()),
        });
        let keep = ShareAttrs { purpose, until, hide_identities: false, requested: false, history: vec![] };
        // The share back to the previous owner belongs to the new one.
        let back = Share { owner: to.clone(), ..self.new_share(ctx, &case, &from, keep, ShareStatus::Granted) };
        let note = self.notify(&to, "case_transferred", &format!("/cases/{case_id}"));
        let mut ev = ctx.event(self.now(), "transfer_case", "ok", "case", case_id);
        ev.details = serde_json::json!({ "from": from, "to": to }).to_string();
        self.commit(&Batch { inserts: vec![rows::entry(&back)?, note], updates: vec![rows::entry(&moved)?] }, &ev).await
    }

    /// Who has read or changed the case, from the audit trail. For the owning organisation.
    pub async fn who_has_seen(&self, ctx: &Ctx, case_id: &str) -> CoreResult<Vec<SeenEntry>> {
        let (_, access) = self.scope().case_for(ctx, case_id, Action::ShareCase).await?;
        if access.relation != Relation::SameOrg {
            return Err(CoreError::Forbidden(amparo_domain::policy::Denial::NoRelation));
        }
        let entries = self.store.audit_page(&AuditFilter { record_id: Some(case_id.to_owned()), limit: 500, ..Default::default() }).await?;
        self.append(&ctx.event(self.now(), "read_case_access_log", "ok", "case", case_id)).await?;
        Ok(entries
            .into_iter()
            .filter(|e| e.event.outcome == "ok" || e.event.outcome == "denied")
            .map(|e| SeenEntry {
                at: e.event.occurred_at,
                org_id: e.event.actor_org,
                user_id: e.event.actor,
                action: format!("{} ({})", e.event.action, e.event.outcome),
            })
            .collect())
    }
}
