//! Opening the offline cache when its file is damaged (a disk error, a copy
//! cut short, a file that is not a cache at all). The damaged file is moved
//! aside, a fresh cache takes its place and loads from the server as a new
//! console does, and what only this console has is carried over when it can
//! still be read: the outbox (changes the server has not accepted yet), with
//! the device id and tracking-number blocks it is pushed under.
//!
//! Damage is looked for at open, at a cost kept small:
//!
//! - Always: the file's header and size are read (one 100-byte read: a file
//!   that is not SQLite, or one cut short), SQLite opens it and reads its
//!   schema (the migrations), and the tables recovery would carry (`meta`,
//!   `serial_blocks`, `outbox`, all small) are read whole.
//! - `PRAGMA quick_check` (every page of every table and index, without
//!   comparing indexes to their tables) over the whole file when the last
//!   session did not close it (its write-ahead log is still there: a crash,
//!   a kill, a power cut), and otherwise for at most [`CHECK_BUDGET`].
//!
//! Measured on a 1 GB cache (214,000 requests; `measure_open` in
//! `tests/cache_recovery.rs`, dev build, SQLite at opt-level 1): opening
//! without the check takes 15–25 ms; with the budget about 205 ms (250 ms
//! from a cold disk); the whole check 0.5–0.8 s with the file in the page
//! cache and 10.5 s read from a cold (virtual) disk. So the budget checks
//! about 400 MB of a cache in the page cache, a few tens of MB of a cold
//! one; the whole check is paid only after an unclean end.
//!
//! Damage elsewhere shows when a query reaches it; that is not handled here.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::Utc;
use futures::TryStreamExt as _;
use sqlx::sqlite::{SqliteConnectOptions, SqliteRow};
use sqlx::{AssertSqlSafe, ConnectOptions as _, Connection as _, Row, SqliteConnection};
use uuid::Uuid;

use super::{Cache, LocalUser, OutboxState, Result, is_damaged, kind_of, overlay, put_meta, with_suffix};
use crate::domain::tracking::TrackingNumber;
use crate::protocol::{Mutation, MutationOp};

/// How long opening a cleanly closed cache may spend on `quick_check`.
pub const CHECK_BUDGET: Duration = Duration::from_millis(200);

/// Where a new cache is built before it takes the damaged one's place.
const REBUILD: &str = ".rebuild";

/// The files SQLite keeps beside a database.
const SIDE_FILES: [&str; 3] = ["-wal", "-shm", "-journal"];

/// What [`Cache::open_or_recover`] did with a damaged cache file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// Where the damaged file was moved (its `-wal` and `-shm`, if any,
    /// beside it under the same name), kept for inspection.
    pub moved_to: PathBuf,
    /// What was wrong with it.
    pub reason: String,
    /// Outbox changes carried into the new cache; they are pushed as before.
    pub kept: usize,
    /// False when some of the outbox could not be read (those changes are
    /// lost to this console; they are still in the moved file).
    pub outbox_whole: bool,
    /// Whether the device id was carried over (and with it the blocks of
    /// tracking numbers, which belong to the device).
    pub kept_device: bool,
    /// Blocks of tracking numbers carried over, with the ones not used yet.
    pub serial_blocks: usize,
}

/// A check at open found the file damaged.
#[derive(Debug)]
pub(super) struct Damaged(String);

impl std::fmt::Display for Damaged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the file is damaged: {}", self.0)
    }
}

impl std::error::Error for Damaged {}

impl Cache {
    /// Opens the cache like [`Cache::open`], checking it for damage first
    /// (see the module documentation for what is checked and what it costs).
    /// A damaged file is moved aside to `<name>.corrupt-<UTC time>` with its
    /// `-wal` and `-shm`, and a new cache opens in its place, holding the
    /// old outbox, device id and tracking-number blocks as far as they could
    /// be read, and nothing from the server: the sync engine loads the
    /// snapshot as for a new console, then pushes the outbox as before.
    ///
    /// Other failures (permissions, a cache from a newer version, a full
    /// disk) are errors, and the file stays where it is.
    pub async fn open_or_recover(path: &Path, user: LocalUser) -> Result<(Cache, Option<Recovery>)> {
        Cache::open_or_recover_within(path, user, CHECK_BUDGET).await
    }

