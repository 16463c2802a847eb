//! The storage port.
//!
//! A narrow, use-case-level trait: each method is one thing a use case needs, and every
//! mutation takes the audit event that the backend must append to the hash chain *in the same
//! transaction*. The trait has no method that updates or deletes an audit entry. Values that
//! hold personal data arrive here already encrypted (`Vec<u8>` ciphertexts).
//!
//! Backends live in the `amparo-store` crate; one conformance suite runs against each.

use amparo_domain::audit::{AuditEntry, AuditEvent};
use amparo_domain::geo::{Area, Country};
use amparo_domain::org::Organisation;
use amparo_domain::person::PersonRole;
use amparo_domain::user::User;
use amparo_domain::{OrgId, PersonId, Timestamp, UserId};
use async_trait::async_trait;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// Optimistic concurrency: the row's version was not the expected one.
    #[error("version conflict")]
    Conflict,
    #[error("duplicate {0}")]
    Duplicate(&'static str),
    /// The database cannot be reached (restarting, connection refused, pool exhausted):
    /// the request may be retried, and the server recovers by itself once it is back.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database cannot grow (disk full, or SQLite's page limit): the transaction was
    /// rolled back whole.
    #[error("database full: {0}")]
    Full(String),
    /// Anything else from the database. Logged, never shown to users.
    #[error("database: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A user with their credentials. `totp_secret` is a field ciphertext.
#[derive(Clone, Debug)]
pub struct UserRecord {
    pub user: User,
    pub password_hash: String,
    pub totp_secret: Option<Vec<u8>>,
    pub totp_last_step: i64,
    /// SHA-256 hex of each unused recovery code.
    pub recovery_hashes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    /// SHA-256 hex of the cookie value; the raw id is never stored.
    pub id_hash: String,
    pub user_id: UserId,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    /// Two-factor completed in this session.
    pub mfa_ok: bool,
    /// TOTP secret being enrolled (ciphertext), until the first code confirms it.
    pub pending_totp: Option<Vec<u8>>,
    pub locale: Option<String>,
}

/// What an idempotency key holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdemRecord {
    /// Newly claimed by this request.
    Claimed,
    /// Claimed by a request with another body.
    OtherRequest,
    /// Claimed by a request still running, or one whose server died (its operation id and
    /// when it was claimed).
    Pending { operation_id: String, since: Timestamp },
    /// Answered: the status and body to replay.
    Done { status: i64, body: Vec<u8> },
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ThrottleState {
    pub failures: i64,
    pub window_start: Timestamp,
    pub locked_until: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: String,
    pub user_id: UserId,
    pub name: String,
    /// SHA-256 hex of the secret part.
    pub secret_hash: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

/// A person as stored: metadata in clear, identity fields as ciphertexts by column name.
#[derive(Clone, Debug)]
pub struct PersonRecord {
    pub id: PersonId,
    pub org_id: OrgId,
    pub code: String,
    pub role: PersonRole,
    pub sex: Option<String>,
    pub approx_age: Option<i64>,
    pub version: i64,
    pub created_at: Timestamp,
    pub created_by: UserId,
    pub updated_at: Timestamp,
    pub profile: PersonProfile,
    pub sealed: Vec<(String, Vec<u8>)>,
    /// Keyed hash of the normalised document number (see `usecases/alerts.rs`); written only
    /// by `set_person_match`, read to count persons with the same document once.
    pub match_doc: Option<String>,
    /// Keyed hash of given name + first surname + birth date (alerts only; never counted).
    pub match_name_dob: Option<String>,
}

/// The protection record tables. They share one shape (`RecordRow`), so one conformance
/// suite covers them all and the statistics pillar can count them the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordTable {
    Reports,
    Operations,
    Inspections,
    Screenings,
    Decisions,
    Services,
    Referrals,
    Assistance,
    Notifications,
    Cases,
    CaseLinks,
    CaseEvents,
    Charges,
    Shares,
    Tasks,
    Alerts,
    Prevention,
    Attachments,
    PersonMatches,
}

impl RecordTable {
    pub const ALL: [RecordTable; 19] = [
        RecordTable::Reports,
        RecordTable::Operations,
        RecordTable::Inspections,
        RecordTable::Screenings,
        RecordTable::Decisions,
        RecordTable::Services,
        RecordTable::Referrals,
        RecordTable::Assistance,
        RecordTable::Notifications,
        RecordTable::Cases,
        RecordTable::CaseLinks,
        RecordTable::CaseEvents,
        RecordTable::Charges,
        RecordTable::Shares,
        RecordTable::Tasks,
        RecordTable::Alerts,
        RecordTable::Prevention,
        RecordTable::Attachments,
        RecordTable::PersonMatches,
    ];
    pub fn name(self) -> &'static str {
        match self {
            RecordTable::Reports => "reports",
            RecordTable::Operations => "operations",
            RecordTable::Inspections => "inspections",
            RecordTable::Screenings => "screenings",
            RecordTable::Decisions => "decisions",
            RecordTable::Services => "services",
            RecordTable::Referrals => "referrals",
            RecordTable::Assistance => "assistance",
            RecordTable::Notifications => "notifications",
            RecordTable::Cases => "cases",
            RecordTable::CaseLinks => "case_links",
            RecordTable::CaseEvents => "case_events",
            RecordTable::Charges => "charges",
            RecordTable::Shares => "shares",
            RecordTable::Tasks => "tasks",
            RecordTable::Alerts => "alerts",
            RecordTable::Prevention => "prevention",
            RecordTable::Attachments => "attachments",
            RecordTable::PersonMatches => "person_matches",
        }
    }
}

