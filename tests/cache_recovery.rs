//! Bad input to the offline cache (issue 4): a damaged or truncated cache
//! file is moved aside and rebuilt from the server, keeping the outbox that
//! can still be read; a full disk refuses new changes plainly and loses
//! nothing saved. Real SQLite files in temporary directories, the real sync
//! engine and a real server on loopback.

mod console_support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use beyazmasa::client::api::ApiClient;
use beyazmasa::client::cache::{Badge, Cache, DiskFull, LocalUser, Recovery};
use beyazmasa::client::sync::SyncEngine;
use beyazmasa::console::action::{CacheError, Msg};
use beyazmasa::console::effect::{Effect, EffectRunner};
use beyazmasa::console::i18n::Lang;
use beyazmasa::console::paths::Paths;
use beyazmasa::console::runner::TaskRunner;
use beyazmasa::console::state::Mode;
use beyazmasa::console::update;
use beyazmasa::domain::tracking::TrackingNumber;
use beyazmasa::protocol::{Action, EventKind, NewCitizen, NewRequest, PushRequest, Request};
use beyazmasa::server::{AppState, RunningServer, demo, spawn};
use sqlx::{ConnectOptions, Connection};

mod sync_support;
use sync_support::{AGENTS, Console, PASSWORD, all_server_requests, synced_console as console, water_request};

async fn server(dir: &Path) -> RunningServer {
    sync_support::server(dir, AGENTS).await
}

/// The console starting again on its (now damaged) file, as at sign-in.
async fn restart(c: Console) -> (Console, Option<Recovery>) {
    c.cache.close().await;
    let (cache, recovery) = Cache::open_or_recover(&c.path, c.user.clone()).await.unwrap();
    let cache = Arc::new(cache);
    let engine = SyncEngine::new(cache.clone(), c.api.clone()).await.unwrap();
    (Console { cache, engine, ..c }, recovery)
}

/// A request with a description of some length, as agents write them.
fn request(text: &str) -> NewRequest {
    water_request(&format!("{text}: {}", "su yok ".repeat(40)))
}

/// Another agent's requests on the server, for the snapshot to bring.
async fn server_requests(dir: &Path, server: &RunningServer, n: usize) {
    let other = console(dir, "diger", server, "agent2").await;
    for i in 0..n {
        other.cache.file_request(request(&format!("başka masa {i}"))).await.unwrap();
        if i % 50 == 49 {
            other.engine.sync_once().await.unwrap(); // more tracking numbers
        }
    }
    other.engine.sync_once().await.unwrap();
    assert_eq!(other.cache.counts().await.unwrap().pending, 0);
    other.cache.close().await;
}

