//! Unit queue speed: `cargo bench --bench queue`.
//!
//! With BENCH_QUEUE (default 50,000) open requests in one unit's queue:
//! 1. loading the queue from the offline cache (a real SQLite file);
//! 2. filtering (a filter typed key by key) and sorting: per keystroke,
//!    target ≤ 16 ms;
//! 3. opening a request (the detail: the request with its timeline and its
//!    citizen from the cache): target ≤ 5 ms;
//! 4. a bulk resolve of BENCH_BULK (500) requests on a representative's
//!    console reaching a real server on loopback: target ≤ 2 s.

use std::sync::Arc;
use std::time::{Duration, Instant};

use beyazmasa::client::api::ApiClient;
use beyazmasa::client::cache::{Cache, LocalUser};
use beyazmasa::client::sync::SyncEngine;
use beyazmasa::console::input::LineInput;
use beyazmasa::console::queue::{QueueState, SortKey};
use beyazmasa::domain::model::{Channel, Priority, RequestType};
use beyazmasa::domain::status::{Role, Status};
use beyazmasa::protocol::{Action, Entity, EventKind, Location, NewRequest, Request, TimelineEvent};
use beyazmasa::server::{AppState, demo, spawn};
use chrono::{Duration as Span, Utc};
use uuid::Uuid;

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn report(name: &str, mut samples: Vec<Duration>, target_ms: f64) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p = |q: f64| ms(samples[((samples.len() - 1) as f64 * q).round() as usize]);
    let verdict = if p(0.99) <= target_ms { "ok" } else { "OVER TARGET" };
    println!(
        "{name:<44} n={:<6} p50 {:>8.3} ms  p99 {:>8.3} ms  max {:>8.3} ms  (target ≤ {target_ms} ms: {verdict})",
        samples.len(),
        p(0.5),
        p(0.99),
        ms(*samples.last().unwrap())
    );
}

const PLACES: &[&str] = &["Karataş", "Düztepe", "Akkent", "Beykent", "Fıstıklık", "Mavikent", "Barak", "Vatan"];
const CATEGORIES: &[&str] = &["SU_KESINTISI", "SU_ARIZA", "KANAL_TIKANIKLIK", "SU_FATURA", "SU_SAYAC"];

fn request(i: usize) -> Request {
    let now = Utc::now();
    let at = now - Span::minutes((i * 7 % 50_000) as i64);
    let statuses = [Status::Forwarded, Status::InProgress, Status::Waiting, Status::Reopened];
    Request {
        id: Uuid::now_v7(),
        tracking_no: format!("27-B{i:06}"),
        kind: RequestType::Complaint,
        channel: Channel::Line185,
        category: CATEGORIES[i % CATEGORIES.len()].into(),
        unit: "GASKI".into(),
        status: statuses[i % statuses.len()],
        priority: [Priority::Normal, Priority::High, Priority::Low, Priority::Urgent][i % 4],
        location: Some(Location {
            district: "SAHINBEY".into(),
            neighbourhood: Some(PLACES[i % PLACES.len()].into()),
            address: Some(format!("{} Sokak No {}", i % 300, i % 90)),
            lat: None,
            lon: None,
        }),
        description: format!("Sokakta {} gündür su yok, komşularda da yok. Kayıt {i}.", i % 5 + 1),
        citizen_id: None,
        created_by: Uuid::nil(),
        assigned_to: i.is_multiple_of(3).then(|| format!("ekip-{}", i % 12)),
        duplicate_of: None,
        co_reporters: vec![],
        sla_due_at: at + Span::hours(((i * 13) % 200) as i64),
        paused_at: None,
        contacts: (i % 7) as u32,
        call_seconds: Some(60),
        created_at: at,
        updated_at: at,
        version: i as i64 + 1,
        timeline: vec![
            TimelineEvent {
                id: Uuid::now_v7(),
                at,
                actor: "agent".into(),
                kind: EventKind::Created,
                status: Some(Status::Registered),
                unit: None,
                text: None,
                internal: false,
            },
            TimelineEvent {
                id: Uuid::now_v7(),
                at,
                actor: "gaski".into(),
                kind: EventKind::Note,
                status: None,
                unit: None,
                text: Some(format!("vana {} kontrol edilecek", i % 40)),
                internal: true,
            },
        ],
    }
}

