//! Persons: create and edit with every identifying field encrypted, list by pseudonymous
//! code, and reveal the identity only for a stated purpose — audited before the data leaves
//! this function. A person is visible to the organisation that recorded them and to the
//! organisations they were referred to (while the referral stands).

use super::Protection;
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::paging::{Page, scanned};
use crate::random::RandomExt;
use crate::store::{PersonListFilter, PersonRecord};
use amparo_domain::PersonId;
use amparo_domain::paging::{After, ListParams};
use amparo_domain::person::{Identity, Person, PersonInput, PersonProfile, pseudonym};
use amparo_domain::policy::{Action, Relation};

pub const MIN_PURPOSE_CHARS: usize = 8;

pub(crate) fn public(p: &PersonRecord) -> Person {
    Person {
        id: p.id.clone(),
        org_id: p.org_id.clone(),
        code: p.code.clone(),
        role: p.role,
        sex: p.sex.clone(),
        approx_age: p.approx_age,
        profile: p.profile.clone(),
        version: p.version,
        created_at: p.created_at,
    }
}

impl Protection {
    pub async fn create_person(&self, ctx: &Ctx, input: &PersonInput) -> CoreResult<Person> {
        let f = input.validate()?;
        self.authorize(ctx, Action::CreatePerson, Relation::OwnOrgScope, "person", "").await?;
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let id = PersonId::from_trusted(self.random.new_id());
        let sealed = self.scope().seal_identity(&id, &f.identity)?;
        if let (Some(t), Some(src)) = (&f.profile.source_type, &f.profile.source_id) {
            self.scope().check_source(ctx, t, src).await?;
        }
        let now = self.now();
        let rec = PersonRecord {
            id: id.clone(),
            org_id: me.org_id.clone(),
            code: pseudonym(&self.random.bytes::<8>()),
            role: f.role,
            sex: f.sex,
            approx_age: f.approx_age,
            version: 1,
            created_at: self.now(),
            created_by: me.user_id.clone(),
            updated_at: now,
            profile: f.profile,
            sealed,
            match_doc: None,
            match_name_dob: None,
        };
        let ev = ctx.event(self.now(), "create_person", "ok", "person", id.as_str());
        // The pseudonymous code is 40 random bits: at a few million persons two can collide,
        // so a taken code is drawn again rather than refused.
        let mut rec = rec;
        let mut attempt = 0;
        let seq = loop {
            match self.store.insert_person(&rec, &ev).await {
                Err(crate::store::StoreError::Duplicate(_)) if attempt < 5 => {
                    attempt += 1;
                    rec.code = pseudonym(&self.random.bytes::<8>());
                }
                other => break other?,
            }
        };
        self.maybe_checkpoint(seq).await;
        self.coordination().index_and_alert(ctx, &rec, &f.identity).await?;
        Ok(public(&rec))
    }

    /// A page of the persons of the actor's organisation and those referred to it, newest
    /// first, by pseudonymous code only; `?status=` is the person's role.
    pub async fn list_persons(&self, ctx: &Ctx, q: &ListParams) -> CoreResult<Page<Person>> {
        self.authorize(ctx, Action::ListPersons, Relation::OwnOrgScope, "person", "").await?;
        let org = ctx.org_id().ok_or(CoreError::Unauthenticated)?.clone();
        let page = self.page_request(ctx, "persons", q.limit.as_deref(), q.cursor.as_deref())?;
        let roles: Vec<&str> = amparo_domain::person::PersonRole::ALL.iter().map(|r| r.as_str()).collect();
        let filter = q.filter(&roles).map_err(CoreError::Validation)?;
        let f = PersonListFilter {
            owners: vec![org.clone()],
            referred_to: vec![org],
            role: filter.statuses.first().cloned(),
            created_from: filter.from,
            created_before: filter.before,
            after: page.after.clone(),
            limit: page.limit as i64 + 1,
        };
        let key = |p: &PersonRecord| After { at: p.created_at, id: p.id.to_string() };
        let seen = scanned(self.store.persons_listed(&f).await?, page.limit, key);
        let mut ev = ctx.event(self.now(), "list_persons", "ok", "person", "");
        ev.details = serde_json::json!({ "count": seen.rows.len() }).to_string();
        self.append(&ev).await?;
        let items = seen.rows.iter().map(public).collect();
        Ok(self.page_of(ctx, "persons", items, seen.next))
    }

