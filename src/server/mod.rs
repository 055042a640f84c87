//! The central API (axum). Stateless apart from the store: every instance
//! may serve any console.

pub mod admin;
pub mod auth;
pub mod demo;
pub mod error;
pub mod images;
pub mod live;
pub mod openapi;
pub mod routes;
pub mod service;
pub mod stats;
pub mod store;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use tokio::sync::{broadcast, mpsc};

use crate::protocol::ServerEvent;
use store::{AuditEntry, Store};

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Database URL: sqlite://PATH (created and migrated on first start).
    #[arg(long, env = "BEYAZMASA_DB", default_value = "sqlite://beyazmasa.db")]
    pub db: String,
    /// Address to listen on.
    #[arg(long, env = "BEYAZMASA_LISTEN", default_value = "127.0.0.1:8153")]
    pub listen: SocketAddr,
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub reference: Arc<service::Reference>,
    pub events: EventHub,
    pub audit: AuditSink,
    pub writer: service::Writer,
    /// Who is signed in and on a call, for the wallboard; also sends the
    /// throttled `stats` events.
    pub live: Arc<live::LiveBoard>,
    /// Set when the server stops, so endless streams (SSE) end and a
    /// graceful shutdown does not wait for them forever.
    pub stopping: Arc<tokio::sync::watch::Sender<bool>>,
    /// Prebuilt cache files for new consoles (none without a directory).
    pub images: Arc<images::Images>,
}

/// Fans server events out to the SSE streams of this instance.
#[derive(Clone)]
pub struct EventHub {
    tx: broadcast::Sender<ServerEvent>,
}

impl EventHub {
    pub fn new() -> EventHub {
        EventHub { tx: broadcast::channel(4096).0 }
    }

    pub fn publish(&self, event: ServerEvent) {
        // No subscribers is fine: consoles catch up with Last-Event-ID.
        let _ = self.tx.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<ServerEvent> {
        self.tx.subscribe()
    }

    /// A handle that publishes without keeping the hub open: a background
    /// task holding it ends with the server.
    pub fn downgrade(&self) -> broadcast::WeakSender<ServerEvent> {
        self.tx.downgrade()
    }
}

impl Default for EventHub {
    fn default() -> Self {
        EventHub::new()
    }
}

/// Records reads of personal data without putting a write transaction on
/// every search: entries are batched by a background task (every 200 ms or
/// 200 entries) into the same hash-chained audit log as the writes.
#[derive(Clone)]
pub struct AuditSink {
    tx: mpsc::UnboundedSender<AuditEntry>,
}

impl AuditSink {
    pub fn start(store: Arc<dyn Store>) -> AuditSink {
        let (tx, mut rx) = mpsc::unbounded_channel::<AuditEntry>();
        tokio::spawn(async move {
            let mut batch = Vec::new();
            while let Some(first) = rx.recv().await {
                batch.push(first);
                let deadline = tokio::time::Instant::now() + Duration::from_millis(200);
                while batch.len() < 200 {
                    match tokio::time::timeout_at(deadline, rx.recv()).await {
                        Ok(Some(e)) => batch.push(e),
                        _ => break,
                    }
                }
                if let Err(e) = store.append_audit(std::mem::take(&mut batch)).await {
                    tracing::error!(error = ?e, "writing read-audit entries");
                }
            }
        });
        AuditSink { tx }
    }

    pub fn record(&self, actor: &str, action: &str, entity: &str, entity_id: String, detail: String) {
        let _ = self.tx.send(AuditEntry {
            at: chrono::Utc::now(),
            actor: actor.to_string(),
            action: action.to_string(),
            entity: entity.to_string(),
            entity_id,
            detail,
        });
    }
}

impl AppState {
    /// The store at `db_url`; a SQLite store keeps its snapshot images in
    /// a directory beside its file (`<file>.images`).
    pub async fn open(db_url: &str) -> anyhow::Result<AppState> {
        let store = store::open(db_url).await?;
        let file = db_url.strip_prefix("sqlite://").or_else(|| db_url.strip_prefix("sqlite:"));
        let dir = file.map(|f| std::path::PathBuf::from(format!("{f}.images")));
        let mut state = AppState::with_store(store);
        state.images = Arc::new(images::Images::new(dir));
        Ok(state)
    }

    /// A state without snapshot images.
    pub fn with_store(store: Arc<dyn Store>) -> AppState {
        let reference = Arc::new(service::Reference::shipped());
        let events = EventHub::new();
        let units = reference.taxonomy.units.iter().map(|u| u.code.clone()).collect();
        tokio::spawn(live::sla_clock(store.clone(), units, events.subscribe(), events.downgrade()));
        AppState {
            audit: AuditSink::start(store.clone()),
            writer: service::Writer::start(reference.clone(), store.clone(), events.clone()),
            live: live::LiveBoard::start(events.clone()),
            store,
            reference,
            events,
            stopping: Arc::new(tokio::sync::watch::channel(false).0),
            images: Arc::new(images::Images::new(None)),
        }
    }
}

/// A server running on a background task.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    pub handle: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections, ends event streams and waits for the
    /// open requests to finish (at most 10 s).
    pub async fn shutdown(mut self) {
        let _ = self.state.stopping.send(true);
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if tokio::time::timeout(Duration::from_secs(10), &mut self.handle).await.is_err() {
            tracing::warn!("connections still open after 10 s; closing them");
            self.handle.abort();
        }
    }
}

/// Binds `listen` (port 0 picks a free one) and serves on a background task.
/// Used by `serve`, by the console's embedded mode and by tests.
pub async fn spawn(state: AppState, listen: SocketAddr) -> anyhow::Result<RunningServer> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let app = routes::router(state.clone());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
    });
    Ok(RunningServer { addr, state, shutdown: Some(tx), handle })
}

pub fn run_serve(args: ServeArgs) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let state = AppState::open(&args.db).await?;
        let server = spawn(state, args.listen).await?;
        tracing::info!(addr = %server.addr, db = %redact_url(&args.db), "beyazmasa API listening");
        eprintln!("beyazmasa: API listening on http://{}/api/v1 (Ctrl-C to stop)", server.addr);
        shutdown_signal().await;
        tracing::info!("shutting down");
        server.shutdown().await;
        anyhow::Ok(())
    })
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// Hides a password in a database URL before it is logged.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(super::redact_url("postgres://bm:secret@db/bm"), "postgres://bm:***@db/bm");
        assert_eq!(super::redact_url("sqlite://x.db"), "sqlite://x.db");
    }
}
