//! Snapshots for a new console: what each role loads, as a stream of
//! entities (`GET /sync/snapshot`) and as a prebuilt cache image
//! (`GET /sync/snapshot/image`).
//!
//! A console loading a million records row by row spends minutes parsing,
//! packing and indexing them. An image is a console cache file the server
//! builds once per scope (role, units, months) with the console's own cache
//! code, indexes and all; a console downloads it and copies its pages in
//! (`Cache::adopt_image`), then pulls what changed since the image's
//! sequence. Images are built on first demand, in the background, and
//! rebuilt when older than `max_age` or `max_lag` changes behind; until one
//! is ready the endpoint says so and the console loads the stream. Databases
//! too small for an image to pay (fewer changes than `min_seq`) get none.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::client::cache::{Cache, LocalUser};
use crate::domain::status::{Role, Status};
use crate::protocol::Entity;
use crate::server::auth::AuthUser;
use crate::server::store::{RequestFilter, Store};

/// What a snapshot holds for a user: agents get every citizen and the
/// recent requests (for the call screen); unit representatives their units'
/// open and recent requests; leads every open request.
#[derive(Debug, Clone)]
pub struct Scope {
    /// Names the scope's image: users with the same key load the same data.
    pub key: String,
    pub with_citizens: bool,
    filters: Vec<RequestFilter>,
}

impl Scope {
    pub fn of(user: &AuthUser, months: u32) -> Scope {
        let since = chrono::Utc::now() - chrono::Duration::days(30 * months as i64);
        let open: Vec<String> = Status::ALL.iter().filter(|s| s.is_open()).map(|s| s.as_str().to_string()).collect();
        let mut units = user.user.units.clone();
        units.sort();
        match user.role() {
            Role::UnitRep => Scope {
                key: format!("unit-{}-{months}", units.join("+")),
                with_citizens: false,
                filters: vec![
                    RequestFilter { units: units.clone(), statuses: open, ..Default::default() },
                    RequestFilter { units, created_after: Some(since), ..Default::default() },
                ],
            },
            Role::Lead => Scope {
                key: "lead".into(),
                with_citizens: false,
                filters: vec![RequestFilter { statuses: open, ..Default::default() }],
            },
            Role::Agent | Role::Admin => Scope {
                key: format!("agent-{months}"),
                with_citizens: true,
                filters: vec![RequestFilter { created_after: Some(since), ..Default::default() }],
            },
        }
    }

    /// The scope's entities, a page at a time, read by a background task.
    /// A store failure ends the pages with an error.
    pub fn pages(&self, store: Arc<dyn Store>) -> mpsc::Receiver<anyhow::Result<Vec<Entity>>> {
        let (tx, rx) = mpsc::channel::<anyhow::Result<Vec<Entity>>>(2);
        let scope = self.clone();
        tokio::spawn(async move {
            if scope.with_citizens {
                let mut after = None;
                loop {
                    let page = match store.citizens_page(after, 1000).await {
                        Ok(p) => p,
                        Err(e) => return drop(tx.send(Err(e.context("snapshot citizens"))).await),
                    };
                    let Some(last) = page.last() else { break };
                    after = Some(last.id);
                    let page = page.into_iter().map(|c| Entity::Citizen(Box::new(c))).collect();
                    if tx.send(Ok(page)).await.is_err() {
                        return;
                    }
                }
            }
            let mut seen = std::collections::HashSet::new();
            for mut f in scope.filters {
                f.limit = 500;
                f.with_timeline = true;
                loop {
                    let page = match store.list_requests(&f).await {
                        Ok(p) => p,
                        Err(e) => return drop(tx.send(Err(e.context("snapshot requests"))).await),
                    };
                    let next = page.next_cursor.and_then(|c| c.parse().ok());
                    let items: Vec<Entity> = page
                        .items
                        .into_iter()
                        .filter(|r| seen.insert(r.id))
                        .map(|r| Entity::Request(Box::new(r)))
                        .collect();
                    if !items.is_empty() && tx.send(Ok(items)).await.is_err() {
                        return;
                    }
                    match next {
                        Some(c) => f.before_id = Some(c),
                        None => break,
                    }
                }
            }
        });
        rx
    }
}

/// A built image: a cache file holding a scope's data at `seq` of `epoch`.
#[derive(Debug)]
pub struct Image {
    pub path: PathBuf,
    pub seq: i64,
    pub epoch: String,
    pub bytes: u64,
    built: Instant,
}

impl Drop for Image {
    fn drop(&mut self) {
        // A download still reading it keeps its open file.
        let _ = std::fs::remove_file(&self.path);
    }
}