    pub async fn get_person(&self, ctx: &Ctx, id: &PersonId) -> CoreResult<Person> {
        // Deny before revealing existence: an unrelated user gets the same answer for a
        // record that exists and one that does not.
        let (rec, _) = self.scope().person_for(ctx, id, Action::ListPersons).await?;
        self.append(&ctx.event(self.now(), "read_person", "ok", "person", id.as_str())).await?;
        Ok(public(&rec))
    }

    /// Decrypt a person's identity. The purpose is written to the audit trail first.
    pub async fn reveal_person(&self, ctx: &Ctx, id: &PersonId, purpose: &str) -> CoreResult<(Person, Identity)> {
        let purpose = purpose.trim();
        if purpose.chars().count() < MIN_PURPOSE_CHARS || purpose.chars().count() > 500 {
            return Err(CoreError::field("purpose", "purpose_required"));
        }
        let (rec, _) = self.scope().person_for(ctx, id, Action::RevealPerson).await?;
        let mut ev = ctx.event(self.now(), "reveal_person", "ok", "person", id.as_str());
        ev.purpose = purpose.to_owned();
        self.append(&ev).await?;
        Ok((public(&rec), self.scope().open_identity(&rec)?))
    }

    /// The identity for the edit form: like a reveal, needs a purpose and is audited.
    pub async fn person_for_edit(&self, ctx: &Ctx, id: &PersonId, purpose: &str) -> CoreResult<(Person, Identity)> {
        self.reveal_person(ctx, id, purpose).await
    }

    /// Replace a person's fields. Fields left empty are cleared, so the form always sends the
    /// whole record; a stale version gets `Conflict` with the current (pseudonymous) record.
    pub async fn update_person(&self, ctx: &Ctx, id: &PersonId, input: &PersonInput) -> CoreResult<Person> {
        let f = input.validate()?;
        let version: i64 = input.version.trim().parse().map_err(|_| CoreError::field("version", "required"))?;
        let (rec, _) = self.scope().person_for(ctx, id, Action::UpdatePerson).await?;
        if rec.version != version {
            return Err(CoreError::Conflict { current: serde_json::to_value(public(&rec)).unwrap_or_default() });
        }
        let updated = PersonRecord {
            role: f.role,
            sex: f.sex,
            approx_age: f.approx_age,
            version: rec.version + 1,
            updated_at: self.now(),
            // Where a person was first recorded from does not change.
            profile: PersonProfile { source_type: rec.profile.source_type.clone(), source_id: rec.profile.source_id.clone(), ..f.profile },
            sealed: self.scope().seal_identity(id, &f.identity)?,
            ..rec
        };
        let ev = ctx.event(self.now(), "update_person", "ok", "person", id.as_str());
        let identity = f.identity.clone();
        match self.store.update_person(&updated, &ev).await {
            Ok(seq) => self.maybe_checkpoint(seq).await,
            Err(crate::store::StoreError::Conflict) => {
                let now = self.store.get_person(id).await?.ok_or(CoreError::NotFound)?;
                return Err(CoreError::Conflict { current: serde_json::to_value(public(&now)).unwrap_or_default() });
            }
            Err(e) => return Err(e.into()),
        }
        self.coordination().index_and_alert(ctx, &updated, &identity).await?;
        Ok(public(&updated))
    }

    /// Persons recorded from a report, operation or inspection, limited to those the caller's
    /// organisation may see: another unit reading the same report does not learn the codes of
    /// persons it has no relation to.
    pub(crate) async fn persons_of_source(&self, ctx: &Ctx, source_id: &str) -> CoreResult<Vec<Person>> {
        let mut out = Vec::new();
        for p in self.store.persons_from_source(source_id).await? {
            if self.scope().person_relation(ctx, &p.id, &p.org_id).await? != Relation::Unrelated {
                out.push(public(&p));
            }
        }
        Ok(out)
    }
}