    /// [`Cache::open_or_recover`] with another time budget for checking a
    /// cleanly closed file (`Duration::ZERO`: not checked).
    pub async fn open_or_recover_within(
        path: &Path,
        user: LocalUser,
        budget: Duration,
    ) -> Result<(Cache, Option<Recovery>)> {
        finish_interrupted(path)?;
        let reason = match open_checked(path, &user, budget).await {
            Ok(cache) => return Ok((cache, None)),
            Err(e) if is_damaged(&e) => format!("{e:#}"),
            Err(e) => return Err(e),
        };
        tracing::warn!(path = %path.display(), "offline cache damaged, rebuilding: {reason}");
        let salvage = salvage(path).await;
        let rebuild = with_suffix(path, REBUILD);
        remove_files(&rebuild)?;
        let fresh = Cache::open(&rebuild, user.clone()).await.context("cannot make a new offline cache")?;
        let carried = fresh.take_salvage(&salvage).await.context("cannot make a new offline cache");
        let sealed = match carried {
            Ok(_) => fresh.seal().await,
            Err(e) => Err(e),
        };
        fresh.close().await;
        if let Err(e) = sealed {
            remove_files(&rebuild)?;
            return Err(e);
        }
        let moved_to = move_aside(path)?;
        std::fs::rename(&rebuild, path)?;
        sync_dir(path);
        let recovery = Recovery {
            moved_to,
            reason,
            kept: salvage.outbox.len(),
            outbox_whole: salvage.outbox_whole,
            kept_device: salvage.device_id.is_some(),
            serial_blocks: salvage.blocks.len(),
        };
        tracing::warn!(?recovery, "offline cache rebuilt");
        Ok((Cache::open(path, user).await?, Some(recovery)))
    }

    /// `PRAGMA quick_check`, stopped after `budget` if one is given: true if
    /// the whole file was checked, false if the budget ran out first, an
    /// error if damage was found.
    async fn quick_check(&self, budget: Option<Duration>) -> Result<bool> {
        let mut conn = self.pool.acquire().await?;
        if let Some(budget) = budget {
            let deadline = Instant::now() + budget;
            conn.lock_handle().await?.set_progress_handler(100, move || Instant::now() < deadline);
        }
        let rows: std::result::Result<Vec<String>, sqlx::Error> =
            sqlx::query_scalar("PRAGMA quick_check(3)").fetch_all(&mut *conn).await;
        if budget.is_some() {
            conn.lock_handle().await?.remove_progress_handler();
        }
        match rows {
            Ok(rows) if rows.len() == 1 && rows[0] == "ok" => Ok(true),
            Ok(rows) => Err(Damaged(rows.join("; ")).into()),
            Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some("9") => Ok(false), // SQLITE_INTERRUPT
            Err(e) => Err(e.into()),
        }
    }

