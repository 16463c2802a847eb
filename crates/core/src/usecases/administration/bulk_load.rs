//! Loading prepared records in bulk, for an operator: the demo and synthetic data sets
//! (`amparo-demo`) today, a migration from a legacy register tomorrow. The loader outside core
//! builds typed rows (`crate::rows`) and persons with their identities in the clear; this
//! service is the only way they reach the database, and it keeps the invariants every other
//! write keeps:
//! - only an operator may load (`ManageSystem`, which no case-work role holds), checked on
//!   every call;
//! - identities are sealed here, with the same keys and match keys as `create_person`;
//! - every batch is one transaction with one audit event naming what it holds;
//! - the reads a loader needs (organisations, accounts, a unit's pseudonymous persons, rows of
//!   a table) are pseudonymous, and the persons read is audited.

use super::BulkLoad;
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::random::RandomExt;
use crate::rows::{self, Row};
use crate::store::{Batch, PersonRecord, RecordRow, RecordTable, RowFilter, UserRecord};
use amparo_domain::org::Organisation;
use amparo_domain::person::Identity;
use amparo_domain::policy::{Action, Relation};
use amparo_domain::user::{Locale, User};
use amparo_domain::{OrgId, Role, UserId};

/// A person to load: the record's public columns (its `sealed` and match-key columns are
/// filled here) and the identity to seal.
pub struct LoadPerson {
    pub record: PersonRecord,
    pub identity: Identity,
}

/// Rows of the record tables, and persons, to write in one transaction.
#[derive(Default)]
pub struct LoadBatch {
    persons: Vec<LoadPerson>,
    rows: Vec<(RecordTable, RecordRow)>,
}

impl LoadBatch {
    pub fn person(&mut self, p: LoadPerson) {
        self.persons.push(p);
    }
    /// A typed row, converted to its stored shape here (a row that cannot be stored is an
    /// internal error, not a silent skip).
    pub fn row<R: Row>(&mut self, row: &R) -> CoreResult<()> {
        self.rows.push(rows::entry(row)?);
        Ok(())
    }
    pub fn persons(&self) -> usize {
        self.persons.len()
    }
    pub fn rows(&self) -> usize {
        self.rows.len()
    }
}

/// A demonstration account: signs in with a published password and without a second factor,
/// and the UI says so in a banner (`User::mfa_exempt_demo`).
pub struct DemoAccountInput<'a> {
    pub org: &'a Organisation,
    pub email: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub password: &'a str,
}

impl BulkLoad {
    async fn operator(&self, ctx: &Ctx, what: &str) -> CoreResult<()> {
        self.authorize(ctx, Action::ManageSystem, Relation::OwnOrgScope, "bulk_load", what).await
    }

    /// Every organisation.
    pub async fn organisations(&self, ctx: &Ctx) -> CoreResult<Vec<Organisation>> {
        self.operator(ctx, "organisations").await?;
        Ok(self.store.list_orgs().await?)
    }

    /// Every account (no password hashes or second factors).
    pub async fn accounts(&self, ctx: &Ctx) -> CoreResult<Vec<User>> {
        self.operator(ctx, "accounts").await?;
        Ok(self.store.list_users().await?)
    }

    /// The persons an organisation recorded, pseudonymous (ids, codes, roles; no identity).
    /// Audited, as every read of persons is.
    pub async fn persons_of(&self, ctx: &Ctx, org: &OrgId) -> CoreResult<Vec<amparo_domain::person::Person>> {
        self.operator(ctx, "persons").await?;
        let found: Vec<amparo_domain::person::Person> =
            self.store.list_persons(org).await?.iter().map(crate::usecases::persons::public).collect();
        let mut ev = ctx.event(self.now(), "bulk_read_persons", "ok", "org", org.as_str());
        ev.details = serde_json::json!({ "persons": found.len() }).to_string();
        self.append(&ev).await?;
        Ok(found)
    }

