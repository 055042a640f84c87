//! Wallboard benchmark (run: `cargo bench --bench stats`): every
//! `GET /api/v1/stats/*` endpoint over a real HTTP server on loopback, on a
//! SQLite database of 1,000,000 requests. Prints p50 and p99 per endpoint.
//! Target: p99 ≤ 50 ms each.
//!
//! The database is built once, under `target/bench-stats/`: the store
//! creates and migrates it, then rows go in by multi-row inserts in large
//! transactions, written as the store writes them (request rows with their
//! escalation columns, timeline events, change feed, counters). Two years
//! of filings (about 1,400 a day, busiest in office hours); requests close
//! with age, leaving an open backlog of recent work plus a stale tail of
//! old ones. Later runs reuse the file and only add the filings of the time
//! since it was last topped up, so "today" always has data.
//!
//! Knobs (environment): BENCH_REQUESTS (default 1000000), BENCH_ROUNDS
//! (requests per endpoint, default 300), BENCH_REBUILD=1 (build afresh),
//! BENCH_ONLY=text (only the endpoints whose label contains it).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use beyazmasa::domain::calendar::WorkCalendar;
use beyazmasa::domain::model::{Channel, Priority, RequestType};
use beyazmasa::domain::reference::{Category, Taxonomy};
use beyazmasa::domain::status::{Role, Status};
use beyazmasa::domain::tracking::TrackingNumber;
use beyazmasa::server::auth::hash_password;
use beyazmasa::server::demo::{self, Weighted};
use beyazmasa::server::stats::{self, Scope};
use beyazmasa::server::store::NewUser;
use beyazmasa::server::{AppState, spawn};
use chrono::{DateTime, Duration as TimeDelta, Utc};
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};
use serde_json::{Value, json};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, Sqlite, SqliteConnection};
use uuid::Uuid;

const PASSWORD: &str = "bench-parola";
const AGENTS: usize = 40;
const DAYS: i64 = 730;

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(run());
}

/// One request row as the store writes it (`put_request`), with its events.
struct Row {
    id: Uuid,
    serial: u32,
    kind: RequestType,
    channel: Channel,
    category: String,
    unit: String,
    status: Status,
    priority: Priority,
    district: String,
    neighbourhood: String,
    description: String,
    created_by: Uuid,
    assigned_to: Option<String>,
    sla_due_at: DateTime<Utc>,
    paused_at: Option<DateTime<Utc>>,
    contacts: u32,
    call_seconds: Option<u32>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    events: Vec<Event>,
}

