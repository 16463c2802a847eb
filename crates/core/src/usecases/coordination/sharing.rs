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
use crate::records::{attrs, to_json};
use crate::store::{AuditFilter, Batch, RecordRow, RecordTable, RowFilter};
use crate::usecases::case_views::{CaseAttrs, CaseStep};
use amparo_domain::OrgId;
use amparo_domain::policy::{Action, Relation};
use amparo_domain::protection::is_iso_date;
use amparo_domain::validation::FieldErrors;
use serde::{Deserialize, Serialize};

pub(crate) use crate::usecases::case_views::ShareAttrs;

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ShareInput {
    #[serde(default)]
    pub to_org: String,
    #[serde(default)]
    pub purpose: String,
    #[serde(default)]
    pub until: String,
    #[serde(default, deserialize_with = "amparo_domain::intake::flag")]
    pub hide_identities: bool,
}

#[derive(Clone, Debug, Serialize)]
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

#[derive(Clone, Debug, Serialize)]
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
    fn share_view(&self, ctx: &Ctx, row: &RecordRow, case_ref: &str) -> CoreResult<ShareView> {
        let a: ShareAttrs = attrs(row)?;
        let owner = ctx.org_id() == Some(&row.org_id);
        let mut actions = Vec::new();
        if owner && row.status == "requested" {
            actions.extend(["grant", "refuse"]);
        }
        if owner && row.status == "granted" {
            actions.push("revoke");
        }
        Ok(ShareView {
            id: row.id.clone(),
            case_id: row.subject_id.clone().unwrap_or_default(),
            case_reference: case_ref.to_owned(),
            owner: row.org_id.clone(),
            to_org: row.party_org.clone().unwrap_or_else(|| row.org_id.clone()),
            purpose: a.purpose,
            until: a.until,
            hide_identities: a.hide_identities,
            status: row.status.clone(),
            version: row.version,
            actions,
        })
    }

    fn share_row(&self, ctx: &Ctx, case: &RecordRow, to: &OrgId, a: &ShareAttrs, status: &str) -> CoreResult<RecordRow> {
        let by = ctx.user().map(|u| u.user_id.to_string()).unwrap_or_default();
        Ok(RecordRow {
            party_org: Some(to.clone()),
            subject_id: Some(case.id.clone()),
            attrs: to_json(a)?,
            ..self.new_row(&self.random.new_id(), &case.org_id, &by, "case", status)
        })
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
        let row = self.share_row(ctx, &case, &to, &a, "granted")?;
        let note = self.notify(&to, "case_shared", &format!("/cases/{case_id}"));
        let mut ev = ctx.event(self.now(), "share_case", "ok", "case", case_id);
        ev.details = serde_json::json!({ "to": to, "until": a.until, "hide_identities": a.hide_identities }).to_string();
        self.commit(&Batch { inserts: vec![(RecordTable::Shares, row.clone()), note], updates: vec![] }, &ev).await?;
        self.share_view(ctx, &row, case.lookup.as_deref().unwrap_or(""))
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
        let found = self
            .store
            .find_rows(
                RecordTable::Cases,
                &RowFilter { lookup: Some(case_ref.trim().to_uppercase()), limit: Some(1), ..Default::default() },
            )
            .await?
            .into_iter()
            .next();
        let mut ev = ctx.event(self.now(), "request_share", "ok", "case", found.as_ref().map(|c| c.id.as_str()).unwrap_or(""));
        ev.details = serde_json::json!({ "found": found.is_some() }).to_string();
        match found {
            Some(case) if case.org_id != me.org_id => {
                let a = ShareAttrs { purpose, until, hide_identities: false, requested: true, history: vec![] };
                let row = self.share_row(ctx, &case, &me.org_id, &a, "requested")?;
                let note = self.notify(&case.org_id, "share_requested", &format!("/cases/{}", case.id));
                self.commit(&Batch { inserts: vec![(RecordTable::Shares, row), note], updates: vec![] }, &ev).await
            }
            _ => self.append(&ev).await.map(|_| ()),
        }
    }

    /// Grant or refuse a request, or revoke a share (owning organisation only).
    pub async fn answer_share(&self, ctx: &Ctx, share_id: &str, action: &str, version: i64) -> CoreResult<ShareView> {
        let share = self.store.get_row(RecordTable::Shares, share_id).await?;
        let case_id = share.as_ref().and_then(|s| s.subject_id.clone()).unwrap_or_default();
        let (case, access) = self.scope().case_for(ctx, &case_id, Action::ShareCase).await?;
        let share = share.ok_or(CoreError::NotFound)?;
        if access.relation != Relation::SameOrg || share.org_id != case.org_id {
            return Err(CoreError::Forbidden(amparo_domain::policy::Denial::NoRelation));
        }
        if share.version != version {
            return Err(CoreError::Conflict { current: serde_json::to_value(self.share_view(ctx, &share, "")?).unwrap_or_default() });
        }
        let next = match (share.status.as_str(), action) {
            ("requested", "grant") => "granted",
            ("requested", "refuse") => "refused",
            ("granted", "revoke") => "revoked",
            _ => return Err(CoreError::field("action", "not_allowed_in_this_state")),
        };
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let mut a: ShareAttrs = attrs(&share)?;
        a.history.push(CaseStep { at: self.now(), by: me.user_id.to_string(), what: next.into(), detail: None });
        let updated =
            RecordRow { status: next.into(), attrs: to_json(&a)?, version: share.version + 1, updated_at: self.now(), ..share.clone() };
        let to = share.party_org.clone().unwrap_or_else(|| share.org_id.clone());
        let note = self.notify(&to, &format!("share_{next}"), &format!("/cases/{case_id}"));
        let mut ev = ctx.event(self.now(), &format!("{action}_share"), "ok", "case", &case_id);
        ev.details = serde_json::json!({ "share": share_id, "to": to }).to_string();
        self.commit(&Batch { inserts: vec![note], updates: vec![(RecordTable::Shares, updated.clone())] }, &ev).await?;
        self.share_view(ctx, &updated, case.lookup.as_deref().unwrap_or(""))
    }

    /// Shares of a case (owner: all; others: their own).
    pub async fn case_shares(&self, ctx: &Ctx, case_id: &str) -> CoreResult<Vec<ShareView>> {
        let (case, access) = self.scope().case_for(ctx, case_id, Action::ViewCase).await?;
        let rows =
            self.store.find_rows(RecordTable::Shares, &RowFilter { subject_ids: vec![case_id.to_owned()], ..Default::default() }).await?;
        let mine = ctx.org_id();
        rows.iter()
            .filter(|r| access.relation == Relation::SameOrg || r.party_org.as_ref() == mine)
            .map(|r| self.share_view(ctx, r, case.lookup.as_deref().unwrap_or("")))
            .collect()
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
        let mut a: CaseAttrs = attrs(&case)?;
        a.history.push(CaseStep { at: self.now(), by: me.user_id.to_string(), what: "transferred".into(), detail: Some(purpose.clone()) });
        let moved =
            RecordRow { org_id: to.clone(), attrs: to_json(&a)?, version: case.version + 1, updated_at: self.now(), ..case.clone() };
        let keep = ShareAttrs { purpose, until, hide_identities: false, requested: false, history: vec![] };
        let back = RecordRow { org_id: to.clone(), ..self.share_row(ctx, &case, &from, &keep, "granted")? };
        let note = self.notify(&to, "case_transferred", &format!("/cases/{case_id}"));
        let mut ev = ctx.event(self.now(), "transfer_case", "ok", "case", case_id);
        ev.details = serde_json::json!({ "from": from, "to": to }).to_string();
        self.commit(&Batch { inserts: vec![(RecordTable::Shares, back), note], updates: vec![(RecordTable::Cases, moved)] }, &ev).await
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