    /// The rows of one record table that `filter` selects.
    pub async fn rows<R: Row>(&self, ctx: &Ctx, filter: &RowFilter) -> CoreResult<Vec<R>> {
        self.operator(ctx, &format!("{:?}", R::TABLE)).await?;
        rows::find::<R>(&*self.store, filter).await
    }

    /// Whether the table holds any row at all.
    pub async fn any<R: Row>(&self, ctx: &Ctx) -> CoreResult<bool> {
        self.operator(ctx, &format!("{:?}", R::TABLE)).await?;
        Ok(!self.store.find_rows(R::TABLE, &RowFilter { limit: Some(1), ..Default::default() }).await?.is_empty())
    }

    /// Create a demonstration account unless one has the address. `None` when it existed.
    pub async fn demo_account(&self, ctx: &Ctx, input: DemoAccountInput<'_>) -> CoreResult<Option<User>> {
        self.operator(ctx, "demo_account").await?;
        if self.store.find_user_by_email(input.email).await?.is_some() {
            return Ok(None);
        }
        let hash = self.hasher.hash(input.password, self.random.bytes::<16>()).await.map_err(CoreError::Internal)?;
        let user = User {
            id: UserId::from_trusted(self.random.new_id()),
            org_id: input.org.id.clone(),
            email: input.email.to_owned(),
            display_name: input.display_name.to_owned(),
            roles: vec![input.role],
            locale: Some(Locale::Es),
            disabled: false,
            mfa_enrolled: false,
            mfa_exempt_demo: true,
            version: 1,
            created_at: self.now(),
        };
        let mut ev = ctx.event(self.now(), "create_demo_user", "ok", "user", user.id.as_str());
        ev.details = serde_json::json!({ "role": input.role, "mfa_exempt_demo": true }).to_string();
        let rec = UserRecord { user: user.clone(), password_hash: hash, totp_secret: None, totp_last_step: 0, recovery_hashes: vec![] };
        self.store.insert_user(&rec, &ev).await?;
        Ok(Some(user))
    }

    /// Write rows (no persons) in one transaction through the ordinary write path, so the
    /// statistics projection and the search index follow them; audited as `action`.
    pub async fn write_rows(&self, ctx: &Ctx, action: &str, batch: LoadBatch, details: serde_json::Value) -> CoreResult<()> {
        self.operator(ctx, action).await?;
        if !batch.persons.is_empty() {
            return Err(CoreError::internal("write_rows takes no persons; use write_bulk"));
        }
        let mut ev = ctx.event(self.now(), action, "ok", "bulk_load", "");
        ev.details = details.to_string();
        self.commit(&Batch { inserts: batch.rows, updates: vec![] }, &ev).await
    }

    /// Write persons (sealed here) and rows in one bulk transaction, a few thousand cases at a
    /// time: the path for national-scale data sets. Audited as `action`.
    pub async fn write_bulk(&self, ctx: &Ctx, action: &str, batch: LoadBatch, details: serde_json::Value) -> CoreResult<()> {
        self.operator(ctx, action).await?;
        let mut persons = Vec::with_capacity(batch.persons.len());
        for p in batch.persons {
            persons.push(self.seal(p)?);
        }
        let mut ev = ctx.event(self.now(), action, "ok", "bulk_load", "");
        ev.details = details.to_string();
        self.store.write_bulk(&persons, &Batch { inserts: batch.rows, updates: vec![] }, &ev).await?;
        Ok(())
    }

    /// The identity sealed as `create_person` seals it, with the document match key.
    fn seal(&self, p: LoadPerson) -> CoreResult<PersonRecord> {
        let mut rec = p.record;
        rec.sealed = self.scope().seal_identity(&rec.id, &p.identity)?;
        let (doc, _) = crate::usecases::alerts::match_keys(&p.identity);
        rec.match_doc = doc.map(|x| self.coordination().keyed("doc", &x));
        Ok(rec)
    }
}
