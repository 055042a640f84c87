//! The console's session handling against a real server over HTTP: the
//! login screen, the stored device token (mode 0600) reused at the next
//! start, and an unreachable server at start giving offline mode.

use std::time::Duration;

use beyazmasa::console::action::{FailReason, Msg};
use beyazmasa::console::effect::{Effect, EffectRunner};
use beyazmasa::console::paths::Paths;
use beyazmasa::console::runner::TaskRunner;
use beyazmasa::console::state::Mode;
use beyazmasa::domain::status::Role;
use beyazmasa::server::{self, AppState, demo};
use tokio::sync::mpsc;

/// The next message other than the sync engine's status reports.
async fn next(rx: &mut mpsc::UnboundedReceiver<Msg>) -> Msg {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("an answer in time")
            .expect("a message");
        if !matches!(msg, Msg::Sync(_)) {
            return msg;
        }
    }
}

fn runner(server: &str, paths: &Paths) -> (TaskRunner, mpsc::UnboundedReceiver<Msg>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let mode = Mode::Remote { server: server.to_string() };
    (TaskRunner::new(tx, mode, paths.clone(), "Masa 12".into()), rx)
}

#[tokio::test]
async fn login_then_token_reuse_then_offline() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let state = AppState::open(&format!("sqlite://{}", db.display())).await.unwrap();
    demo::create_demo_users(state.store.as_ref(), &beyazmasa::domain::reference::shipped_taxonomy()).await.unwrap();
    let running = server::spawn(state, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let base = running.base_url();
    let paths = Paths::in_dir(dir.path());

    // First start: no token, so the login screen; a wrong password is said so.
    let (mut r, mut rx) = runner(&base, &paths);
    r.run(Effect::Connect);
    assert_eq!(next(&mut rx).await, Msg::NeedLogin { username: None });
    r.run(Effect::Login { username: "agent".into(), password: "wrong".into() });
    assert_eq!(next(&mut rx).await, Msg::LoginFailed(FailReason::Unauthorized));
    r.run(Effect::Login { username: "agent".into(), password: demo::DEMO_PASSWORD.into() });
    match next(&mut rx).await {
        Msg::SignedIn(user) => assert_eq!((user.username.as_str(), user.role), ("agent", Role::Agent)),
        other => panic!("{other:?}"),
    }
    r.run(Effect::CheckHealth);
    assert_eq!(next(&mut rx).await, Msg::Health { online: true, error: None });
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(paths.credentials_file()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the device token is private");
    }

    // Next start: the stored token signs in without the login screen.
    let (mut r, mut rx) = runner(&base, &paths);
    r.run(Effect::Connect);
    assert!(matches!(next(&mut rx).await, Msg::SignedIn(u) if u.username == "agent"));

    // The server is gone: start offline as the cached user, not with an error.
    running.shutdown().await;
    let (mut r, mut rx) = runner(&base, &paths);
    r.run(Effect::Connect);
    match next(&mut rx).await {
        Msg::StartOffline { user: Some(u) } => assert_eq!(u.username, "agent"),
        other => panic!("{other:?}"),
    }
    // And a server never seen before, unreachable: offline, nobody signed in.
    let (mut r, mut rx) = runner("http://127.0.0.1:9", &paths);
    r.run(Effect::Connect);
    assert_eq!(next(&mut rx).await, Msg::StartOffline { user: None });
}