/// One protection record. The clear columns are what queries filter and count on; `attrs`
/// is JSON with the rest of the non-identifying fields; `sealed` is the encrypted JSON of
/// everything that identifies or describes a person (narratives, contacts, addresses).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordRow {
    pub id: String,
    /// The owning organisation (the queue a report sits in, the referring organisation…).
    pub org_id: OrgId,
    /// A second organisation with a stake (a referral's receiver, a service's provider…).
    pub party_org: Option<OrgId>,
    /// The person or report the record is about.
    pub subject_id: Option<String>,
    pub kind: String,
    pub status: String,
    pub area_code: Option<String>,
    /// A secondary key (a report's public reference code, a referral's service id…).
    pub lookup: Option<String>,
    pub occurred_at: Option<Timestamp>,
    pub version: i64,
    pub created_at: Timestamp,
    pub created_by: String,
    pub updated_at: Timestamp,
    pub attrs: String,
    pub sealed: Option<Vec<u8>>,
}

/// What a statistics scan reads: some clear columns of one table, some top-level `attrs`
/// fields, only rows of one kind and/or status, and optionally the subject person's clear
/// columns. Never a sealed column, never an identity.
#[derive(Clone, Debug)]
pub struct StatScan<'a> {
    pub table: RecordTable,
    /// Out of `STAT_COLUMNS`; the others come back empty.
    pub columns: &'a [&'a str],
    /// Top-level `attrs` fields, as a JSON object in `StatRow::attrs` (`{}` for none).
    pub attrs: &'a [&'a str],
    pub kind: Option<&'a str>,
    pub status: Option<&'a str>,
    /// Only rows owned by this organisation.
    pub org: Option<&'a str>,
    /// Join the person named by `subject_id` (`StatRow::person`).
    pub person: bool,
    /// Rows per chunk (a chunk is one JSON document of a few megabytes by default).
    pub chunk: usize,
    /// Only rows whose column (`id`, `subject_id` or `lookup`) is one of these values.
    pub among: Option<(&'a str, &'a [String])>,
    /// Only rows that happened (`occurred_at`, else `created_at`) between these two times,
    /// inclusive: one year's rows through an index, not the whole table.
    pub between: Option<(Timestamp, Timestamp)>,
    /// Join the person group (statistics projection) of the person in this column
    /// (`subject_id` or `lookup`): `StatRow::group_id`.
    pub group_of: Option<&'a str>,
}

/// The clear columns a statistics scan may read.
pub const STAT_COLUMNS: [&str; 9] = ["id", "org_id", "subject_id", "kind", "status", "area_code", "lookup", "occurred_at", "created_at"];

impl<'a> StatScan<'a> {
    pub fn new(table: RecordTable, columns: &'a [&'a str]) -> Self {
        StatScan {
            table,
            columns,
            attrs: &[],
            kind: None,
            status: None,
            org: None,
            person: false,
            chunk: 20_000,
            among: None,
            between: None,
            group_of: None,
        }
    }
}

/// One row of a statistics scan; columns not asked for are empty.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct StatRow {
    pub id: String,
    pub org_id: String,
    pub subject_id: Option<String>,
    pub kind: String,
    pub status: String,
    pub area_code: Option<String>,
    pub lookup: Option<String>,
    pub occurred_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub attrs: Option<String>,
    pub person: Option<StatPerson>,
    /// The person's group when `StatScan::group_of` asked for it and they are in one.
    pub group_id: Option<String>,
}

/// The version of the statistics projection's contents; a store holding another version
/// (or none) is rebuilt before it is read. Bump it when what a row holds changes meaning.
pub const STAT_PROJECTION_VERSION: &str = "2";

/// One person (group) in the statistics projection: the victim fact as JSON and the years
/// it counts in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatVictimRow {
    pub group_id: String,
    pub identified_year: Option<i64>,
    /// The first and last year with a PossibleVictim decision.
    pub possible_first: Option<i64>,
    pub possible_last: Option<i64>,
    /// What a report's scope filters on: the area the person was found or identified in,
    /// its region, and the organisations that recorded them (as `|a|b|`).
    pub area_code: Option<String>,
    pub region: Option<String>,
    pub orgs: String,
    /// `amparo_domain::statistics::VictimFact` as JSON.
    pub body: String,
}

