//! Adopting a prebuilt cache image: a cache file the server built for a
//! role (`GET /api/v1/sync/snapshot/image`, see `server::images`), with the
//! same schema, the records already packed and every index already built.
//! Loading a million records row by row costs minutes; copying the image's
//! pages into the cache costs seconds.
//!
//! What is local is carried into the image first (the outbox, tracking
//! serial blocks, the device id and other settings), and each record with
//! something pending has its view rebuilt there over the server's state.
//! Then SQLite's online backup copies the image's pages into the live cache
//! in one write transaction: a crash leaves the cache as it was, and the
//! cache is never seen half replaced. The live connection is held the whole
//! time, so nothing can be saved between the carry-over and the copy.

use std::path::Path;
use std::ptr::NonNull;

use anyhow::{Context as _, Result, bail};
use uuid::Uuid;

use super::Cache;

/// Pages copied per backup step, between which the runtime gets a turn.
const PAGES_PER_STEP: i32 = 1024;

/// Meta keys that come from the image (where the server's data stands);
/// every other key is the console's own and is carried over.
const SERVER_META: [&str; 3] = ["cursor", "epoch", "deferred_indexes"];

impl Cache {
    /// Replaces the server's part of this cache with the image at `path`
    /// (at `seq` of `epoch`), keeping everything local. Returns how many
    /// records the cache then holds. The image file is consumed.
    pub async fn adopt_image(&self, path: &Path, seq: i64, epoch: &str) -> Result<u64> {
        let image = Cache::open(path, self.user.clone()).await.context("the snapshot image does not open")?;
        let result = self.adopt_opened(&image, seq, epoch).await;
        image.close().await;
        remove_with_log(path);
        result
    }

    async fn adopt_opened(&self, image: &Cache, seq: i64, epoch: &str) -> Result<u64> {
        let (image_seq, image_epoch) = image.cursor().await?;
        if image_seq != seq || image_epoch.as_deref() != Some(epoch) {
            bail!("the snapshot image is at {image_seq} of {image_epoch:?}, not {seq} of {epoch}");
        }
        let mut live = self.pool.acquire().await?;
        let ours: i64 = sqlx::query_scalar("PRAGMA page_size").fetch_one(&mut *live).await?;
        let theirs: i64 = sqlx::query_scalar("PRAGMA page_size").fetch_one(&image.pool).await?;
        if ours != theirs {
            bail!("the snapshot image has pages of {theirs} bytes, this cache {ours}");
        }
        image.carry_local_state(&self.path).await?;
        let mut source = image.pool.acquire().await?;
        // Copied with reads and writes, not through memory maps: a mapped
        // page read once stays counted in the console's resident memory.
        sqlx::query("PRAGMA mmap_size = 0").execute(&mut *source).await?;
        sqlx::query("PRAGMA mmap_size = 0").execute(&mut *live).await?;
        let copied = backup(&mut source, &mut live).await;
        drop(source);
        sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA mmap_size = {}", super::MMAP_SIZE)))
            .execute(&mut *live)
            .await?;
        copied?;
        // The copy went through the write-ahead log: hand it back to the disk.
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut *live).await?;
        let n: i64 = sqlx::query_scalar("SELECT (SELECT count(*) FROM requests) + (SELECT count(*) FROM citizens)")
            .fetch_one(&mut *live)
            .await?;
        Ok(n as u64)
    }

    /// Run on the image: takes in the live cache's outbox, serial blocks and
    /// settings, and rebuilds the views of records with something pending.
    async fn carry_local_state(&self, live: &Path) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        sqlx::query("ATTACH DATABASE ? AS live").bind(live.to_string_lossy()).execute(&mut *conn).await?;
        let carried = async {
            let mut tx = sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE").await?;
            let server_keys = SERVER_META.map(|k| format!("'{k}'")).join(", ");
            for sql in [
                format!("DELETE FROM main.meta WHERE key NOT IN ({server_keys})"),
                format!("INSERT INTO main.meta SELECT * FROM live.meta WHERE key NOT IN ({server_keys})"),
                "DELETE FROM main.outbox".to_string(),
                "INSERT INTO main.outbox SELECT * FROM live.outbox".to_string(),
                "DELETE FROM main.serial_blocks".to_string(),
                "INSERT INTO main.serial_blocks SELECT * FROM live.serial_blocks".to_string(),
            ] {
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?;
            }
            let pending: Vec<String> =
                sqlx::query_scalar("SELECT DISTINCT entity_id FROM main.outbox").fetch_all(&mut *tx).await?;
            for id in pending {
                self.rebuild_view(&mut tx, Uuid::parse_str(&id)?).await?;
            }
            tx.commit().await?;
            Ok::<_, anyhow::Error>(())
        }
        .await;
        sqlx::query("DETACH DATABASE live").execute(&mut *conn).await?;
        carried
    }
}

