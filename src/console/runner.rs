//! Runs effects on tokio tasks and sends their results back as messages.

use std::sync::Arc;

use tokio::sync::{Mutex, mpsc};

use super::action::{CacheError, FailReason, Msg, OutboxRow, ScreenPop};
use super::call::SEARCH_LIMIT;
use super::credentials::{Credentials, EMBEDDED, StoredSession};
use super::effect::{Effect, EffectRunner};
use super::embedded::{self, EmbeddedServer};
use super::paths::Paths;
use super::queue::{Detail, QUEUE_LIMIT};
use super::state::Mode;
use crate::client::api::{ApiClient, ApiError};
use crate::client::cache::{Cache, LocalUser};
use crate::client::sync::{SyncEngine, SyncHandle};
use crate::protocol::{ServerEvent, UserInfo};

/// Rows the duplicate radar shows.
const NEARBY_LIMIT: usize = 20;

struct Shared {
    mode: Mode,
    paths: Paths,
    device_name: String,
    credentials: Credentials,
    /// The server's client, once known, with the session's token.
    client: Mutex<Option<ApiClient>>,
    /// Kept alive for the life of the console.
    embedded: Mutex<Option<EmbeddedServer>>,
    /// Serialises `Connect`s so two never run at once.
    connecting: Mutex<()>,
    /// The offline cache and its sync engine, once signed in.
    sync: Mutex<Option<SyncHandle>>,
    cache: Mutex<Option<Arc<Cache>>>,
}

#[derive(Clone)]
pub struct TaskRunner {
    tx: mpsc::UnboundedSender<Msg>,
    shared: Arc<Shared>,
}

impl TaskRunner {
    pub fn new(tx: mpsc::UnboundedSender<Msg>, mode: Mode, paths: Paths, device_name: String) -> TaskRunner {
        let credentials = Credentials::new(paths.credentials_file());
        let shared = Shared {
            mode,
            paths,
            device_name,
            credentials,
            client: Mutex::new(None),
            embedded: Mutex::new(None),
            connecting: Mutex::new(()),
            sync: Mutex::new(None),
            cache: Mutex::new(None),
        };
        TaskRunner { tx, shared: Arc::new(shared) }
    }

    fn send(&self, msg: Msg) {
        // The loop has ended if this fails; nothing is waiting for the answer.
        let _ = self.tx.send(msg);
    }

    fn server_key(&self) -> String {
        match &self.shared.mode {
            Mode::Embedded { .. } => EMBEDDED.to_string(),
            Mode::Remote { server } => server.clone(),
        }
    }

    async fn connect(&self) {
        let _one_at_a_time = self.shared.connecting.lock().await;
        let msg = match self.shared.mode.clone() {
            Mode::Embedded { role } => self.connect_embedded(embedded::demo_username(role)).await,
            Mode::Remote { server } => self.connect_remote(&server).await,
        };
        let recovered = match &msg {
            Msg::SignedIn(user) | Msg::StartOffline { user: Some(user) } => self.start_sync(user).await,
            _ => None,
        };
        self.send(msg);
        // After the sign-in message, whose notices it outranks.
        if let Some(r) = recovered {
            self.send(r);
        }
    }

