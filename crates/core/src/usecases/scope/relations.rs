//! Who may see a record: the relation of a person, case, report, match or account to the
//! acting user, and the loaders that authorize through it (`person_for`, `case_for`). Every
//! pillar asks these questions, so they sit below all of them: no pillar has to call
//! another to learn whether its caller may see a record, and the services call each other
//! in one direction only (see `usecases::tests`).

use super::Scope;
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};

use crate::rows::case::{Case, CaseLink, LinkStatus};
use crate::rows::person_match::PersonMatch;
use crate::rows::share::{Share, ShareStatus};
use crate::rows::{self};
use crate::store::{Batch, PersonRecord, RowFilter};
use amparo_domain::OrgId;
use amparo_domain::PersonId;
use amparo_domain::org::OrgKind;
use amparo_domain::person::Identity;
use amparo_domain::policy::{Action, Relation};
use amparo_domain::user::User;
use std::collections::HashSet;

/// How the caller relates to a case, and whether identities are hidden from them.
pub(crate) struct CaseAccess {
    pub relation: Relation,
    pub hide_identities: bool,
}

impl Scope {
    /// Owner → `SameOrg`; an organisation the person was referred to (referral not rejected
    /// or revoked), or that sees a case the person is linked to through a share that does not
    /// hide identities → `Shared`; anyone else → `Unrelated`.
    pub(crate) async fn person_relation(&self, ctx: &Ctx, person: &PersonId, owner: &OrgId) -> CoreResult<Relation> {
        let Some(mine) = ctx.org_id() else { return Ok(Relation::Unrelated) };
        if mine == owner {
            return Ok(Relation::SameOrg);
        }
        let f = RowFilter { orgs: vec![mine.clone()], subject_ids: vec![person.to_string()], ..Default::default() };
        let referrals = crate::rows::find::<crate::rows::referral::Referral>(&*self.store, &f).await?;
        let shared = referrals.iter().any(|r| &r.to_org == mine && r.status.counts_as_referred());
        if shared {
            return Ok(Relation::Shared);
        }
        // A case the person is linked to, seen through a share that does not hide identities.
        let active =
            RowFilter { lookup: Some(person.to_string()), statuses: vec![LinkStatus::Active.as_str().into()], ..Default::default() };
        for l in rows::find::<CaseLink>(&*self.store, &active).await? {
            let Some(case) = rows::get::<Case>(&*self.store, &l.case_id).await? else { continue };
            let access = self.case_access(ctx, &case).await?;
            if access.relation != Relation::Unrelated && !access.hide_identities {
                return Ok(Relation::Shared);
            }
        }
        Ok(Relation::Unrelated)
    }

    /// Load a person and authorize `action` on them; unrelated callers learn nothing.
    pub(crate) async fn person_for(&self, ctx: &Ctx, id: &PersonId, action: Action) -> CoreResult<(PersonRecord, Relation)> {
        let rec = self.store.get_person(id).await?;
        let rel = match &rec {
            Some(r) => self.person_relation(ctx, id, &r.org_id).await?,
            None => Relation::Unrelated,
        };
        self.authorize(ctx, action, rel, "person", id.as_str()).await?;
        Ok((rec.ok_or(CoreError::NotFound)?, rel))
    }

    pub(crate) fn seal_identity(&self, id: &PersonId, identity: &Identity) -> CoreResult<Vec<(String, Vec<u8>)>> {
        let mut sealed = Vec::new();
        for (col, val) in identity.columns() {
            if let Some(v) = val {
                sealed.push((col.to_owned(), self.seal("persons", col, id.as_str(), v)?));
            }
        }
        Ok(sealed)
    }

    pub(crate) fn open_identity(&self, rec: &PersonRecord) -> CoreResult<Identity> {
        let mut identity = Identity::default();
        for (col, blob) in &rec.sealed {
            identity.set(col, Some(self.open("persons", col, rec.id.as_str(), blob)?));
        }
        Ok(identity)
    }

