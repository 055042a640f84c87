//! The console's offline cache: one SQLite file per profile. Every local
//! change writes its row **and** its outbox row in one transaction, so the
//! two can never drift apart; pulled pages are applied together with their
//! cursor.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AssertSqlSafe, Connection as _, Row, Sqlite, SqliteConnection, SqlitePool, Transaction};
use uuid::Uuid;

use super::overlay::{self, OverlayCtx};
use super::packing::{pack, unpack};
use crate::domain::calendar::WorkCalendar;
use crate::domain::places::Gazetteer;
use crate::domain::reference::Taxonomy;
use crate::domain::search::CitizenQuery;
use crate::domain::text;
use crate::domain::tracking::TrackingNumber;
use crate::protocol::{
    Action, Change, Citizen, CitizenHit, CitizenPatch, Entity, Mutation, MutationOp, MutationResult, NewCitizen,
    NewRequest, Outcome, Request, SerialBlock,
};

mod image;
mod recovery;
pub use recovery::{CHECK_BUDGET, Recovery};

pub type Result<T> = anyhow::Result<T>;

/// The open requests, as SQL: the unit still has something to do (see
/// `Status::is_closed`). The partial indexes of
/// `migrations/cache/0002_open_request_lists.sql` carry this condition word
/// for word; SQLite only uses them for queries that repeat it exactly.
const OPEN_SQL: &str = "status NOT IN ('resolved','informed','closed','out_of_remit','duplicate','cancelled')";

/// Where a request or citizen stands with the server, as the user sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "badge", rename_all = "snake_case")]
pub enum Badge {
    /// The server has it and nothing local is pending.
    Sent,
    /// Local changes wait in the outbox.
    NotSent,
    /// The server refused a change; it is kept and shown.
    Rejected { reason: String },
    /// Someone else changed the same thing; kept and shown.
    Conflict { reason: String },
}

/// An outbox row, with what an outbox screen shows about it.
#[derive(Debug, Clone)]
pub struct OutboxItem {
    pub seq: i64,
    /// The change itself; `mutation.mutation_id` names it for
    /// [`Cache::discard`] and [`Cache::retry`].
    pub mutation: Mutation,
    /// `create_request`, `request_action`, `create_citizen` or `update_citizen`.
    pub kind: String,
    /// `request` or `citizen`, and which one.
    pub entity: String,
    pub entity_id: Uuid,
    /// What people call the record: a request's tracking number, a
    /// citizen's name (when the cache holds the record).
    pub label: Option<String>,
    pub state: OutboxState,
    /// Times the server answered or a push of it failed in transit.
    pub attempts: i64,
    /// The server's reason for a parked item; the transport error for a
    /// pending one whose last push failed.
    pub last_error: Option<String>,
    /// Later pending changes of the same record that wait behind this
    /// parked one (0 for a pending item).
    pub held_back: i64,
    /// When the change was made on this console.
    pub created_at: DateTime<Utc>,
}

impl OutboxItem {
    pub fn mutation_id(&self) -> Uuid {
        self.mutation.mutation_id
    }

    /// Rejected or conflicting: kept, shown, and holding back the record's
    /// later changes until it is retried or discarded.
    pub fn is_parked(&self) -> bool {
        self.state != OutboxState::Pending
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxState {
    /// Waiting to be sent (or sent, with the answer not back yet).
    Pending,
    Rejected,
    Conflict,
}

impl OutboxState {
    fn as_str(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Rejected => "rejected",
            OutboxState::Conflict => "conflict",
        }
    }

    fn parse(s: &str) -> OutboxState {
        match s {
            "rejected" => OutboxState::Rejected,
            "conflict" => OutboxState::Conflict,
            _ => OutboxState::Pending,
        }
    }
}

/// Counts for the status bar.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    pub pending: u32,
    pub rejected: u32,
    pub conflict: u32,
}

/// The signed-in user the cache acts for.
#[derive(Debug, Clone)]
pub struct LocalUser {
    pub id: Uuid,
    pub username: String,
}

pub struct Cache {
    pool: SqlitePool,
    /// The page cap of [`Cache::set_max_pages_for_tests`] (0: none), kept
    /// for connections opened later.
    page_cap: Arc<AtomicU64>,
    path: PathBuf,
    taxonomy: Taxonomy,
    gazetteer: &'static Gazetteer,
    calendar: &'static WorkCalendar,
    user: LocalUser,
}

/// Set in crash tests: `BEYAZMASA_FAULT=after_local_commit` exits the
/// process right after a local commit (see `tests/sync_crash.rs`).
pub fn fault_point(name: &str) {
    if std::env::var("BEYAZMASA_FAULT").is_ok_and(|v| v == name) {
        eprintln!("fault point {name}: exiting");
        std::process::exit(86);
    }
}

/// A local change refused because the disk (or the cache file's page limit)
/// is full. Nothing of the change was written; everything saved before is
/// still there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskFull;

impl std::fmt::Display for DiskFull {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("disk full: not saved; free space and try again")
    }
}

impl std::error::Error for DiskFull {}

/// How much of the cache file SQLite maps into memory (all of it).
const MMAP_SIZE: u64 = 1 << 32;

/// SQLite's primary result codes this module tells apart.
const SQLITE_CORRUPT: i32 = 11;
const SQLITE_FULL: i32 = 13;
const SQLITE_NOTADB: i32 = 26;

/// The SQLite result code (primary, without the extended bits) behind an
/// error, if SQLite gave one.
fn sqlite_code(e: &anyhow::Error) -> Option<i32> {
    e.chain().find_map(|cause| match cause.downcast_ref::<sqlx::Error>() {
        Some(sqlx::Error::Database(d)) => d.code().and_then(|c| c.parse::<i32>().ok()).map(|c| c & 0xff),
        _ => None,
    })
}

/// Whether `e` says the disk is full: SQLite's `SQLITE_FULL` (which the
/// unix VFS also returns for `ENOSPC`), an I/O "no space" error, or
/// [`DiskFull`] itself.
pub fn is_disk_full(e: &anyhow::Error) -> bool {
    sqlite_code(e) == Some(SQLITE_FULL)
        || e.chain().any(|c| {
            c.is::<DiskFull>()
                || c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::StorageFull)
        })
}

/// Whether `e` says the cache file is damaged: SQLite found it corrupt or
/// not a database, or a check at open failed.
pub fn is_damaged(e: &anyhow::Error) -> bool {
    matches!(sqlite_code(e), Some(SQLITE_CORRUPT | SQLITE_NOTADB)) || e.chain().any(|c| c.is::<recovery::Damaged>())
}

/// A local change's result, with a full disk said plainly.
fn saving<T>(result: Result<T>) -> Result<T> {
    result.map_err(|e| {
        if is_disk_full(&e) {
            tracing::warn!("offline cache: {e:#}");
            anyhow::Error::new(DiskFull)
        } else {
            e
        }
    })
}

