//! Persons (foundation slice): create with every identifying field encrypted, list by
//! pseudonymous code, and reveal the identity only for a stated purpose — audited before the
//! data leaves this function.

use crate::Amparo;
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::random::RandomExt;
use crate::store::PersonRecord;
use amparo_domain::person::{Identity, Person, PersonInput, pseudonym};
use amparo_domain::policy::{Action, Relation};
use amparo_domain::{OrgId, PersonId};

pub const MIN_PURPOSE_CHARS: usize = 8;

fn public(p: &PersonRecord) -> Person {
    Person {
        id: p.id.clone(),
        org_id: p.org_id.clone(),
        code: p.code.clone(),
        role: p.role,
        sex: p.sex.clone(),
        approx_age: p.approx_age,
        version: p.version,
        created_at: p.created_at,
    }
}

impl Amparo {
    fn person_relation(&self, ctx: &Ctx, owner: &OrgId) -> Relation {
        // Shares and assignments arrive with the protection and prosecution pillars; until
        // then only the owning organisation relates to a person.
        if ctx.org_id() == Some(owner) { Relation::SameOrg } else { Relation::Unrelated }
    }

    pub async fn create_person(&self, ctx: &Ctx, input: &PersonInput) -> CoreResult<Person> {
        let f = input.validate()?;
        self.authorize(ctx, Action::CreatePerson, Relation::OwnOrgScope, "person", "").await?;
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let id = PersonId::from_trusted(self.random.new_id());
        let mut sealed = Vec::new();
        for (col, val) in f.identity.columns() {
            if let Some(v) = val {
                sealed.push((col.to_owned(), self.seal("persons", col, id.as_str(), v)?));
            }
        }
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
            sealed,
        };
        let ev = ctx.event(self.now(), "create_person", "ok", "person", id.as_str());
        let seq = self.store.insert_person(&rec, &ev).await?;
        self.maybe_checkpoint(seq).await;
        Ok(public(&rec))
    }

    /// Persons of the actor's organisation, by pseudonymous code only.
    pub async fn list_persons(&self, ctx: &Ctx) -> CoreResult<Vec<Person>> {
        self.authorize(ctx, Action::ListPersons, Relation::OwnOrgScope, "person", "").await?;
        let org = ctx.org_id().ok_or(CoreError::Unauthenticated)?;
        let list = self.store.list_persons(org).await?;
        let mut ev = ctx.event(self.now(), "list_persons", "ok", "person", "");
        ev.details = serde_json::json!({ "count": list.len() }).to_string();
        self.append(&ev).await?;
        Ok(list.iter().map(public).collect())
    }

    pub async fn get_person(&self, ctx: &Ctx, id: &PersonId) -> CoreResult<Person> {
        let rec = self.store.get_person(id).await?;
        // Deny before revealing existence: an unrelated user gets the same answer for a
        // record that exists and one that does not.
        let rel = rec.as_ref().map(|r| self.person_relation(ctx, &r.org_id)).unwrap_or(Relation::Unrelated);
        self.authorize(ctx, Action::ListPersons, rel, "person", id.as_str()).await?;
        let rec = rec.ok_or(CoreError::NotFound)?;
        self.append(&ctx.event(self.now(), "read_person", "ok", "person", id.as_str())).await?;
        Ok(public(&rec))
    }

    /// Decrypt a person's identity. The purpose is written to the audit trail first.
    pub async fn reveal_person(&self, ctx: &Ctx, id: &PersonId, purpose: &str) -> CoreResult<(Person, Identity)> {
        let purpose = purpose.trim();
        if purpose.chars().count() < MIN_PURPOSE_CHARS || purpose.chars().count() > 500 {
            return Err(CoreError::field("purpose", "purpose_required"));
        }
        let rec = self.store.get_person(id).await?;
        let rel = rec.as_ref().map(|r| self.person_relation(ctx, &r.org_id)).unwrap_or(Relation::Unrelated);
        self.authorize(ctx, Action::RevealPerson, rel, "person", id.as_str()).await?;
        let rec = rec.ok_or(CoreError::NotFound)?;
        let mut ev = ctx.event(self.now(), "reveal_person", "ok", "person", id.as_str());
        ev.purpose = purpose.to_owned();
        self.append(&ev).await?;
        let mut identity = Identity::default();
        for (col, blob) in &rec.sealed {
            identity.set(col, Some(self.open("persons", col, id.as_str(), blob)?));
        }
        Ok((public(&rec), identity))
    }
}
