//! Crash safety: a headless console files requests in a loop and is killed
//! with SIGKILL at random moments and at named fault points, then restarted,
//! over and over. Nothing it reported as saved may be lost, and nothing may
//! be applied twice.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use beyazmasa::domain::status::Role;
use beyazmasa::server::{AppState, spawn};

mod sync_support;
use sync_support::{PASSWORD, all_server_requests};

const FAULTS: [&str; 4] = ["after_local_commit", "after_push_before_ack", "after_push_applied", "mid_pull_page"];

struct Drill {
    saved: HashMap<String, String>,
    contacted: HashSet<String>,
}

fn run_child(
    base: &str,
    dir: &std::path::Path,
    count: u32,
    fault: Option<&str>,
    kill_after: Option<Duration>,
    d: &mut Drill,
) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_beyazmasa"));
    cmd.args(["sync-drill", "--server", base, "--username", "agent", "--count", &count.to_string()])
        .arg("--data-dir")
        .arg(dir)
        .env("BEYAZMASA_PASSWORD", PASSWORD)
        .env_remove("BEYAZMASA_FAULT")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(f) = fault {
        cmd.env("BEYAZMASA_FAULT", f);
    }
    let mut child = cmd.spawn().expect("start the drill");
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || BufReader::new(stdout).lines().map_while(Result::ok).collect::<Vec<_>>());
    if let Some(after) = kill_after {
        let start = Instant::now();
        while start.elapsed() < after {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = child.kill(); // SIGKILL
    }
    let _ = child.wait();
    let lines = reader.join().unwrap();
    let mut last = String::new();
    for l in lines {
        let parts: Vec<&str> = l.split_whitespace().collect();
        match parts.as_slice() {
            ["SAVED", id, no] => {
                d.saved.insert(id.to_string(), no.to_string());
            }
            ["CONTACT", id] => {
                d.contacted.insert(id.to_string());
            }
            // The restart checks the whole file (the kill left its log):
            // a kill must never leave a file that looks damaged.
            ["RECOVERED", ..] => panic!("a killed console's cache was taken for damaged: {l}"),
            _ => last = l.clone(),
        }
    }
    last
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_consoles_lose_nothing_and_apply_nothing_twice() {
    let rounds: usize = std::env::var("CRASH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let dir = tempfile::tempdir().unwrap();
    let state = AppState::open(&format!("sqlite://{}", dir.path().join("server.db").display())).await.unwrap();
    sync_support::create_users(&state, &[("agent", Role::Agent, &[])]).await;
    let server = spawn(state, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let base = server.base_url();
    let console_dir = dir.path().join("console");

    let mut d = Drill { saved: HashMap::new(), contacted: HashSet::new() };
    let mut rng = 0x2545F4914F6CDD1Du64;
    let base2 = base.clone();
    let console_dir2 = console_dir.clone();
    let d = tokio::task::spawn_blocking(move || {
        for round in 0..rounds {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            if round % 2 == 0 {
                // A named fault point: the process exits there by itself.
                let fault = FAULTS[(round / 2) % FAULTS.len()];
                run_child(&base2, &console_dir2, 3, Some(fault), Some(Duration::from_secs(20)), &mut d);
            } else {
                // SIGKILL at a random moment.
                let after = Duration::from_millis(rng % 400);
                run_child(&base2, &console_dir2, 3, None, Some(after), &mut d);
            }
        }
        let summary = run_child(&base2, &console_dir2, 0, None, None, &mut d);
        (d, summary)
    })
    .await
    .unwrap();
    let (d, summary) = d;
    assert_eq!(summary, "PENDING 0 REJECTED 0 CONFLICT 0", "the final sync left work behind");
    assert!(d.saved.len() >= rounds / 4, "too few requests were saved to mean anything: {}", d.saved.len());

    let all = all_server_requests(&server).await;
    let on_server: HashMap<String, _> = all.iter().map(|r| (r.id.to_string(), r)).collect();
    for (id, no) in &d.saved {
        let r = on_server.get(id).unwrap_or_else(|| panic!("saved request {no} was lost"));
        assert_eq!(&r.tracking_no, no, "tracking number changed");
    }
    let numbers: HashSet<&str> = all.iter().map(|r| r.tracking_no.as_str()).collect();
    assert_eq!(numbers.len(), all.len(), "a tracking number was issued twice");
    for r in &all {
        assert!(r.contacts <= 1, "{}: contact applied {} times", r.tracking_no, r.contacts);
        if d.contacted.contains(&r.id.to_string()) {
            assert_eq!(r.contacts, 1, "{}: a saved contact was lost", r.tracking_no);
        }
    }
    println!("{rounds} kills, {} requests reported saved, {} on the server", d.saved.len(), all.len());
}

/// The snapshot image path: a console stopped in the middle of copying the
/// server's image into its cache (the fault point `mid_image_copy`) starts
/// again on the cache it had, not a damaged or half-copied one, and its
/// requests are all there and sent once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_stopped_mid_image_copy_keeps_its_cache() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = AppState::open(&format!("sqlite://{}", dir.path().join("server.db").display())).await.unwrap();
    let images = beyazmasa::server::images::Images::new(Some(dir.path().join("server.db.images"))).for_any_size();
    state.images = std::sync::Arc::new(images);
    sync_support::create_users(&state, &[("agent", Role::Agent, &[])]).await;
    let server = spawn(state, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let base = server.base_url();
    let console = dir.path().join("console");
    let other = dir.path().join("other");
    let cache = console.join("cache.db");
    // SQL on the console's cache between runs, while no console is running.
    let rt = tokio::runtime::Handle::current();
    let sql = move |path: &std::path::Path, q: &'static str| -> i64 {
        let url = format!("sqlite://{}", path.display());
        rt.block_on(async {
            let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
            let n = match q.starts_with("SELECT") {
                true => sqlx::query_scalar(q).fetch_one(&pool).await.unwrap(),
                false => sqlx::query(q).execute(&pool).await.unwrap().rows_affected() as i64,
            };
            pool.close().await;
            n
        })
    };

    let (d, cache_requests) = tokio::task::spawn_blocking(move || {
        let mut d = Drill { saved: HashMap::new(), contacted: HashSet::new() };
        // Some data on the server (the first console loads the stream and
        // asks the server for an image), then this console's own requests.
        run_child(&base, &other, 20, None, None, &mut d);
        run_child(&base, &console, 3, None, None, &mut d);
        let count = |path: &std::path::Path| sql(path, "SELECT count(*) FROM requests") as usize;
        let before = count(&cache);
        assert!(before >= 23, "the console holds what it loaded and filed: {before}");
        for round in 0..5 {
            // The server asks for a resync: the console loads the image again
            // and is stopped in the middle of copying it.
            assert_eq!(sql(&cache, "DELETE FROM meta WHERE key IN ('cursor', 'epoch')"), 2);
            let status = Command::new(env!("CARGO_BIN_EXE_beyazmasa"))
                .args(["sync-drill", "--server", &base, "--username", "agent", "--count", "0"])
                .arg("--data-dir")
                .arg(&console)
                .env("BEYAZMASA_PASSWORD", PASSWORD)
                .env("BEYAZMASA_FAULT", "mid_image_copy")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            assert_eq!(status.code(), Some(86), "round {round}: the copy was under way when it stopped");
            // What it had is there, whole (a damaged file would print
            // RECOVERED and fail the drill), and it works on from there.
            assert_eq!(count(&cache), before + round, "round {round}");
            run_child(&base, &console, 1, None, None, &mut d);
        }
        let summary = run_child(&base, &console, 0, None, None, &mut d);
        assert_eq!(summary, "PENDING 0 REJECTED 0 CONFLICT 0");
        (d, count(&cache))
    })
    .await
    .unwrap();
    let all = all_server_requests(&server).await;
    assert_eq!(all.len(), 28, "20 + 3 + 5 requests, each once");
    assert_eq!(cache_requests, 28, "the console holds them all");
    for (id, no) in &d.saved {
        let r = all.iter().find(|r| r.id.to_string() == *id).unwrap_or_else(|| panic!("{no} lost"));
        assert_eq!(&r.tracking_no, no);
    }
}