async fn local_queue(dir: &std::path::Path, n: usize) {
    let cache =
        Cache::open(&dir.join("queue.db"), LocalUser { id: Uuid::nil(), username: "gaski".into() }).await.unwrap();
    let start = Instant::now();
    let mut batch = Vec::with_capacity(1000);
    for i in 0..n {
        batch.push(Entity::Request(Box::new(request(i))));
        if batch.len() == 1000 {
            cache.apply_snapshot_batch(&batch).await.unwrap();
            batch.clear();
        }
    }
    cache.apply_snapshot_batch(&batch).await.unwrap();
    println!("queue cache: {n} open requests written in {:.1} s", start.elapsed().as_secs_f64());

    let start = Instant::now();
    let rows = cache.unit_queue(&["GASKI".to_string()], 100_000).await.unwrap();
    let load = start.elapsed();
    println!("loading the queue from the cache: {} rows in {:.0} ms", rows.len(), load.as_secs_f64() * 1000.0);
    let ids: Vec<Uuid> = rows.iter().map(|(r, _)| r.id).collect();

    let now = Utc::now();
    let mut q = QueueState::for_user(Role::UnitRep, &["GASKI".to_string()]);
    q.rows_arrived(rows, now);
    assert_eq!(q.visible.len(), n);

    let mut typing = Vec::new();
    for text in ["karatas", "su yok", "m:dustepe a:ekip-3", "27-B0123", "vana 17"] {
        q.filter = LineInput::default();
        for c in text.chars() {
            q.filter.insert_str(c.encode_utf8(&mut [0; 4]));
            let start = Instant::now();
            q.refilter(now);
            typing.push(start.elapsed());
        }
    }
    report("filter, per keystroke", typing, 16.0);
    q.filter = LineInput::default();
    let mut sorting = Vec::new();
    for i in 0..40 {
        q.sort = SortKey::ALL[i % SortKey::ALL.len()];
        q.overdue_only = i % 5 == 0;
        let start = Instant::now();
        q.refilter(now);
        sorting.push(start.elapsed());
    }
    report("sort or toggle over the whole queue", sorting, 16.0);

    let mut open = Vec::new();
    for i in 0..500 {
        let id = ids[(i * 97) % ids.len()];
        let start = Instant::now();
        let (r, _) = cache.request(id).await.unwrap().unwrap();
        if let Some(c) = r.citizen_id {
            cache.citizen(c).await.unwrap();
        }
        open.push(start.elapsed());
    }
    report("open a request (detail from the cache)", open, 5.0);
}

async fn bulk_resolve(dir: &std::path::Path, n: usize) {
    let state = AppState::open(&format!("sqlite://{}", dir.join("server.db").display())).await.unwrap();
    demo::create_demo_users(state.store.as_ref(), &beyazmasa::domain::reference::shipped_taxonomy()).await.unwrap();
    let server = spawn(state, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let base = server.base_url();
    let console = |name: &'static str, user: &'static str| {
        let base = base.clone();
        let path = dir.join(format!("{name}.db"));
        async move {
            let probe = Cache::open(&path, LocalUser { id: Uuid::nil(), username: user.into() }).await.unwrap();
            let device = probe.device_id().await.unwrap();
            drop(probe);
            let login = ApiClient::new(&base).login(user, demo::DEMO_PASSWORD, name, Some(device)).await.unwrap();
            let cache =
                Arc::new(Cache::open(&path, LocalUser { id: login.user.id, username: user.into() }).await.unwrap());
            let engine = SyncEngine::new(cache.clone(), ApiClient::new(&base).with_token(login.token)).await.unwrap();
            engine.sync_once().await.unwrap();
            (cache, engine)
        }
    };
    let (agent, agent_sync) = console("agent-desk", "agent").await;
    for i in 0..n {
        let mut r = NewRequest::new(RequestType::Complaint, Channel::Line185, "SU_KESINTISI", &format!("su yok {i}"));
        r.location =
            Some(Location {
                district: "SAHINBEY".into(), neighbourhood: Some("Karataş".into()), ..Default::default()
            });
        agent.file_request(r).await.unwrap();
        if i % 100 == 99 {
            agent_sync.sync_once().await.unwrap(); // more tracking numbers
        }
    }
    agent_sync.sync_once().await.unwrap();
    let (rep, rep_sync) = console("gaski-desk", "gaski").await;
    let queue = rep.unit_queue(&["GASKI".to_string()], 10_000).await.unwrap();
    assert_eq!(queue.len(), n);

    let start = Instant::now();
    for (r, _) in &queue {
        rep.act(r.id, Action::Resolve { reply: format!("{} giderildi", r.tracking_no) }).await.unwrap();
    }
    let saved = start.elapsed();
    rep_sync.sync_once().await.unwrap();
    let total = start.elapsed();
    let resolved = server
        .state
        .store
        .list_requests(&beyazmasa::server::store::RequestFilter {
            units: vec!["GASKI".into()],
            statuses: vec!["resolved".into()],
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .items
        .len();
    assert_eq!(resolved, n, "every request resolved on the server");
    let verdict = if total.as_secs_f64() <= 2.0 { "ok" } else { "OVER TARGET" };
    println!(
        "bulk resolve of {n}: saved locally in {:.0} ms, on the server after {:.0} ms (target ≤ 2000 ms: {verdict})",
        saved.as_secs_f64() * 1000.0,
        total.as_secs_f64() * 1000.0
    );
    server.shutdown().await;
}

fn main() {
    let n = env_num("BENCH_QUEUE", 50_000);
    let bulk = env_num("BENCH_BULK", 500);
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(local_queue(dir.path(), n));
    rt.block_on(bulk_resolve(dir.path(), bulk));
}
