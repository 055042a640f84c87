//! The console's offline cache: one SQLite file per profile. Every local
//! change writes its row **and** its outbox row in one transaction, so the
//! two can never drift apart; pulled pages are applied together with their
//! cursor.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, Sqlite, SqliteConnection, SqlitePool, Transaction};
use uuid::Uuid;

use super::overlay::{self, OverlayCtx};
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

pub type Result<T> = anyhow::Result<T>;

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

/// An outbox row.
#[derive(Debug, Clone)]
pub struct OutboxItem {
    pub seq: i64,
    pub mutation: Mutation,
    pub state: OutboxState,
    pub attempts: i64,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxState {
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
            // Caller search reads index pages all over a file that grows to
            // ~2 GB at a million citizens: map it rather than copy each page
            // in with a read(), and keep more pages than the 2 MB default.
            .pragma("mmap_size", (1u64 << 32).to_string())
            .pragma("cache_size", "-65536");
        // One connection: the one writer, and reads queue behind it.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts)
            .await
            .map_err(|e| anyhow::anyhow!("cannot open the offline cache {}: {e}", path.display()))?;
        restrict_permissions(path);
        sqlx::migrate!("./migrations/cache").run(&pool).await.map_err(|e| {
            anyhow::anyhow!("the offline cache {} is damaged or from a newer version: {e}", path.display())
        })?;
        sqlx::query("INSERT OR IGNORE INTO meta (key, value) VALUES ('device_id', ?)")
            .bind(Uuid::now_v7().to_string())
            .execute(&pool)
            .await?;
        let cache = Cache {
            pool,
            path: path.to_path_buf(),
            taxonomy: crate::domain::reference::shipped_taxonomy(),
            gazetteer: Gazetteer::shipped(),
            calendar: WorkCalendar::shipped(),
            user,
        };
        Ok(cache)
    }