/// kind, status, unit, at.
type Event = (&'static str, Option<Status>, Option<String>, DateTime<Utc>);

struct Generator {
    rng: StdRng,
    taxonomy: Taxonomy,
    places: Weighted<(String, String)>,
    categories: Weighted<usize>,
    channels: Weighted<Channel>,
    hours: Weighted<u32>,
    agents: Vec<Uuid>,
}

impl Generator {
    fn new(seed: u64, agents: Vec<Uuid>) -> Generator {
        let taxonomy = beyazmasa::domain::reference::shipped_taxonomy();
        let places = beyazmasa::domain::reference::shipped_places();
        let categories = Weighted::new(taxonomy.categories.iter().enumerate().map(|(i, c)| {
            let w = match c.group.as_str() {
                "su" | "temizlik" | "yol" => 40,
                "kanalizasyon" | "ulasim" | "park" | "zabita" => 25,
                _ if c.emergency => 1,
                _ => 10,
            };
            (i, w)
        }));
        Generator {
            rng: StdRng::seed_from_u64(seed),
            places: Weighted::new(places.districts.iter().flat_map(|d| {
                d.neighbourhoods
                    .iter()
                    .map(move |n| ((d.code.clone(), n.name.clone()), u64::from(n.population.unwrap_or(200))))
            })),
            categories,
            taxonomy,
            channels: Weighted::new(demo::CHANNEL_MIX),
            // Local hours: quiet at night, busiest in office hours.
            hours: Weighted::new((0..24).map(|h| {
                let w = match h {
                    0..=6 => 2,
                    7 | 22 | 23 => 5,
                    8..=17 => 20,
                    _ => 10,
                };
                (h, w)
            })),
            agents,
        }
    }

    fn uuid_at(&mut self, t: DateTime<Utc>) -> Uuid {
        demo::det_uuid(&mut self.rng, t)
    }

    /// A filing time on a local day (midnight `day_start`), never after `now`.
    fn time_on(&mut self, day_start: DateTime<Utc>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let hour = *self.hours.pick(&mut self.rng);
        let t = day_start + TimeDelta::hours(i64::from(hour)) + TimeDelta::seconds(self.rng.random_range(0..3600));
        (t <= now).then_some(t)
    }

    fn request(&mut self, serial: u32, created_at: DateTime<Utc>, now: DateTime<Utc>) -> Row {
        let rng = &mut self.rng;
        let cat: &Category = &self.taxonomy.categories[*self.categories.pick(rng)];
        let (district, neighbourhood) = self.places.pick(rng).clone();
        let unit = self.taxonomy.route(cat, Some(&district));
        let channel = *self.channels.pick(rng);
        let age_days = (now - created_at).num_minutes() as f64 / 1440.0;
        // Younger requests are more often open; 2 % of old ones never closed.
        let open_prob = if age_days < 1.0 {
            0.9
        } else if age_days < 30.0 {
            0.6 - 0.5 * (age_days / 30.0)
        } else {
            0.02
        };
        let status = if cat.out_of_remit {
            Status::OutOfRemit
        } else if rng.random_bool(open_prob) {
            match rng.random_range(0..100) {
                0..50 => Status::Forwarded,
                50..85 => Status::InProgress,
                85..95 => Status::Waiting,
                _ => Status::Reopened,
            }
        } else {
            match rng.random_range(0..100) {
                0..20 => Status::Resolved,
                20..40 => Status::Informed,
                40..94 => Status::Closed,
                94..97 => Status::Duplicate,
                _ => Status::Cancelled,
            }
        };
        let agent = self.agents[rng.random_range(0..self.agents.len())];
        let later = |rng: &mut StdRng| (created_at + TimeDelta::minutes(rng.random_range(5..2 * 1440))).min(now);
        let mut events = vec![
            ("created", Some(Status::Registered), Some(unit.clone()), created_at),
            ("forwarded", Some(Status::Forwarded), Some(unit.clone()), created_at),
        ];
        let mut updated_at = created_at;
        let mut sla_due_at = WorkCalendar::shipped().due(created_at, cat.sla);
        let mut paused_at = None;
        let mut assigned_to = None;
        if rng.random_bool(0.005) {
            let at = later(rng);
            events.push(("rerouted", Some(Status::Forwarded), Some(unit.clone()), at));
            events.push(("escalated", None, None, at));
            updated_at = updated_at.max(at);
        }
        if status == Status::Reopened || (status.is_open() && rng.random_bool(0.01)) {
            let at = later(rng);
            events.push(("resolved", Some(Status::Resolved), None, at));
            events.push(("reopened", Some(Status::Reopened), None, at));
            sla_due_at = WorkCalendar::shipped().due(at, cat.sla);
            updated_at = updated_at.max(at);
        }
        if status != Status::Forwarded && status != Status::Reopened {
            let at = later(rng).max(updated_at);
            let kind = match status {
                Status::InProgress => "accepted",
                Status::Waiting => "status_changed",
                Status::Resolved => "resolved",
                Status::Informed => "citizen_informed",
                _ => "status_changed",
            };
            events.push((kind, Some(status), None, at));
            updated_at = at;
            if status == Status::Waiting {
                paused_at = Some(at);
            }
            if status != Status::OutOfRemit {
                assigned_to = Some(format!("{} ekip {}", unit.to_lowercase(), rng.random_range(1..6)));
            }
        }
        let contacts = if rng.random_bool(0.03) { rng.random_range(1..6) } else { 0 };
        Row {
            id: Uuid::nil(),
            serial,
            kind: if cat.group == "tesekkur" { RequestType::Thanks } else { RequestType::Complaint },
            channel,
            category: cat.code.clone(),
            unit,
            status,
            priority: if rng.random_bool(0.05) { Priority::High } else { cat.priority },
            description: format!("{} - {neighbourhood} Mah.", cat.name_tr),
            district,
            neighbourhood,
            created_by: agent,
            assigned_to,
            sla_due_at,
            paused_at,
            contacts,
            call_seconds: channel.is_phone().then(|| rng.random_range(40..420)),
            created_at,
            updated_at,
            events,
        }
        .with_id(self.uuid_at(created_at))
    }
}

impl Row {
    fn with_id(mut self, id: Uuid) -> Row {
        self.id = id;
        self
    }

    /// The store keeps the last escalation and reopening on the row.
    fn last_event(&self, kind: &str) -> Option<i64> {
        self.events.iter().filter(|e| e.0 == kind).map(|e| e.3.timestamp_millis()).max()
    }
}

async fn connect(path: &Path) -> SqliteConnection {
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Off)
        .pragma("cache_size", "-256000");
    SqliteConnection::connect_with(&opts).await.unwrap()
}

