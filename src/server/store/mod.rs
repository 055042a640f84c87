//! Persistence. Handlers and the service layer see only the [`Store`] and
//! [`StoreTx`] traits, so a PostgreSQL implementation drops in beside the
//! SQLite one without touching them. Business rules live in `service`, not
//! here: a store loads, saves and counts.

pub mod sqlite;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use uuid::Uuid;

use super::auth::AuthUser;
use crate::domain::status::Role;
use crate::protocol::stats::{HotSpot, RequestSummary};
use crate::protocol::{Change, Citizen, CitizenHit, Outcome, Request, RequestPage, TimelineEvent, UserInfo};

pub type Result<T> = anyhow::Result<T>;

#[derive(Debug, Clone)]
pub struct UserRecord {
    pub info: UserInfo,
    pub password_hash: String,
    pub disabled: bool,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub full_name: String,
    pub password_hash: String,
    pub role: Role,
    pub units: Vec<String>,
    pub extension: Option<String>,
}

#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub username: String,
    pub device_id: Uuid,
    pub device_name: String,
    pub created_at: DateTime<Utc>,
    pub revoked: bool,
    /// The first characters of the token hash, to name a token to revoke.
    pub hash_prefix: String,
}

/// One audit-log entry. The store chains each entry's hash to the previous
/// one, so an edited or deleted row breaks the chain.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub detail: String,
}

/// Filters for `GET /requests`.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub units: Vec<String>,
    pub statuses: Vec<String>,
    pub category: Option<String>,
    pub district: Option<String>,
    pub citizen_id: Option<Uuid>,
    /// Free text over tracking number and description (folded match).
    pub q: Option<String>,
    /// Only requests with an id below this (uuid v7 ids sort by time).
    pub before_id: Option<Uuid>,
    /// Only requests created at or after this time.
    pub created_after: Option<DateTime<Utc>>,
    /// Load each request's timeline too.
    pub with_timeline: bool,
    pub limit: u32,
}

/// The kind of a changed entity in the change feed.
pub const CITIZEN: &str = "citizen";
pub const REQUEST: &str = "request";

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// Starts a write transaction. On SQLite writers are serialised
    /// (`BEGIN IMMEDIATE` on one writer connection).
    async fn begin(&self) -> Result<Box<dyn StoreTx>>;

    // Users and tokens.
    async fn authenticate(&self, token_hash: &str) -> Result<Option<AuthUser>>;
    async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>>;
    async fn user_by_extension(&self, extension: &str) -> Result<Option<UserInfo>>;
    async fn create_user(&self, user: NewUser) -> Result<UserInfo>;
    async fn list_users(&self) -> Result<Vec<UserInfo>>;
    async fn insert_token(&self, token_hash: &str, user_id: Uuid, device_id: Uuid, device_name: &str) -> Result<()>;
    async fn list_tokens(&self) -> Result<Vec<TokenInfo>>;
    /// Revokes the tokens whose hash starts with `hash_prefix`, or all of a
    /// user's tokens when `username` is given. Returns how many.
    async fn revoke_tokens(&self, username: Option<&str>, hash_prefix: Option<&str>) -> Result<u64>;

    // Reads.
    async fn citizen(&self, id: Uuid) -> Result<Option<Citizen>>;
    async fn search_citizens(
        &self,
        query: &crate::domain::search::CitizenQuery,
        limit: usize,
    ) -> Result<Vec<CitizenHit>>;
    async fn request(&self, id: Uuid) -> Result<Option<Request>>;
    async fn request_by_tracking(&self, tracking_no: &str) -> Result<Option<Request>>;
    async fn list_requests(&self, filter: &RequestFilter) -> Result<RequestPage>;
    /// Citizens in id order after `after`, for snapshots.
    async fn citizens_page(&self, after: Option<Uuid>, limit: u32) -> Result<Vec<Citizen>>;
    async fn count_citizens(&self) -> Result<u64>;
    /// Changes after `since`, oldest first: `(changes, next cursor, has_more)`.
    async fn pull(&self, since: i64, limit: u32) -> Result<(Vec<Change>, i64, bool)>;
    async fn current_seq(&self) -> Result<i64>;
    /// Identifies this database's change history; a client holding another
    /// epoch's cursor must re-download.
    async fn epoch(&self) -> Result<String>;
    /// Appends read-audit entries (views of personal data) in one batch.
    async fn append_audit(&self, entries: Vec<AuditEntry>) -> Result<()>;
    /// Checks the audit hash chain; returns the number of entries verified.
    async fn verify_audit_chain(&self) -> Result<u64>;

    // The wallboard.
    /// A read snapshot for the wallboard's aggregates: every read through
    /// it sees the same committed state.
    async fn stats_reader(&self) -> Result<Box<dyn StatsReader>>;
    /// Keeps a call the phone system reported finished.
    async fn record_call(&self, call: &CallRecord) -> Result<()>;
}