#[derive(Default)]
struct Slot {
    ready: Option<Arc<Image>>,
    building: bool,
    /// A failed build (a full disk, say) is not tried again before this.
    retry_after: Option<Instant>,
}

/// How long a failed build waits before the next try.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5 * 60);

/// The images of one server instance, in a directory of their own.
pub struct Images {
    dir: Option<PathBuf>,
    /// Below this many changes a database gets no image: its stream loads
    /// in a second or two anyway.
    pub min_seq: i64,
    /// An image older than this, or more than `max_lag` changes behind, is
    /// rebuilt (and served meanwhile: the console pulls the difference).
    pub max_age: Duration,
    pub max_lag: i64,
    slots: Mutex<HashMap<String, Slot>>,
}

impl Images {
    /// Images kept in `dir` (made if missing; leftovers of an earlier run
    /// are removed), or none at all without one.
    pub fn new(dir: Option<PathBuf>) -> Images {
        if let Some(d) = &dir {
            let _ = std::fs::remove_dir_all(d);
            if let Err(e) = std::fs::create_dir_all(d) {
                tracing::warn!(error = %e, dir = %d.display(), "no snapshot images: cannot make their directory");
                return Images::new(None);
            }
        }
        Images { dir, min_seq: 50_000, max_age: Duration::from_secs(15 * 60), max_lag: 20_000, slots: Mutex::default() }
    }

    /// Images for databases of at least `changes` changes.
    pub fn with_min_seq(mut self, changes: i64) -> Images {
        self.min_seq = changes;
        self
    }

    /// Images for databases of any size, rebuilt after every change (tests).
    pub fn for_any_size(mut self) -> Images {
        self.min_seq = 0;
        self.max_lag = 0;
        self
    }

    /// The scope's image, if one is ready for this epoch. Starts building one
    /// in the background if there is none or it is getting old.
    pub fn get(self: &Arc<Self>, scope: &Scope, store: &Arc<dyn Store>, seq: i64, epoch: &str) -> Option<Arc<Image>> {
        let dir = self.dir.clone()?;
        if seq < self.min_seq {
            return None;
        }
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        let slot = slots.entry(scope.key.clone()).or_default();
        let ready = slot.ready.clone().filter(|i| i.epoch == epoch);
        let stale = ready.as_ref().is_none_or(|i| i.built.elapsed() > self.max_age || seq - i.seq > self.max_lag);
        let may_build = slot.retry_after.is_none_or(|t| Instant::now() >= t);
        if stale && !slot.building && may_build {
            slot.building = true;
            let (images, scope, store) = (self.clone(), scope.clone(), store.clone());
            tokio::spawn(async move {
                let started = Instant::now();
                let built = build(&dir, &scope, store).await;
                let mut slots = images.slots.lock().unwrap_or_else(|p| p.into_inner());
                let slot = slots.entry(scope.key.clone()).or_default();
                slot.building = false;
                match built {
                    Ok(image) => {
                        slot.retry_after = None;
                        tracing::info!(scope = %scope.key, seq = image.seq, bytes = image.bytes,
                            secs = started.elapsed().as_secs_f64(), "snapshot image built");
                        slot.ready = Some(Arc::new(image));
                    }
                    Err(e) => {
                        slot.retry_after = Some(Instant::now() + RETRY_AFTER_FAILURE);
                        tracing::error!(scope = %scope.key, error = ?e, "building a snapshot image");
                    }
                }
            });
        }
        ready
    }
}

/// Builds the scope's image with the console's cache code.
async fn build(dir: &Path, scope: &Scope, store: Arc<dyn Store>) -> anyhow::Result<Image> {
    // The cursor first: what changes while the pages are read comes again
    // in the console's first pull, and entities are whole states.
    let seq = store.current_seq().await?;
    let epoch = store.epoch().await?;
    let path = dir.join(format!("{}-{seq}-{}.db", scope.key, uuid::Uuid::now_v7()));
    let user = LocalUser { id: uuid::Uuid::nil(), username: "snapshot".into() };
    let cache = Cache::open(&path, user).await?;
    let filled = async {
        cache.defer_indexes().await?;
        let mut pages = scope.pages(store);
        while let Some(page) = pages.recv().await {
            cache.apply_snapshot_batch(&page?).await?;
        }
        cache.finish_snapshot(seq, &epoch).await?;
        // Dropping and rebuilding the indexes left free pages: every
        // console would download them.
        cache.vacuum().await
    }
    .await;
    cache.close().await;
    if let Err(e) = filled {
        let _ = std::fs::remove_file(&path);
        return Err(e);
    }
    let bytes = std::fs::metadata(&path)?.len();
    Ok(Image { path, seq, epoch, bytes, built: Instant::now() })
}