/// The headline figures of some years counted in the database from the projection (the
/// trend chart's earlier years): the years as `(year, first day, last day)`, and the
/// report's scope.
#[derive(Clone, Debug, Default)]
pub struct StatTrendQuery<'a> {
    pub years: &'a [(i32, i64, i64)],
    pub region: Option<&'a str>,
    pub org: Option<&'a str>,
}

/// One year of `Store::stat_trend`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatTrendRow {
    pub year: i32,
    /// Cases with charges filed in the year.
    pub prosecutions: u64,
    /// Defendants (case, person group) convicted at first instance in the year.
    pub convictions: u64,
    /// Persons (groups) first identified as victims in the year.
    pub victims: u64,
}

/// One charge in the statistics projection.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct StatChargeRow {
    pub id: String,
    pub case_id: String,
    /// The case's exploitation (`CaseExploitation`), labour sector and form of sexual
    /// exploitation.
    pub case_kind: Option<String>,
    pub labour_sector: Option<String>,
    pub sexual_form: Option<String>,
    /// The defendant's person record.
    pub person_id: String,
    pub filed_day: Option<i64>,
    pub decided_day: Option<i64>,
    pub verdict: Option<String>,
    pub sentence_months: Option<i64>,
    pub area_code: Option<String>,
    pub org_id: String,
    /// On reads: the defendant's person group, when they are in one.
    pub group_id: Option<String>,
}

/// Changes to the statistics projection, written in one transaction.
#[derive(Clone, Debug, Default)]
pub struct StatWrite {
    /// `(person, group)`: persons now in a group of more than one record.
    pub grouped: Vec<(String, String)>,
    /// Persons now alone (their group row, if any, goes).
    pub ungrouped: Vec<String>,
    pub victims: Vec<StatVictimRow>,
    /// Groups that no longer have a victim fact (merged into another, split, or without a
    /// decision).
    pub dropped_victims: Vec<String>,
    pub charges: Vec<StatChargeRow>,
    /// Groups whose screening days are replaced by those in `screened` (their rows go first).
    pub dropped_screened: Vec<String>,
    /// `(group, day)`: a final screening of the group on that day.
    pub screened: Vec<(String, i64)>,
}

/// Which victim facts to read from the statistics projection.
#[derive(Clone, Copy, Debug)]
pub enum StatVictimQuery<'a> {
    /// Those identified, or with a PossibleVictim decision, in these years (inclusive).
    Years(i64, i64),
    /// These groups.
    Groups(&'a [String]),
}

/// The clear, countable columns of a person (no identity); all empty when the row names no
/// person that exists.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct StatPerson {
    pub org_id: Option<String>,
    pub sex: Option<String>,
    pub approx_age: Option<i64>,
    pub nationality: Option<String>,
    pub source_id: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct RowFilter {
    /// Rows whose `org_id` or `party_org` is one of these (empty = any).
    pub orgs: Vec<OrgId>,
    /// Rows with one of these ids (empty = any).
    pub ids: Vec<String>,
    /// Rows whose `lookup` is one of these (empty = any).
    pub lookups: Vec<String>,
    /// Rows owned by one of these (`org_id` only; empty = any).
    pub owners: Vec<OrgId>,
    /// Rows whose `party_org` is one of these (empty = any).
    pub parties: Vec<OrgId>,
    pub subject_ids: Vec<String>,
    pub kind: Option<String>,
    pub statuses: Vec<String>,
    pub lookup: Option<String>,
    /// Rows whose `area_code` starts with this (a region and everything inside it).
    pub area_prefix: Option<String>,
    /// Rows whose `lookup` starts with one of these (a notification's link family); empty =
    /// any. A filter with `Some(vec![])` semantics is spelled `lookup_none`.
    pub lookup_prefixes: Vec<String>,
    /// Match nothing (a caller who may open no link family sees no notification).
    pub lookup_none: bool,
    /// Rows created in `[created_from, created_before)`.
    pub created_from: Option<Timestamp>,
    pub created_before: Option<Timestamp>,
    /// Rows whose id is named by another table's rows (a case shared with an organisation
    /// is a case whose id is the subject of a granted share to it).
    pub ids_from: Option<IdsFrom>,
    /// Rows naming, as `subject_id` or `lookup`, a person referred to this organisation
    /// (by a referral that counts as referred: the `referred_to` table). A pair of records
    /// a shelter holds both of through referrals is in the shelter's review queue.
    pub naming_referred_to: Option<OrgId>,
    /// Reports only: `queue_key` in `[from, before)` (a priority's reports received in a
    /// time range; see [`report_queue_key`]).
    pub queue_range: Option<(i64, i64)>,
    /// The list order; `after` is a position in it.
    pub order: RowOrder,
    /// Rows after this position in the list order: keyset paging, so the next page costs
    /// the same as the first.
    pub after: Option<amparo_domain::paging::After>,
    pub limit: Option<i64>,
}

