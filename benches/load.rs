//! Load benchmark for the central API on loopback (run: `cargo bench --bench load`).
//!
//! 1. `POST /requests` from concurrent clients: throughput, p50, p99.
//!    Target on a 2-core machine with SQLite: ≥ 2,000 creates/s at p99 ≤ 50 ms.
//! 2. Citizen search over a demo data set (200,000 citizens by default):
//!    p50 and p99 per query kind. Target: p99 ≤ 20 ms.
//!
//! Knobs (environment): BENCH_CREATES (default 20000), BENCH_CLIENTS (32),
//! BENCH_CITIZENS (200000), BENCH_SEARCHES (2000).

use std::sync::Arc;
use std::time::{Duration, Instant};

use beyazmasa::domain::status::Role;
use beyazmasa::server::auth::hash_password;
use beyazmasa::server::demo::{DemoOptions, generate};
use beyazmasa::server::store::NewUser;
use beyazmasa::server::{AppState, spawn};
use serde_json::json;

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn login(http: &reqwest::Client, base: &str, user: &str) -> String {
    let res: serde_json::Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": user, "password": "bench-parola", "device_name": "bench"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    res["token"].as_str().expect("token").to_string()
}

fn main() {
    // `cargo bench` passes --bench; nothing else to parse.
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(run());
}

async fn run() {
    let creates = env_num("BENCH_CREATES", 20_000);
    let clients = env_num("BENCH_CLIENTS", 32);
    let citizens = env_num("BENCH_CITIZENS", 200_000);
    // Set BENCH_CREATES=0 and BENCH_CITIZENS=0 to run parts alone.
    let searches = env_num("BENCH_SEARCHES", 2_000);

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let state = AppState::open(&url).await.unwrap();
    state
        .store
        .create_user(NewUser {
            username: "bench".into(),
            full_name: "Bench".into(),
            password_hash: hash_password("bench-parola").unwrap(),
            role: Role::Agent,
            units: vec![],
            extension: None,
        })
        .await
        .unwrap();
    let server = spawn(state.clone(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let base = server.base_url();
    let http = reqwest::Client::builder().pool_max_idle_per_host(clients).build().unwrap();
    let token = Arc::new(login(&http, &base, "bench").await);

    // ---- 1. creates
    let taxonomy = beyazmasa::domain::reference::shipped_taxonomy();
    let cats: Arc<Vec<String>> = Arc::new(taxonomy.categories.iter().map(|c| c.code.clone()).collect());
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, base, token, cats, next) = (http.clone(), base.clone(), token.clone(), cats.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0usize;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= creates {
                    break;
                }
                let body = json!({
                    "type": "complaint", "channel": "line153", "category": cats[i % cats.len()],
                    "location": {"district": "SAHINBEY", "neighbourhood": "Karataş", "address": "12 Nolu Sokak No 5"},
                    "description": format!("Yük testi başvurusu {i}: iki gündür su yok"), "call_seconds": 120
                });
                let t = Instant::now();
                let res =
                    http.post(format!("{base}/api/v1/requests")).bearer_auth(token.as_str()).json(&body).send().await;
                match res {
                    Ok(r) if r.status().as_u16() == 201 => {
                        let _ = r.bytes().await;
                        lat.push(t.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (lat, errors)
        }));
    }
    let mut lat = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.unwrap();
        lat.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed();
    lat.sort();
    println!(
        "POST /requests: {} created by {clients} clients in {:.2}s = {:.0} creates/s, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms, errors {errors}",
        lat.len(),
        elapsed.as_secs_f64(),
        lat.len() as f64 / elapsed.as_secs_f64(),
        ms(percentile(&lat, 0.5)),
        ms(percentile(&lat, 0.99)),
        ms(*lat.last().unwrap_or(&Duration::ZERO)),
    );
    println!("  target: >= 2000 creates/s at p99 <= 50 ms");

    // ---- 1b. the write path alone (no HTTP): one task, back to back.
    let user = state.store.authenticate(&beyazmasa::server::auth::token_hash(&token)).await.unwrap().unwrap();
    let n = 3000;
    let t = Instant::now();
    for i in 0..n {
        let body: beyazmasa::protocol::NewRequest = serde_json::from_value(json!({
            "type": "complaint", "channel": "line153", "category": cats[i % cats.len()],
            "location": {"district": "SAHINBEY", "neighbourhood": "Karataş"}, "description": format!("servis {i}")
        }))
        .unwrap();
        let op = beyazmasa::protocol::MutationOp::CreateRequest { request: body };
        beyazmasa::server::service::apply_once(&state, &user, op).await.unwrap();
    }
    let e = t.elapsed();
    println!(
        "service::apply (no HTTP, 1 task): {n} creates in {:.2}s = {:.0} creates/s, {:.0} µs each",
        e.as_secs_f64(),
        n as f64 / e.as_secs_f64(),
        e.as_micros() as f64 / n as f64
    );

    // ---- 2. citizen search
    let seeding = Instant::now();
    let opts = DemoOptions { citizens: citizens as u32, requests: 0, seed: 27, now: chrono::Utc::now() };
    generate(state.store.as_ref(), &opts, &mut |_| {}).await.unwrap();
    println!("seeded {citizens} citizens in {:.1}s", seeding.elapsed().as_secs_f64());

    // Queries drawn from the data: phones, last digits, names, typos, ids.
    let mut queries: Vec<(&str, String)> = Vec::new();
    let names = [
        "yilmaz",
        "ahmet kaya",
        "mehmet yildiz",
        "ayse demir",
        "fatma celik",
        "ISIK",
        "ahmed",
        "yilmz",
        "ozturk",
        "sahin",
    ];
    let mut rng_state = 12345u64;
    let mut rnd = || {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        rng_state
    };
    for i in 0..searches {
        match i % 5 {
            0 => queries.push(("name", names[(rnd() % names.len() as u64) as usize].to_string())),
            1 => queries.push(("phone", format!("0532 {:03} {:02} {:02}", rnd() % 1000, rnd() % 100, rnd() % 100))),
            2 => queries.push(("last4", format!("{:04}", rnd() % 10000))),
            3 => queries.push(("address", "karatas mh 12 sk".to_string())),
            _ => queries.push(("tckn", "10000000146".to_string())),
        }
    }
    let mut by_kind: std::collections::BTreeMap<&str, Vec<Duration>> = Default::default();
    let mut all = Vec::new();
    for (kind, q) in &queries {
        let t = Instant::now();
        let res = http
            .get(format!("{base}/api/v1/citizens"))
            .query(&[("q", q.as_str())])
            .bearer_auth(token.as_str())
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "search {q}: {}", res.status());
        let _ = res.bytes().await;
        let d = t.elapsed();
        by_kind.entry(kind).or_default().push(d);
        all.push(d);
    }
    all.sort();
    println!(
        "GET /citizens?q= over {citizens} citizens: {} queries, p50 {:.2} ms, p99 {:.2} ms (target p99 <= 20 ms)",
        all.len(),
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.99))
    );
    for (kind, mut v) in by_kind {
        v.sort();
        println!("  {kind:<8} p50 {:.2} ms  p99 {:.2} ms", ms(percentile(&v, 0.5)), ms(percentile(&v, 0.99)));
    }
    server.shutdown().await;
}