    pub fn path(&self) -> &Path {
        &self.path
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
    pub async fn file_request(&self, mut new: NewRequest) -> Result<Request> {
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
    /// conflicting mutation holds its later mutations back.
    pub async fn pushable(&self, limit: u32) -> Result<Vec<Mutation>> {
        let rows = sqlx::query(
            "SELECT payload FROM outbox o WHERE state = 'pending' AND NOT EXISTS \
             (SELECT 1 FROM outbox b WHERE b.entity_id = o.entity_id AND b.seq < o.seq AND b.state != 'pending') \
             ORDER BY seq LIMIT ?",
        )
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok(serde_json::from_str(r.try_get("payload")?)?)).collect()
    }

    pub async fn outbox(&self) -> Result<Vec<OutboxItem>> {
        let rows = sqlx::query("SELECT seq, payload, state, attempts, last_error FROM outbox ORDER BY seq")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(OutboxItem {
                    seq: r.try_get("seq")?,
                    mutation: serde_json::from_str(r.try_get("payload")?)?,
                    state: OutboxState::parse(r.try_get("state")?),
                    attempts: r.try_get("attempts")?,
                    last_error: r.try_get("last_error")?,
                })
            })
            .collect()
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
                Outcome::Applied { entity, .. } => {
                    sqlx::query("DELETE FROM outbox WHERE mutation_id = ?")
                        .bind(r.mutation_id.to_string())
                        .execute(&mut *tx)
                        .await?;
                    store_server_entity(&mut tx, entity).await?;
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

    /// Applies one pulled page and its cursor in one transaction.
    pub async fn apply_pull_page(&self, changes: &[Change], next: i64, epoch: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        for (i, c) in changes.iter().enumerate() {
            store_server_entity(&mut tx, &c.entity).await?;
            self.rebuild_view(&mut tx, c.entity.id()).await?;
            if i == changes.len() / 2 {
                fault_point("mid_pull_page");
            }
        }
        put_meta(&mut tx, "cursor", &next.to_string()).await?;
        put_meta(&mut tx, "epoch", epoch).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Applies a batch of snapshot entities in one transaction.
    pub async fn apply_snapshot_batch(&self, entities: &[Entity]) -> Result<()> {
        let mut tx = self.begin().await?;
        for e in entities {
            store_server_entity(&mut tx, e).await?;
            self.rebuild_view(&mut tx, e.id()).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Marks a snapshot complete: from here on, pull from its cursor.
    pub async fn finish_snapshot(&self, seq: i64, epoch: &str) -> Result<()> {
        self.apply_pull_page(&[], seq, epoch).await
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
        let views: Vec<(String, String)> = qb.build_query_as().fetch_all(&mut *conn).await?;
        let mut citizens: HashMap<String, Citizen> = HashMap::with_capacity(views.len());
        for (id, view) in views {
            citizens.insert(id, serde_json::from_str(&view)?);
        }
        let mut qb =
            sqlx::QueryBuilder::<Sqlite>::new("SELECT citizen_id, count(*) FROM requests WHERE citizen_id IN (");
        let mut list = qb.separated(", ");
        for (id, _, _) in &found {
            list.push_bind(id.as_str());
        }
        list.push_unseparated(
            ") AND status NOT IN ('resolved','informed','closed','out_of_remit','duplicate','cancelled') \
             GROUP BY citizen_id",
        );
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

    /// How many citizens the cache holds (views).
    pub async fn citizen_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM citizens").fetch_one(&self.pool).await?)
    }

    /// How many requests the cache holds (views).
    pub async fn request_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM requests").fetch_one(&self.pool).await?)
    }
}

#[cfg(unix)]
fn restrict_permissions(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for p in [path.to_path_buf(), path.with_extension("db-wal"), path.with_extension("db-shm")] {
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

async fn enqueue(tx: &mut SqliteConnection, m: &Mutation, entity: &str, id: Uuid) -> Result<()> {
    let kind = match &m.op {
        MutationOp::CreateCitizen { .. } => "create_citizen",
        MutationOp::UpdateCitizen { .. } => "update_citizen",
        MutationOp::CreateRequest { .. } => "create_request",
        MutationOp::RequestAction { .. } => "request_action",
    };
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

async fn put_request(tx: &mut SqliteConnection, view: &Request, server: Option<&Request>) -> Result<()> {
    sqlx::query(
        "INSERT INTO requests (id, server, view, citizen_id, tracking_no, unit, status, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET server = excluded.server, \
         view = excluded.view, citizen_id = excluded.citizen_id, tracking_no = excluded.tracking_no, \
         unit = excluded.unit, status = excluded.status, created_at = excluded.created_at",
    )
    .bind(view.id.to_string())
    .bind(server.map(serde_json::to_string).transpose()?)
    .bind(serde_json::to_string(view)?)
    .bind(view.citizen_id.map(|c| c.to_string()))
    .bind(&view.tracking_no)
    .bind(&view.unit)
    .bind(view.status.as_str())
    .bind(view.created_at.timestamp_millis())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn load_request(conn: &mut SqliteConnection, id: Uuid) -> Result<Option<(Request, Option<Request>)>> {
    let row: Option<(String, Option<String>)> = sqlx::query_as("SELECT view, server FROM requests WHERE id = ?")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|(v, s)| Ok((serde_json::from_str(&v)?, s.map(|s| serde_json::from_str(&s)).transpose()?))).transpose()
}

async fn put_citizen(tx: &mut SqliteConnection, view: &Citizen, server: Option<&Citizen>) -> Result<()> {
    let a = view.address.as_ref();
    sqlx::query(
        "INSERT INTO citizens (id, server, view, full_name, tckn, district, neighbourhood, street_key, number) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET server = excluded.server, \
         view = excluded.view, full_name = excluded.full_name, tckn = excluded.tckn, district = excluded.district, \
         neighbourhood = excluded.neighbourhood, street_key = excluded.street_key, number = excluded.number",
    )
    .bind(view.id.to_string())
    .bind(server.map(serde_json::to_string).transpose()?)
    .bind(serde_json::to_string(view)?)
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
    let row: Option<(String, Option<String>)> = sqlx::query_as("SELECT view, server FROM citizens WHERE id = ?")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|(v, s)| Ok((serde_json::from_str(&v)?, s.map(|s| serde_json::from_str(&s)).transpose()?))).transpose()
}