/// Which units a wallboard read covers: `None` is every unit; an empty
/// slice is none.
pub type UnitScope<'a> = Option<&'a [String]>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCount {
    pub unit: String,
    pub status: crate::domain::status::Status,
    pub n: u64,
}

/// Filings of one 24-hour span.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayFilings {
    /// Per hour, counted from the span's start.
    pub hours: [u64; 24],
    /// Per channel, zero counts left out.
    pub channels: Vec<(String, u64)>,
}

/// One user's filings over a span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFilings {
    pub user_id: Uuid,
    pub n: u64,
    /// Of which with a call duration, and their sum.
    pub calls: u64,
    pub call_seconds: u64,
}

/// Finished calls at one extension over a span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallTally {
    pub extension: String,
    /// The user at the extension when the call ended, if known.
    pub username: Option<String>,
    pub answered: u64,
    pub missed: u64,
    /// Sum of answer-to-hang-up times of the answered calls.
    pub talk_seconds: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    pub extension: String,
    pub username: Option<String>,
    pub ringing_at: Option<DateTime<Utc>>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: DateTime<Utc>,
}

/// The lists of open requests that need the shift lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escalation {
    /// Re-routed back to a unit it had been with (latest first).
    Bounced,
    /// Reopened after being closed (latest first).
    Reopened,
    /// The citizen asked for an update [`REPEAT_CONTACTS`] times or more
    /// (most first).
    RepeatContacts,
}

/// How often a citizen must have chased a request for the escalation list.
pub const REPEAT_CONTACTS: u32 = 3;

