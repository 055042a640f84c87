//! The console's lists of open requests over its offline cache: the
//! duplicate radar (`Cache::nearby_open`) and a unit's queue
//! (`Cache::unit_queue`), with requests pulled from the real server and
//! some filed locally and not yet sent.

use std::time::Instant;

use beyazmasa::client::cache::{Badge, Cache, LocalUser};
use beyazmasa::domain::model::{Channel, RequestType};
use beyazmasa::domain::reference::Category;
use beyazmasa::domain::status::{Role, Status};
use beyazmasa::protocol::{Action, Location, NewRequest, Request};
use beyazmasa::server::RunningServer;

mod sync_support;
use chrono::{Duration, Utc};
use sqlx::sqlite::SqliteConnectOptions;
use sync_support::synced_console as console;

/// Two categories routed to one unit whatever the district.
fn categories() -> (Category, Category) {
    let t = beyazmasa::domain::reference::shipped_taxonomy();
    let plain = |c: &&Category| c.district_units.is_empty() && !c.emergency && !c.out_of_remit;
    let water = t.categories.iter().filter(plain).find(|c| c.default_unit == "GASKI").unwrap().clone();
    let other = t.categories.iter().filter(plain).find(|c| c.default_unit != "GASKI").unwrap().clone();
    (water, other)
}

async fn server(dir: &std::path::Path, other_unit: &str) -> RunningServer {
    let units = ["GASKI", other_unit];
    let users = [("agent", Role::Agent, &[][..]), ("agent2", Role::Agent, &[]), ("birim", Role::UnitRep, &units)];
    sync_support::server(dir, &users).await
}

fn request(category: &Category, district: &str, neighbourhood: &str, hours_ago: i64, text: &str) -> NewRequest {
    NewRequest {
        location: Some(Location {
            district: district.into(),
            neighbourhood: Some(neighbourhood.into()),
            ..Default::default()
        }),
        created_at: Some(Utc::now() - Duration::hours(hours_ago)),
        ..NewRequest::new(RequestType::Complaint, Channel::Line153, &category.code, text)
    }
}

fn numbers(list: &[(Request, Badge)]) -> Vec<&str> {
    list.iter().map(|(r, _)| r.tracking_no.as_str()).collect()
}

