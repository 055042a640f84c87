//! The sync engine: push the outbox, then pull changes, after every local
//! commit, on reconnect, when the event stream announces a change and every
//! 15–30 s; with jittered backoff capped at 60 s while the server is away.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use tokio::sync::{Notify, broadcast, watch};
use uuid::Uuid;

use super::api::{ApiClient, ApiError};
use super::cache::{Cache, DiskFull, OutboxCounts, fault_point, is_disk_full};
use crate::protocol::{PushRequest, ServerEvent};

/// Serials to keep in hand for offline filing, and how many to ask for.
const SERIAL_LOW_WATER: i64 = 100;
const SERIAL_BLOCK: u32 = 200;
const PUSH_BATCH: u32 = 100;
const PULL_PAGE: u32 = 1000;
/// Snapshot entities per cache transaction.
const SNAPSHOT_BATCH: usize = 2000;

/// What the status bar shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncStatus {
    pub online: bool,
    /// When the current online/offline state began.
    pub since: Option<DateTime<Utc>>,
    pub last_sync: Option<DateTime<Utc>>,
    /// The last error, once: cleared by the next success.
    pub last_error: Option<String>,
    pub counts: OutboxCounts,
    /// While the initial load runs: entities loaded, and the total expected.
    pub bootstrap: Option<(u64, u64)>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub pushed: usize,
    pub pulled: usize,
    pub resynced: bool,
    /// Entities loaded from a snapshot (a fresh console, or after a resync).
    pub snapshot: usize,
}

pub struct SyncEngine {
    cache: Arc<Cache>,
    api: ApiClient,
    device_id: Uuid,
    status: watch::Sender<SyncStatus>,
    nudge: Arc<Notify>,
    /// Screen pops for this user's extension and wallboard `stats` events,
    /// from the event stream.
    events: broadcast::Sender<ServerEvent>,
    /// How much request history a fresh console loads.
    pub snapshot_months: u32,
    /// Changes per pull request.
    pub pull_page: u32,
}

/// What the rest of the console holds: a way to ask for a sync now, and the
/// live status.
#[derive(Clone)]
pub struct SyncHandle {
    pub nudge: Arc<Notify>,
    pub status: watch::Receiver<SyncStatus>,
    /// Subscribe for screen pops (calls ringing at this user's extension)
    /// and `stats` events (wallboard figures changed).
    pub events: broadcast::Sender<ServerEvent>,
}

impl SyncHandle {
    /// Asks for a push and pull as soon as possible (after a local commit).
    pub fn sync_now(&self) {
        self.nudge.notify_one();
    }
}

impl SyncEngine {
    pub async fn new(cache: Arc<Cache>, api: ApiClient) -> anyhow::Result<SyncEngine> {
        let device_id = cache.device_id().await?;
        let counts = cache.counts().await?;
        let (status, _) = watch::channel(SyncStatus { counts, ..Default::default() });
        Ok(SyncEngine {
            cache,
            api,
            device_id,
            status,
            nudge: Arc::new(Notify::new()),
            events: broadcast::channel(16).0,
            snapshot_months: 6,
            pull_page: PULL_PAGE,
        })
    }

    pub fn handle(&self) -> SyncHandle {
        SyncHandle { nudge: self.nudge.clone(), status: self.status.subscribe(), events: self.events.clone() }
    }

    /// One round: top up tracking serials, push everything pushable, pull
    /// every page.
    pub async fn sync_once(&self) -> Result<SyncReport, ApiError> {
        let mut report = SyncReport::default();
        let internal = local_error;
        if self.cache.serials_left().await.map_err(internal)? < SERIAL_LOW_WATER {
            let block = self.api.serials(SERIAL_BLOCK).await?;
            self.cache.add_serial_block(block).await.map_err(internal)?;
        }
        loop {
            let batch = self.cache.pushable(PUSH_BATCH).await.map_err(internal)?;
            if batch.is_empty() {
                break;
            }
            let ids: Vec<Uuid> = batch.iter().map(|m| m.mutation_id).collect();
            let res = match self.api.push(&PushRequest { device_id: self.device_id, mutations: batch }).await {
                Ok(r) => r,
                Err(e) => {
                    let _ = self.cache.note_attempt(&ids, &e.to_string()).await;
                    return Err(e);
                }
            };
            fault_point("after_push_before_ack");
            report.pushed += res.results.len();
            self.cache.apply_push_results(&res.results).await.map_err(internal)?;
        }
        loop {
            let (since, epoch) = self.cache.cursor().await.map_err(internal)?;
            if epoch.is_none() {
                report.snapshot += self.bootstrap().await?;
                continue;
            }
            let page = match self.api.pull(since, self.pull_page, epoch.as_deref()).await {
                Ok(p) => p,
                Err(ApiError::Gone(_)) if !report.resynced => {
                    // A new database or a pruned cursor: start over, keep the outbox.
                    tracing::warn!("server asked for a resync");
                    self.cache.reset_server_state().await.map_err(internal)?;
                    report.resynced = true;
                    continue;
                }
                Err(e) => return Err(e),
            };
            report.pulled += page.changes.len();
            self.cache.apply_pull_page(&page.changes, page.next, &page.epoch).await.map_err(internal)?;
            if !page.has_more {
                break;
            }
        }
        Ok(report)
    }