/// The referral gap's question (see [`RecordStore::gap_page`]). Which referral statuses
/// count as referred is `ReferralStatus::counts_as_referred`, kept by the database with
/// each person (migration 0015) and checked status by status by the store's conformance
/// story.
#[derive(Clone, Debug, Default)]
pub struct GapQuery {
    pub org: Option<OrgId>,
    /// Decision kinds that identify a person.
    pub identified: Vec<String>,
    /// Decisions at or after this instant are too recent to be a gap.
    pub cutoff: Timestamp,
    /// A position in the order (decision time ascending, then person id).
    pub after: Option<amparo_domain::paging::After>,
    pub limit: i64,
}

/// One person in the referral gap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GapCandidate {
    pub person_id: String,
    pub code: String,
    pub org_id: OrgId,
    pub status: String,
    /// When the latest decision was taken (its day, or its recording time).
    pub decided_at: Timestamp,
}

/// Which persons a list shows: owned by one of `owners`, or the subject of a referral to one
/// of `referred_to` that counts as referred (`ReferralStatus::counts_as_referred`, kept by
/// the database: migration 0017); of `role` if given; created in the range; after the
/// position; at most `limit`.
#[derive(Clone, Debug, Default)]
pub struct PersonListFilter {
    pub owners: Vec<OrgId>,
    pub referred_to: Vec<OrgId>,
    pub role: Option<String>,
    pub created_from: Option<Timestamp>,
    pub created_before: Option<Timestamp>,
    pub after: Option<amparo_domain::paging::After>,
    pub limit: i64,
}

/// The orders a list of records can be read in; each ends with `id` so that it is total.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RowOrder {
    /// `created_at` descending, then `id`: newest first (most lists).
    #[default]
    Newest,
    /// `occurred_at` ascending, then `id`: soonest first (tasks by due date, so the overdue
    /// come first). Rows without `occurred_at` are not listed in this order.
    Soonest,
    /// `created_at` ascending, then `id`: oldest first (whole-table exports, in the order
    /// records were made).
    Oldest,
    /// Reports only: most urgent first, then oldest received (`queue_key`, kept by the
    /// database from the priority; see [`report_queue_key`]).
    Queue,
}

/// A report's place in its queue, as the database keeps it in `reports.queue_key`: the
/// priority's rank (0 urgent, 1 high, 2 normal) × 10^10 + the time it was received.
pub fn report_queue_key(priority_rank: i64, received_at: Timestamp) -> i64 {
    priority_rank * 10_000_000_000 + received_at
}

/// `id IN (SELECT subject_id FROM table WHERE party_org IN parties AND status IN statuses)`.
#[derive(Clone, Debug)]
pub struct IdsFrom {
    pub table: RecordTable,
    pub parties: Vec<OrgId>,
    pub statuses: Vec<String>,
}

/// A batch of writes committed together with one audit event.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    pub inserts: Vec<(RecordTable, RecordRow)>,
    /// Each must carry `version = stored + 1`; otherwise the whole batch fails with `Conflict`.
    pub updates: Vec<(RecordTable, RecordRow)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstrumentRecord {
    pub id: String,
    pub family: String,
    pub version: i64,
    pub published_at: Timestamp,
    pub published_by: String,
    /// The instrument as JSON (`amparo_domain::screening::Instrument`).
    pub body: String,
}

pub use amparo_domain::person::PersonProfile;

#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub actor_org: Option<String>,
    pub action: Option<String>,
    pub record_id: Option<String>,
    pub outcome: Option<String>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// Return entries with seq below this (for paging backwards); `None` = newest first.
    pub before_seq: Option<i64>,
    pub limit: i64,
}

/// Signs the audit chain's head inside every append's transaction, so the head recorded
/// beside the chain cannot be rewritten without the master key (a cut tail would otherwise
/// go unnoticed between checkpoints). The core installs one built from its keyring.
pub trait HeadSigner: Send + Sync {
    /// (key version, Ed25519 signature of `audit::head_message(seq, hash)`).
    fn sign_head(&self, seq: i64, hash: &[u8]) -> Result<(i64, Vec<u8>), String>;
}

/// The head of the audit chain with its signature (`None` before the first signed append).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedHead {
    pub seq: i64,
    pub hash: Vec<u8>,
    pub key_version: Option<i64>,
    pub signature: Option<Vec<u8>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: Vec<u8>,
    pub key_version: i64,
    pub signature: Vec<u8>,
    pub created_at: Timestamp,
}

/// One cell of an encrypted column, for key rotation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncryptedCell {
    pub row_id: String,
    pub value: Vec<u8>,
}