/// Each of `filed` is on the server once, under its own id and tracking
/// number.
async fn on_server_exactly_once(server: &RunningServer, filed: &[Request]) {
    let mut by_tracking: HashMap<String, usize> = HashMap::new();
    for r in all_server_requests(server).await {
        *by_tracking.entry(r.tracking_no).or_default() += 1;
    }
    for r in filed {
        let on_server = server.state.store.request(r.id).await.unwrap().expect("on the server");
        assert_eq!(on_server.tracking_no, r.tracking_no);
        assert_eq!(by_tracking.get(&r.tracking_no), Some(&1), "{} once", r.tracking_no);
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

/// Pseudo-random bytes, the same every run.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

/// The pages of each table and index of a (closed) cache file, from
/// SQLite's `dbstat`, and its page size.
async fn pages_by_tree(path: &Path) -> (HashMap<String, Vec<(i64, String)>>, u64) {
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new().filename(path).read_only(true).connect().await.unwrap();
    let rows: Vec<(String, i64, String)> =
        sqlx::query_as("SELECT name, pageno, pagetype FROM dbstat ORDER BY pageno").fetch_all(&mut conn).await.unwrap();
    let page_size: i64 = sqlx::query_scalar("PRAGMA page_size").fetch_one(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    let mut out: HashMap<String, Vec<(i64, String)>> = HashMap::new();
    for (name, page, kind) in rows {
        out.entry(name).or_default().push((page, kind));
    }
    (out, page_size as u64)
}

/// The tables recovery reads back from a damaged file.
const KEPT_TREES: [&str; 5] = ["outbox", "meta", "serial_blocks", "sqlite_schema", "sqlite_sequence"];

/// Overwrites leaf pages of the `requests` table with noise, leaving the
/// pages of the outbox, meta, serial blocks and schema alone. Returns the
/// pages overwritten.
async fn damage_requests_table(path: &Path) -> Vec<i64> {
    let (pages, page_size) = pages_by_tree(path).await;
    let keep: Vec<i64> = KEPT_TREES.iter().flat_map(|t| pages.get(*t).into_iter().flatten().map(|(p, _)| *p)).collect();
    let leaves: Vec<i64> = pages["requests"].iter().filter(|(_, k)| k == "leaf").map(|(p, _)| *p).collect();
    assert!(leaves.len() >= 6, "the requests table spans pages: {leaves:?}");
    let hit: Vec<i64> = leaves.iter().skip(1).step_by(leaves.len() / 3).copied().take(3).collect();
    assert!(hit.iter().all(|p| !keep.contains(p)), "{hit:?} vs {keep:?}");
    let mut bytes = std::fs::read(path).unwrap();
    for (i, &p) in hit.iter().enumerate() {
        let at = (p as usize - 1) * page_size as usize;
        bytes[at..at + page_size as usize].copy_from_slice(&noise(page_size as usize, 0x9E37_79B9 + i as u64));
    }
    std::fs::write(path, bytes).unwrap();
    hit
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn a_file_of_random_bytes_is_moved_aside_and_the_cache_rebuilt_from_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    server_requests(dir.path(), &server, 5).await;
    let path = dir.path().join("masa1.db");
    let garbage = noise(64 * 1024, 7);
    std::fs::write(&path, &garbage).unwrap();

    let user = LocalUser { id: uuid::Uuid::nil(), username: "agent".into() };
    let (cache, recovery) = Cache::open_or_recover(&path, user).await.unwrap();
    let r = recovery.expect("the file is not a cache");
    assert!(r.reason.contains("not a SQLite database"), "{}", r.reason);
    let moved = r.moved_to.file_name().unwrap().to_string_lossy().to_string();
    assert!(moved.starts_with("masa1.db.corrupt-"), "{moved}");
    assert_eq!(std::fs::read(&r.moved_to).unwrap(), garbage, "moved as it was");
    // Nothing could be read: nothing kept, and the user is told so.
    assert_eq!((r.kept, r.outbox_whole, r.kept_device), (0, false, false));
    #[cfg(unix)]
    assert_eq!(mode(&path), 0o600);
    let mut files: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
    files.retain(|f| f.starts_with("masa1"));
    files.sort();
    assert_eq!(files, ["masa1.db", "masa1.db-shm", "masa1.db-wal", &moved], "nothing else left behind");

    // The new cache is a new console's: it signs in with its new device id
    // and loads the snapshot.
    let device = cache.device_id().await.unwrap();
    cache.close().await;
    let login = ApiClient::new(&server.base_url()).login("agent", PASSWORD, "masa1", Some(device)).await.unwrap();
    let cache = Arc::new(Cache::open(&path, LocalUser { id: login.user.id, username: "agent".into() }).await.unwrap());
    let engine =
        SyncEngine::new(cache.clone(), ApiClient::new(&server.base_url()).with_token(login.token)).await.unwrap();
    let report = engine.sync_once().await.unwrap();
    assert_eq!(report.snapshot, 5);
    assert_eq!(cache.request_count().await.unwrap(), 5);
    let filed = cache.file_request(request("yeni")).await.unwrap();
    engine.sync_once().await.unwrap();
    on_server_exactly_once(&server, &[filed]).await;
}

#[tokio::test]
async fn a_truncated_cache_is_found_at_open_and_what_its_outbox_still_holds_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    server_requests(dir.path(), &server, 40).await;
    // Cut once in the middle of a page and once on a page boundary (only the
    // page count in the header tells that one), past the last page of the
    // outbox and what goes with it.
    for (name, on_a_page_boundary) in [("masa1", false), ("masa2", true)] {
        let c = console(dir.path(), name, &server, "agent").await;
        let mut filed = Vec::new();
        for i in 0..3 {
            filed.push(c.cache.file_request(request(&format!("{name} çevrim dışı {i}"))).await.unwrap());
        }
        c.cache.close().await;
        assert!(!with_suffix(&c.path, "-wal").exists(), "a closed cache leaves no log behind");
        let len = std::fs::metadata(&c.path).unwrap().len();
        let (pages, page_size) = pages_by_tree(&c.path).await;
        let last_kept = KEPT_TREES.iter().flat_map(|t| pages.get(*t).into_iter().flatten().map(|(p, _)| *p)).max();
        let cut = last_kept.unwrap() as u64 * page_size + if on_a_page_boundary { 0 } else { 1234 };
        assert!(cut < len, "the file goes on past the outbox: {cut} of {len} bytes");
        let file = std::fs::OpenOptions::new().write(true).open(&c.path).unwrap();
        file.set_len(cut).unwrap();
        drop(file);

        let (c, recovery) = restart(c).await;
        let r = recovery.expect("a truncated file is found");
        assert!(r.reason.contains("cut short"), "{}", r.reason);
        assert_eq!(std::fs::metadata(&r.moved_to).unwrap().len(), cut, "moved as it was");
        // The cut did not reach the outbox, so it is kept whole with its
        // device.
        assert_eq!((r.kept, r.outbox_whole, r.kept_device), (3, true, true), "{r:?}");
        assert_eq!(c.cache.device_id().await.unwrap(), c.device);
        for f in &filed {
            let (view, badge) = c.cache.request(f.id).await.unwrap().expect("shown before the sync");
            assert_eq!((view.tracking_no.as_str(), badge), (f.tracking_no.as_str(), Badge::NotSent));
        }
        let report = c.engine.sync_once().await.unwrap();
        assert_eq!(report.pushed, 3);
        assert!(report.snapshot >= 40, "{report:?}");
        on_server_exactly_once(&server, &filed).await;
        assert!(c.cache.outbox().await.unwrap().is_empty());
        c.cache.close().await;
    }
}

#[tokio::test]
async fn an_outbox_readable_beside_a_damaged_table_reaches_the_server_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    server_requests(dir.path(), &server, 400).await;
    let c = console(dir.path(), "masa1", &server, "agent").await;
    let known = all_server_requests(&server).await.pop().unwrap();

    // Offline work: a contact on a request from the server, four new ones.
    c.cache.act(known.id, Action::Contact { text: Some("vatandaş yeniden aradı".into()) }).await.unwrap();
    let mut filed = Vec::new();
    for i in 0..4 {
        filed.push(c.cache.file_request(request(&format!("çevrim dışı {i}"))).await.unwrap());
    }
    // The answer to a push of the first two was lost: the server has them,
    // the outbox still holds them.
    let lost = c.cache.pushable(2).await.unwrap();
    c.api.push(&PushRequest { device_id: c.device, mutations: lost }).await.unwrap();
    assert_eq!(c.cache.outbox().await.unwrap().len(), 5);
    let serials_before = c.cache.serials_left().await.unwrap();
    c.cache.close().await;
    let hit = damage_requests_table(&c.path).await;

    let (c, recovery) = restart(c).await;
    let r = recovery.expect("the damaged pages are found");
    assert!(r.reason.contains("quick_check") || r.reason.contains("page"), "{}", r.reason);
    assert_eq!((r.kept, r.outbox_whole, r.kept_device), (5, true, true), "{r:?} after damaging pages {hit:?}");
    assert!(r.serial_blocks >= 1);
    assert!(r.moved_to.exists());
    assert_eq!(c.cache.device_id().await.unwrap(), c.device, "pushes as the same device");
    assert_eq!(c.cache.serials_left().await.unwrap(), serials_before, "no tracking number issued twice");
    assert_eq!(c.cache.request_count().await.unwrap(), 4, "only the records of the outbox, until the snapshot");

    let report = c.engine.sync_once().await.unwrap();
    assert_eq!(report.pushed, 5);
    assert!(report.snapshot >= 44, "{report:?}");
    assert!(c.cache.outbox().await.unwrap().is_empty(), "{:?}", c.cache.outbox().await.unwrap());
    on_server_exactly_once(&server, &filed).await;
    let contacts = server.state.store.request(known.id).await.unwrap().unwrap();
    let contacts = contacts.timeline.iter().filter(|e| e.kind == EventKind::Contact && e.actor == "agent").count();
    assert_eq!(contacts, 1, "the contact is recorded once");

    // The next request gets a number none of the carried ones has.
    let next = c.cache.file_request(request("sonraki")).await.unwrap();
    let serial = |r: &Request| TrackingNumber::parse(&r.tracking_no).unwrap().serial();
    assert!(filed.iter().all(|f| serial(f) < serial(&next)));
    c.engine.sync_once().await.unwrap();
    on_server_exactly_once(&server, &[next]).await;
}

/// What open costs: a cleanly closed file is checked within a time budget
/// (zero here: not at all, so the damage goes unseen); a file its last
/// session did not close (its write-ahead log is still there, as after a
/// crash) is checked whole.
#[tokio::test]
async fn a_file_left_open_by_a_crash_is_checked_whole() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    server_requests(dir.path(), &server, 400).await;
    let c = console(dir.path(), "masa1", &server, "agent").await;
    let filed = c.cache.file_request(request("çevrim dışı")).await.unwrap();
    c.cache.close().await;
    damage_requests_table(&c.path).await;

    let (cache, recovery) = Cache::open_or_recover_within(&c.path, c.user.clone(), Duration::ZERO).await.unwrap();
    assert!(recovery.is_none(), "closed cleanly and no budget: not checked");
    // A write goes to the log; a copy of the files now is what a power cut
    // would leave.
    cache.set_meta("son_oturum", "açık").await.unwrap();
    let crashed = dir.path().join("crashed.db");
    std::fs::copy(&c.path, &crashed).unwrap();
    std::fs::copy(with_suffix(&c.path, "-wal"), with_suffix(&crashed, "-wal")).unwrap();
    cache.close().await;

    let (cache, recovery) = Cache::open_or_recover_within(&crashed, c.user.clone(), Duration::ZERO).await.unwrap();
    let r = recovery.expect("checked whole after the crash");
    assert_eq!((r.kept, r.outbox_whole), (1, true));
    assert!(with_suffix(&r.moved_to, "-wal").exists(), "the log goes with the file");
    assert_eq!(cache.outbox().await.unwrap()[0].label.as_deref(), Some(filed.tracking_no.as_str()));
}