/// Writes rows, their events and change-feed entries; keeps the change and
/// serial counters in step.
async fn insert(conn: &mut SqliteConnection, rows: &[Row], gen_ids: &mut StdRng) {
    let mut tx = conn.begin().await.unwrap();
    let last_seq: i64 =
        sqlx::query_scalar("UPDATE counters SET value = value + ? WHERE name = 'change_seq' RETURNING value")
            .bind(rows.len() as i64)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    let first_seq = last_seq - rows.len() as i64 + 1;
    let max_serial = rows.iter().map(|r| r.serial).max().unwrap_or(0);
    sqlx::query("UPDATE counters SET value = max(value, ?) WHERE name = 'serial'")
        .bind(i64::from(max_serial))
        .execute(&mut *tx)
        .await
        .unwrap();
    for (chunk_no, chunk) in rows.chunks(300).enumerate() {
        let base = first_seq + (chunk_no * 300) as i64;
        let mut qb = sqlx::QueryBuilder::<Sqlite>::new(
            "INSERT INTO requests (id, tracking_no, kind, channel, category, unit, status, priority, district, \
             neighbourhood, address, lat, lon, description, search_key, citizen_id, created_by, assigned_to, \
             duplicate_of, co_reporters, sla_due_at, paused_at, contacts, call_seconds, created_at, updated_at, version, \
             escalated_at, reopened_at) ",
        );
        qb.push_values(chunk.iter().enumerate(), |mut b, (i, r)| {
            let tracking = TrackingNumber::from_serial(r.serial).unwrap().to_string();
            let search_key = beyazmasa::domain::text::fold(&format!("{tracking} {}", r.description));
            b.push_bind(r.id.to_string())
                .push_bind(tracking)
                .push_bind(r.kind.as_str())
                .push_bind(r.channel.as_str())
                .push_bind(r.category.clone())
                .push_bind(r.unit.clone())
                .push_bind(r.status.as_str())
                .push_bind(r.priority.as_str())
                .push_bind(r.district.clone())
                .push_bind(r.neighbourhood.clone())
                .push_bind(None::<String>)
                .push_bind(None::<f64>)
                .push_bind(None::<f64>)
                .push_bind(r.description.clone())
                .push_bind(search_key)
                .push_bind(None::<String>)
                .push_bind(r.created_by.to_string())
                .push_bind(r.assigned_to.clone())
                .push_bind(None::<String>)
                .push_bind("[]")
                .push_bind(r.sla_due_at.timestamp_millis())
                .push_bind(r.paused_at.map(|t| t.timestamp_millis()))
                .push_bind(i64::from(r.contacts))
                .push_bind(r.call_seconds.map(i64::from))
                .push_bind(r.created_at.timestamp_millis())
                .push_bind(r.updated_at.timestamp_millis())
                .push_bind(base + i as i64)
                .push_bind(r.last_event("escalated"))
                .push_bind(r.last_event("reopened"));
        });
        qb.build().execute(&mut *tx).await.unwrap();

        let mut events = Vec::new();
        for (i, r) in chunk.iter().enumerate() {
            for (kind, status, unit, at) in &r.events {
                let mut rand = [0u8; 10];
                gen_ids.fill_bytes(&mut rand);
                let id = uuid::Builder::from_unix_timestamp_millis(at.timestamp_millis() as u64, &rand).into_uuid();
                events.push((id, r.id, base + i as i64, *kind, *status, unit.clone(), *at));
            }
        }
        for events in events.chunks(1000) {
            let mut qb = sqlx::QueryBuilder::<Sqlite>::new(
                "INSERT INTO request_events (id, request_id, seq, at, actor, kind, status, unit, text, internal) ",
            );
            qb.push_values(events, |mut b, (id, rid, seq, kind, status, unit, at)| {
                b.push_bind(id.to_string())
                    .push_bind(rid.to_string())
                    .push_bind(*seq)
                    .push_bind(at.timestamp_millis())
                    .push_bind("bench")
                    .push_bind(*kind)
                    .push_bind(status.map(|s| s.as_str()))
                    .push_bind(unit.clone())
                    .push_bind(None::<String>)
                    .push_bind(false);
            });
            qb.build().execute(&mut *tx).await.unwrap();
        }
        let mut qb = sqlx::QueryBuilder::<Sqlite>::new("INSERT INTO changes (seq, entity, entity_id) ");
        qb.push_values(chunk.iter().enumerate(), |mut b, (i, r)| {
            b.push_bind(base + i as i64).push_bind("request").push_bind(r.id.to_string());
        });
        qb.build().execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
}

/// Local midnight of the Istanbul day `days` days before `now`'s.
fn local_midnight(now: DateTime<Utc>, days: i64) -> DateTime<Utc> {
    let date = beyazmasa::server::stats::local_date(now) - TimeDelta::days(days);
    date.and_hms_opt(0, 0, 0).unwrap().and_utc() - TimeDelta::hours(3)
}

/// Files `per_day` requests a day for the local days from `from` (exclusive
/// of what is before it) up to `now`.
async fn fill(
    conn: &mut SqliteConnection,
    g: &mut Generator,
    from: DateTime<Utc>,
    now: DateTime<Utc>,
    per_day: usize,
    mut serial: u32,
    progress: bool,
) -> u32 {
    let mut id_rng = StdRng::seed_from_u64(serial as u64 ^ 0x5eed);
    let days = (now - from).num_days() + 1;
    let mut batch = Vec::with_capacity(40_000);
    let started = Instant::now();
    let mut done = 0usize;
    for d in (0..=days).rev() {
        let day = local_midnight(now, d);
        let mut times: Vec<DateTime<Utc>> =
            (0..per_day).filter_map(|_| g.time_on(day, now)).filter(|t| *t > from).collect();
        times.sort();
        for t in times {
            serial += 1;
            batch.push(g.request(serial, t, now));
        }
        if batch.len() >= 30_000 || d == 0 {
            insert(conn, &batch, &mut id_rng).await;
            done += batch.len();
            batch.clear();
            if progress {
                eprint!("\r  {done} requests, {:.0} s", started.elapsed().as_secs_f64());
            }
        }
    }
    if progress {
        eprintln!();
    }
    serial
}

/// Finished calls today for every agent (about 45 each by the end of the day).
async fn calls_today(conn: &mut SqliteConnection, agents: &[(String, String)], now: DateTime<Utc>) {
    let start = local_midnight(now, 0);
    let have: i64 = sqlx::query_scalar("SELECT count(*) FROM cti_calls WHERE ended_at >= ?")
        .bind(start.timestamp_millis())
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    if have > 0 {
        return;
    }
    let mut rng = StdRng::seed_from_u64(7);
    let mut tx = conn.begin().await.unwrap();
    for (username, ext) in agents {
        let mut t = start + TimeDelta::hours(8);
        while t < now {
            let ring = t;
            let answered = rng.random_bool(0.95).then(|| ring + TimeDelta::seconds(rng.random_range(2..20)));
            let end = answered.unwrap_or(ring) + TimeDelta::seconds(rng.random_range(30..400));
            if end > now {
                break;
            }
            sqlx::query(
                "INSERT INTO cti_calls (extension, username, ringing_at, answered_at, ended_at) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(ext)
            .bind(username)
            .bind(ring.timestamp_millis())
            .bind(answered.map(|a| a.timestamp_millis()))
            .bind(end.timestamp_millis())
            .execute(&mut *tx)
            .await
            .unwrap();
            t = end + TimeDelta::seconds(rng.random_range(20..300));
        }
    }
    tx.commit().await.unwrap();
}

fn db_path(requests: usize) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("bench-stats").join(format!("stats-{requests}.db"))
}

async fn meta(conn: &mut SqliteConnection, key: &str) -> Option<String> {
    sqlx::query_scalar("SELECT value FROM meta WHERE key = ?").bind(key).fetch_optional(&mut *conn).await.unwrap()
}

async fn set_meta(conn: &mut SqliteConnection, key: &str, value: String) {
    sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(key)
        .bind(value)
        .execute(&mut *conn)
        .await
        .unwrap();
}

/// Builds the database (or tops it up) and returns the agents (username, extension).
async fn prepare(path: &Path, requests: usize) -> Vec<(String, String)> {
    let agents: Vec<(String, String)> =
        (1..=AGENTS).map(|i| (format!("agent{i:02}"), format!("{}", 2000 + i))).collect();
    let per_day = requests.div_ceil(DAYS as usize);
    let now = Utc::now();
    let rebuild = std::env::var("BENCH_REBUILD").is_ok_and(|v| v == "1");
    if rebuild || !path.exists() {
        let tmp = path.with_extension("building");
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", tmp.display()));
        }
        eprintln!("building {} ({requests} requests; reused by later runs)", path.display());
        let started = Instant::now();
        {
            // The store creates and migrates the file, and the users.
            let store = beyazmasa::server::store::open(&format!("sqlite://{}", tmp.display())).await.unwrap();
            let hash = hash_password(PASSWORD).unwrap();
            let mut users = vec![
                ("lead".to_string(), Role::Lead, vec![], None),
                ("gaski".to_string(), Role::UnitRep, vec!["GASKI".to_string()], None),
            ];
            users.extend(agents.iter().map(|(u, e)| (u.clone(), Role::Agent, vec![], Some(e.clone()))));
            for (username, role, units, extension) in users {
                let full_name = username.clone();
                store
                    .create_user(NewUser { username, full_name, password_hash: hash.clone(), role, units, extension })
                    .await
                    .unwrap();
            }
        }
        let mut conn = connect(&tmp).await;
        let ids: Vec<Uuid> =
            sqlx::query_scalar::<_, String>("SELECT id FROM users WHERE role = 'agent' ORDER BY username")
                .fetch_all(&mut conn)
                .await
                .unwrap()
                .iter()
                .map(|s| s.parse().unwrap())
                .collect();
        let mut g = Generator::new(153, ids);
        let from = local_midnight(now, DAYS);
        let serial = fill(&mut conn, &mut g, from - TimeDelta::seconds(1), now, per_day, 0, true).await;
        set_meta(&mut conn, "bench_until", now.timestamp_millis().to_string()).await;
        set_meta(&mut conn, "bench_serial", serial.to_string()).await;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
        // A stale WAL beside the old file would be replayed into the new one.
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        std::fs::rename(&tmp, path).unwrap();
        eprintln!("built in {:.0} s", started.elapsed().as_secs_f64());
    }
    // Top up: the filings since the last run, at the same daily rate.
    let mut conn = connect(path).await;
    let until: i64 = meta(&mut conn, "bench_until").await.and_then(|v| v.parse().ok()).unwrap_or(0);
    let serial: u32 = meta(&mut conn, "bench_serial").await.and_then(|v| v.parse().ok()).unwrap_or(0);
    let until = DateTime::from_timestamp_millis(until).unwrap_or(now);
    if until < now {
        let ids: Vec<Uuid> = sqlx::query_scalar::<_, String>("SELECT id FROM users WHERE role = 'agent'")
            .fetch_all(&mut conn)
            .await
            .unwrap()
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let mut g = Generator::new(until.timestamp_millis() as u64, ids);
        let serial = fill(&mut conn, &mut g, until, now, per_day, serial, false).await;
        set_meta(&mut conn, "bench_until", now.timestamp_millis().to_string()).await;
        set_meta(&mut conn, "bench_serial", serial.to_string()).await;
    }
    calls_today(&mut conn, &agents, now).await;
    conn.close().await.unwrap();
    agents
}