    /// Reads every row and value of the tables recovery would carry.
    async fn read_carried_tables(&self) -> Result<()> {
        sqlx::query(
            "SELECT (SELECT sum(length(key) + length(value)) FROM meta), \
             (SELECT sum(start + end + next) FROM serial_blocks), \
             (SELECT sum(length(mutation_id) + length(payload) + length(entity_id)) FROM outbox)",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(())
    }

    /// Writes what was read from a damaged cache into this new one, in one
    /// transaction, and makes the views of its records.
    async fn take_salvage(&self, s: &Salvage) -> Result<()> {
        let mut tx = self.begin().await?;
        if let Some(device) = s.device_id {
            put_meta(&mut tx, "device_id", &device.to_string()).await?;
        }
        // Tracking numbers the carried changes use stay used, whatever the
        // block's row said.
        let used: Vec<u32> = s
            .outbox
            .iter()
            .filter_map(|c| match &c.mutation.op {
                MutationOp::CreateRequest { request } => request.tracking_no.as_deref(),
                _ => None,
            })
            .filter_map(|t| TrackingNumber::parse(t).ok().map(|n| n.serial()))
            .collect();
        for &(start, end, next) in &s.blocks {
            let past_used = used.iter().map(|&u| u as i64).filter(|u| (start..=end).contains(u)).max().map(|u| u + 1);
            sqlx::query("INSERT INTO serial_blocks (start, end, next) VALUES (?, ?, ?)")
                .bind(start)
                .bind(end)
                .bind(next.max(past_used.unwrap_or(start)))
                .execute(&mut *tx)
                .await?;
        }
        let mut entities = Vec::new();
        for c in &s.outbox {
            sqlx::query(
                "INSERT INTO outbox (seq, mutation_id, kind, entity, entity_id, payload, state, attempts, \
                 last_error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(c.seq)
            .bind(c.mutation.mutation_id.to_string())
            .bind(kind_of(&c.mutation.op))
            .bind(&c.entity)
            .bind(c.entity_id.to_string())
            .bind(serde_json::to_string(&c.mutation)?)
            .bind(c.state.as_str())
            .bind(c.attempts)
            .bind(&c.last_error)
            .bind(c.created_at)
            .execute(&mut *tx)
            .await?;
            if !entities.contains(&c.entity_id) {
                entities.push(c.entity_id);
            }
        }
        for id in entities {
            self.rebuild_view(&mut tx, id).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Makes the file whole on its own (no write-ahead log beside it), so
    /// it can be renamed into place.
    async fn seal(&self) -> Result<()> {
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode = DELETE").fetch_one(&self.pool).await?;
        anyhow::ensure!(mode == "delete", "the new offline cache is still in {mode} mode");
        Ok(())
    }
}

/// Opens the cache if no damage is found (see the module documentation).
async fn open_checked(path: &Path, user: &LocalUser, budget: Duration) -> Result<Cache> {
    let unclean = wal_in_use(path);
    if let Some(why) = inspect_file(path, unclean)? {
        return Err(Damaged(why).into());
    }
    let cache = Cache::open(path, user.clone()).await?;
    let checked = async {
        let started = Instant::now();
        let whole = match (unclean, budget.is_zero()) {
            (false, true) => false,
            (false, false) => cache.quick_check(Some(budget)).await?,
            (true, _) => cache.quick_check(None).await?,
        };
        tracing::info!(unclean, whole, ms = started.elapsed().as_secs_f64() * 1000.0, "offline cache checked at open");
        cache.read_carried_tables().await
    };
    match checked.await {
        Ok(()) => Ok(cache),
        Err(e) => {
            cache.close().await;
            Err(e)
        }
    }
}

/// A write-ahead log left beside the file: the last session did not close
/// it (SQLite removes the log when the last connection closes).
fn wal_in_use(path: &Path) -> bool {
    std::fs::metadata(with_suffix(path, "-wal")).is_ok_and(|m| m.len() > 0)
}

/// Looks at the file's header and size: `Some(why)` if it cannot be a whole
/// SQLite database. With a write-ahead log in use the size is not judged
/// (the log may hold the file's tail); the full check does that.
fn inspect_file(path: &Path, wal_in_use: bool) -> std::io::Result<Option<String>> {
    let mut file = match std::fs::File::open(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        r => r?,
    };
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(None); // SQLite makes a new database of an empty file
    }
    if len < 100 {
        return Ok(Some(format!("{len} bytes is too short for a SQLite database")));
    }
    let mut h = [0u8; 100];
    file.read_exact(&mut h)?;
    if &h[..16] != b"SQLite format 3\0" {
        return Ok(Some("not a SQLite database (no SQLite header)".into()));
    }
    let page_size = match u16::from_be_bytes([h[16], h[17]]) {
        1 => 65536,
        n => n as u64,
    };
    if !page_size.is_power_of_two() || !(512..=65536).contains(&page_size) {
        return Ok(Some(format!("the header names an impossible page size ({page_size})")));
    }
    if len % page_size != 0 {
        return Ok(Some(format!("cut short: {len} bytes is not a whole number of {page_size}-byte pages")));
    }
    // The page count in the header is valid when the change counter and the
    // "version valid for" number agree (every SQLite since 3.7.0 keeps them so).
    let pages = u32::from_be_bytes([h[28], h[29], h[30], h[31]]) as u64;
    if !wal_in_use && h[24..28] == h[92..96] && pages > 0 && len < pages * page_size {
        return Ok(Some(format!("cut short: {} of its {pages} pages are there", len / page_size)));
    }
    Ok(None)
}

/// What could be read from a damaged cache.
#[derive(Debug, Default)]
struct Salvage {
    device_id: Option<Uuid>,
    /// (start, end, next), read only with the device id they belong to.
    blocks: Vec<(i64, i64, i64)>,
    /// Oldest first.
    outbox: Vec<Carried>,
    outbox_whole: bool,
}

/// An outbox row read back and found consistent.
#[derive(Debug)]
struct Carried {
    seq: i64,
    mutation: Mutation,
    entity: String,
    entity_id: Uuid,
    state: OutboxState,
    attempts: i64,
    last_error: Option<String>,
    created_at: i64,
}

/// Reads what it can of a damaged cache. Each part is read on its own, so
/// damage in one does not cost the others; the outbox is read from both
/// ends, so damage in its middle costs only the rows there.
async fn salvage(path: &Path) -> Salvage {
    let mut s = Salvage::default();
    // `writable_schema` also lets SQLite read a file shorter than its header
    // says (it refuses such a file otherwise); nothing is written.
    let opts = SqliteConnectOptions::new().filename(path).pragma("writable_schema", "ON");
    // Read only, so the damaged file is kept as it was (no checkpoint).
    let conn = match opts.clone().read_only(true).connect().await {
        Ok(c) => Ok(c),
        Err(_) => opts.connect().await,
    };
    let mut conn = match conn {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!("damaged offline cache: nothing can be read: {e}");
            return s;
        }
    };
    s.device_id = sqlx::query_scalar::<_, String>("SELECT value FROM meta WHERE key = 'device_id'")
        .fetch_optional(&mut conn)
        .await
        .ok()
        .flatten()
        .and_then(|v| Uuid::parse_str(&v).ok());
    if s.device_id.is_some() {
        let blocks: Vec<(i64, i64, i64)> = sqlx::query_as("SELECT start, end, next FROM serial_blocks ORDER BY start")
            .fetch_all(&mut conn)
            .await
            .unwrap_or_default();
        s.blocks = blocks.into_iter().filter(|&(start, end, next)| start <= next && next <= end + 1).collect();
    }
    let mut rows = BTreeMap::new();
    let whole = scan_outbox(&mut conn, "ASC", &mut rows).await;
    if !whole {
        scan_outbox(&mut conn, "DESC", &mut rows).await;
    }
    s.outbox_whole = whole && rows.values().all(Option::is_some);
    s.outbox = rows.into_values().flatten().collect();
    if let Err(e) = conn.close().await {
        tracing::warn!("damaged offline cache: {e}");
    }
    s
}

/// Reads outbox rows in `order` of seq until the end (true) or an error
/// (false). A row that reads but does not hold together is kept as `None`.
async fn scan_outbox(conn: &mut SqliteConnection, order: &str, rows: &mut BTreeMap<i64, Option<Carried>>) -> bool {
    let sql = format!(
        "SELECT seq, mutation_id, entity, entity_id, payload, state, attempts, last_error, created_at \
         FROM outbox ORDER BY seq {order}"
    );
    let mut stream = sqlx::query(AssertSqlSafe(sql)).fetch(&mut *conn);
    loop {
        match stream.try_next().await {
            Ok(Some(row)) => {
                let Ok(seq) = row.try_get::<i64, _>("seq") else { continue };
                rows.entry(seq).or_insert_with(|| carried(&row));
            }
            Ok(None) => return true,
            Err(e) => {
                tracing::warn!("damaged offline cache: outbox read {order} stopped: {e}");
                return false;
            }
        }
    }
}

/// An outbox row, if its parts agree with each other.
fn carried(row: &SqliteRow) -> Option<Carried> {
    let mutation: Mutation = serde_json::from_str(row.try_get("payload").ok()?).ok()?;
    let mutation_id = Uuid::parse_str(row.try_get("mutation_id").ok()?).ok()?;
    let entity: String = row.try_get("entity").ok()?;
    let entity_id = Uuid::parse_str(row.try_get("entity_id").ok()?).ok()?;
    let (target, target_id) = overlay::target(&mutation.op);
    let state: String = row.try_get("state").ok()?;
    let consistent = mutation.mutation_id == mutation_id
        && target == entity
        && target_id.is_none_or(|t| t == entity_id)
        && ["pending", "rejected", "conflict"].contains(&state.as_str());
    consistent.then_some(())?;
    Some(Carried {
        seq: row.try_get("seq").ok()?,
        mutation,
        entity,
        entity_id,
        state: OutboxState::parse(&state),
        attempts: row.try_get("attempts").ok()?,
        last_error: row.try_get("last_error").ok()?,
        created_at: row.try_get("created_at").ok()?,
    })
}

/// Moves the damaged file aside with its side files, the database first: if
/// the process stops half way, [`finish_interrupted`] knows from the
/// database being gone that the rebuilt cache is complete.
fn move_aside(path: &Path) -> std::io::Result<PathBuf> {
    let stamp = Utc::now().format("%Y%m%dT%H%M%SZ");
    let mut aside = with_suffix(path, &format!(".corrupt-{stamp}"));
    let mut n = 1;
    while aside.exists() {
        n += 1;
        aside = with_suffix(path, &format!(".corrupt-{stamp}-{n}"));
    }
    std::fs::rename(path, &aside)?;
    move_side_files(path, &aside)?;
    Ok(aside)
}

fn move_side_files(from: &Path, to: &Path) -> std::io::Result<()> {
    for suffix in SIDE_FILES {
        let side = with_suffix(from, suffix);
        if side.exists() {
            std::fs::rename(&side, with_suffix(to, suffix))?;
        }
    }
    Ok(())
}

/// Finishes a recovery that stopped between moving the damaged file aside
/// and putting the new one in place; drops a new cache whose building
/// stopped before that (the recovery runs again).
fn finish_interrupted(path: &Path) -> std::io::Result<()> {
    let rebuild = with_suffix(path, REBUILD);
    if !rebuild.exists() {
        return Ok(());
    }
    if path.exists() {
        return remove_files(&rebuild);
    }
    // Side files still under the old name belong to the damaged file; SQLite
    // must not take them for the new one's.
    if SIDE_FILES.iter().any(|s| with_suffix(path, s).exists()) {
        let stamp = Utc::now().format("%Y%m%dT%H%M%SZ");
        move_side_files(path, &with_suffix(path, &format!(".corrupt-{stamp}-leftover")))?;
    }
    std::fs::rename(&rebuild, path)?;
    sync_dir(path);
    Ok(())
}

fn remove_files(path: &Path) -> std::io::Result<()> {
    for p in std::iter::once(path.to_path_buf()).chain(SIDE_FILES.iter().map(|s| with_suffix(path, s))) {
        match std::fs::remove_file(&p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

/// Makes the renames in the file's directory durable (best effort).
fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
}