    pub(crate) async fn case_access(&self, ctx: &Ctx, case: &Case) -> CoreResult<CaseAccess> {
        let (Some(me), Some(mine)) = (ctx.user(), ctx.org_id()) else {
            return Ok(CaseAccess { relation: Relation::Unrelated, hide_identities: false });
        };
        let a = &case.attrs;
        // Complicity: only the named users, whatever their organisation's relation.
        if a.restricted && !a.allowed_users.iter().any(|u| u == me.user_id.as_str()) {
            return Ok(CaseAccess { relation: Relation::Unrelated, hide_identities: false });
        }
        if &case.org_id == mine {
            return Ok(CaseAccess { relation: Relation::SameOrg, hide_identities: false });
        }
        let today = self.today();
        let granted =
            RowFilter { subject_ids: vec![case.id.clone()], statuses: vec![ShareStatus::Granted.as_str().into()], ..Default::default() };
        let mut best: Option<bool> = None;
        for s in rows::find::<Share>(&*self.store, &granted).await?.iter().filter(|s| &s.to_org == mine) {
            if s.attrs.until.as_str() >= today.as_str() {
                best = Some(best.unwrap_or(true) && s.attrs.hide_identities);
            }
        }
        Ok(match best {
            Some(hide) => CaseAccess { relation: Relation::Shared, hide_identities: hide },
            None => CaseAccess { relation: Relation::Unrelated, hide_identities: false },
        })
    }

    /// Load a case and authorize `action`; a restricted case's access is reported.
    pub(crate) async fn case_for(&self, ctx: &Ctx, id: &str, action: Action) -> CoreResult<(Case, CaseAccess)> {
        let found = rows::get::<Case>(&*self.store, id).await?;
        let access = match &found {
            Some(c) => self.case_access(ctx, c).await?,
            None => CaseAccess { relation: Relation::Unrelated, hide_identities: false },
        };
        self.authorize(ctx, action, access.relation, "case", id).await?;
        let case = found.ok_or(CoreError::NotFound)?;
        if case.attrs.restricted {
            self.report_restricted_access(ctx, &case.id, action).await?;
        }
        Ok((case, access))
    }

    /// Every access to a case under the complicity flag is audited and notified to the
    /// coordinating bodies.
    pub(crate) async fn report_restricted_access(&self, ctx: &Ctx, case_id: &str, action: Action) -> CoreResult<()> {
        // One page view touches the case several times (case, charges, shares, timeline):
        // the coordinating body hears of each user's access once a minute, not once a query.
        let me = ctx.user().map(|u| u.user_id.to_string()).unwrap_or_default();
        let recent = crate::store::AuditFilter {
            actor: Some(me),
            action: Some("restricted_case_access".into()),
            record_id: Some(case_id.to_owned()),
            since: Some(self.now() - 60),
            limit: 1,
            ..Default::default()
        };
        if !self.store.audit_page(&recent).await?.is_empty() {
            return Ok(());
        }
        let coordinators: Vec<OrgId> =
            self.store.list_orgs().await?.into_iter().filter(|o| o.kind == OrgKind::CoordinatingBody).map(|o| o.id).collect();
        let inserts = coordinators.iter().map(|o| self.notify(o, "restricted_case_access", &format!("/cases/{case_id}"))).collect();
        let mut ev = ctx.event(self.now(), "restricted_case_access", "ok", "case", case_id);
        ev.details = serde_json::json!({ "action": action.as_str() }).to_string();
        self.commit(&Batch { inserts, updates: vec![] }, &ev).await
    }

    /// How the caller stands to an intake record held by `holder` and seen by `party`: the
    /// holder is `SameOrg`, the party `Shared`, a parent unit by the organisation tree.
    pub(crate) async fn report_relation(&self, ctx: &Ctx, holder: &OrgId, party: Option<&OrgId>) -> CoreResult<Relation> {
        let Some(mine) = ctx.org_id() else { return Ok(Relation::Unrelated) };
        if holder == mine {
            return Ok(Relation::SameOrg);
        }
        if party == Some(mine) {
            return Ok(Relation::Shared);
        }
        self.relation_to_org(ctx, holder).await
    }