#[tokio::test]
async fn the_duplicate_radar_and_the_unit_queue_list_open_requests() {
    let (water, other) = categories();
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), &other.default_unit).await;
    let a = console(dir.path(), "masa1", &server, "agent").await;
    let unit = console(dir.path(), "birim1", &server, "birim").await;

    // Filed by A and sent: spellings vary, the server stores them canonically.
    let days3 = a.cache.file_request(request(&water, "Şahinbey", "Karataş", 72, "Su yok 3 gündür")).await.unwrap();
    let hour1 = a.cache.file_request(request(&water, "sahinbey", "karatas mahallesi", 1, "Su yok")).await.unwrap();
    let old = a.cache.file_request(request(&water, "SAHINBEY", "Karataş", 24 * 30, "Eski su arızası")).await.unwrap();
    let elsewhere = a.cache.file_request(request(&water, "SAHINBEY", "Akyol", 2, "Akyol'da su yok")).await.unwrap();
    // Oğuzeli has a Karataş too.
    let namesake = a.cache.file_request(request(&water, "Oğuzeli", "Karataş", 2, "Oğuzeli'de su yok")).await.unwrap();
    let other_cat = a.cache.file_request(request(&other, "SAHINBEY", "Karataş", 3, "Başka konu")).await.unwrap();
    let cancelled = a.cache.file_request(request(&water, "SAHINBEY", "Karataş", 4, "Yanlış kayıt")).await.unwrap();
    let resolved = a.cache.file_request(request(&water, "SAHINBEY", "Karataş", 5, "Giderildi")).await.unwrap();
    a.engine.sync_once().await.unwrap();
    a.cache.act(cancelled.id, Action::Cancel { reason: "Yanlış kayıt".into() }).await.unwrap();
    a.engine.sync_once().await.unwrap();
    unit.engine.sync_once().await.unwrap();
    unit.cache.act(resolved.id, Action::Resolve { reply: "Arıza giderildi".into() }).await.unwrap();
    unit.engine.sync_once().await.unwrap();

    // The second console pulls all that and files one itself, unsent.
    let b = console(dir.path(), "masa2", &server, "agent2").await;
    let local = b.cache.file_request(request(&water, "sahinbey", "KARATAŞ", 0, "Yine su yok")).await.unwrap();
    assert_eq!(b.cache.request_count().await.unwrap(), 9);

    let week_ago = Utc::now() - Duration::days(7);
    let expected = [local.tracking_no.as_str(), &hour1.tracking_no, &days3.tracking_no];
    for (district, neighbourhood) in
        [("SAHINBEY", "Karataş"), ("Şahinbey", "karatas"), ("sahinbey", "karatas mh"), (" ŞAHİNBEY ", "KARATAŞ")]
    {
        let found = b.cache.nearby_open(&water.code, district, neighbourhood, week_ago, 10).await.unwrap();
        assert_eq!(numbers(&found), expected, "{district} / {neighbourhood}");
    }
    let found = b.cache.nearby_open(&water.code, "SAHINBEY", "Karataş", week_ago, 10).await.unwrap();
    let badges: Vec<&Badge> = found.iter().map(|(_, b)| b).collect();
    assert_eq!(badges, [&Badge::NotSent, &Badge::Sent, &Badge::Sent]);
    let two = b.cache.nearby_open(&water.code, "SAHINBEY", "Karataş", week_ago, 2).await.unwrap();
    assert_eq!(numbers(&two), &expected[..2]);
    let with_old = b.cache.nearby_open(&water.code, "SAHINBEY", "Karataş", Utc::now() - Duration::days(60), 10);
    assert_eq!(numbers(&with_old.await.unwrap()).last(), Some(&old.tracking_no.as_str()));
    let akyol = b.cache.nearby_open(&water.code, "Şahinbey", "akyol", week_ago, 10).await.unwrap();
    assert_eq!(numbers(&akyol), [elsewhere.tracking_no.as_str()]);
    let other_found = b.cache.nearby_open(&other.code, "SAHINBEY", "Karataş", week_ago, 10).await.unwrap();
    assert_eq!(numbers(&other_found), [other_cat.tracking_no.as_str()]);
    let namesakes = b.cache.nearby_open(&water.code, "oguzeli", "karatas", week_ago, 10).await.unwrap();
    assert_eq!(numbers(&namesakes), [namesake.tracking_no.as_str()]);
    assert!(b.cache.nearby_open(&water.code, "Şehitkamil", "Karataş", week_ago, 10).await.unwrap().is_empty());

    // The unit queue: open requests of the units, due soonest first.
    let units = vec!["GASKI".to_string(), other.default_unit.clone()];
    let queue = b.cache.unit_queue(&units, 100).await.unwrap();
    let mut expected: Vec<&Request> = vec![&days3, &hour1, &old, &elsewhere, &namesake, &other_cat, &local];
    expected.sort_by_key(|r| (r.sla_due_at.timestamp_millis(), r.id.to_string()));
    assert_eq!(numbers(&queue), expected.iter().map(|r| r.tracking_no.as_str()).collect::<Vec<_>>());
    assert!(queue.iter().all(|(r, _)| !r.status.is_closed()));
    assert!(queue.windows(2).all(|w| w[0].0.sla_due_at <= w[1].0.sla_due_at));
    assert_eq!(queue[0].0.tracking_no, old.tracking_no, "the oldest is the most overdue");
    let top = b.cache.unit_queue(&units, 2).await.unwrap();
    assert_eq!(numbers(&top), numbers(&queue[..2]));
    let other_only = b.cache.unit_queue(std::slice::from_ref(&other.default_unit), 10).await.unwrap();
    assert_eq!(numbers(&other_only), [other_cat.tracking_no.as_str()]);
    assert!(b.cache.unit_queue(&[], 10).await.unwrap().is_empty());

    // A closing action taken here takes the request off both lists at once.
    b.cache.act(hour1.id, Action::Cancel { reason: "Mükerrer kayıt".into() }).await.unwrap();
    let found = b.cache.nearby_open(&water.code, "SAHINBEY", "Karataş", week_ago, 10).await.unwrap();
    assert_eq!(numbers(&found), [local.tracking_no.as_str(), &days3.tracking_no]);
    assert_eq!(b.cache.unit_queue(&units, 100).await.unwrap().len(), 6);
    assert_eq!(b.cache.request(hour1.id).await.unwrap().unwrap().0.status, Status::Cancelled);
}