/// Counting reads for the wallboard, inside one read transaction. "Open"
/// and "running" are the domain's: open is [`Status::is_open`], running
/// (the SLA clock runs) is [`Status::sla_clock_runs`]. Every read is an
/// index range or count, never a scan of the requests.
///
/// [`Status::is_open`]: crate::domain::status::Status::is_open
/// [`Status::sla_clock_runs`]: crate::domain::status::Status::sla_clock_runs
#[async_trait]
pub trait StatsReader: Send {
    /// The units of a scope that have open requests, by code.
    async fn open_units(&mut self, units: UnitScope<'_>) -> Result<Vec<String>>;
    /// Open requests of `units` per unit and status, zero counts left out.
    async fn status_counts(&mut self, units: &[String]) -> Result<Vec<StatusCount>>;
    /// Open requests of `units` per unit and filing-time bucket, zero counts
    /// left out. `bounds` are instants, latest first; bucket `i <
    /// bounds.len()` holds those filed at or after `bounds[i]` (and before
    /// `bounds[i - 1]`), bucket `bounds.len()` the older ones.
    async fn open_age_counts(
        &mut self,
        units: &[String],
        bounds: &[DateTime<Utc>],
    ) -> Result<Vec<(String, usize, u64)>>;
    /// Running requests of `units` with `after < sla_due_at <= until`
    /// (either bound may be left open), per unit.
    async fn running_due_counts(
        &mut self,
        units: &[String],
        after: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> Result<Vec<(String, u64)>>;
    /// Running requests of `units` with `after < sla_due_at <= until`, the
    /// first `limit` by due time.
    async fn running_due_list(
        &mut self,
        units: &[String],
        after: Option<DateTime<Utc>>,
        until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<RequestSummary>>;
    /// Filings in the 24 hours from each of `days` (whole hours), in the
    /// same order.
    async fn filings_by_day(&mut self, days: &[DateTime<Utc>]) -> Result<Vec<DayFilings>>;
    /// Filings per user in `[from, to)`.
    async fn filings_by_user(&mut self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<UserFilings>>;
    /// Category × place pairs filed in `[since, until]` (requests with a
    /// neighbourhood), busiest first, with how many of them at or after
    /// `recent`.
    async fn hotspots(
        &mut self,
        units: UnitScope<'_>,
        since: DateTime<Utc>,
        recent: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<HotSpot>>;
    /// Open requests on one of the escalation lists: how many, and the
    /// first `limit`.
    async fn escalations(
        &mut self,
        kind: Escalation,
        units: UnitScope<'_>,
        limit: u32,
    ) -> Result<(u64, Vec<RequestSummary>)>;
    /// Calls that ended in `[since, until)`, per extension and user.
    async fn calls_ended(&mut self, since: DateTime<Utc>, until: DateTime<Utc>) -> Result<Vec<CallTally>>;
}

/// A write transaction. Dropping it without `commit` rolls back.
#[async_trait]
pub trait StoreTx: Send {
    /// The answer last recorded for a device's mutation.
    async fn processed(&mut self, device_id: Uuid, mutation_id: Uuid) -> Result<Option<Outcome>>;
    /// Records (or replaces) the answer to a device's mutation.
    async fn mark_processed(&mut self, device_id: Uuid, mutation_id: Uuid, outcome: &Outcome) -> Result<()>;
    /// The next change sequence number, assigned in commit order: a counter
    /// row updated inside this transaction, never a free-running sequence.
    async fn next_seq(&mut self) -> Result<i64>;
    async fn record_change(&mut self, seq: i64, entity: &str, id: Uuid) -> Result<()>;
    /// Reserves `n` tracking-number serials; returns the first.
    async fn allocate_serials(&mut self, n: u32) -> Result<u32>;
    async fn record_serial_block(&mut self, device_id: Uuid, start: u32, end: u32) -> Result<()>;
    async fn device_owns_serial(&mut self, device_id: Uuid, serial: u32) -> Result<bool>;

    async fn citizen(&mut self, id: Uuid) -> Result<Option<Citizen>>;
    async fn put_citizen(&mut self, citizen: &Citizen) -> Result<()>;
    /// The request without its timeline.
    async fn request(&mut self, id: Uuid) -> Result<Option<Request>>;
    async fn request_id_by_tracking(&mut self, tracking_no: &str) -> Result<Option<Uuid>>;
    async fn put_request(&mut self, request: &Request) -> Result<()>;
    async fn append_events(&mut self, request_id: Uuid, seq: i64, events: &[TimelineEvent]) -> Result<()>;
    async fn timeline(&mut self, request_id: Uuid) -> Result<Vec<TimelineEvent>>;
    /// Units the request has been with, in order.
    async fn units_visited(&mut self, request_id: Uuid) -> Result<Vec<String>>;
    async fn audit(&mut self, entry: AuditEntry) -> Result<()>;
    /// Nested scopes inside the transaction: one per mutation of a group
    /// commit, so a failing mutation is undone alone.
    async fn savepoint(&mut self) -> Result<()>;
    async fn rollback_to_savepoint(&mut self) -> Result<()>;
    async fn release(&mut self) -> Result<()>;
    async fn commit(self: Box<Self>) -> Result<()>;
}

/// Opens the store named by a URL: `sqlite://PATH` (created if missing).
pub async fn open(url: &str) -> Result<std::sync::Arc<dyn Store>> {
    if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        Ok(std::sync::Arc::new(sqlite::SqliteStore::open(std::path::Path::new(path)).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        anyhow::bail!("PostgreSQL support is not built into this version; use sqlite://PATH")
    } else {
        anyhow::bail!("unsupported database URL '{url}': expected sqlite://PATH")
    }
}

pub fn to_millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub fn from_millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// Hash of one audit entry chained to the previous hash.
pub fn audit_hash(prev: &str, e: &AuditEntry) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [prev, &to_millis(e.at).to_string(), &e.actor, &e.action, &e.entity, &e.entity_id, &e.detail] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}