    /// How the caller's organisation stands to a pair: `SameOrg` when it may see both persons,
    /// `Shared` when only one, `Unrelated` when neither.
    pub(crate) async fn match_relation(&self, ctx: &Ctx, m: &PersonMatch) -> CoreResult<(Relation, bool, bool)> {
        self.match_relation_knowing(ctx, m, &HashSet::new()).await
    }

    /// The same, told which persons are referred to the caller's organisation (a queue reads
    /// them once for every pair): such a person is `Shared` without asking the store again.
    /// Any other person is asked about as `person_relation` always does, so the answer is
    /// the same whatever `referred` holds.
    pub(crate) async fn match_relation_knowing(
        &self,
        ctx: &Ctx,
        m: &PersonMatch,
        referred: &HashSet<String>,
    ) -> CoreResult<(Relation, bool, bool)> {
        let mut sees = [false, false];
        for (k, (pid, owner)) in [(&m.left, &m.left_org), (&m.right, &m.right_org)].into_iter().enumerate() {
            let rel = if ctx.org_id() != Some(owner) && referred.contains(pid.as_str()) {
                Relation::Shared
            } else {
                self.person_relation(ctx, pid, owner).await?
            };
            if let Some(s) = sees.get_mut(k) {
                *s = matches!(rel, Relation::SameOrg | Relation::Shared | Relation::Assigned);
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

    pub(crate) async fn user_relation(&self, ctx: &Ctx, target: &User) -> CoreResult<Relation> {
        if ctx.user().map(|u| u.user_id == target.id).unwrap_or(false) {
            return Ok(Relation::SelfRecord);
        }
        self.relation_to_org(ctx, &target.org_id).await
    }

    /// A place and the areas above it, up to its country: what regional scoping compares.
    /// The place and every area above it, most specific first, ending with the country.
    pub(crate) async fn place_chain(&self, place: &str) -> CoreResult<Vec<String>> {
        let place = place.trim();
        let countries = self.store.list_countries().await?;
        if countries.iter().any(|c| c.alpha2 == place) {
            return Ok(vec![place.to_owned()]);
        }
        let mut chain = Vec::new();
        let mut cur = Some(place.to_owned());
        let mut country = None;
        while let Some(code) = cur.take() {
            if chain.len() > 8 {
                break;
            }
            let Some(area) = self.store.get_area(&code).await? else { break };
            country = Some(area.country.clone());
            chain.push(area.code.clone());
            cur = area.parent_code.clone();
        }
        match country {
            Some(c) => {
                chain.push(c);
                Ok(chain)
            }
            None => Err(CoreError::field("place", "unknown_area")),
        }
    }

    /// A record cited as a person's or a case's source must exist and be visible to the caller.
    /// Check that a person's source record exists and the caller may read it.
    pub(crate) async fn check_source(&self, ctx: &Ctx, source_type: &str, source_id: &str) -> CoreResult<()> {
        use crate::rows::intake::{Held, Inspection, Operation, Report};
        let unknown = || CoreError::field("source_id", "invalid_choice");
        let (holder, party) = match source_type {
            "report" => rows::get::<Report>(&*self.store, source_id).await?.map(|r| (r.holder().clone(), r.party().cloned())),
            "operation" => rows::get::<Operation>(&*self.store, source_id).await?.map(|r| (r.holder().clone(), r.party().cloned())),
            _ => rows::get::<Inspection>(&*self.store, source_id).await?.map(|r| (r.holder().clone(), r.party().cloned())),
        }
        .ok_or_else(unknown)?;
        let rel = self.report_relation(ctx, &holder, party.as_ref()).await?;
        self.authorize(ctx, Action::ViewReports, rel, source_type, source_id).await
    }
}