/// The encrypted columns: (table, id column, column). Key rotation walks exactly these.
pub const ENCRYPTED_COLUMNS: &[(&str, &str)] = &[
    ("persons", "given_names"),
    ("persons", "first_surname"),
    ("persons", "second_surname"),
    ("persons", "aliases"),
    ("persons", "document_number"),
    ("persons", "phone"),
    ("persons", "address"),
    ("persons", "narrative"),
    ("persons", "birth_date"),
    ("reports", "sealed"),
    ("operations", "sealed"),
    ("inspections", "sealed"),
    ("screenings", "sealed"),
    ("decisions", "sealed"),
    ("services", "sealed"),
    ("referrals", "sealed"),
    ("assistance", "sealed"),
    ("notifications", "sealed"),
    ("cases", "sealed"),
    ("case_links", "sealed"),
    ("case_events", "sealed"),
    ("charges", "sealed"),
    ("shares", "sealed"),
    ("tasks", "sealed"),
    ("alerts", "sealed"),
    ("prevention", "sealed"),
    ("attachments", "sealed"),
    ("person_matches", "sealed"),
    ("users", "totp_secret"),
    ("sessions", "pending_totp"),
    ("idempotency_keys", "body"),
];

/// A value in a logical snapshot (backup). Mirrors what both backends can store portably.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum CellValue {
    Null,
    Int(i64),
    Text(String),
    Bytes { b64: String },
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct TableRows {
    pub table: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<CellValue>>,
}

/// The schema: which backend, and its migrations.
#[async_trait]
pub trait SchemaStore: Send + Sync {
    fn backend(&self) -> Backend;
    /// Apply pending migrations; returns the versions now applied.
    async fn migrate(&self) -> StoreResult<Vec<i64>>;
    async fn applied_migrations(&self) -> StoreResult<Vec<i64>>;
}

/// Reference data: geography, statutes and screening instruments (administration and every pillar that names a place).
#[async_trait]
pub trait ReferenceStore: Send + Sync {
    async fn upsert_countries(&self, countries: &[Country], audit: &AuditEvent) -> StoreResult<u64>;
    async fn upsert_areas(&self, areas: &[Area], audit: &AuditEvent) -> StoreResult<u64>;
    async fn list_countries(&self) -> StoreResult<Vec<Country>>;
    async fn list_areas(&self, country: &str, parent: Option<&str>) -> StoreResult<Vec<Area>>;
    async fn get_area(&self, code: &str) -> StoreResult<Option<Area>>;
    /// (level, count) for a country.
    async fn count_areas(&self, country: &str) -> StoreResult<Vec<(i64, i64)>>;
    /// Insert statutes that are not there yet (by id); returns how many were added.
    async fn add_statutes(&self, rows: &[(String, String, String)], audit: &AuditEvent) -> StoreResult<u64>;
    /// (id, country, body JSON)
    async fn list_statutes(&self) -> StoreResult<Vec<(String, String, String)>>;
    async fn insert_instrument(&self, rec: &InstrumentRecord, audit: &AuditEvent) -> StoreResult<i64>;
    async fn list_instruments(&self) -> StoreResult<Vec<InstrumentRecord>>;
    async fn get_instrument(&self, id: &str) -> StoreResult<Option<InstrumentRecord>>;
}

/// Organisations and their tree (administration).
#[async_trait]
pub trait OrgStore: Send + Sync {
    async fn insert_org(&self, org: &Organisation, audit: &AuditEvent) -> StoreResult<i64>;
    /// Fails with `Conflict` unless the stored version equals `org.version - 1`.
    async fn update_org(&self, org: &Organisation, audit: &AuditEvent) -> StoreResult<i64>;
    async fn get_org(&self, id: &OrgId) -> StoreResult<Option<Organisation>>;
    async fn list_orgs(&self) -> StoreResult<Vec<Organisation>>;
}

/// User accounts and API tokens (administration).
#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn insert_user(&self, user: &UserRecord, audit: &AuditEvent) -> StoreResult<i64>;
    /// Profile fields (name, roles, locale, disabled). `Conflict` on a stale version.
    async fn update_user(&self, user: &User, audit: &AuditEvent) -> StoreResult<i64>;
    async fn set_password(&self, id: &UserId, hash: &str, audit: &AuditEvent) -> StoreResult<i64>;
    async fn set_mfa(&self, id: &UserId, secret: Option<&[u8]>, recovery_hashes: &[String], audit: &AuditEvent) -> StoreResult<i64>;
    /// Record the TOTP time-step just used, only if it is newer than the last one. Returns
    /// false for a replay. Atomic, so two servers cannot accept the same code.
    async fn advance_totp_step(&self, id: &UserId, step: i64) -> StoreResult<bool>;
    /// Remove a recovery code by hash; false if it was not there (already used).
    async fn consume_recovery_code(&self, id: &UserId, code_hash: &str, audit: &AuditEvent) -> StoreResult<bool>;
    async fn get_user(&self, id: &UserId) -> StoreResult<Option<UserRecord>>;
    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>>;
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    async fn insert_token(&self, t: &TokenRecord, audit: &AuditEvent) -> StoreResult<i64>;
    async fn find_token(&self, id: &str) -> StoreResult<Option<TokenRecord>>;
    async fn revoke_token(&self, id: &str, at: Timestamp, audit: &AuditEvent) -> StoreResult<i64>;
    async fn list_tokens(&self, user_id: &UserId) -> StoreResult<Vec<TokenRecord>>;
}

