//! Shared set-up of the sync tests (included with `mod`): a real server on
//! loopback with test users, and headless consoles (an offline cache and a
//! sync engine) signed in the way the console signs in.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use beyazmasa::client::api::ApiClient;
use beyazmasa::client::cache::{Cache, LocalUser};
use beyazmasa::client::sync::SyncEngine;
use beyazmasa::domain::model::{Channel, RequestType};
use beyazmasa::domain::status::Role;
use beyazmasa::protocol::{Location, NewRequest, Request};
use beyazmasa::server::auth::hash_password;
use beyazmasa::server::store::{NewUser, RequestFilter};
use beyazmasa::server::{AppState, RunningServer, spawn};

pub const PASSWORD: &str = "sync-parola-1";

/// A test user: name, role and units.
pub type TestUser<'a> = (&'a str, Role, &'a [&'a str]);

/// Two agents, the users most tests need.
pub const AGENTS: &[TestUser<'static>] = &[("agent", Role::Agent, &[]), ("agent2", Role::Agent, &[])];

/// Creates the users the store does not have yet, all with [`PASSWORD`].
pub async fn create_users(state: &AppState, users: &[TestUser<'_>]) {
    let hash = hash_password(PASSWORD).unwrap();
    for (name, role, units) in users {
        if state.store.user_by_username(name).await.unwrap().is_some() {
            continue;
        }
        let user = NewUser {
            username: name.to_string(),
            full_name: name.to_string(),
            password_hash: hash.clone(),
            role: *role,
            units: units.iter().map(|u| u.to_string()).collect(),
            extension: None,
        };
        state.store.create_user(user).await.unwrap();
    }
}

/// A server on the SQLite file `db` at `addr` (port 0 picks one), with
/// `users`. Started again on the same file and address, it is the same
/// server after a restart.
pub async fn server_at(db: &Path, addr: SocketAddr, users: &[TestUser<'_>]) -> RunningServer {
    let state = AppState::open(&format!("sqlite://{}", db.display())).await.unwrap();
    create_users(&state, users).await;
    spawn(state, addr).await.unwrap()
}

/// A server on `dir/server.db`, on a free port.
pub async fn server(dir: &Path, users: &[TestUser<'_>]) -> RunningServer {
    server_at(&dir.join("server.db"), "127.0.0.1:0".parse().unwrap(), users).await
}

pub struct Console {
    pub cache: Arc<Cache>,
    pub engine: SyncEngine,
    pub api: ApiClient,
    pub path: PathBuf,
    pub user: LocalUser,
    pub device: uuid::Uuid,
}

/// A console with its cache in `dir/<name>.db`, signed in at `base` with
/// its cache's device id, as the console does. Not synced yet.
pub async fn console(dir: &Path, name: &str, base: &str, username: &str) -> Console {
    let path = dir.join(format!("{name}.db"));
    let probe = Cache::open(&path, LocalUser { id: uuid::Uuid::nil(), username: username.into() }).await.unwrap();
    let device = probe.device_id().await.unwrap();
    probe.close().await;
    let login = ApiClient::new(base).login(username, PASSWORD, name, Some(device)).await.unwrap();
    let user = LocalUser { id: login.user.id, username: username.into() };
    let cache = Arc::new(Cache::open(&path, user.clone()).await.unwrap());
    let api = ApiClient::new(base).with_token(login.token);
    let engine = SyncEngine::new(cache.clone(), api.clone()).await.unwrap();
    Console { cache, engine, api, path, user, device }
}

/// [`console`], synced once: a block of tracking numbers and the snapshot.
pub async fn synced_console(dir: &Path, name: &str, server: &RunningServer, username: &str) -> Console {
    let c = console(dir, name, &server.base_url(), username).await;
    c.engine.sync_once().await.unwrap();
    c
}

/// A water category GASKİ handles whatever the district.
pub fn water_category() -> String {
    let t = beyazmasa::domain::reference::shipped_taxonomy();
    t.categories
        .iter()
        .find(|c| c.default_unit == "GASKI" && c.district_units.is_empty() && !c.emergency && !c.out_of_remit)
        .unwrap()
        .code
        .clone()
}

/// A complaint on line 153 about water in Karataş (Şahinbey), for GASKİ.
pub fn water_request(text: &str) -> NewRequest {
    NewRequest {
        location: Some(Location {
            district: "SAHINBEY".into(),
            neighbourhood: Some("Karataş".into()),
            ..Default::default()
        }),
        ..NewRequest::new(RequestType::Complaint, Channel::Line153, &water_category(), text)
    }
}

/// Every request on the server, page by page.
pub async fn all_server_requests(server: &RunningServer) -> Vec<Request> {
    let mut out = Vec::new();
    let mut before = None;
    loop {
        let filter = RequestFilter { limit: 500, before_id: before, ..Default::default() };
        let page = server.state.store.list_requests(&filter).await.unwrap();
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => before = Some(c.parse().unwrap()),
            None => break,
        }
    }
    out
}