    /// Loads a snapshot instead of pulling page by page from sequence 0:
    /// the server's prebuilt cache image if it has one, else the stream.
    async fn bootstrap(&self) -> Result<usize, ApiError> {
        let internal = local_error;
        if let Some(n) = self.load_image().await {
            return Ok(n);
        }
        self.cache.defer_indexes().await.map_err(internal)?;
        let loaded = self.load_snapshot().await;
        if loaded.is_err() {
            // Not finished: the console works on what it has, with its indexes.
            self.cache.restore_indexes().await.map_err(internal)?;
        }
        loaded
    }

    /// The image path: download beside the cache, then adopt. Any failure
    /// (none ready, a cut download, an image this cache cannot take) is
    /// logged and the stream is loaded instead.
    async fn load_image(&self) -> Option<usize> {
        let mut dest = self.cache.path().as_os_str().to_owned();
        dest.push(".image");
        let dest = std::path::PathBuf::from(dest);
        let status = &self.status;
        let mut shown = None;
        let progress = |got: u64, total: u64| {
            // In kilobytes, shown as a share of the whole: once per percent.
            let percent = (got * 100).checked_div(total);
            if percent != shown {
                shown = percent;
                status.send_modify(|s| s.bootstrap = Some((got / 1024, total / 1024)));
            }
        };
        let header = match self.api.snapshot_image(self.snapshot_months, &dest, progress).await {
            Ok(Some(h)) => h,
            Ok(None) => return None,
            Err(e) => {
                tracing::warn!(error = %e, "snapshot image: loading the stream instead");
                let _ = std::fs::remove_file(&dest);
                return None;
            }
        };
        let adopted = self.cache.adopt_image(&dest, header.seq, &header.epoch).await;
        status.send_modify(|s| s.bootstrap = None);
        match adopted {
            Ok(n) => Some(n as usize),
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "snapshot image not taken: loading the stream instead");
                None
            }
        }
    }

    async fn load_snapshot(&self) -> Result<usize, ApiError> {
        let internal = local_error;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<crate::protocol::Entity>(2 * SNAPSHOT_BATCH);
        let status = &self.status;
        let months = self.snapshot_months;
        // The download (reading and parsing the lines) runs as its own task,
        // beside the writes to the cache.
        let (total_tx, total) = tokio::sync::oneshot::channel::<u64>();
        let api = self.api.clone();
        let download = tokio::spawn(async move {
            let mut total_tx = Some(total_tx);
            api.snapshot(
                months,
                |h| {
                    if let Some(t) = total_tx.take() {
                        let _ = t.send(h.citizens + h.requests);
                    }
                },
                tx,
            )
            .await
        });
        let download = async { download.await.map_err(|e| ApiError::Protocol(format!("snapshot download: {e}")))? };
        // Owns the receiver: if writing fails, the download stops too.
        let apply = async move {
            if let Ok(total) = total.await {
                status.send_modify(|s| s.bootstrap = Some((0, total)));
            }
            let mut n = 0usize;
            let mut batch = Vec::with_capacity(SNAPSHOT_BATCH);
            loop {
                let more = rx.recv_many(&mut batch, SNAPSHOT_BATCH).await;
                if more == 0 {
                    break;
                }
                self.cache.apply_snapshot_batch(&batch).await.map_err(internal)?;
                n += batch.len();
                batch.clear();
                status.send_modify(|s| {
                    if let Some((done, _)) = s.bootstrap.as_mut() {
                        *done = n as u64;
                    }
                });
            }
            Ok::<usize, ApiError>(n)
        };
        let (header, applied) = tokio::join!(download, apply);
        let header = header?;
        let applied = applied?;
        self.cache.finish_snapshot(header.seq, &header.epoch).await.map_err(internal)?;
        status.send_modify(|s| s.bootstrap = None);
        Ok(applied)
    }

    async fn publish(&self, result: &Result<SyncReport, ApiError>) {
        let counts = self.cache.counts().await.unwrap_or_default();
        let now = Utc::now();
        self.status.send_modify(|s| {
            let online = !matches!(result, Err(e) if e.is_transient());
            if online != s.online || s.since.is_none() {
                s.since = Some(now);
            }
            s.online = online;
            s.counts = counts;
            match result {
                Ok(_) => {
                    s.last_sync = Some(now);
                    s.last_error = None;
                }
                Err(e) => s.last_error = Some(e.to_string()),
            }
        });
    }

    /// Listens to the server's event stream and nudges a sync on every
    /// change, so new and changed requests appear within a second; screen
    /// pops and stats events go to `events`. Reconnects with backoff; returns only when the
    /// token is refused.
    pub async fn listen(api: ApiClient, nudge: Arc<Notify>, events: broadcast::Sender<ServerEvent>) {
        use futures::StreamExt;
        let mut failures = 0u32;
        loop {
            match api.events(None).await {
                Ok(res) => {
                    let opened = std::time::Instant::now();
                    nudge.notify_one(); // catch up on what happened while away
                    let mut stream = res.bytes_stream();
                    let mut line = Vec::new();
                    let mut forward = false;
                    while let Some(Ok(chunk)) = stream.next().await {
                        for b in chunk {
                            if b != b'\n' {
                                line.push(b);
                                continue;
                            }
                            if line.starts_with(b"event: change") || line.starts_with(b"event:change") {
                                nudge.notify_one();
                            } else if line.starts_with(b"event:") {
                                forward = line.ends_with(b"screen_pop") || line.ends_with(b"stats");
                            } else if forward && let Some(data) = line.strip_prefix(b"data:") {
                                if let Ok(event) = serde_json::from_slice::<ServerEvent>(data)
                                    && !matches!(event, ServerEvent::Change { .. })
                                {
                                    let _ = events.send(event); // nobody listening: no console
                                }
                            } else if line.is_empty() {
                                forward = false;
                            }
                            line.clear();
                        }
                    }
                    // A stream that ends at once (a server restarting, or
                    // not speaking SSE) is a failure too: the pause grows.
                    if opened.elapsed() > Duration::from_secs(30) {
                        failures = 0;
                    } else {
                        failures = failures.saturating_add(1);
                    }
                }
                Err(ApiError::Unauthorized(_)) => return,
                Err(_) => failures = failures.saturating_add(1),
            }
            let wait = backoff(failures.max(1), rand::rng().random_range(0.5..1.0));
            tokio::time::sleep(wait).await;
        }
    }

    /// Runs until the task is dropped, with an event listener beside it.
    pub async fn run(self) {
        let listener = tokio::spawn(Self::listen(self.api.clone(), self.nudge.clone(), self.events.clone()));
        self.run_loop().await;
        listener.abort();
    }

    async fn run_loop(&self) {
        let mut failures: u32 = 0;
        loop {
            let result = self.sync_once().await;
            if let Err(e) = &result {
                tracing::info!(error = %e, "sync failed");
            }
            self.publish(&result).await;
            let wait = match &result {
                Ok(_) => {
                    failures = 0;
                    Duration::from_millis(rand::rng().random_range(15_000..30_000))
                }
                Err(_) => {
                    failures = failures.saturating_add(1);
                    backoff(failures, rand::rng().random_range(0.5..1.0))
                }
            };
            tokio::select! {
                _ = self.nudge.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}

/// A cache failure during sync, for the status bar; a full disk said plainly.
fn local_error(e: anyhow::Error) -> ApiError {
    if is_disk_full(&e) {
        tracing::warn!("offline cache: {e:#}");
        return ApiError::Protocol(format!("local cache: {DiskFull}"));
    }
    ApiError::Protocol(format!("local cache: {e:#}"))
}

/// Exponential backoff from 1 s, capped at 60 s, scaled by `jitter` (0.5–1).
pub fn backoff(failures: u32, jitter: f64) -> Duration {
    let base = 2f64.powi(failures.saturating_sub(1).min(6) as i32).min(60.0);
    Duration::from_secs_f64((base * jitter).max(0.5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1, 1.0), Duration::from_secs(1));
        assert_eq!(backoff(3, 1.0), Duration::from_secs(4));
        assert_eq!(backoff(50, 1.0), Duration::from_secs(60));
        assert!(backoff(50, 0.5) >= Duration::from_secs(30));
    }
}