/// Sessions and sign-in throttling (authentication).
#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn insert_session(&self, s: &SessionRecord) -> StoreResult<()>;
    async fn get_session(&self, id_hash: &str) -> StoreResult<Option<SessionRecord>>;
    async fn update_session(&self, s: &SessionRecord) -> StoreResult<()>;
    /// Store a pending TOTP secret unless the session already has one; false if it had.
    /// (Two enrolment pages loading at once must not show two different secrets.)
    async fn set_pending_totp_if_absent(&self, id_hash: &str, blob: &[u8]) -> StoreResult<bool>;
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()>;
    async fn delete_user_sessions(&self, user_id: &UserId) -> StoreResult<u64>;
    async fn delete_stale_sessions(&self, idle_before: Timestamp, created_before: Timestamp) -> StoreResult<u64>;
    async fn throttle_get(&self, key: &str) -> StoreResult<Option<ThrottleState>>;
    async fn throttle_put(&self, key: &str, state: &ThrottleState) -> StoreResult<()>;
    async fn throttle_clear(&self, key: &str) -> StoreResult<()>;
}

/// Idempotency keys of the API's create routes.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claim `key_hash` for a request, or say what it already holds.
    async fn idempotency_claim(&self, key_hash: &str, request_hash: &str, operation_id: &str, now: Timestamp) -> StoreResult<IdemRecord>;
    /// Store the answer to a claimed key.
    async fn idempotency_finish(&self, key_hash: &str, status: i64, body: &[u8], now: Timestamp) -> StoreResult<()>;
    /// Give a claim back (the request failed before it could change anything, or a stale
    /// claim whose request left no trace is taken over): `operation_id` is the new owner, or
    /// empty to delete.
    async fn idempotency_release(&self, key_hash: &str, operation_id: &str, now: Timestamp) -> StoreResult<()>;
    /// Forget keys created before `before`.
    async fn idempotency_purge(&self, before: Timestamp) -> StoreResult<u64>;
    /// (action, record_type, record_id) of the audit entries an operation wrote, oldest first.
    async fn audit_of_operation(&self, operation_id: &str) -> StoreResult<Vec<(String, String, String)>>;
}

/// Persons: identities sealed, the clear columns lists filter on, and their match hashes (intake, identification, linkage).
#[async_trait]
pub trait PersonStore: Send + Sync {
    async fn insert_person(&self, p: &PersonRecord, audit: &AuditEvent) -> StoreResult<i64>;
    async fn get_person(&self, id: &PersonId) -> StoreResult<Option<PersonRecord>>;
    async fn list_persons(&self, org: &OrgId) -> StoreResult<Vec<PersonRecord>>;
    async fn persons_by_ids(&self, ids: &[String]) -> StoreResult<Vec<PersonRecord>>;
    /// A page of persons, newest first (`created_at` descending, then id), as
    /// [`PersonListFilter`] says: an organisation's own and those referred to it.
    async fn persons_listed(&self, filter: &PersonListFilter) -> StoreResult<Vec<PersonRecord>>;
    /// Persons recorded from a report, operation or inspection.
    /// Every person of every organisation, a page at a time in id order, for record linkage
    /// (which decrypts them in memory): the persons with ids after `after`, at most `limit`.
    async fn persons_page(&self, after: Option<&PersonId>, limit: usize) -> StoreResult<Vec<PersonRecord>>;
    /// (id, updated_at) of the persons changed at or after `since`: how record linkage
    /// learns cheaply whether it has anything to do.
    async fn persons_changed_since(&self, since: Timestamp) -> StoreResult<Vec<(PersonId, Timestamp)>>;
    async fn persons_from_source(&self, source_id: &str) -> StoreResult<Vec<PersonRecord>>;
    /// Replace the person's fields. `Conflict` unless the stored version is `p.version - 1`.
    async fn update_person(&self, p: &PersonRecord, audit: &AuditEvent) -> StoreResult<i64>;
    /// An organisation's persons that came from an outside system: `(source_id, person id)`
    /// for `source_type` (re-imports find what they already brought in).
    async fn persons_by_source(&self, org: &OrgId, source_type: &str) -> StoreResult<Vec<(String, String)>>;
    /// Persons whose keyed match hash equals one of these (for cross-agency alerts).
    async fn persons_matching(&self, match_doc: Option<&str>, match_name_dob: Option<&str>) -> StoreResult<Vec<PersonRecord>>;
    async fn set_person_match(&self, id: &PersonId, match_doc: Option<&str>, match_name_dob: Option<&str>) -> StoreResult<()>;
}

