//! The embedded default: the central API running in this process on a free
//! loopback port, over a SQLite file in the data dir, seeded with demo data
//! on first run. This is the only file of the console that uses `server`;
//! everything else talks to it over HTTP like to any other server.

use std::path::Path;

use chrono::{DurationRound, TimeDelta, Utc};

use super::action::SeedProgress;
use super::paths::Paths;
use crate::domain::status::Role;
use crate::server::{self, RunningServer, demo};

/// The demo data set: big enough to feel real, small enough to write in a
/// few seconds on a laptop.
const DEMO_CITIZENS: u32 = 3000;
const DEMO_REQUESTS: u32 = 8000;
const DEMO_SEED: u64 = 27;

pub const DEMO_PASSWORD: &str = demo::DEMO_PASSWORD;

/// The demo user a role signs in as (`--as`).
pub fn demo_username(role: Role) -> &'static str {
    match role {
        Role::Agent => "agent",
        Role::UnitRep => "gaski",
        Role::Lead => "lead",
        Role::Admin => "admin",
    }
}

pub struct EmbeddedServer {
    pub base_url: String,
    _server: RunningServer,
}

/// Marks a fully seeded database; without it the file is started afresh.
fn marker(db: &Path) -> std::path::PathBuf {
    db.with_extension("db.seeded")
}

fn remove_db(db: &Path) -> std::io::Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        match std::fs::remove_file(&p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

/// Starts the server, seeding the database first if this is the first run
/// (or an earlier seeding was interrupted).
pub async fn start(paths: &Paths, progress: &mut (dyn FnMut(SeedProgress) + Send)) -> anyhow::Result<EmbeddedServer> {
    std::fs::create_dir_all(&paths.data_dir)?;
    let db = paths.embedded_db();
    let seeded = marker(&db).exists();
    if !seeded {
        remove_db(&db)?;
    }
    let state = server::AppState::open(&format!("sqlite://{}", db.display())).await?;
    if !seeded {
        let started = std::time::Instant::now();
        let opts = demo::DemoOptions {
            citizens: DEMO_CITIZENS,
            requests: DEMO_REQUESTS,
            seed: DEMO_SEED,
            now: Utc::now().duration_trunc(TimeDelta::hours(1)).unwrap_or_else(|_| Utc::now()),
        };
        let mut forward = |p: demo::Progress| {
            progress(SeedProgress {
                citizens_done: p.citizens_done,
                citizens_total: p.citizens_total,
                requests_done: p.requests_done,
                requests_total: p.requests_total,
            })
        };
        demo::generate(state.store.as_ref(), &opts, &mut forward).await?;
        std::fs::write(marker(&db), b"")?;
        tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "embedded demo data seeded");
    }
    let running = server::spawn(state, "127.0.0.1:0".parse()?).await?;
    tracing::info!(addr = %running.addr, "embedded server listening");
    Ok(EmbeddedServer { base_url: running.base_url(), _server: running })
}
