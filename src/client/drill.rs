//! `beyazmasa sync-drill`: a headless console that files requests through
//! the real offline cache and sync engine, printing `SAVED <id> <tracking>`
//! once each is committed locally. The crash-safety tests run it as a child
//! and kill it (SIGKILL, or `BEYAZMASA_FAULT=<point>`) at random moments.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use super::api::ApiClient;
use super::cache::{Cache, LocalUser};
use super::sync::SyncEngine;
use crate::domain::model::{Channel, RequestType};
use crate::protocol::{Action, Location, NewRequest};

#[derive(Debug, Clone, Args)]
pub struct DrillArgs {
    #[arg(long)]
    pub server: String,
    #[arg(long)]
    pub data_dir: PathBuf,
    #[arg(long)]
    pub username: String,
    #[arg(long, env = "BEYAZMASA_PASSWORD")]
    pub password: String,
    /// Requests to file; 0 only syncs until the outbox is empty.
    #[arg(long, default_value_t = 5)]
    pub count: u32,
}

pub fn run(args: DrillArgs) -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(drill(args))
}

async fn drill(args: DrillArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.data_dir)?;
    let token_path = args.data_dir.join("token.json");
    let cache_path = args.data_dir.join("cache.db");
    // Killed consoles leave their write-ahead log: this open checks the
    // whole file, and a damaged one is rebuilt as the console would.
    let (probe, recovery) =
        Cache::open_or_recover(&cache_path, LocalUser { id: uuid::Uuid::nil(), username: args.username.clone() })
            .await?;
    if let Some(r) = recovery {
        println!("RECOVERED {} kept {}", r.moved_to.display(), r.kept);
    }
    let device = probe.device_id().await?;
    probe.close().await;
    let (token, user_id) = match std::fs::read_to_string(&token_path) {
        Ok(s) => {
            let v: serde_json::Value = serde_json::from_str(&s)?;
            (v["token"].as_str().unwrap_or_default().to_string(), v["user_id"].as_str().unwrap_or_default().parse()?)
        }
        Err(_) => {
            let login =
                ApiClient::new(&args.server).login(&args.username, &args.password, "drill", Some(device)).await?;
            let body = serde_json::json!({"token": login.token, "user_id": login.user.id});
            std::fs::write(&token_path, body.to_string())?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&token_path, std::fs::Permissions::from_mode(0o600))?;
            }
            (login.token, login.user.id)
        }
    };
    let cache = Arc::new(Cache::open(&cache_path, LocalUser { id: user_id, username: args.username.clone() }).await?);
    let engine = SyncEngine::new(cache.clone(), ApiClient::new(&args.server).with_token(token)).await?;
    let _ = engine.sync_once().await;
    let category = crate::domain::reference::shipped_taxonomy().categories[0].code.clone();
    let mut out = std::io::stdout();
    for i in 0..args.count {
        let r = cache
            .file_request(NewRequest {
                location: Some(Location {
                    district: "SAHINBEY".into(),
                    neighbourhood: Some("Karataş".into()),
                    ..Default::default()
                }),
                ..NewRequest::new(RequestType::Request, Channel::Line153, &category, &format!("drill {i}"))
            })
            .await?;
        writeln!(out, "SAVED {} {}", r.id, r.tracking_no)?;
        out.flush()?;
        cache.act(r.id, Action::Contact { text: None }).await?;
        writeln!(out, "CONTACT {}", r.id)?;
        out.flush()?;
        let _ = engine.sync_once().await;
    }
    if args.count == 0 {
        for _ in 0..20 {
            let _ = engine.sync_once().await;
            if cache.counts().await?.pending == 0 {
                break;
            }
        }
        let c = cache.counts().await?;
        writeln!(out, "PENDING {} REJECTED {} CONFLICT {}", c.pending, c.rejected, c.conflict)?;
    }
    Ok(())
}
