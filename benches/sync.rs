//! Sync benchmark: `cargo bench --bench sync` (issue 4's targets).
//!
//! 1. A fresh console's snapshot of BENCH_CITIZENS (200,000) citizens and
//!    BENCH_REQUESTS (1,000,000) requests: from an empty cache to a finished
//!    bootstrap (`sync_once` on a new cache), target ≤ 15 s; the cache file
//!    on disk after it, target < 1.5 GB; the console's peak memory (VmHWM),
//!    target < 300 MB. The console runs in a child process (this binary again,
//!    in console mode), so its memory is its own and not the server's.
//! 2. A delta of BENCH_DELTA (1,000) changes made on the server through the
//!    API after the snapshot, pulled by that console's `sync_once`: target
//!    ≤ 300 ms.
//! 3. Forward to visible: BENCH_CONSOLES (200) consoles connected by SSE, each
//!    a running `SyncEngine` with its listener; console A files (forwards) a
//!    request for GASKI and the time until it is in the cache of console B,
//!    GASKI's representative, is taken BENCH_FORWARDS (100) times: target
//!    p99 ≤ 500 ms.
//!
//! The server database of part 1 is built once with the demo generator and
//! kept under `target/bench-sync/`, named by its sizes (delete it to rebuild).
//! Runs change it a little (the delta's notes, logins), never its size much.
//! The snapshot asks for BENCH_MONTHS (36) months of history: the demo data
//! span two years, so the console loads every request. Set BENCH_REQUESTS=0
//! and BENCH_CITIZENS=0, or BENCH_CONSOLES=0, to run a part alone;
//! BENCH_KEEP_CACHE=1 keeps part 1's console cache for a look.
//!
//! Part 1 first has the server build its snapshot image for agents (timed
//! and reported on its own: the server does it once, in the background, for
//! every console after), then times the fresh console, which downloads and
//! adopts it. BENCH_STREAM=1 turns images off and times the NDJSON stream.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use beyazmasa::client::api::ApiClient;
use beyazmasa::client::cache::{Cache, LocalUser};
use beyazmasa::client::sync::{SyncEngine, SyncHandle};
use beyazmasa::domain::model::{Channel, RequestType};
use beyazmasa::protocol::{Action, Location, Mutation, MutationOp, NewRequest, Outcome, PushRequest};
use beyazmasa::server::demo::{self, DemoOptions};
use beyazmasa::server::store::RequestFilter;
use beyazmasa::server::{AppState, spawn};
use chrono::{Timelike, Utc};
use uuid::Uuid;

/// Set (to the server's URL) in the child process that plays the console.
const CHILD: &str = "BEYAZMASA_SYNC_BENCH_CONSOLE";

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "ok" } else { "OVER TARGET" }
}

/// This process's peak resident set (VmHWM), in kB.
fn peak_rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The bytes a SQLite database takes on disk, with its WAL.
fn db_size(path: &Path) -> u64 {
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", path.display())).ok())
        .map(|m| m.len())
        .sum()
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_048_576.0
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    if let Ok(server) = std::env::var(CHILD) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        return rt.block_on(console_child(&server));
    }
    let citizens = env_num("BENCH_CITIZENS", 200_000);
    let requests = env_num("BENCH_REQUESTS", 1_000_000);
    let consoles = env_num("BENCH_CONSOLES", 200);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    println!("sync bench on {} cores", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    if citizens + requests > 0 {
        rt.block_on(snapshot_and_delta(citizens as u32, requests as u32));
    }
    if consoles > 0 {
        rt.block_on(forward_to_visible(consoles.max(2), env_num("BENCH_FORWARDS", 100)));
    }
}

// ------------------------------------------------------------ parts 1 and 2

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