/// The protection, prosecution and coordination records: version-checked writes with their audit event, and lists and counts filtered and paged in the database.
#[async_trait]
pub trait RecordStore: Send + Sync {
    /// Apply inserts and version-checked updates in one transaction with one audit event.
    async fn write(&self, batch: &Batch, audit: &AuditEvent) -> StoreResult<i64>;
    /// Insert persons (with their match hashes) and a batch of records in one transaction
    /// with one audit event: bulk loads (the data-set generator, imports), all or nothing.
    async fn write_bulk(&self, persons: &[PersonRecord], batch: &Batch, audit: &AuditEvent) -> StoreResult<i64>;
    async fn get_row(&self, table: RecordTable, id: &str) -> StoreResult<Option<RecordRow>>;
    /// Newest first.
    async fn find_rows(&self, table: RecordTable, filter: &RowFilter) -> StoreResult<Vec<RecordRow>>;
    /// Persons whose latest decision identifies them (possible or actual victim) before
    /// `cutoff` and who have no referral in `referred_statuses`: the referral gap, oldest
    /// decision first, of `org`'s persons (or everyone's), after the position, at most `limit`.
    async fn gap_page(&self, q: &GapQuery) -> StoreResult<Vec<GapCandidate>>;
    /// How many persons [`Store::gap_page`] would list in all.
    async fn gap_count(&self, q: &GapQuery) -> StoreResult<i64>;
    /// How many rows `filter` matches (its `after` and `limit` ignored), counted in the
    /// database: a badge or a "page N of M" never loads the rows.
    async fn count_rows(&self, table: RecordTable, filter: &RowFilter) -> StoreResult<i64>;
}