/// The process stopped after the damaged file was moved aside and before
/// the new one was put in place: the next open finishes the job, and a log
/// left under the old name is not taken for the new file's.
#[tokio::test]
async fn a_recovery_cut_short_is_finished_at_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("masa1.db");
    let user = LocalUser { id: uuid::Uuid::nil(), username: "agent".into() };
    let rebuilt = Cache::open(&with_suffix(&path, ".rebuild"), user.clone()).await.unwrap();
    rebuilt.set_meta("device_id", "0190d0f8-0000-7000-8000-000000000001").await.unwrap();
    rebuilt.close().await;
    std::fs::write(with_suffix(&path, "-wal"), noise(8192, 3)).unwrap();

    let (cache, recovery) = Cache::open_or_recover(&path, user).await.unwrap();
    assert!(recovery.is_none());
    assert_eq!(cache.device_id().await.unwrap().to_string(), "0190d0f8-0000-7000-8000-000000000001");
    assert!(!with_suffix(&path, ".rebuild").exists());
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.contains(".corrupt-"))
        .collect();
    assert!(leftovers.len() == 1 && leftovers[0].ends_with("-leftover-wal"), "{leftovers:?}");
}

#[tokio::test]
async fn a_full_disk_refuses_new_changes_plainly_and_loses_nothing_saved() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    let c = console(dir.path(), "masa1", &server, "agent").await;
    let pages = c.cache.page_count().await.unwrap();
    assert_eq!(c.cache.set_max_pages_for_tests(Some(pages + 3)).await.unwrap(), pages + 3);

    let mut filed = Vec::new();
    let err = loop {
        match c.cache.file_request(request(&format!("dolana kadar {}", filed.len()))).await {
            Ok(r) => filed.push(r),
            Err(e) => break e,
        }
        assert!(filed.len() < 200, "the cap holds");
    };
    assert!(!filed.is_empty());
    assert!(err.downcast_ref::<DiskFull>().is_some(), "{err:#}");
    assert_eq!(err.to_string(), "disk full: not saved; free space and try again");
    assert_eq!(CacheError::of(&err), CacheError::DiskFull, "the console says it in its language");
    // Refused again, whatever the change.
    let again = c.cache.file_request(request("bir daha")).await.unwrap_err();
    assert!(again.downcast_ref::<DiskFull>().is_some(), "{again:#}");
    // A smaller change may still fit in the pages there are, until it does
    // not either.
    let citizen = |i: usize| NewCitizen {
        full_name: format!("Ali Veli {i}"),
        phones: vec![format!("0532 111 {:02} {:02}", i / 100, i % 100)],
        ..Default::default()
    };
    let mut citizens = Vec::new();
    let refused = loop {
        match c.cache.create_citizen(citizen(citizens.len())).await {
            Ok(saved) => citizens.push(saved),
            Err(e) => break e,
        }
        assert!(citizens.len() < 200, "the cap holds");
    };
    assert!(refused.downcast_ref::<DiskFull>().is_some(), "{refused:#}");

    // Everything saved before is there and waits to be sent.
    assert_eq!(c.cache.outbox().await.unwrap().len(), filed.len() + citizens.len());
    for f in &filed {
        let (view, badge) = c.cache.request(f.id).await.unwrap().unwrap();
        assert_eq!((view.tracking_no.as_str(), badge), (f.tracking_no.as_str(), Badge::NotSent));
    }
    // A sync pushes them, but cannot record the server's answers: it says
    // why, and they stay in the outbox.
    let e = c.engine.sync_once().await.unwrap_err();
    assert_eq!(e.to_string(), "unexpected response: local cache: disk full: not saved; free space and try again");
    assert_eq!(c.cache.outbox().await.unwrap().len(), filed.len() + citizens.len());

    // Space is freed: everything goes out again and is applied once (the
    // server knows the changes by their ids), and new changes are saved.
    c.cache.set_max_pages_for_tests(None).await.unwrap();
    c.engine.sync_once().await.unwrap();
    assert!(c.cache.outbox().await.unwrap().is_empty());
    on_server_exactly_once(&server, &filed).await;
    for saved in &citizens {
        assert!(server.state.store.citizen(saved.id).await.unwrap().is_some());
    }
    c.cache.create_citizen(citizen(999)).await.unwrap();
    let after = c.cache.file_request(request("yer açıldı")).await.unwrap();
    c.engine.sync_once().await.unwrap();
    on_server_exactly_once(&server, &[after]).await;
}