/// The server database with the demo data of these sizes, built on first use.
async fn server_db(citizens: u32, requests: u32) -> PathBuf {
    let dir = target_dir().join("bench-sync");
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join(format!("server-c{citizens}-r{requests}.db"));
    let done = db.with_extension("done");
    if done.exists() && db.exists() {
        return db;
    }
    for s in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{s}", db.display()));
    }
    let started = Instant::now();
    let store = beyazmasa::server::store::open(&format!("sqlite://{}", db.display())).await.unwrap();
    // Today, to the day: the data end here and span two years back.
    let now = Utc::now().with_hour(0).and_then(|t| t.with_minute(0)).and_then(|t| t.with_second(0)).unwrap();
    let opts = DemoOptions { citizens, requests, seed: 27, now };
    let mut last = Instant::now();
    demo::generate(store.as_ref(), &opts, &mut |p| {
        if last.elapsed() > Duration::from_secs(10) {
            eprintln!("  building the server database: citizens {}, requests {}", p.citizens_done, p.requests_done);
            last = Instant::now();
        }
    })
    .await
    .unwrap();
    drop(store);
    std::fs::write(&done, "").unwrap();
    println!(
        "server database built in {:.0} s ({:.0} MB): {}",
        started.elapsed().as_secs_f64(),
        mb(db_size(&db)),
        db.display()
    );
    db
}