/// The lists with 1,000,000 requests in the cache. Slow to set up (about
/// 30 s and several hundred MB of temporary disk in a debug build), so run
/// by hand: `cargo test --test cache_lists -- --ignored --nocapture`. Both
/// lists took about 10 ms there (loading and parsing the rows shown).
#[tokio::test]
#[ignore]
async fn the_lists_stay_fast_with_a_million_requests() {
    let (water, _) = categories();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.db");
    let cache = Cache::open(&path, LocalUser { id: uuid::Uuid::nil(), username: "agent".into() }).await.unwrap();
    cache.add_serial_block(beyazmasa::protocol::SerialBlock { start: 1, end: 1000 }).await.unwrap();
    let template = cache.file_request(request(&water, "SAHINBEY", "Karataş", 1, "Şablon")).await.unwrap();

    // Copies of it, spread over 400 days, 40 categories, 50 neighbourhoods and
    // all statuses (about a fifth open).
    let started = Instant::now();
    let opts = SqliteConnectOptions::new().filename(&path);
    let pool = sqlx::SqlitePool::connect_with(opts).await.unwrap();
    let statuses = r#""registered","forwarded","in_progress","resolved","informed","closed","closed","closed","cancelled","closed""#;
    // The cache packs what it stores; plain JSON, as here, reads too.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000), \
         s(k, v) AS (SELECT key, value FROM json_each('[{statuses}]')) \
         INSERT INTO requests (id, server, view, tracking_no, unit, status, created_at, category, district, \
         neighbourhood, sla_due_at) \
         SELECT printf('00000000-0000-7000-8000-%012d', i), NULL, \
         json_set(?1, '$.id', printf('00000000-0000-7000-8000-%012d', i), '$.timeline', json('[]')), \
         printf('B%07d', i), CASE i % 40 WHEN 0 THEN 'GASKI' ELSE 'UNIT' || (i % 40) END, \
         (SELECT v FROM s WHERE k = i % 10), \
         r.created_at - (i % 400) * 86400000 - i, \
         CASE i % 40 WHEN 0 THEN r.category ELSE 'CAT' || (i % 40) END, 'SAHINBEY', \
         CASE i % 50 WHEN 0 THEN 'Karataş' ELSE 'Mahalle' || (i % 50) END, \
         r.sla_due_at - (i % 400) * 86400000 + i \
         FROM n, requests r WHERE r.id = '{}'",
        template.id
    )))
    .bind(serde_json::to_string(&template).unwrap())
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    pool.close().await;
    println!("inserted 1,000,000 requests in {:.1?}", started.elapsed());
    assert_eq!(cache.request_count().await.unwrap(), 1_000_001);

    let since = Utc::now() - Duration::days(90);
    let mut worst = std::time::Duration::ZERO;
    for _ in 0..20 {
        let t = Instant::now();
        let found = cache.nearby_open(&water.code, "sahinbey", "karatas", since, 20).await.unwrap();
        worst = worst.max(t.elapsed());
        assert!(!found.is_empty());
        assert!(found.windows(2).all(|w| w[0].0.created_at >= w[1].0.created_at));
    }
    println!("nearby_open, 20 hits: worst {worst:.1?}");
    let mut worst = std::time::Duration::ZERO;
    let units: Vec<String> = ["GASKI", "UNIT1", "UNIT2", "UNIT3"].map(String::from).to_vec();
    for _ in 0..20 {
        let t = Instant::now();
        let queue = cache.unit_queue(&units, 50).await.unwrap();
        worst = worst.max(t.elapsed());
        assert_eq!(queue.len(), 50);
    }
    println!("unit_queue, 4 units, 50 rows: worst {worst:.1?}");
    assert!(worst < std::time::Duration::from_millis(250), "{worst:?}");
}