/// What the statistics read: streamed clear columns, and the statistics projection.
#[async_trait]
pub trait StatStore: Send + Sync {
    /// Every row of a table for counting: the clear columns only (no sealed part), and of
    /// `attrs` only the named top-level fields (a JSON object of them; `{}` for none).
    /// `version`, `created_by` and `updated_at` are not read.
    async fn stat_rows(&self, table: RecordTable, attrs_fields: &[&str]) -> StoreResult<Vec<RecordRow>>;
    /// Stream the rows a statistics count needs, a chunk at a time (`StatScan` says which
    /// columns and rows): a million-case count never holds a whole table in memory, and the
    /// database, not the driver, turns each chunk into one JSON document.
    async fn stat_scan(&self, scan: &StatScan<'_>, each: &mut (dyn FnMut(StatRow) + Send)) -> StoreResult<()>;
    /// Persons who share a document (equal keyed hash) with another person: `(match_doc,
    /// person id, organisation id)`, grouped by document, oldest record first.
    async fn stat_shared_documents(&self) -> StoreResult<Vec<(String, String, String)>>;
    /// The projection's built version; `None` when it was never built (or was emptied).
    async fn stat_version(&self) -> StoreResult<Option<String>>;
    /// Empty the projection and its list of changes; forget its version.
    async fn stat_reset(&self) -> StoreResult<()>;
    async fn stat_set_version(&self, version: &str) -> StoreResult<()>;
    /// Take up to `limit` keys off the list of changes (every write adds the keys of what it
    /// touched, in its own transaction; `*` asks for a full rebuild).
    async fn stat_take_dirty(&self, limit: usize) -> StoreResult<Vec<String>>;
    /// Whether any change is waiting (without taking it).
    async fn stat_dirty_waiting(&self) -> StoreResult<bool>;
    /// The stored groups of these persons: `(person, group)` for them and for every other
    /// member of their groups.
    async fn stat_groups_of(&self, persons: &[String]) -> StoreResult<Vec<(String, String)>>;
    /// The edges around these persons: `(match_doc, person, organisation)` for them and every
    /// person sharing a document with them, and every person_matches row naming one of them.
    async fn stat_person_edges(&self, persons: &[String]) -> StoreResult<(Vec<(String, String, String)>, Vec<RecordRow>)>;
    async fn stat_write(&self, w: &StatWrite) -> StoreResult<()>;
    /// Victim facts, a chunk at a time: `each` gets a JSON array of `StatVictimRow::body`.
    async fn stat_victims(&self, q: StatVictimQuery<'_>, each: &mut (dyn for<'x> FnMut(&'x str) + Send)) -> StoreResult<()>;
    /// Prosecutions, convictions and victims identified per year, counted in the database
    /// (the same definitions as `amparo_domain::statistics`; tests hold them to it).
    async fn stat_trend(&self, q: &StatTrendQuery<'_>) -> StoreResult<Vec<StatTrendRow>>;
    /// Persons (groups) with a final screening on each of these days spans `(year, first day,
    /// last day)`: the case flow's `screened`.
    async fn stat_screened(&self, years: &[(i32, i64, i64)]) -> StoreResult<Vec<(i32, u64)>>;
    /// Charges filed or decided between these two days (inclusive), with the defendant's group
    /// (`id` is left empty: a count does not need it).
    async fn stat_charges(&self, from_day: i64, to_day: i64, each: &mut (dyn FnMut(StatChargeRow) + Send)) -> StoreResult<()>;
}

/// Leases: one holder of a background job at a time, across processes.
#[async_trait]
pub trait LeaseStore: Send + Sync {
    /// Take (or renew) `job`'s lease until `until`; false while another owner holds an
    /// unexpired one. One holder at a time, across processes: the statistics projection's
    /// refresh, record linkage.
    async fn lease(&self, job: &str, owner: &str, now: Timestamp, until: Timestamp) -> StoreResult<bool>;
    /// Give `job`'s lease up, if `owner` still holds it.
    async fn release_lease(&self, job: &str, owner: &str) -> StoreResult<()>;
}

/// The hash-chained audit trail and its signed checkpoints.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Append an event on its own (reads of personal data, logins, denials).
    async fn append_audit(&self, event: &AuditEvent) -> StoreResult<i64>;
    async fn audit_page(&self, filter: &AuditFilter) -> StoreResult<Vec<AuditEntry>>;
    /// Entries with seq > `after`, ascending, at most `limit` (for verification).
    async fn audit_after(&self, after: i64, limit: i64) -> StoreResult<Vec<AuditEntry>>;
    /// The head recorded beside the chain: (last seq, last hash).
    async fn audit_head(&self) -> StoreResult<(i64, Vec<u8>)>;
    /// The head with its signature.
    async fn audit_head_signed(&self) -> StoreResult<SignedHead>;
    /// Install the signer every later append signs the head with.
    fn set_head_signer(&self, signer: std::sync::Arc<dyn HeadSigner>);
    /// Sign the head as it stands, under its lock (a database upgraded from before heads
    /// were signed; after a key rotation).
    async fn sign_head(&self) -> StoreResult<()>;
    async fn insert_checkpoint(&self, cp: &Checkpoint) -> StoreResult<()>;
    async fn list_checkpoints(&self) -> StoreResult<Vec<Checkpoint>>;
}

/// Operator work on the whole database: key rotation's re-encryption, backup and restore.
#[async_trait]
pub trait SnapshotStore: Send + Sync {
    async fn encrypted_cells(&self, table: &str, column: &str) -> StoreResult<Vec<EncryptedCell>>;
    /// Replace cells in one transaction, with one audit event.
    async fn rewrite_cells(&self, table: &str, column: &str, cells: &[EncryptedCell], audit: &AuditEvent) -> StoreResult<i64>;
    /// A consistent logical snapshot of every table, taken in one read transaction.
    async fn export_snapshot(&self) -> StoreResult<Vec<TableRows>>;
    /// Load a snapshot into an empty, migrated database, in one transaction.
    async fn import_snapshot(&self, tables: &[TableRows]) -> StoreResult<()>;
}

/// Every port at once: what the composition root builds (`amparo-store`'s backend) and hands
/// out. Each pillar service holds only its own bundle of ports (`IntakePorts`, …, declared
/// beside the service), upcast from this; a backend implements the ports, and gets `Store`
/// and every bundle for nothing.
pub trait Store:
    crate::usecases::administration::AccessPorts
    + crate::usecases::administration::AdministrationPorts
    + crate::usecases::administration::SystemPorts
    + crate::usecases::coordination::CoordinationPorts
    + crate::usecases::administration::BulkLoadPorts
    + crate::usecases::identification::IdentificationPorts
    + crate::usecases::intake::IntakePorts
    + crate::usecases::linkage::LinkagePorts
    + crate::usecases::prosecution::ProsecutionPorts
    + crate::usecases::protection::ProtectionPorts
    + crate::usecases::protection::ReferralsPorts
    + crate::usecases::statistics::StatisticsPorts
    + crate::usecases::scope::ScopePorts
    + SchemaStore
    + ReferenceStore
    + OrgStore
    + AccountStore
    + SessionStore
    + IdempotencyStore
    + PersonStore
    + RecordStore
    + StatStore
    + LeaseStore
    + AuditStore
    + SnapshotStore
{
}

impl<
    T: SchemaStore
        + ReferenceStore
        + OrgStore
        + AccountStore
        + SessionStore
        + IdempotencyStore
        + PersonStore
        + RecordStore
        + StatStore
        + LeaseStore
        + AuditStore
        + SnapshotStore
        + ?Sized,
> Store for T
{
}

/// The ports, for `use crate::store::ports::*` where store methods are called.
pub mod ports {
    pub use super::{
        AccountStore, AuditStore, IdempotencyStore, LeaseStore, OrgStore, PersonStore, RecordStore, ReferenceStore, SchemaStore,
        SessionStore, SnapshotStore, StatStore,
    };
}