/// Lines from the console child: `SNAPSHOT entities seconds`, then (after
/// `delta` on its stdin) `DELTA pulled seconds`, then `RSS kB`.
async fn snapshot_and_delta(citizens: u32, requests: u32) {
    let months = env_num("BENCH_MONTHS", 36);
    let delta = env_num("BENCH_DELTA", 1000);
    let db = server_db(citizens, requests).await;
    let mut state = AppState::open(&format!("sqlite://{}", db.display())).await.unwrap();
    let stream_only = std::env::var_os("BENCH_STREAM").is_some();
    let images = beyazmasa::server::images::Images::new(
        (!stream_only).then(|| PathBuf::from(format!("{}.images", db.display()))),
    );
    state.images = Arc::new(images.with_min_seq(0));
    let server = spawn(state.clone(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let base = server.base_url();
    let work = tempfile::tempdir_in(target_dir()).unwrap();
    if !stream_only {
        // The server builds the agents' image once, in the background, on
        // the first console's demand; every console after it downloads it.
        let login = ApiClient::new(&base).login("agent", demo::DEMO_PASSWORD, "bench-image", None).await.unwrap();
        let api = ApiClient::new(&base).with_token(login.token);
        let dest = work.path().join("probe.image");
        let t = Instant::now();
        let image = loop {
            if let Some(h) = api.snapshot_image(months as u32, &dest, |_, _| {}).await.unwrap() {
                break h;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        println!(
            "server-built snapshot image (at sequence {}): ready in {:.1} s, {:.2} GB",
            image.seq,
            t.elapsed().as_secs_f64(),
            std::fs::metadata(&dest).map(|m| m.len()).unwrap_or(0) as f64 / 1e9
        );
        let _ = std::fs::remove_file(&dest);
    }

    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .env(CHILD, &base)
        .env("BENCH_CONSOLE_DIR", work.path())
        .env("BENCH_MONTHS", months.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut to_child = child.stdin.take().unwrap();
    let (line_tx, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = line_tx.send(l);
        }
    });
    let mut expect = async |tag: &str| -> Vec<String> {
        loop {
            let l = lines.recv().await.unwrap_or_else(|| panic!("the console child ended before {tag}"));
            let mut parts = l.split_whitespace().map(String::from);
            if parts.next().as_deref() == Some(tag) {
                return parts.collect();
            }
            println!("  console: {l}");
        }
    };

    let snap = expect("SNAPSHOT").await;
    let (loaded, secs): (u64, f64) = (snap[0].parse().unwrap(), snap[1].parse().unwrap());
    let cache_bytes = db_size(&work.path().join("cache.db"));
    println!(
        "fresh console snapshot: {loaded} entities ({citizens} citizens, {requests} requests, {months} months) in {secs:.1} s = {:.0}/s (target ≤ 15 s: {})",
        loaded as f64 / secs,
        verdict(secs <= 15.0)
    );
    println!(
        "  cache file after the snapshot, with its WAL: {:.2} GB = {:.0} MiB (target < 1.5 GB: {})",
        cache_bytes as f64 / 1e9,
        mb(cache_bytes),
        verdict(cache_bytes < 1_500_000_000)
    );

    // 2. Changes on the server, through the API: notes by the shift lead.
    let lead = ApiClient::new(&base).login("lead", demo::DEMO_PASSWORD, "bench-lead", None).await.unwrap();
    let lead_api = ApiClient::new(&base).with_token(lead.token.clone());
    let mut ids = Vec::new();
    let mut before = None;
    while ids.len() < delta {
        let page = state
            .store
            .list_requests(&RequestFilter { limit: 500, before_id: before, ..Default::default() })
            .await
            .unwrap();
        ids.extend(page.items.iter().map(|r| r.id));
        match page.next_cursor {
            Some(c) => before = Some(c.parse().unwrap()),
            None => break,
        }
    }
    ids.truncate(delta);
    let t = Instant::now();
    for chunk in ids.chunks(100) {
        let mutations = chunk
            .iter()
            .map(|id| Mutation {
                mutation_id: Uuid::now_v7(),
                op: MutationOp::RequestAction {
                    request_id: *id,
                    base_version: None,
                    action: Action::Note { text: "Ekip yola çıktı (bench).".into(), internal: true },
                },
            })
            .collect();
        let res = lead_api.push(&PushRequest { device_id: lead.device_id, mutations }).await.unwrap();
        assert!(res.results.iter().all(|r| matches!(r.outcome, Outcome::Applied { .. })), "every note applied");
    }
    println!("  {} changes made on the server in {:.0} ms", ids.len(), ms(t.elapsed()));
    writeln!(to_child, "delta").unwrap();
    let d = expect("DELTA").await;
    let (pulled, secs): (u64, f64) = (d[0].parse().unwrap(), d[1].parse().unwrap());
    println!(
        "delta of {} changes: sync_once pulled {pulled} in {:.0} ms (target ≤ 300 ms: {})",
        ids.len(),
        secs * 1000.0,
        verdict(secs <= 0.3)
    );
    let rss: u64 = expect("RSS").await[0].parse().unwrap();
    println!(
        "  console peak memory (VmHWM, its own process): {:.0} MB (target < 300 MB: {})",
        rss as f64 / 1024.0,
        verdict(rss < 300 * 1024)
    );
    println!("  server peak memory (VmHWM, this process): {:.0} MB", peak_rss_kb() as f64 / 1024.0);
    drop(to_child);
    let _ = child.wait();
    if std::env::var_os("BENCH_KEEP_CACHE").is_some() {
        println!("  the console's cache is kept in {}", work.keep().display());
    }
    server.shutdown().await;
}

/// The console side of parts 1 and 2, in its own process.
async fn console_child(server: &str) {
    let dir = PathBuf::from(std::env::var("BENCH_CONSOLE_DIR").unwrap());
    let months = env_num("BENCH_MONTHS", 36) as u32;
    let path = dir.join("cache.db");
    let probe = Cache::open(&path, LocalUser { id: Uuid::nil(), username: "agent".into() }).await.unwrap();
    let device = probe.device_id().await.unwrap();
    drop(probe);
    let login = ApiClient::new(server).login("agent", demo::DEMO_PASSWORD, "bench", Some(device)).await.unwrap();
    let cache = Arc::new(Cache::open(&path, LocalUser { id: login.user.id, username: "agent".into() }).await.unwrap());
    let mut engine = SyncEngine::new(cache.clone(), ApiClient::new(server).with_token(login.token)).await.unwrap();
    engine.snapshot_months = months;
    let t = Instant::now();
    let report = engine.sync_once().await.unwrap();
    println!("SNAPSHOT {} {}", report.snapshot, t.elapsed().as_secs_f64());
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).unwrap();
    let t = Instant::now();
    let report = engine.sync_once().await.unwrap();
    println!("DELTA {} {}", report.pulled, t.elapsed().as_secs_f64());
    println!("RSS {}", peak_rss_kb());
}

// ------------------------------------------------------------ part 3

struct Desk {
    cache: Arc<Cache>,
    handle: SyncHandle,
}

/// A console with its engine running (sync loop and event listener).
async fn desk(dir: &Path, base: &str, name: &str, user: &str) -> (Desk, tokio::task::JoinHandle<()>) {
    let path = dir.join(format!("{name}.db"));
    let probe = Cache::open(&path, LocalUser { id: Uuid::nil(), username: user.into() }).await.unwrap();
    let device = probe.device_id().await.unwrap();
    drop(probe);
    let login = ApiClient::new(base).login(user, demo::DEMO_PASSWORD, name, Some(device)).await.unwrap();
    let cache = Arc::new(Cache::open(&path, LocalUser { id: login.user.id, username: user.into() }).await.unwrap());
    let engine = SyncEngine::new(cache.clone(), ApiClient::new(base).with_token(login.token)).await.unwrap();
    let handle = engine.handle();
    let task = tokio::spawn(engine.run());
    (Desk { cache, handle }, task)
}

/// Waits until the console's first sync has finished.
async fn synced(d: &mut Desk) {
    let _ = tokio::time::timeout(Duration::from_secs(60), d.handle.status.wait_for(|s| s.last_sync.is_some())).await;
}

async fn forward_to_visible(consoles: usize, forwards: usize) {
    let dir = tempfile::tempdir().unwrap();
    let state = AppState::open(&format!("sqlite://{}", dir.path().join("server.db").display())).await.unwrap();
    demo::create_demo_users(state.store.as_ref(), &beyazmasa::domain::reference::shipped_taxonomy()).await.unwrap();
    let server = spawn(state.clone(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let base = server.base_url();
    let users: Vec<String> = state.store.list_users().await.unwrap().into_iter().map(|u| u.username).collect();

    let t = Instant::now();
    let (mut a, a_task) = desk(dir.path(), &base, "desk-a", "agent").await;
    let (mut b, b_task) = desk(dir.path(), &base, "desk-b", "gaski").await;
    let mut tasks = vec![a_task, b_task];
    let mut others = Vec::new();
    for i in 2..consoles {
        let user = &users[i % users.len()];
        let (d, task) = desk(dir.path(), &base, &format!("desk-{i}"), user).await;
        others.push(d);
        tasks.push(task);
    }
    synced(&mut a).await;
    synced(&mut b).await;
    for d in &mut others {
        synced(d).await;
    }
    println!("{consoles} consoles connected and synced in {:.1} s", t.elapsed().as_secs_f64());

    let category = beyazmasa::domain::reference::shipped_taxonomy()
        .categories
        .iter()
        .find(|c| c.default_unit == "GASKI" && !c.emergency && !c.out_of_remit)
        .unwrap()
        .code
        .clone();
    let mut samples = Vec::with_capacity(forwards);
    let mut missed = 0;
    for i in 0..forwards {
        tokio::time::sleep(Duration::from_millis(50)).await;
        b.handle.status.borrow_and_update();
        let start = Instant::now();
        let r = a
            .cache
            .file_request(NewRequest {
                location: Some(Location {
                    district: "SAHINBEY".into(),
                    neighbourhood: Some("Karataş".into()),
                    ..Default::default()
                }),
                ..NewRequest::new(RequestType::Complaint, Channel::Line153, &category, &format!("Su yok, kayıt {i}"))
            })
            .await
            .unwrap();
        a.handle.sync_now();
        let seen = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                if let Some((v, _)) = b.cache.request(r.id).await.unwrap()
                    && v.version > 0
                {
                    assert_eq!(v.unit, "GASKI");
                    return;
                }
                if b.handle.status.changed().await.is_err() {
                    return;
                }
            }
        })
        .await;
        match seen {
            Ok(()) => samples.push(start.elapsed()),
            Err(_) => missed += 1,
        }
    }
    samples.sort();
    let p = |q: f64| ms(samples[((samples.len() - 1) as f64 * q).round() as usize]);
    println!(
        "forward to visible with {consoles} consoles on SSE: n={} p50 {:.0} ms  p99 {:.0} ms  max {:.0} ms, missed (> 10 s) {missed} (target p99 ≤ 500 ms: {})",
        samples.len(),
        p(0.5),
        p(0.99),
        ms(*samples.last().unwrap()),
        verdict(missed == 0 && p(0.99) <= 500.0)
    );
    let queue = b.cache.unit_queue(&["GASKI".to_string()], 10_000).await.unwrap();
    assert_eq!(queue.len(), samples.len() + missed, "every forwarded request is in GASKI's queue");
    // Every stream kept up: each console pulls every change, so after a
    // moment each cache holds every request filed.
    let t = Instant::now();
    let mut behind = others.len() + 2;
    while behind > 0 && t.elapsed() < Duration::from_secs(10) {
        behind = 0;
        for d in others.iter().chain([&a, &b]) {
            if d.cache.request_count().await.unwrap() < forwards as i64 {
                behind += 1;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    match behind {
        0 => println!("  every one of the {consoles} consoles holds all {forwards} requests: ok"),
        n => println!("  {n} of the {consoles} consoles still miss some of the {forwards} requests after 10 s: FAILED"),
    }
    for t in tasks {
        t.abort();
    }
    server.shutdown().await;
}