impl Cache {
    /// Opens (creating and migrating) the cache file, mode 0600.
    pub async fn open(path: &Path, user: LocalUser) -> Result<Cache> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            // Records of about a kilobyte fill 16 KiB pages well (a new
            // cache's; an existing one keeps its size).
            .page_size(16384)
            // Caller search reads index pages all over a file that grows to
            // ~1.5 GB at a million requests: map it rather than copy each
            // page in with a read(). 64 MiB of page cache lets a snapshot
            // load without reading back the index pages it just wrote.
            .pragma("mmap_size", MMAP_SIZE.to_string())
            .pragma("cache_size", "-65536");
        let page_cap = Arc::new(AtomicU64::new(0));
        let cap = page_cap.clone();
        // One connection: the one writer, and reads queue behind it.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .after_connect(move |conn, _| {
                let cap = cap.load(Ordering::Relaxed);
                Box::pin(async move {
                    if cap > 0 {
                        sqlx::query(AssertSqlSafe(format!("PRAGMA max_page_count = {cap}"))).execute(conn).await?;
                    }
                    Ok(())
                })
            })
            .before_acquire(|conn, _| {
                // SQLite rolls a transaction back by itself on some errors
                // (a full disk, an I/O error); sqlx still counts it open and
                // its own rollback of it fails, so the connection would
                // refuse every later BEGIN. Such a connection is closed and
                // the pool opens a new one. (The count is settled by now:
                // the pool pings a connection it takes back, after the
                // rollback.)
                let stuck = conn.is_in_transaction();
                if stuck {
                    tracing::warn!("offline cache: a transaction ended by SQLite itself; reconnecting");
                }
                Box::pin(async move { Ok(!stuck) })
            })
            .connect_with(opts)
            .await
            .with_context(|| format!("cannot open the offline cache {}", path.display()))?;
        restrict_permissions(path);
        let setup = async {
            sqlx::migrate!("./migrations/cache")
                .run(&pool)
                .await
                .with_context(|| format!("the offline cache {} is damaged or from a newer version", path.display()))?;
            sqlx::query("INSERT OR IGNORE INTO meta (key, value) VALUES ('device_id', ?)")
                .bind(Uuid::now_v7().to_string())
                .execute(&pool)
                .await?;
            Ok::<_, anyhow::Error>(())
        };
        if let Err(e) = setup.await {
            // Closed before the error goes up: recovery may move the file next.
            pool.close().await;
            return Err(e);
        }
        let cache = Cache {
            pool,
            page_cap,
            path: path.to_path_buf(),
            taxonomy: crate::domain::reference::shipped_taxonomy(),
            gazetteer: Gazetteer::shipped(),
            calendar: WorkCalendar::shipped(),
            user,
        };
        // A console stopped while loading a snapshot left them dropped.
        cache.restore_indexes().await?;
        Ok(cache)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes the file: waits for the work in hand, then SQLite checkpoints
    /// and removes the write-ahead log. A cache closed so opens without the
    /// full check (see [`Cache::open_or_recover`]). Later calls fail.
    /// Rewrites the file without its free pages.
    pub async fn vacuum(&self) -> Result<()> {
        sqlx::query("VACUUM").execute(&self.pool).await?;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The size of the cache in pages (write-ahead log included).
    pub async fn page_count(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("PRAGMA page_count").fetch_one(&self.pool).await?;
        Ok(n as u64)
    }

    /// Test hook for a full disk: caps the file at `pages` pages (SQLite's
    /// `max_page_count`, which never goes below the current size), so a
    /// write that needs more fails with `SQLITE_FULL` as on a full disk.
    /// `None` lifts the cap ("frees space"). Returns the cap in force. It
    /// holds for connections the pool opens later, too.
    #[doc(hidden)]
    pub async fn set_max_pages_for_tests(&self, pages: Option<u64>) -> Result<u64> {
        self.page_cap.store(pages.unwrap_or(0), Ordering::Relaxed);
        let pages = pages.unwrap_or(u32::MAX as u64).min(u32::MAX as u64);
        let n: i64 =
            sqlx::query_scalar(AssertSqlSafe(format!("PRAGMA max_page_count = {pages}"))).fetch_one(&self.pool).await?;
        Ok(n as u64)
    }

    fn octx(&self) -> OverlayCtx<'_> {
        OverlayCtx {
            taxonomy: &self.taxonomy,
            gazetteer: self.gazetteer,
            calendar: self.calendar,
            user_id: self.user.id,
            username: &self.user.username,
        }
    }

    async fn begin(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    pub async fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = ?").bind(key).fetch_optional(&self.pool).await?)
    }

    pub async fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        put_meta(&mut conn, key, value).await
    }

    /// This install's device id (uuid v7, made once).
    pub async fn device_id(&self) -> Result<Uuid> {
        let s = self.meta("device_id").await?.ok_or_else(|| anyhow::anyhow!("device id missing"))?;
        Ok(Uuid::parse_str(&s)?)
    }

    /// Makes this cache push as `device` (the device its token was issued
    /// to). Tracking-number blocks belong to a device, so a cache that
    /// changes device drops the serials it had not used yet.
    pub async fn adopt_device(&self, device: Uuid) -> Result<()> {
        if self.device_id().await? == device {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM serial_blocks").execute(&mut *tx).await?;
        sqlx::query("UPDATE meta SET value = ? WHERE key = 'device_id'")
            .bind(device.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The pull cursor and the epoch it belongs to.
    pub async fn cursor(&self) -> Result<(i64, Option<String>)> {
        let since = self.meta("cursor").await?.and_then(|s| s.parse().ok()).unwrap_or(0);
        Ok((since, self.meta("epoch").await?))
    }

    // ------------------------------------------------------------ local changes

    /// Files a request locally: issues its tracking number from this
    /// device's block, writes the request and its outbox row in one
    /// transaction. Works offline; fails only if no serials are left.
    pub async fn file_request(&self, new: NewRequest) -> Result<Request> {
        saving(self.file_request_tx(new).await)
    }

    async fn file_request_tx(&self, mut new: NewRequest) -> Result<Request> {
        let now = Utc::now();
        let id = *new.id.get_or_insert_with(Uuid::now_v7);
        new.created_at.get_or_insert(now);
        let mut tx = self.begin().await?;
        if new.tracking_no.is_none() {
            let serial = take_serial(&mut tx).await?.ok_or_else(|| {
                anyhow::anyhow!("no tracking numbers left on this console; connect to the server once to get more")
            })?;
            new.tracking_no =
                Some(TrackingNumber::from_serial(serial).map_err(|e| anyhow::anyhow!("{e}"))?.to_string());
        }
        let view = overlay::request_from_new(&self.octx(), id, &new, now);
        put_request(&mut tx, &view, None).await?;
        let m = Mutation { mutation_id: Uuid::now_v7(), op: MutationOp::CreateRequest { request: new } };
        enqueue(&mut tx, &m, "request", id).await?;
        tx.commit().await?;
        fault_point("after_local_commit");
        Ok(view)
    }

    pub async fn create_citizen(&self, new: NewCitizen) -> Result<Citizen> {
        saving(self.create_citizen_tx(new).await)
    }

    async fn create_citizen_tx(&self, new: NewCitizen) -> Result<Citizen> {
        let now = Utc::now();
        let mut new = new;
        let id = *new.id.get_or_insert_with(Uuid::now_v7);
        let view = overlay::citizen_from_new(&self.octx(), id, &new, now);
        let mut tx = self.begin().await?;
        put_citizen(&mut tx, &view, None).await?;
        let m = Mutation { mutation_id: Uuid::now_v7(), op: MutationOp::CreateCitizen { citizen: new } };
        enqueue(&mut tx, &m, "citizen", id).await?;
        tx.commit().await?;
        Ok(view)
    }

    pub async fn update_citizen(&self, id: Uuid, patch: CitizenPatch) -> Result<Citizen> {
        saving(self.update_citizen_tx(id, patch).await)
    }

    async fn update_citizen_tx(&self, id: Uuid, patch: CitizenPatch) -> Result<Citizen> {
        let mut tx = self.begin().await?;
        let (mut view, server) =
            load_citizen(&mut tx, id).await?.ok_or_else(|| anyhow::anyhow!("unknown citizen {id}"))?;
        let base_version = server.as_ref().map(|c| c.version).unwrap_or(0);
        overlay::apply_citizen_patch(&self.octx(), &mut view, &patch);
        put_citizen(&mut tx, &view, server.as_ref()).await?;
        let m = Mutation { mutation_id: Uuid::now_v7(), op: MutationOp::UpdateCitizen { id, base_version, patch } };
        enqueue(&mut tx, &m, "citizen", id).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Records an action on a request (note, contact, forward, …).
    pub async fn act(&self, request_id: Uuid, action: Action) -> Result<Request> {
        saving(self.act_tx(request_id, action).await)
    }

    async fn act_tx(&self, request_id: Uuid, action: Action) -> Result<Request> {
        let mut tx = self.begin().await?;
        let (mut view, server) =
            load_request(&mut tx, request_id).await?.ok_or_else(|| anyhow::anyhow!("unknown request {request_id}"))?;
        let base_version = server.as_ref().map(|r| r.version);
        overlay::apply_action(&self.octx(), &mut view, &action, Utc::now());
        put_request(&mut tx, &view, server.as_ref()).await?;
        let m = Mutation {
            mutation_id: Uuid::now_v7(),
            op: MutationOp::RequestAction { request_id, base_version, action },
        };
        enqueue(&mut tx, &m, "request", request_id).await?;
        tx.commit().await?;
        fault_point("after_local_commit");
        Ok(view)
    }

    // ------------------------------------------------------------ serials

    pub async fn add_serial_block(&self, block: SerialBlock) -> Result<()> {
        sqlx::query("INSERT OR IGNORE INTO serial_blocks (start, end, next) VALUES (?, ?, ?)")
            .bind(block.start as i64)
            .bind(block.end as i64)
            .bind(block.start as i64)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Tracking numbers this console can still issue offline.
    pub async fn serials_left(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COALESCE(SUM(end - next + 1), 0) FROM serial_blocks WHERE next <= end")
            .fetch_one(&self.pool)
            .await?)
    }

    // ------------------------------------------------------------ sync

    /// Pending mutations to push, oldest first. A record with a rejected or
    /// conflicting mutation holds its later mutations back. Of one record's
    /// changes, a push carries them in order up to the second that names a
    /// base version: that one waits until the first is applied and it is
    /// re-based on the version the first produced (see
    /// [`Cache::apply_push_results`]), so this console's own earlier change
    /// is never taken for someone else's.
    pub async fn pushable(&self, limit: u32) -> Result<Vec<Mutation>> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT entity_id, payload FROM outbox o WHERE state = 'pending' AND NOT EXISTS \
             (SELECT 1 FROM outbox b WHERE b.entity_id = o.entity_id AND b.seq < o.seq AND b.state != 'pending') \
             ORDER BY seq LIMIT ?",
        )
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        let mut versioned: std::collections::HashSet<String> = std::collections::HashSet::new();
        let mut stopped: std::collections::HashSet<String> = std::collections::HashSet::new();
        let mut out = Vec::with_capacity(rows.len());
        for (entity_id, payload) in rows {
            if stopped.contains(&entity_id) {
                continue;
            }
            let m: Mutation = serde_json::from_str(&payload)?;
            if base_version(&m.op).is_some() && !versioned.insert(entity_id.clone()) {
                stopped.insert(entity_id);
                continue;
            }
            out.push(m);
        }
        Ok(out)
    }

    /// The whole outbox, oldest first.
    pub async fn outbox(&self) -> Result<Vec<OutboxItem>> {
        let mut conn = self.pool.acquire().await?;
        read_outbox(&mut conn, "TRUE", None).await
    }

    /// The parked items (rejected or conflicting), oldest first: what the
    /// console's outbox screen lists with the server's reasons.
    pub async fn parked(&self) -> Result<Vec<OutboxItem>> {
        let mut conn = self.pool.acquire().await?;
        read_outbox(&mut conn, "o.state != 'pending'", None).await
    }

    /// Drops a parked (rejected or conflicting) change for good and shows
    /// the record as the server has it, with the remaining outbox re-applied
    /// on top. The record's later changes no longer wait behind it and go
    /// with the next push.
    ///
    /// A pending change is refused: it may be in a push on its way to the
    /// server right now, so discarding it could not undo it.
    ///
    /// A record that exists only on this console (its create was parked and
    /// the server never had it) goes away whole when its create is
    /// discarded: the record's view and every later change of it, which
    /// could only be rejected without it. Its tracking number stays used.
    /// If changes of *other* records still name it (a request filed for a
    /// citizen created here, a co-reporter, a duplicate-of), the discard is
    /// refused with those records named, so nothing is left pointing at a
    /// record that never existed; discard (or let the server reject) those
    /// first.
    pub async fn discard(&self, mutation_id: Uuid) -> Result<()> {
        saving(self.discard_tx(mutation_id).await)
    }

    async fn discard_tx(&self, mutation_id: Uuid) -> Result<()> {
        let mut tx = self.begin().await?;
        let item = outbox_item(&mut tx, mutation_id).await?;
        if !item.is_parked() {
            anyhow::bail!(
                "{} for {} has not been answered by the server yet and may already be on its way; \
                 only rejected or conflicting changes can be discarded",
                describe(&item),
                item.label.as_deref().unwrap_or("this record")
            );
        }
        let id = item.entity_id;
        let on_server = has_server_state(&mut tx, &item.entity, id).await?;
        let creates = matches!(item.mutation.op, MutationOp::CreateRequest { .. } | MutationOp::CreateCitizen { .. });
        if creates && !on_server {
            let others = referring_items(&mut tx, id).await?;
            if !others.is_empty() {
                anyhow::bail!(
                    "cannot discard {}: {} unsent change(s) of other records refer to it ({}); \
                     discard those first",
                    item.label.as_deref().unwrap_or("this record"),
                    others.len(),
                    others.join(", ")
                );
            }
            sqlx::query("DELETE FROM outbox WHERE entity_id = ?").bind(id.to_string()).execute(&mut *tx).await?;
            forget_record(&mut tx, &item.entity, id).await?;
        } else {
            sqlx::query("DELETE FROM outbox WHERE mutation_id = ?")
                .bind(mutation_id.to_string())
                .execute(&mut *tx)
                .await?;
            self.rebuild_view(&mut tx, id).await?;
            let left: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE entity_id = ?")
                .bind(id.to_string())
                .fetch_one(&mut *tx)
                .await?;
            if !on_server && left == 0 {
                // Nothing local and nothing from the server (only after a
                // resync): forget it; the next pull brings it back if it exists.
                forget_record(&mut tx, &item.entity, id).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Puts a parked change back in the queue: the next push sends it again
    /// under the same mutation id, and the server decides it afresh (it
    /// remembers only applied mutations as final, so exactly one effect is
    /// still guaranteed).
    ///
    /// Retrying means "send mine again against the record as this console
    /// now knows it": a change with a base version (a citizen edit, a status
    /// change of a request) is re-based on the server version in the cache,
    /// so a conflict resolves in favour of the retried change, and a change
    /// rejected for the record's state is judged on its state now. Retrying
    /// a pending change does nothing.
    pub async fn retry(&self, mutation_id: Uuid) -> Result<()> {
        saving(self.retry_tx(mutation_id).await)
    }

    async fn retry_tx(&self, mutation_id: Uuid) -> Result<()> {
        let mut tx = self.begin().await?;
        let item = outbox_item(&mut tx, mutation_id).await?;
        if !item.is_parked() {
            return Ok(());
        }
        let mut m = item.mutation;
        match &mut m.op {
            MutationOp::UpdateCitizen { id, base_version, .. } => {
                if let Some((_, Some(server))) = load_citizen(&mut tx, *id).await? {
                    *base_version = server.version;
                }
            }
            MutationOp::RequestAction { request_id, base_version: Some(base), .. } => {
                if let Some((_, Some(server))) = load_request(&mut tx, *request_id).await? {
                    *base = server.version;
                }
            }
            _ => {}
        }
        sqlx::query("UPDATE outbox SET state = 'pending', last_error = NULL, payload = ? WHERE mutation_id = ?")
            .bind(serde_json::to_string(&m)?)
            .bind(mutation_id.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn counts(&self) -> Result<OutboxCounts> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT state, count(*) FROM outbox GROUP BY state").fetch_all(&self.pool).await?;
        let mut c = OutboxCounts::default();
        for (state, n) in rows {
            match OutboxState::parse(&state) {
                OutboxState::Pending => c.pending = n as u32,
                OutboxState::Rejected => c.rejected = n as u32,
                OutboxState::Conflict => c.conflict = n as u32,
            }
        }
        Ok(c)
    }

    /// Records a push attempt that failed in transit (for the status bar).
    pub async fn note_attempt(&self, ids: &[Uuid], error: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        for id in ids {
            sqlx::query("UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE mutation_id = ?")
                .bind(error)
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Applies the server's answers to a push, in one transaction.
    pub async fn apply_push_results(&self, results: &[MutationResult]) -> Result<()> {
        let mut tx = self.begin().await?;
        for r in results {
            let row: Option<(String, String)> =
                sqlx::query_as("SELECT entity, entity_id FROM outbox WHERE mutation_id = ?")
                    .bind(r.mutation_id.to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((_, entity_id)) = row else { continue };
            let entity_id = Uuid::parse_str(&entity_id)?;
            let outcome = match &r.outcome {
                Outcome::Duplicate { original } => original.as_ref(),
                o => o,
            };
            match outcome {
                Outcome::Applied { entity, version } => {
                    let applied: Option<String> =
                        sqlx::query_scalar("DELETE FROM outbox WHERE mutation_id = ? RETURNING payload")
                            .bind(r.mutation_id.to_string())
                            .fetch_optional(&mut *tx)
                            .await?;
                    let applied: Option<Mutation> = applied.map(|p| serde_json::from_str(&p)).transpose()?;
                    // The record's later changes were made on top of this
                    // one: they now stand on the version it produced, unless
                    // someone else changed the record in between.
                    let rebase = match &applied {
                        Some(m) => match base_version(&m.op) {
                            Some(from) if self.only_own_change(&mut tx, m, from, entity).await? => Some(from),
                            _ => None,
                        },
                        None => None,
                    };
                    store_server_entity(&mut tx, entity).await?;
                    if let Some(from) = rebase {
                        rebase_pending(&mut tx, entity_id, from, *version).await?;
                    }
                }
                Outcome::Rejected { message, field, .. } => {
                    let reason = match field {
                        Some(f) => format!("{message} ({f})"),
                        None => message.clone(),
                    };
                    mark(&mut tx, r.mutation_id, OutboxState::Rejected, &reason).await?;
                }
                Outcome::Conflict { message, current } => {
                    mark(&mut tx, r.mutation_id, OutboxState::Conflict, message).await?;
                    store_server_entity(&mut tx, current).await?;
                }
                Outcome::Duplicate { .. } => {}
            }
            self.rebuild_view(&mut tx, entity_id).await?;
        }
        tx.commit().await?;
        fault_point("after_push_applied");
        Ok(())
    }

    /// Whether the server's new state of a record differs from the state
    /// this console last had (at `from`, the applied change's base) only by
    /// the applied change itself: then nobody else changed it in between.
    async fn only_own_change(
        &self,
        tx: &mut SqliteConnection,
        applied: &Mutation,
        from: i64,
        new: &Entity,
    ) -> Result<bool> {
        match (new, &applied.op) {
            (Entity::Request(new), MutationOp::RequestAction { .. }) => {
                let Some((_, Some(old))) = load_request(tx, new.id).await? else { return Ok(false) };
                if old.version != from {
                    return Ok(false);
                }
                let seen: std::collections::HashSet<Uuid> = old.timeline.iter().map(|e| e.id).collect();
                Ok(new.timeline.iter().filter(|e| !seen.contains(&e.id)).all(|e| e.actor == self.user.username))
            }
            (Entity::Citizen(new), MutationOp::UpdateCitizen { patch, .. }) => {
                let Some((_, Some(old))) = load_citizen(tx, new.id).await? else { return Ok(false) };
                if old.version != from {
                    return Ok(false);
                }
                let touched = patched_fields(patch);
                Ok(new
                    .field_versions
                    .iter()
                    .filter(|(f, v)| old.field_versions.get(*f) != Some(*v))
                    .all(|(f, _)| touched.contains(&f.as_str())))
            }
            _ => Ok(false),
        }
    }

    /// Applies one pulled page and its cursor in one transaction.
    pub async fn apply_pull_page(&self, changes: &[Change], next: i64, epoch: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        let entities: Vec<&Entity> = changes.iter().map(|c| &c.entity).collect();
        let (first, second) = entities.split_at(entities.len().div_ceil(2));
        self.store_server_entities(&mut tx, first).await?;
        if !changes.is_empty() {
            fault_point("mid_pull_page");
        }
        self.store_server_entities(&mut tx, second).await?;
        put_meta(&mut tx, "cursor", &next.to_string()).await?;
        put_meta(&mut tx, "epoch", epoch).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Applies a batch of snapshot entities in one transaction.
    ///
    /// Nothing of a snapshot counts before [`Cache::finish_snapshot`] commits
    /// its cursor (a console stopped before that loads the snapshot again),
    /// and that commit waits for the disk, for itself and everything logged
    /// before it. So a batch does not wait for the disk itself
    /// (`synchronous = NORMAL` in WAL mode: the file stays consistent, only
    /// the newest commits may be lost); every other commit still does.
    pub async fn apply_snapshot_batch(&self, entities: &[Entity]) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        sqlx::query("PRAGMA synchronous = NORMAL").execute(&mut *conn).await?;
        let applied = async {
            let mut tx = sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE").await?;
            self.store_server_entities(&mut tx, &entities.iter().collect::<Vec<_>>()).await?;
            tx.commit().await?;
            Ok(())
        }
        .await;
        sqlx::query("PRAGMA synchronous = FULL").execute(&mut *conn).await?;
        applied
    }

    /// Saves what the server says these entities are and rebuilds their
    /// views. Those with nothing local pending (nearly all) are written as
    /// they come, many rows per statement; the others are rebuilt one by one
    /// with their outbox re-applied.
    async fn store_server_entities(&self, tx: &mut SqliteConnection, entities: &[&Entity]) -> Result<()> {
        let pending: std::collections::HashSet<String> = sqlx::query_scalar("SELECT DISTINCT entity_id FROM outbox")
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
        let mut requests = Vec::with_capacity(entities.len());
        let mut citizens = Vec::new();
        for e in entities {
            if !pending.is_empty() && pending.contains(&e.id().to_string()) {
                store_server_entity(tx, e).await?;
                self.rebuild_view(tx, e.id()).await?;
                continue;
            }
            match e {
                Entity::Request(r) => requests.push(&**r),
                Entity::Citizen(c) => citizens.push(&**c),
            }
        }
        put_requests_as_sent(tx, &requests).await?;
        put_citizens_as_sent(tx, &citizens).await
    }

    /// Marks a snapshot complete: from here on, pull from its cursor.
    pub async fn finish_snapshot(&self, seq: i64, epoch: &str) -> Result<()> {
        self.restore_indexes().await?;
        self.apply_pull_page(&[], seq, epoch).await
    }

    /// Before a snapshot loads into an empty cache: drops the secondary
    /// indexes of the record tables, keeping their definitions in `meta`, so
    /// the load appends rows instead of inserting into large indexes at
    /// random places; [`Cache::restore_indexes`] builds them again, sorted,
    /// in one go (from [`Cache::finish_snapshot`], or [`Cache::open`] after
    /// a stop mid-load). A cache that holds records keeps its indexes.
    pub async fn defer_indexes(&self) -> Result<()> {
        let mut tx = self.begin().await?;
        let empty: bool = sqlx::query_scalar(
            "SELECT NOT EXISTS (SELECT 1 FROM requests) AND NOT EXISTS (SELECT 1 FROM citizens) \
             AND NOT EXISTS (SELECT 1 FROM meta WHERE key = 'deferred_indexes')",
        )
        .fetch_one(&mut *tx)
        .await?;
        if !empty {
            return Ok(());
        }
        let indexes: Vec<(String, String)> = sqlx::query_as(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
             AND tbl_name IN ('requests', 'citizens', 'citizen_phones', 'citizen_name_tokens', 'citizen_name_pairs') ORDER BY name",
        )
        .fetch_all(&mut *tx)
        .await?;
        let sqls: Vec<&str> = indexes.iter().map(|(_, sql)| sql.as_str()).collect();
        put_meta(&mut tx, "deferred_indexes", &serde_json::to_string(&sqls)?).await?;
        for (name, _) in &indexes {
            sqlx::query(AssertSqlSafe(format!("DROP INDEX \"{}\"", name.replace('"', "\"\""))))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Builds the indexes [`Cache::defer_indexes`] dropped, if any.
    pub async fn restore_indexes(&self) -> Result<()> {
        let Some(sqls) = self.meta("deferred_indexes").await? else { return Ok(()) };
        let sqls: Vec<String> = serde_json::from_str(&sqls)?;
        let mut tx = self.begin().await?;
        for sql in sqls {
            sqlx::query(AssertSqlSafe(sql)).execute(&mut *tx).await?;
        }
        sqlx::query("DELETE FROM meta WHERE key = 'deferred_indexes'").execute(&mut *tx).await?;
        tx.commit().await?;
        // Building them logged every index page: hand the log back to the
        // disk rather than keep a file that size beside the cache.
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&self.pool).await?;
        Ok(())
    }

    /// After a 410: forget server state and the cursor, keep the outbox and
    /// the local views of records that still have pending changes.
    pub async fn reset_server_state(&self) -> Result<()> {
        let mut tx = self.begin().await?;
        for sql in [
            "DELETE FROM requests WHERE id NOT IN (SELECT entity_id FROM outbox)",
            "DELETE FROM citizens WHERE id NOT IN (SELECT entity_id FROM outbox)",
            "DELETE FROM citizen_phones WHERE citizen_id NOT IN (SELECT id FROM citizens)",
            "DELETE FROM citizen_name_tokens WHERE citizen_id NOT IN (SELECT id FROM citizens)",
            "DELETE FROM citizen_name_pairs WHERE citizen_id NOT IN (SELECT id FROM citizens)",
            "UPDATE requests SET server = NULL",
            "UPDATE citizens SET server = NULL",
            "DELETE FROM meta WHERE key IN ('cursor', 'epoch')",
        ] {
            sqlx::query(sql).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Recomputes an entity's view: server state + its outbox re-applied.
    async fn rebuild_view(&self, tx: &mut SqliteConnection, id: Uuid) -> Result<()> {
        let rows = sqlx::query("SELECT payload, entity FROM outbox WHERE entity_id = ? ORDER BY seq")
            .bind(id.to_string())
            .fetch_all(&mut *tx)
            .await?;
        let pending: Vec<Mutation> = rows
            .iter()
            .map(|r| serde_json::from_str(r.try_get("payload")?).map_err(Into::into))
            .collect::<Result<_>>()?;
        let entity: Option<String> = sqlx::query_scalar(
            "SELECT 'request' FROM requests WHERE id = ? UNION ALL SELECT 'citizen' FROM citizens WHERE id = ?",
        )
        .bind(id.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let kind = entity.or_else(|| pending.first().map(|m| overlay::target(&m.op).0.to_string()));
        let ctx = self.octx();
        match kind.as_deref() {
            Some("request") => {
                let server: Option<Request> = load_request(tx, id).await?.and_then(|(_, s)| s);
                let mut view = server.clone();
                for m in &pending {
                    match &m.op {
                        MutationOp::CreateRequest { request } if view.is_none() => {
                            let at = request.created_at.unwrap_or_else(Utc::now);
                            view = Some(overlay::request_from_new(&ctx, id, request, at));
                        }
                        MutationOp::RequestAction { action, .. } => {
                            if let Some(v) = view.as_mut() {
                                overlay::apply_action(&ctx, v, action, Utc::now());
                            }
                        }
                        _ => {}
                    }
                }
                if let Some(v) = view {
                    put_request(tx, &v, server.as_ref()).await?;
                }
            }
            Some("citizen") => {
                let server: Option<Citizen> = load_citizen(tx, id).await?.and_then(|(_, s)| s);
                let mut view = server.clone();
                for m in &pending {
                    match &m.op {
                        MutationOp::CreateCitizen { citizen } if view.is_none() => {
                            view = Some(overlay::citizen_from_new(&ctx, id, citizen, Utc::now()));
                        }
                        MutationOp::UpdateCitizen { patch, .. } => {
                            if let Some(v) = view.as_mut() {
                                overlay::apply_citizen_patch(&ctx, v, patch);
                            }
                        }
                        _ => {}
                    }
                }
                if let Some(v) = view {
                    put_citizen(tx, &v, server.as_ref()).await?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    // ------------------------------------------------------------ reads

    /// Caller search over the local cache (works offline).
    pub async fn search_citizens(&self, q: &str, limit: usize) -> Result<Vec<CitizenHit>> {
        let query = CitizenQuery::new(q, self.gazetteer);
        let mut conn = self.pool.acquire().await?;
        let found = crate::search_index::find_citizens(&mut conn, &query, limit).await?;
        if found.is_empty() {
            return Ok(Vec::new());
        }
        // The hits' views and open requests, in two reads.
        let mut qb = sqlx::QueryBuilder::<Sqlite>::new("SELECT id, view FROM citizens WHERE id IN (");
        let mut list = qb.separated(", ");
        for (id, _, _) in &found {
            list.push_bind(id.as_str());
        }
        list.push_unseparated(")");
        let views: Vec<(String, Vec<u8>)> = qb.build_query_as().fetch_all(&mut *conn).await?;
        let mut citizens: HashMap<String, Citizen> = HashMap::with_capacity(views.len());
        for (id, view) in views {
            citizens.insert(id, serde_json::from_slice(&unpack(&view)?)?);
        }
        let mut qb =
            sqlx::QueryBuilder::<Sqlite>::new("SELECT citizen_id, count(*) FROM requests WHERE citizen_id IN (");
        let mut list = qb.separated(", ");
        for (id, _, _) in &found {
            list.push_bind(id.as_str());
        }
        list.push_unseparated(format!(") AND {OPEN_SQL} GROUP BY citizen_id"));
        let open: HashMap<String, i64> = qb.build_query_as().fetch_all(&mut *conn).await?.into_iter().collect();
        let mut hits: Vec<CitizenHit> = found
            .into_iter()
            .filter_map(|(id, matched, score)| {
                let open_requests = open.get(&id).copied().unwrap_or(0) as u32;
                citizens.remove(&id).map(|citizen| CitizenHit { citizen, matched, score, open_requests })
            })
            .collect();
        crate::search_index::rank_hits(&mut hits);
        Ok(hits)
    }

    pub async fn citizen(&self, id: Uuid) -> Result<Option<Citizen>> {
        let mut conn = self.pool.acquire().await?;
        Ok(load_citizen(&mut conn, id).await?.map(|(v, _)| v))
    }

    /// A citizen's requests, newest first, with their badges.
    pub async fn citizen_requests(&self, citizen_id: Uuid) -> Result<Vec<(Request, Badge)>> {
        let ids: Vec<String> =
            sqlx::query_scalar("SELECT id FROM requests WHERE citizen_id = ? ORDER BY created_at DESC, id DESC")
                .bind(citizen_id.to_string())
                .fetch_all(&self.pool)
                .await?;
        let mut out = Vec::new();
        for id in ids {
            if let Some(r) = self.request(Uuid::parse_str(&id)?).await? {
                out.push(r);
            }
        }
        Ok(out)
    }

    pub async fn request(&self, id: Uuid) -> Result<Option<(Request, Badge)>> {
        let mut conn = self.pool.acquire().await?;
        let Some((view, _)) = load_request(&mut conn, id).await? else {
            return Ok(None);
        };
        let badge = badge(&mut conn, id).await?;
        Ok(Some((view, badge)))
    }

    pub async fn request_by_tracking(&self, tracking_no: &str) -> Result<Option<(Request, Badge)>> {
        let id: Option<String> = sqlx::query_scalar("SELECT id FROM requests WHERE tracking_no = ?")
            .bind(tracking_no)
            .fetch_optional(&self.pool)
            .await?;
        match id {
            Some(id) => self.request(Uuid::parse_str(&id)?).await,
            None => Ok(None),
        }
    }

    /// The duplicate radar: open requests of `category` in one neighbourhood
    /// filed since `since`, newest first, at most `limit`. The district may
    /// be a code or a name (`SAHINBEY`, `Şahinbey`, `sahinbey`) and the
    /// neighbourhood a name or alias in any spelling (`karatas mh`); both are
    /// resolved with the gazetteer to what the server stores. Local views
    /// count: a request filed here and not yet sent is found too.
    pub async fn nearby_open(
        &self,
        category: &str,
        district: &str,
        neighbourhood: &str,
        since: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<(Request, Badge)>> {
        let (district, neighbourhood) =
            overlay::canonical_place(self.gazetteer, district.trim(), Some(neighbourhood.trim()));
        let mut conn = self.pool.acquire().await?;
        let ids: Vec<String> = sqlx::query_scalar(AssertSqlSafe(nearby_open_sql()))
            .bind(category.trim())
            .bind(district)
            .bind(neighbourhood)
            .bind(since.timestamp_millis())
            .bind(limit.min(i64::MAX as usize) as i64)
            .fetch_all(&mut *conn)
            .await?;
        with_badges(&mut conn, ids).await
    }

    /// The queue of the given units: their open requests, the one due
    /// soonest first (overdue ones lead), at most `limit`. A paused
    /// (waiting) request keeps the due time it had when paused.
    pub async fn unit_queue(&self, units: &[String], limit: usize) -> Result<Vec<(Request, Badge)>> {
        let mut conn = self.pool.acquire().await?;
        let mut units: Vec<&str> = units.iter().map(|u| u.trim()).collect();
        units.sort_unstable();
        units.dedup();
        // One ordered index walk per unit, merged here: each reads at most
        // `limit` entries, however long the queues are.
        let mut due: Vec<(i64, String)> = Vec::new();
        for unit in units {
            let rows: Vec<(i64, String)> = sqlx::query_as(AssertSqlSafe(unit_queue_sql()))
                .bind(unit)
                .bind(limit.min(i64::MAX as usize) as i64)
                .fetch_all(&mut *conn)
                .await?;
            due.extend(rows);
        }
        due.sort_unstable();
        due.truncate(limit);
        with_badges(&mut conn, due.into_iter().map(|(_, id)| id).collect()).await
    }

    /// How many citizens the cache holds (views).
    pub async fn citizen_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM citizens").fetch_one(&self.pool).await?)
    }

    /// How many requests the cache holds (views).
    pub async fn request_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM requests").fetch_one(&self.pool).await?)
    }
}

/// Open requests of a category in a neighbourhood since a time, newest
/// first: a walk down the partial index `requests_open_nearby`.
fn nearby_open_sql() -> String {
    format!(
        "SELECT id FROM requests WHERE category = ? AND district = ? AND neighbourhood = ? \
         AND created_at >= ? AND {OPEN_SQL} ORDER BY created_at DESC, id DESC LIMIT ?"
    )
}

/// One unit's open requests, due soonest first: a walk along the partial
/// index `requests_open_due`.
fn unit_queue_sql() -> String {
    format!("SELECT sla_due_at, id FROM requests WHERE unit = ? AND {OPEN_SQL} ORDER BY sla_due_at, id LIMIT ?")
}

/// Loads requests (in the order given) with their badges.
async fn with_badges(conn: &mut SqliteConnection, ids: Vec<String>) -> Result<Vec<(Request, Badge)>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let id = Uuid::parse_str(&id)?;
        if let Some((view, _)) = load_request(conn, id).await? {
            out.push((view, badge(conn, id).await?));
        }
    }
    Ok(out)
}

/// `path` with `suffix` added to its file name: SQLite's `-wal` and `-shm`
/// files are named so.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(unix)]
fn restrict_permissions(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for p in [path.to_path_buf(), with_suffix(path, "-wal"), with_suffix(path, "-shm")] {
        if p.exists() {
            let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600));
        }
    }
}

#[cfg(not(unix))]
fn restrict_permissions(_path: &Path) {}

async fn put_meta(conn: &mut SqliteConnection, key: &str, value: &str) -> Result<()> {
    sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(key)
        .bind(value)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn take_serial(tx: &mut SqliteConnection) -> Result<Option<u32>> {
    let serial: Option<i64> = sqlx::query_scalar(
        "UPDATE serial_blocks SET next = next + 1 WHERE start = \
         (SELECT start FROM serial_blocks WHERE next <= end ORDER BY start LIMIT 1) RETURNING next - 1",
    )
    .fetch_optional(&mut *tx)
    .await?;
    Ok(serial.map(|s| s as u32))
}

/// The outbox's name for a kind of change.
fn kind_of(op: &MutationOp) -> &'static str {
    match op {
        MutationOp::CreateCitizen { .. } => "create_citizen",
        MutationOp::UpdateCitizen { .. } => "update_citizen",
        MutationOp::CreateRequest { .. } => "create_request",
        MutationOp::RequestAction { .. } => "request_action",
    }
}

async fn enqueue(tx: &mut SqliteConnection, m: &Mutation, entity: &str, id: Uuid) -> Result<()> {
    let kind = kind_of(&m.op);
    sqlx::query(
        "INSERT INTO outbox (mutation_id, kind, entity, entity_id, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(m.mutation_id.to_string())
    .bind(kind)
    .bind(entity)
    .bind(id.to_string())
    .bind(serde_json::to_string(m)?)
    .bind(Utc::now().timestamp_millis())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn mark(tx: &mut SqliteConnection, mutation_id: Uuid, state: OutboxState, reason: &str) -> Result<()> {
    sqlx::query("UPDATE outbox SET state = ?, last_error = ?, attempts = attempts + 1 WHERE mutation_id = ?")
        .bind(state.as_str())
        .bind(reason)
        .bind(mutation_id.to_string())
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Outbox rows matching `cond` (on `o`, with at most one `?` bound to
/// `arg`), oldest first.
async fn read_outbox(conn: &mut SqliteConnection, cond: &str, arg: Option<String>) -> Result<Vec<OutboxItem>> {
    let sql = format!(
        "SELECT o.seq, o.payload, o.kind, o.entity, o.entity_id, o.state, o.attempts, o.last_error, o.created_at, \
         CASE o.entity WHEN 'request' THEN (SELECT tracking_no FROM requests WHERE id = o.entity_id) \
         ELSE (SELECT full_name FROM citizens WHERE id = o.entity_id) END AS label, \
         CASE WHEN o.state = 'pending' THEN 0 ELSE (SELECT count(*) FROM outbox l \
         WHERE l.entity_id = o.entity_id AND l.seq > o.seq AND l.state = 'pending') END AS held_back \
         FROM outbox o WHERE {cond} ORDER BY o.seq"
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    if let Some(a) = arg {
        q = q.bind(a);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| {
            let created: i64 = r.try_get("created_at")?;
            Ok(OutboxItem {
                seq: r.try_get("seq")?,
                mutation: serde_json::from_str(r.try_get("payload")?)?,
                kind: r.try_get("kind")?,
                entity: r.try_get("entity")?,
                entity_id: Uuid::parse_str(r.try_get("entity_id")?)?,
                label: r.try_get("label")?,
                state: OutboxState::parse(r.try_get("state")?),
                attempts: r.try_get("attempts")?,
                last_error: r.try_get("last_error")?,
                held_back: r.try_get("held_back")?,
                created_at: Utc.timestamp_millis_opt(created).single().unwrap_or_default(),
            })
        })
        .collect()
}

async fn outbox_item(conn: &mut SqliteConnection, mutation_id: Uuid) -> Result<OutboxItem> {
    read_outbox(conn, "o.mutation_id = ?", Some(mutation_id.to_string())).await?.pop().ok_or_else(|| {
        anyhow::anyhow!("change {mutation_id} is not in the outbox (already applied by the server, or discarded)")
    })
}

/// A change in words, for messages: "the note", "filing the request", ….
fn describe(item: &OutboxItem) -> String {
    match &item.mutation.op {
        MutationOp::CreateCitizen { .. } => "creating the citizen".into(),
        MutationOp::UpdateCitizen { .. } => "the citizen edit".into(),
        MutationOp::CreateRequest { .. } => "filing the request".into(),
        MutationOp::RequestAction { action, .. } => {
            let name = serde_json::to_value(action)
                .ok()
                .and_then(|v| v.get("action").and_then(|a| a.as_str()).map(|a| a.replace('_', " ")));
            format!("the {}", name.unwrap_or_else(|| "action".into()))
        }
    }
}

async fn has_server_state(conn: &mut SqliteConnection, entity: &str, id: Uuid) -> Result<bool> {
    let sql = match entity {
        "request" => "SELECT server IS NOT NULL FROM requests WHERE id = ?",
        _ => "SELECT server IS NOT NULL FROM citizens WHERE id = ?",
    };
    let known: Option<bool> = sqlx::query_scalar(sql).bind(id.to_string()).fetch_optional(&mut *conn).await?;
    Ok(known.unwrap_or(false))
}

/// Records whose outbox changes name `id` (as their citizen, co-reporter,
/// original, …), by what people call them.
async fn referring_items(conn: &mut SqliteConnection, id: Uuid) -> Result<Vec<String>> {
    let labels: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT coalesce((SELECT tracking_no FROM requests WHERE id = o.entity_id), \
         (SELECT full_name FROM citizens WHERE id = o.entity_id), o.entity_id) FROM outbox o \
         WHERE o.entity_id != ?1 AND instr(o.payload, ?1) > 0 ORDER BY 1",
    )
    .bind(id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    Ok(labels)
}

/// Removes a record's local row (and a citizen's search index rows).
async fn forget_record(conn: &mut SqliteConnection, entity: &str, id: Uuid) -> Result<()> {
    let sqls: &[&str] = match entity {
        "request" => &["DELETE FROM requests WHERE id = ?"],
        _ => &[
            "DELETE FROM citizens WHERE id = ?",
            "DELETE FROM citizen_phones WHERE citizen_id = ?",
            "DELETE FROM citizen_name_tokens WHERE citizen_id = ?",
        ],
    };
    for &sql in sqls {
        sqlx::query(sql).bind(id.to_string()).execute(&mut *conn).await?;
    }
    Ok(())
}

async fn badge(conn: &mut SqliteConnection, id: Uuid) -> Result<Badge> {
    let rows: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT state, last_error FROM outbox WHERE entity_id = ? ORDER BY seq")
            .bind(id.to_string())
            .fetch_all(&mut *conn)
            .await?;
    let mut b = Badge::Sent;
    for (state, err) in rows {
        let reason = err.unwrap_or_default();
        b = match OutboxState::parse(&state) {
            OutboxState::Rejected => return Ok(Badge::Rejected { reason }),
            OutboxState::Conflict => return Ok(Badge::Conflict { reason }),
            OutboxState::Pending => Badge::NotSent,
        };
    }
    Ok(b)
}

/// Saves what the server says an entity is; the view is rebuilt after.
async fn store_server_entity(tx: &mut SqliteConnection, e: &Entity) -> Result<()> {
    match e {
        Entity::Citizen(c) => {
            let view = load_citizen(tx, c.id).await?.map(|(v, _)| v).unwrap_or_else(|| (**c).clone());
            put_citizen(tx, &view, Some(c)).await
        }
        Entity::Request(r) => {
            let view = load_request(tx, r.id).await?.map(|(v, _)| v).unwrap_or_else(|| (**r).clone());
            put_request(tx, &view, Some(r)).await
        }
    }
}

/// The upsert of request rows; `REQUEST_ROW` is one row's placeholders.
const PUT_REQUESTS: &str = "INSERT INTO requests (id, server, view, citizen_id, tracking_no, unit, status, \
     created_at, category, district, neighbourhood, sla_due_at) ";
const REQUEST_UPSERT: &str = " ON CONFLICT (id) DO UPDATE SET server = excluded.server, \
     view = excluded.view, citizen_id = excluded.citizen_id, tracking_no = excluded.tracking_no, \
     unit = excluded.unit, status = excluded.status, created_at = excluded.created_at, \
     category = excluded.category, district = excluded.district, neighbourhood = excluded.neighbourhood, \
     sla_due_at = excluded.sla_due_at";

/// How a record's server state is stored beside its view: NULL when the
/// server does not have the record, an empty value when the server's state
/// is the view itself (nothing local pending: nearly every record), else
/// the server's state packed.
fn server_column<T: Serialize + PartialEq>(view: &T, server: Option<&T>) -> Result<Option<Vec<u8>>> {
    Ok(match server {
        None => None,
        Some(s) if s == view => Some(Vec::new()),
        Some(s) => Some(pack(&serde_json::to_vec(s)?)),
    })
}

/// Reads a stored view and server state (see [`server_column`]).
fn read_record<T: serde::de::DeserializeOwned + Clone>(view: &[u8], server: Option<&[u8]>) -> Result<(T, Option<T>)> {
    let view: T = serde_json::from_slice(&unpack(view)?)?;
    let server = match server {
        None => None,
        Some([]) => Some(view.clone()),
        Some(s) => Some(serde_json::from_slice(&unpack(s)?)?),
    };
    Ok((view, server))
}

/// Rows per multi-row statement of the bulk writes, well under SQLite's
/// limit of bound parameters.
const BULK_ROWS: usize = 200;

/// The packed views of a chunk of records in one buffer, so a bulk write
/// does not allocate (and free) a buffer per record.
struct PackedViews {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl PackedViews {
    /// `json` is scratch space, kept between chunks.
    fn of<T: Serialize>(records: &[&T], json: &mut Vec<u8>) -> Result<PackedViews> {
        let mut bytes = Vec::new();
        let mut ends = Vec::with_capacity(records.len());
        for r in records {
            json.clear();
            serde_json::to_writer(&mut *json, r)?;
            crate::client::packing::pack_into(json, &mut bytes);
            ends.push(bytes.len());
        }
        Ok(PackedViews { bytes, ends })
    }

    fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(self.ends.iter().copied()).map(|(a, b)| &self.bytes[a..b])
    }
}

/// Writes requests the server sent that have nothing local pending: the
/// view is the server's state. Many rows per statement.
async fn put_requests_as_sent(tx: &mut SqliteConnection, requests: &[&Request]) -> Result<()> {
    let mut json = Vec::with_capacity(4096);
    for chunk in requests.chunks(BULK_ROWS) {
        let views = PackedViews::of(chunk, &mut json)?;
        let mut qb = sqlx::QueryBuilder::<Sqlite>::new(PUT_REQUESTS);
        qb.push_values(chunk.iter().zip(views.iter()), |mut b, (r, view)| {
            let place = r.location.as_ref();
            b.push_bind(r.id.to_string())
                .push_bind(Vec::<u8>::new())
                .push_bind(view)
                .push_bind(r.citizen_id.map(|c| c.to_string()))
                .push_bind(r.tracking_no.as_str())
                .push_bind(r.unit.as_str())
                .push_bind(r.status.as_str())
                .push_bind(r.created_at.timestamp_millis())
                .push_bind(r.category.as_str())
                .push_bind(place.map(|l| l.district.as_str()))
                .push_bind(place.and_then(|l| l.neighbourhood.as_deref()))
                .push_bind(r.sla_due_at.timestamp_millis());
        });
        qb.push(REQUEST_UPSERT);
        qb.build().execute(&mut *tx).await?;
    }
    Ok(())
}

/// [`put_requests_as_sent`] for citizens, with their search index rows.
async fn put_citizens_as_sent(tx: &mut SqliteConnection, citizens: &[&Citizen]) -> Result<()> {
    let mut json = Vec::with_capacity(1024);
    for chunk in citizens.chunks(BULK_ROWS) {
        let views = PackedViews::of(chunk, &mut json)?;
        let mut qb = sqlx::QueryBuilder::<Sqlite>::new(PUT_CITIZENS);
        qb.push_values(chunk.iter().zip(views.iter()), |mut b, (c, view)| {
            let a = c.address.as_ref();
            b.push_bind(c.id.to_string())
                .push_bind(Vec::<u8>::new())
                .push_bind(view)
                .push_bind(c.full_name.as_str())
                .push_bind(c.tckn.as_deref())
                .push_bind(a.map(|a| a.district.as_str()))
                .push_bind(a.map(|a| a.neighbourhood.as_str()))
                .push_bind(a.and_then(|a| a.street.as_deref()).map(text::expand_address))
                .push_bind(a.and_then(|a| a.number.as_deref()));
        });
        qb.push(CITIZEN_UPSERT);
        qb.build().execute(&mut *tx).await?;
    }
    let index: Vec<crate::search_index::Indexed> = citizens
        .iter()
        .map(|c| crate::search_index::Indexed {
            id: c.id,
            full_name: &c.full_name,
            phones: &c.phones,
            place: c.address.as_ref().map(|a| (a.district.as_str(), a.neighbourhood.as_str())),
        })
        .collect();
    crate::search_index::index_citizens(tx, &index).await
}

async fn put_request(tx: &mut SqliteConnection, view: &Request, server: Option<&Request>) -> Result<()> {
    // Places are stored as the view has them: canonical (district code,
    // neighbourhood name) from the server, and from `overlay::request_from_new`
    // for a request filed here. `nearby_open` canonicalises its input alike.
    let place = view.location.as_ref();
    sqlx::query(AssertSqlSafe(format!("{PUT_REQUESTS} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) {REQUEST_UPSERT}")))
        .bind(view.id.to_string())
        .bind(server_column(view, server)?)
        .bind(pack(&serde_json::to_vec(view)?))
        .bind(view.citizen_id.map(|c| c.to_string()))
        .bind(&view.tracking_no)
        .bind(&view.unit)
        .bind(view.status.as_str())
        .bind(view.created_at.timestamp_millis())
        .bind(&view.category)
        .bind(place.map(|l| &l.district))
        .bind(place.and_then(|l| l.neighbourhood.as_ref()))
        .bind(view.sla_due_at.timestamp_millis())
        .execute(&mut *tx)
        .await?;
    Ok(())
}

async fn load_request(conn: &mut SqliteConnection, id: Uuid) -> Result<Option<(Request, Option<Request>)>> {
    let row: Option<(Vec<u8>, Option<Vec<u8>>)> = sqlx::query_as("SELECT view, server FROM requests WHERE id = ?")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|(v, s)| read_record(&v, s.as_deref())).transpose()
}

const PUT_CITIZENS: &str =
    "INSERT INTO citizens (id, server, view, full_name, tckn, district, neighbourhood, street_key, number) ";
const CITIZEN_UPSERT: &str = " ON CONFLICT (id) DO UPDATE SET server = excluded.server, \
     view = excluded.view, full_name = excluded.full_name, tckn = excluded.tckn, district = excluded.district, \
     neighbourhood = excluded.neighbourhood, street_key = excluded.street_key, number = excluded.number";

async fn put_citizen(tx: &mut SqliteConnection, view: &Citizen, server: Option<&Citizen>) -> Result<()> {
    let a = view.address.as_ref();
    sqlx::query(AssertSqlSafe(format!("{PUT_CITIZENS} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) {CITIZEN_UPSERT}")))
        .bind(view.id.to_string())
        .bind(server_column(view, server)?)
        .bind(pack(&serde_json::to_vec(view)?))
        .bind(&view.full_name)
        .bind(&view.tckn)
        .bind(a.map(|a| &a.district))
        .bind(a.map(|a| &a.neighbourhood))
        .bind(a.and_then(|a| a.street.as_deref()).map(text::expand_address))
        .bind(a.and_then(|a| a.number.as_ref()))
        .execute(&mut *tx)
        .await?;
    let place = a.map(|a| (a.district.as_str(), a.neighbourhood.as_str()));
    crate::search_index::index_citizen(tx, view.id, &view.full_name, &view.phones, place).await?;
    Ok(())
}

async fn load_citizen(conn: &mut SqliteConnection, id: Uuid) -> Result<Option<(Citizen, Option<Citizen>)>> {
    let row: Option<(Vec<u8>, Option<Vec<u8>>)> = sqlx::query_as("SELECT view, server FROM citizens WHERE id = ?")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|(v, s)| read_record(&v, s.as_deref())).transpose()
}

/// The citizen fields a patch changes, by the names of `field_versions`.
fn patched_fields(p: &CitizenPatch) -> Vec<&'static str> {
    let mut v = Vec::new();
    if p.full_name.is_some() {
        v.push("full_name");
    }
    if p.phones.is_some() {
        v.push("phones");
    }
    if p.email.is_some() {
        v.push("email");
    }
    if p.address.is_some() {
        v.push("address");
    }
    if p.hide_identity.is_some() {
        v.push("hide_identity");
    }
    v
}

/// The version a change was made against, for the changes that name one.
fn base_version(op: &MutationOp) -> Option<i64> {
    match op {
        MutationOp::UpdateCitizen { base_version, .. } => Some(*base_version),
        MutationOp::RequestAction { base_version, .. } => *base_version,
        _ => None,
    }
}

/// Moves the record's pending changes made against version `from` to `to`:
/// they were made after (and on top of) this console's change that the
/// server applied against `from`, producing `to`. Changes made against
/// another version (after a pull brought someone else's change) keep it.
async fn rebase_pending(tx: &mut SqliteConnection, entity_id: Uuid, from: i64, to: i64) -> Result<()> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT mutation_id, payload FROM outbox WHERE entity_id = ? AND state = 'pending' ORDER BY seq",
    )
    .bind(entity_id.to_string())
    .fetch_all(&mut *tx)
    .await?;
    for (id, payload) in rows {
        let mut m: Mutation = serde_json::from_str(&payload)?;
        if base_version(&m.op) == Some(from) {
            match &mut m.op {
                MutationOp::UpdateCitizen { base_version, .. } => *base_version = to,
                MutationOp::RequestAction { base_version: Some(b), .. } => *b = to,
                _ => {}
            }
            sqlx::query("UPDATE outbox SET payload = ? WHERE mutation_id = ?")
                .bind(serde_json::to_string(&m)?)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::status::Status;

    #[test]
    fn open_sql_names_exactly_the_closed_statuses() {
        let closed: Vec<String> =
            Status::ALL.into_iter().filter(|s| s.is_closed()).map(|s| format!("'{}'", s.as_str())).collect();
        assert_eq!(OPEN_SQL, format!("status NOT IN ({})", closed.join(",")));
        let migration = include_str!("../../migrations/cache/0002_open_request_lists.sql");
        assert_eq!(migration.matches(&format!("WHERE {OPEN_SQL}")).count(), 2, "the partial indexes say the same");
    }

    /// A cache from before the list columns gets them filled from the views.
    #[tokio::test]
    async fn the_migration_fills_the_list_columns_of_an_existing_cache() {
        let dir = tempfile::tempdir().unwrap();
        let opts = SqliteConnectOptions::new().filename(dir.path().join("old.db")).create_if_missing(true);
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(opts).await.unwrap();
        sqlx::raw_sql(include_str!("../../migrations/cache/0001_init.sql")).execute(&pool).await.unwrap();
        let t = crate::domain::reference::shipped_taxonomy();
        let ctx = OverlayCtx {
            taxonomy: &t,
            gazetteer: Gazetteer::shipped(),
            calendar: WorkCalendar::shipped(),
            user_id: Uuid::nil(),
            username: "a",
        };
        let located = crate::protocol::NewRequest {
            location: Some(crate::protocol::Location {
                district: "sahinbey".into(),
                neighbourhood: Some("karatas mh".into()),
                ..Default::default()
            }),
            ..crate::protocol::NewRequest::new(
                crate::domain::model::RequestType::Complaint,
                crate::domain::model::Channel::Line153,
                &t.categories[0].code,
                "Su yok",
            )
        };
        let unlocated = crate::protocol::NewRequest { location: None, ..located.clone() };
        let views = [
            overlay::request_from_new(&ctx, Uuid::now_v7(), &located, Utc::now()),
            overlay::request_from_new(&ctx, Uuid::now_v7(), &unlocated, Utc::now()),
        ];
        for v in &views {
            sqlx::query(
                "INSERT INTO requests (id, view, tracking_no, unit, status, created_at) VALUES (?, ?, '', ?, ?, ?)",
            )
            .bind(v.id.to_string())
            .bind(serde_json::to_string(v).unwrap())
            .bind(&v.unit)
            .bind(v.status.as_str())
            .bind(v.created_at.timestamp_millis())
            .execute(&pool)
            .await
            .unwrap();
        }
        sqlx::raw_sql(include_str!("../../migrations/cache/0002_open_request_lists.sql")).execute(&pool).await.unwrap();
        for v in &views {
            let row: (String, Option<String>, Option<String>, i64) =
                sqlx::query_as("SELECT category, district, neighbourhood, sla_due_at FROM requests WHERE id = ?")
                    .bind(v.id.to_string())
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            let l = v.location.as_ref();
            let expected = (
                v.category.clone(),
                l.map(|l| l.district.clone()),
                l.and_then(|l| l.neighbourhood.clone()),
                v.sla_due_at.timestamp_millis(),
            );
            assert_eq!(row, expected);
        }
        assert_eq!(views[0].location.as_ref().unwrap().neighbourhood.as_deref(), Some("Karataş"));
    }

    /// Indexes dropped for a snapshot come back as they were, when the load
    /// finishes or when a console stopped mid-load opens the cache again.
    #[tokio::test]
    async fn deferred_indexes_come_back_as_they_were() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let user = || LocalUser { id: Uuid::nil(), username: "a".into() };
        let indexes = |pool: &SqlitePool| {
            let pool = pool.clone();
            async move {
                let rows: Vec<(String, String)> = sqlx::query_as(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name",
                )
                .fetch_all(&pool)
                .await
                .unwrap();
                rows
            }
        };
        let cache = Cache::open(&path, user()).await.unwrap();
        let before = indexes(&cache.pool).await;
        assert!(before.iter().any(|(n, _)| n == "requests_open_due"));
        cache.defer_indexes().await.unwrap();
        let during = indexes(&cache.pool).await;
        assert!(during.iter().all(|(n, _)| n.starts_with("outbox") || n.starts_with("name_vocab")), "{during:?}");
        drop(cache);
        let cache = Cache::open(&path, user()).await.unwrap();
        assert_eq!(indexes(&cache.pool).await, before, "restored on open");
        cache.defer_indexes().await.unwrap();
        cache.finish_snapshot(7, "e").await.unwrap();
        assert_eq!(indexes(&cache.pool).await, before, "restored when the snapshot is in");
        assert_eq!(cache.meta("deferred_indexes").await.unwrap(), None);
        // A cache with records keeps its indexes.
        cache.add_serial_block(SerialBlock { start: 1, end: 10 }).await.unwrap();
        let t = crate::domain::reference::shipped_taxonomy();
        let new = NewRequest::new(
            crate::domain::model::RequestType::Complaint,
            crate::domain::model::Channel::Line153,
            &t.categories[0].code,
            "Su yok",
        );
        cache.file_request(new).await.unwrap();
        cache.defer_indexes().await.unwrap();
        assert_eq!(indexes(&cache.pool).await, before);
    }

    /// Both list queries walk their partial index in order: no table scan,
    /// no sort, so they read about `limit` rows however many the cache holds.
    #[tokio::test]
    async fn the_list_queries_walk_their_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let cache =
            Cache::open(&dir.path().join("c.db"), LocalUser { id: Uuid::nil(), username: "a".into() }).await.unwrap();
        for (sql, index) in [(nearby_open_sql(), "requests_open_nearby"), (unit_queue_sql(), "requests_open_due")] {
            let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                .fetch_all(&cache.pool)
                .await
                .unwrap();
            let plan: Vec<String> = plan.into_iter().map(|p| p.3).collect();
            assert_eq!(plan.len(), 1, "one search, no temp b-tree for the order: {plan:?}");
            assert!(plan[0].starts_with("SEARCH requests USING INDEX") && plan[0].contains(index), "{plan:?}");
        }
    }
}