async fn login(http: &reqwest::Client, base: &str, user: &str) -> String {
    let res: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": user, "password": PASSWORD, "device_name": "bench"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    res["token"].as_str().expect("token").to_string()
}

async fn run() {
    let requests = env_num("BENCH_REQUESTS", 1_000_000);
    let rounds = env_num("BENCH_ROUNDS", 300);
    let path = db_path(requests);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let agents = prepare(&path, requests).await;

    let state = AppState::open(&format!("sqlite://{}", path.display())).await.unwrap();
    let server = spawn(state.clone(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let base = server.base_url();
    let http = reqwest::Client::new();
    let lead = login(&http, &base, "lead").await;
    let gaski = login(&http, &base, "gaski").await;
    // Every agent signed in; 25 on a call, 5 ringing.
    for (i, (user, ext)) in agents.iter().enumerate() {
        let token = login(&http, &base, user).await;
        http.get(format!("{base}/api/v1/auth/me")).bearer_auth(&token).send().await.unwrap();
        let events: &[&str] = match i {
            0..25 => &["ringing", "answered"],
            25..30 => &["ringing"],
            _ => &[],
        };
        for e in events {
            http.post(format!("{base}/api/v1/cti/calls"))
                .bearer_auth(&lead)
                .json(&json!({"ani": "05321234567", "extension": ext, "event": e}))
                .send()
                .await
                .unwrap();
        }
    }

    // The time until the whole body has arrived; parsing it is the client's
    // business and not counted.
    let get = async |path: &str, token: &str| -> (Duration, Vec<u8>) {
        let t = Instant::now();
        let res = http.get(format!("{base}/api/v1{path}")).bearer_auth(token).send().await.unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
        let body = res.bytes().await.unwrap();
        (t.elapsed(), body.to_vec())
    };
    let json = |body: Vec<u8>| -> Value { serde_json::from_slice(&body).unwrap() };
    let units = json(get("/stats/units", &lead).await.1);
    let intake = json(get("/stats/intake", &lead).await.1);
    let esc = json(get("/stats/escalations", &lead).await.1);
    let total: i64 =
        sqlx::query_scalar("SELECT count(*) FROM requests").fetch_one(&mut connect(&path).await).await.unwrap();
    println!(
        "data: {total} requests; open {} (new {}, in progress {}, waiting {}), overdue {}, due within 2 h {}; \
         filed today {}; bounced {}, reopened {}, chased 3+ {}",
        units["total"]["open"],
        units["total"]["new"],
        units["total"]["in_progress"],
        units["total"]["waiting"],
        units["total"]["overdue"],
        units["total"]["due_soon"],
        intake["today"],
        esc["bounced"]["total"],
        esc["reopened"]["total"],
        esc["repeat_contacts"]["total"],
    );

    let endpoints: &[(&str, &str)] = &[
        ("/stats/units", lead.as_str()),
        ("/stats/units?unit=GASKI", lead.as_str()),
        ("/stats/units (unit rep)", gaski.as_str()),
        ("/stats/aging", lead.as_str()),
        ("/stats/aging?unit=FEN_ISLERI", lead.as_str()),
        ("/stats/sla", lead.as_str()),
        ("/stats/sla?unit=GASKI", lead.as_str()),
        ("/stats/sla?limit=1000", lead.as_str()),
        ("/stats/intake", lead.as_str()),
        ("/stats/agents", lead.as_str()),
        ("/stats/hotspots", lead.as_str()),
        ("/stats/hotspots?unit=CEVRE&limit=100", lead.as_str()),
        ("/stats/escalations", lead.as_str()),
        ("/stats/escalations?limit=1000", lead.as_str()),
        ("/stats/wallboard", lead.as_str()),
    ];
    println!("GET over loopback, {rounds} requests each after 20 warm-up ones (target p99 <= 50 ms):");
    let mut worst = Duration::ZERO;
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    for (label, token) in endpoints.iter().filter(|(l, _)| l.contains(&only)) {
        let path = label.split(' ').next().unwrap();
        for _ in 0..20 {
            get(path, token).await;
        }
        let mut lat = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            lat.push(get(path, token).await.0);
        }
        lat.sort();
        let p99 = percentile(&lat, 0.99);
        worst = worst.max(p99);
        println!(
            "  {label:<40} p50 {:>6.2} ms  p99 {:>6.2} ms  max {:>6.2} ms",
            ms(percentile(&lat, 0.5)),
            ms(p99),
            ms(*lat.last().unwrap())
        );
    }
    println!(
        "worst p99 {:.2} ms: {}",
        ms(worst),
        if worst <= Duration::from_millis(50) { "ok" } else { "OVER TARGET" }
    );

    // The same panes without HTTP and JSON: the store and the pane code alone.
    println!("store only (no HTTP, no JSON), {rounds} each:");
    let users = state.store.list_users().await.unwrap();
    let all = Scope::All;
    for label in [
        "units",
        "aging",
        "sla",
        "sla limit=1000",
        "intake",
        "agents",
        "hotspots",
        "escalations",
        "escalations limit=1000",
        "wallboard",
    ]
    .into_iter()
    .filter(|l| l.contains(&only))
    {
        let mut lat = Vec::with_capacity(rounds);
        for i in 0..rounds + 20 {
            let now = Utc::now();
            let live = state.live.snapshot(now);
            let t = Instant::now();
            let mut r = state.store.stats_reader().await.unwrap();
            let r = r.as_mut();
            match label {
                "units" => drop(stats::units(r, &all, now).await.unwrap()),
                "aging" => drop(stats::aging(r, &all, now).await.unwrap()),
                "sla" => drop(stats::sla(r, &all, now, 50).await.unwrap()),
                "sla limit=1000" => drop(stats::sla(r, &all, now, 1000).await.unwrap()),
                "intake" => drop(stats::intake(r, now).await.unwrap()),
                "agents" => drop(stats::agents(r, &users, &live, now).await.unwrap()),
                "hotspots" => drop(stats::hotspots(r, &all, now, 10).await.unwrap()),
                "escalations" => drop(stats::escalations(r, &all, now, 50).await.unwrap()),
                "escalations limit=1000" => drop(stats::escalations(r, &all, now, 1000).await.unwrap()),
                _ => drop(stats::wallboard(r, &users, &live, now, 50).await.unwrap()),
            }
            if i >= 20 {
                lat.push(t.elapsed());
            }
        }
        lat.sort();
        println!("  {label:<40} p50 {:>6.2} ms  p99 {:>6.2} ms", ms(percentile(&lat, 0.5)), ms(percentile(&lat, 0.99)));
    }
    server.shutdown().await;
}