/// Copies every page of `source`'s main database over `dest`'s, with
/// SQLite's online backup: one write transaction on `dest`.
async fn backup(source: &mut sqlx::SqliteConnection, dest: &mut sqlx::SqliteConnection) -> Result<()> {
    let mut source = source.lock_handle().await?;
    let mut dest = dest.lock_handle().await?;
    let job = Backup::start(source.as_raw_handle(), dest.as_raw_handle())?;
    // The crash tests stop the copy half way: a page at a time there, so a
    // small image has a middle too.
    let faulting = std::env::var("BEYAZMASA_FAULT").is_ok_and(|v| v == "mid_image_copy");
    let pages = if faulting { 1 } else { PAGES_PER_STEP };
    loop {
        if job.step(pages)? {
            break;
        }
        super::fault_point("mid_image_copy");
        tokio::task::yield_now().await;
    }
    job.finish()
}

/// An `sqlite3_backup` in progress. Both connections stay locked by their
/// `LockedSqliteHandle`s for its whole life.
struct Backup {
    job: NonNull<libsqlite3_sys::sqlite3_backup>,
    dest: NonNull<libsqlite3_sys::sqlite3>,
    done: bool,
}

// SAFETY: the job is only used by the task that owns it, one call at a time;
// SQLite connections are opened in serialized mode by sqlx.
unsafe impl Send for Backup {}

impl Backup {
    fn start(source: NonNull<libsqlite3_sys::sqlite3>, dest: NonNull<libsqlite3_sys::sqlite3>) -> Result<Backup> {
        // SAFETY: both handles are open connections, locked by the caller.
        let job = unsafe {
            libsqlite3_sys::sqlite3_backup_init(dest.as_ptr(), c"main".as_ptr(), source.as_ptr(), c"main".as_ptr())
        };
        match NonNull::new(job) {
            Some(job) => Ok(Backup { job, dest, done: false }),
            None => bail!("cannot start copying the snapshot image: {}", errmsg(dest)),
        }
    }

    /// Copies up to `pages` pages; true once every page is copied.
    fn step(&self, pages: i32) -> Result<bool> {
        // SAFETY: the job is live until `finish` or drop.
        match unsafe { libsqlite3_sys::sqlite3_backup_step(self.job.as_ptr(), pages) } {
            libsqlite3_sys::SQLITE_DONE => Ok(true),
            libsqlite3_sys::SQLITE_OK | libsqlite3_sys::SQLITE_BUSY | libsqlite3_sys::SQLITE_LOCKED => Ok(false),
            rc => bail!("copying the snapshot image failed ({rc}): {}", errmsg(self.dest)),
        }
    }

    fn finish(mut self) -> Result<()> {
        self.done = true;
        // SAFETY: the job is live, and is finished exactly once.
        match unsafe { libsqlite3_sys::sqlite3_backup_finish(self.job.as_ptr()) } {
            libsqlite3_sys::SQLITE_OK => Ok(()),
            rc => bail!("copying the snapshot image failed ({rc}): {}", errmsg(self.dest)),
        }
    }
}

impl Drop for Backup {
    fn drop(&mut self) {
        if !self.done {
            // SAFETY: as in `finish`; an unfinished copy is rolled back.
            unsafe { libsqlite3_sys::sqlite3_backup_finish(self.job.as_ptr()) };
        }
    }
}

fn errmsg(db: NonNull<libsqlite3_sys::sqlite3>) -> String {
    // SAFETY: `db` is an open connection; SQLite owns the returned string.
    unsafe { std::ffi::CStr::from_ptr(libsqlite3_sys::sqlite3_errmsg(db.as_ptr())) }.to_string_lossy().into_owned()
}

/// Removes a database file with its write-ahead log and shared memory.
fn remove_with_log(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
}