    /// Opens this profile's offline cache (moving a damaged one aside and
    /// starting afresh, see [`Cache::open_or_recover`]) and starts its sync
    /// engine (once), forwarding its status to the loop. Returns the message
    /// telling the user about a rebuilt cache, to send after the sign-in.
    async fn start_sync(&self, user: &UserInfo) -> Option<Msg> {
        let mut slot = self.shared.sync.lock().await;
        if let Some(h) = slot.as_ref() {
            h.sync_now();
            return None;
        }
        let client = self.shared.client.lock().await.clone()?;
        let path = self.shared.paths.cache_db(&self.server_key(), &user.username);
        let local = LocalUser { id: user.id, username: user.username.clone() };
        let (cache, recovery) = match Cache::open_or_recover(&path, local).await {
            Ok((c, r)) => (Arc::new(c), r),
            Err(e) => {
                tracing::error!("offline cache: {e:#}");
                return None;
            }
        };
        let recovered = recovery.map(Msg::CacheRecovered);
        // The cache pushes as this device: the one the token was issued to.
        if let Some(device) = self.shared.credentials.device_id()
            && let Err(e) = cache.adopt_device(device).await
        {
            tracing::error!("offline cache: {e:#}");
            return recovered;
        }
        *self.shared.cache.lock().await = Some(cache.clone());
        let engine = match SyncEngine::new(cache, client).await {
            Ok(e) => e,
            Err(e) => {
                tracing::error!("sync engine: {e:#}");
                return recovered;
            }
        };
        let handle = engine.handle();
        tokio::spawn(engine.run());
        self.forward_events(&handle);
        let mut status = handle.status.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            while status.changed().await.is_ok() {
                let s = status.borrow_and_update().clone();
                if tx.send(Msg::Sync(s)).is_err() {
                    break;
                }
            }
        });
        *slot = Some(handle);
        recovered
    }

    /// Closes the offline cache, so the next start finds it closed cleanly
    /// (and skips the full check). Work in hand finishes first, for at most
    /// `wait`.
    pub async fn shutdown(&self, wait: std::time::Duration) {
        if let Some(cache) = self.cache().await
            && tokio::time::timeout(wait, cache.close()).await.is_err()
        {
            tracing::warn!("offline cache still busy at exit; it will be checked at the next start");
        }
    }

    /// Screen pops from the event stream become messages, with the caller
    /// looked up in the cache; stats events tell the wallboard to refetch.
    fn forward_events(&self, handle: &SyncHandle) {
        let mut events = handle.events.subscribe();
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                let event = match events.recv().await {
                    Ok(e) => e,
                    // Missed some: a refetch covers any stats event lost.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        this.send(Msg::StatsChanged);
                        continue;
                    }
                    Err(_) => break,
                };
                match event {
                    ServerEvent::ScreenPop { ani, event, citizen_id, line, .. } => {
                        let citizen = match (citizen_id, this.cache().await) {
                            (Some(id), Some(cache)) => cache.citizen(id).await.ok().flatten(),
                            _ => None,
                        };
                        this.send(Msg::ScreenPop(ScreenPop { ani, event, citizen, line }));
                    }
                    ServerEvent::Stats { .. } => this.send(Msg::StatsChanged),
                    ServerEvent::Change { .. } => {}
                }
            }
        });
    }

    async fn load_wallboard(&self) {
        let client = self.shared.client.lock().await.clone();
        let msg = match client {
            Some(c) => Msg::Wallboard(c.wallboard().await.map(Box::new).map_err(|e| e.to_string())),
            None => Msg::Wallboard(Err("not connected".into())),
        };
        self.send(msg);
    }

    async fn cache(&self) -> Option<Arc<Cache>> {
        self.shared.cache.lock().await.clone()
    }

    async fn nudge_sync(&self) {
        if let Some(h) = self.shared.sync.lock().await.as_ref() {
            h.sync_now();
        }
    }

    /// Runs a cache effect; each answers with one message.
    async fn cache_effect(&self, effect: Effect) {
        let Some(cache) = self.cache().await else {
            tracing::warn!("cache effect before the cache is open: {effect:?}");
            return;
        };
        let err = |e: anyhow::Error| format!("{e:#}");
        let save = |e: anyhow::Error| CacheError::of(&e);
        let msg = match effect {
            Effect::SearchCallers { seq, query } => {
                let result = cache.search_citizens(&query, SEARCH_LIMIT).await.map_err(err);
                Msg::CallerHits { seq, query, result }
            }
            Effect::LoadHistory { citizen_id } => match cache.citizen_requests(citizen_id).await {
                Ok(rows) => Msg::History { citizen_id, rows },
                Err(e) => return tracing::error!("history: {e:#}"),
            },
            Effect::CreateCitizen(new) => {
                let result = cache.create_citizen(new).await.map_err(save);
                self.nudge_sync().await;
                Msg::CitizenSaved(result)
            }
            Effect::FileRequest(new) => {
                let result = cache.file_request(*new).await.map_err(save);
                self.nudge_sync().await;
                Msg::Filed(result)
            }
            Effect::Act { request_id, op, purpose } => {
                let result = cache.act(request_id, op).await.map_err(save);
                self.nudge_sync().await;
                Msg::Acted { purpose, result }
            }
            Effect::FindNearby { key, since } => {
                let (category, district, neighbourhood) = &key;
                match cache.nearby_open(category, district, neighbourhood, since, NEARBY_LIMIT).await {
                    Ok(rows) => Msg::Nearby { key, rows },
                    Err(e) => return tracing::error!("duplicate radar: {e:#}"),
                }
            }
            Effect::LoadOutbox => Msg::Outbox(outbox_rows(&cache).await),
            Effect::Discard(id) => {
                let result = cache.discard(id).await.map_err(save);
                self.nudge_sync().await;
                Msg::Outbox(match result {
                    Ok(()) => outbox_rows(&cache).await,
                    Err(e) => Err(e),
                })
            }
            Effect::Retry(id) => {
                let result = cache.retry(id).await.map_err(save);
                self.nudge_sync().await;
                Msg::Outbox(match result {
                    Ok(()) => outbox_rows(&cache).await,
                    Err(e) => Err(e),
                })
            }
            Effect::LoadQueue { units } => Msg::Queue(cache.unit_queue(&units, QUEUE_LIMIT).await.map_err(err)),
            Effect::LoadDetail(id) => {
                let detail = match cache.request(id).await {
                    Ok(Some((request, badge))) => {
                        let citizen = match request.citizen_id {
                            Some(c) => cache.citizen(c).await.ok().flatten(),
                            None => None,
                        };
                        Some(Box::new(Detail { request, badge, citizen }))
                    }
                    Ok(None) => None,
                    Err(e) => return tracing::error!("request detail: {e:#}"),
                };
                Msg::Detail(detail)
            }
            Effect::QueueAct(ops) => {
                let mut done = 0;
                let mut failed = Vec::new();
                for (id, op) in ops {
                    match cache.act(id, op).await {
                        Ok(_) => done += 1,
                        Err(e) => {
                            let tracking = match cache.request(id).await {
                                Ok(Some((r, _))) => r.tracking_no,
                                _ => id.to_string(),
                            };
                            failed.push((tracking, CacheError::of(&e)));
                        }
                    }
                }
                self.nudge_sync().await;
                Msg::QueueActed { done, failed }
            }
            other => return tracing::error!("not a cache effect: {other:?}"),
        };
        self.send(msg);
    }

    async fn connect_embedded(&self, username: &str) -> Msg {
        let base = {
            let mut slot = self.shared.embedded.lock().await;
            if slot.is_none() {
                let tx = self.tx.clone();
                let mut progress = move |p| {
                    let _ = tx.send(Msg::Seeding(p));
                };
                match embedded::start(&self.shared.paths, &mut progress).await {
                    Ok(server) => *slot = Some(server),
                    Err(e) => {
                        tracing::error!("embedded server: {e:#}");
                        return Msg::EmbeddedFailed(format!("{e:#}"));
                    }
                }
            }
            slot.as_ref().map(|s| s.base_url.clone()).unwrap_or_default()
        };
        let client = ApiClient::new(&base);
        if let Some(stored) = self.shared.credentials.find(EMBEDDED, Some(username)) {
            let with_token = client.clone().with_token(stored.token.clone());
            if let Ok(user) = with_token.me().await {
                *self.shared.client.lock().await = Some(with_token);
                return Msg::SignedIn(user);
            }
        }
        match self.login(client, username, embedded::DEMO_PASSWORD).await {
            Ok(user) => Msg::SignedIn(user),
            Err(e) => Msg::EmbeddedFailed(e.to_string()),
        }
    }

    async fn connect_remote(&self, server: &str) -> Msg {
        let client = ApiClient::new(server);
        *self.shared.client.lock().await = Some(client.clone());
        let Some(stored) = self.shared.credentials.find(server, None) else {
            return match client.health().await {
                Ok(_) => Msg::NeedLogin { username: None },
                Err(_) => Msg::StartOffline { user: None },
            };
        };
        let with_token = client.with_token(stored.token.clone());
        *self.shared.client.lock().await = Some(with_token.clone());
        match with_token.me().await {
            Ok(user) => {
                let session = StoredSession { user: Some(user.clone()), ..stored };
                if let Some(id) = self.shared.credentials.device_id() {
                    self.save(session, id);
                }
                Msg::SignedIn(user)
            }
            Err(ApiError::Unauthorized(_)) => Msg::NeedLogin { username: Some(stored.username) },
            Err(e) => {
                tracing::warn!("starting offline: {e}");
                Msg::StartOffline { user: stored.user }
            }
        }
    }

    async fn login(&self, client: ApiClient, username: &str, password: &str) -> Result<UserInfo, ApiError> {
        let device_id = self.shared.credentials.device_id();
        let resp = client.login(username, password, &self.shared.device_name, device_id).await?;
        let session = StoredSession {
            server: self.server_key(),
            username: resp.user.username.clone(),
            token: resp.token.clone(),
            user: Some(resp.user.clone()),
        };
        self.save(session, resp.device_id);
        *self.shared.client.lock().await = Some(client.with_token(resp.token));
        Ok(resp.user)
    }

    fn save(&self, session: StoredSession, device_id: uuid::Uuid) {
        if let Err(e) = self.shared.credentials.save(session, device_id) {
            tracing::error!("cannot store the device token: {e}");
        }
    }

    async fn login_effect(&self, username: String, password: String) {
        let client = self.shared.client.lock().await.clone();
        let client = match client {
            Some(c) => c,
            None => match &self.shared.mode {
                Mode::Remote { server } => ApiClient::new(server),
                Mode::Embedded { .. } => return self.send(Msg::LoginFailed(FailReason::Unreachable)),
            },
        };
        let msg = match self.login(client, &username, &password).await {
            Ok(user) => {
                let recovered = self.start_sync(&user).await;
                self.send(Msg::SignedIn(user));
                if let Some(r) = recovered {
                    self.send(r);
                }
                return;
            }
            Err(ApiError::Unauthorized(_)) => Msg::LoginFailed(FailReason::Unauthorized),
            Err(ApiError::Unreachable(_)) => Msg::LoginFailed(FailReason::Unreachable),
            Err(e) => Msg::LoginFailed(FailReason::Other(e.to_string())),
        };
        self.send(msg);
    }

    async fn check_health(&self) {
        let client = self.shared.client.lock().await.clone();
        let msg = match client {
            None => Msg::Health { online: false, error: None },
            Some(c) => match c.health().await {
                Ok(_) => Msg::Health { online: true, error: None },
                Err(e) => Msg::Health { online: false, error: Some(e.to_string()) },
            },
        };
        self.send(msg);
    }
}

impl EffectRunner for TaskRunner {
    fn run(&mut self, effect: Effect) {
        let this = self.clone();
        tokio::spawn(async move {
            match effect {
                Effect::Connect => this.connect().await,
                Effect::Login { username, password } => this.login_effect(username, password).await,
                Effect::CheckHealth => this.check_health().await,
                Effect::LoadWallboard => this.load_wallboard().await,
                cache_effect => this.cache_effect(cache_effect).await,
            }
        });
    }
}

/// The outbox as the outbox view lists it, parked items first.
async fn outbox_rows(cache: &Cache) -> Result<Vec<OutboxRow>, CacheError> {
    let mut items = cache.outbox().await.map_err(|e| CacheError::of(&e))?;
    items.sort_by_key(|i| (!i.is_parked(), i.seq));
    Ok(items
        .into_iter()
        .map(|i| OutboxRow {
            mutation_id: i.mutation_id(),
            kind: i.kind,
            label: i.label,
            state: i.state,
            reason: i.last_error,
            attempts: i.attempts,
            held_back: i.held_back,
        })
        .collect())
}