/// The next message other than the sync engine's status reports.
async fn next(rx: &mut tokio::sync::mpsc::UnboundedReceiver<Msg>) -> Msg {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(20), rx.recv()).await.unwrap().unwrap();
        if !matches!(msg, Msg::Sync(_)) {
            return msg;
        }
    }
}

/// The console at sign-in: a cache file that is not a cache is moved aside,
/// and the user is told, after the sign-in message, naming the moved file.
#[tokio::test]
async fn the_console_says_it_rebuilt_its_cache() {
    let dir = tempfile::tempdir().unwrap();
    let state = AppState::open(&format!("sqlite://{}", dir.path().join("server.db").display())).await.unwrap();
    demo::create_demo_users(state.store.as_ref(), &beyazmasa::domain::reference::shipped_taxonomy()).await.unwrap();
    let running = spawn(state, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let base = running.base_url();
    let paths = Paths::in_dir(dir.path());
    let cache_file = paths.cache_db(&base, "agent");
    std::fs::create_dir_all(&paths.data_dir).unwrap();
    std::fs::write(&cache_file, noise(10_000, 11)).unwrap();

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut runner = TaskRunner::new(tx, Mode::Remote { server: base.clone() }, paths.clone(), "Masa 3".into());
    runner.run(Effect::Login { username: "agent".into(), password: demo::DEMO_PASSWORD.into() });
    let Msg::SignedIn(user) = next(&mut rx).await else { panic!("signed in first") };
    let Msg::CacheRecovered(r) = next(&mut rx).await else { panic!("then the recovery") };
    assert_eq!(r.moved_to.parent(), cache_file.parent());
    assert!(r.moved_to.exists() && cache_file.exists());

    let mut state = console_support::new_state(Lang::Tr, Mode::Remote { server: base });
    update::update(&mut state, Msg::SignedIn(user));
    update::update(&mut state, Msg::CacheRecovered(r.clone()));
    let notice = state.notice.as_ref().expect("a notice").text.clone();
    let name = r.moved_to.file_name().unwrap().to_string_lossy().to_string();
    assert!(notice.contains(&name), "{notice}");
    assert!(notice.starts_with("Çevrim dışı önbellek bozuktu"), "{notice}");
    assert!(notice.contains("bir kısmı okunamadı"), "nothing could be read, and it says so: {notice}");
    let text = console_support::screen_text(&console_support::draw(&state, 200, 40));
    assert!(text.contains("Çevrim dışı önbellek bozuktu, kenara alındı:"), "{text}");
    runner.shutdown(Duration::from_secs(2)).await;
    assert!(!with_suffix(&cache_file, "-wal").exists(), "closed cleanly at exit");
}

/// What checking costs at open, on a cache file given in
/// `CACHE_RECOVERY_MEASURE` (an empty cache is made there first if there is
/// none, to be filled by other means). Prints the times.
#[tokio::test]
#[ignore = "a measurement: CACHE_RECOVERY_MEASURE=<cache file>"]
async fn measure_open() {
    let Some(path) = std::env::var_os("CACHE_RECOVERY_MEASURE").map(PathBuf::from) else { return };
    let user = LocalUser { id: uuid::Uuid::nil(), username: "agent".into() };
    if !path.exists() {
        Cache::open(&path, user).await.unwrap().close().await;
        eprintln!("made an empty cache at {}; fill it and run again", path.display());
        return;
    }
    let mb = std::fs::metadata(&path).unwrap().len() / 1_000_000;
    let budget = beyazmasa::client::cache::CHECK_BUDGET;
    for (label, budget) in [("closed cleanly, not checked", Duration::ZERO), ("closed cleanly, budget", budget)] {
        let started = std::time::Instant::now();
        let (cache, recovery) = Cache::open_or_recover_within(&path, user.clone(), budget).await.unwrap();
        eprintln!("{mb} MB, {label}: {:.0} ms", started.elapsed().as_secs_f64() * 1000.0);
        assert!(recovery.is_none());
        cache.close().await;
    }
    // Another handle with a write in its log (a value that changes: SQLite
    // writes nothing for an equal one): the file looks as after a crash.
    let other = Cache::open(&path, user.clone()).await.unwrap();
    other.set_meta("measure", &chrono::Utc::now().to_rfc3339()).await.unwrap();
    let started = std::time::Instant::now();
    let (cache, recovery) = Cache::open_or_recover(&path, user.clone()).await.unwrap();
    eprintln!("{mb} MB, left open (whole check): {:.0} ms", started.elapsed().as_secs_f64() * 1000.0);
    assert!(recovery.is_none());
    cache.close().await;
    other.close().await;
}
