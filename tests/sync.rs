//! Offline cache and sync, with the real server, the real sync engine and
//! real SQLite files: filing offline, lost responses through a faulty
//! loopback proxy, and two consoles converging.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use beyazmasa::client::api::ApiClient;
use beyazmasa::client::cache::Badge;
use beyazmasa::client::sync::SyncEngine;
use beyazmasa::protocol::{Action, CitizenPatch, NewCitizen, NewRequest};
use beyazmasa::server::{AppState, RunningServer, spawn};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

mod sync_support;
use sync_support::{AGENTS, Console, PASSWORD, all_server_requests, console, server, server_at};

/// The `i`th request filed offline in these tests, with a minute's call.
fn water_request(i: usize) -> NewRequest {
    NewRequest {
        call_seconds: Some(60), ..sync_support::water_request(&format!("Çevrim dışı başvuru {i}: su yok"))
    }
}

#[tokio::test]
async fn fifty_requests_filed_offline_arrive_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let server = server_at(&db, "127.0.0.1:0".parse().unwrap(), AGENTS).await;
    let addr = server.addr;
    let c = console(dir.path(), "masa1", &server.base_url(), "agent").await;
    c.engine.sync_once().await.unwrap(); // gets a block of tracking numbers
    server.shutdown().await;

    let mut filed = Vec::new();
    for i in 0..50 {
        let r = c.cache.file_request(water_request(i)).await.unwrap();
        // Every second one also gets a note, still offline.
        if i % 2 == 0 {
            c.cache.act(r.id, Action::Contact { text: Some("tekrar aradı".into()) }).await.unwrap();
        }
        filed.push(r);
    }
    let err = c.engine.sync_once().await.unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert_eq!(c.cache.counts().await.unwrap().pending, 75);
    let (view, badge) = c.cache.request(filed[0].id).await.unwrap().unwrap();
    assert_eq!(badge, Badge::NotSent);
    assert_eq!(view.contacts, 1);

    let server = server_at(&db, addr, AGENTS).await;
    let report = c.engine.sync_once().await.unwrap();
    assert_eq!(report.pushed, 75);
    assert_eq!(c.cache.counts().await.unwrap().pending, 0);
    let on_server = all_server_requests(&server).await;
    assert_eq!(on_server.len(), 50);
    for r in &filed {
        let s = on_server.iter().find(|s| s.id == r.id).expect("arrived");
        assert_eq!(s.tracking_no, r.tracking_no, "the tracking number never changes");
        let expected_contacts = if filed.iter().position(|f| f.id == r.id).unwrap() % 2 == 0 { 1 } else { 0 };
        assert_eq!(s.contacts, expected_contacts);
    }
    let (view, badge) = c.cache.request(filed[0].id).await.unwrap().unwrap();
    assert_eq!(badge, Badge::Sent);
    assert!(view.version > 0);
    // A second round changes nothing on the server.
    c.engine.sync_once().await.unwrap();
    assert_eq!(all_server_requests(&server).await.len(), 50);
}

/// A loopback proxy that forwards each request but, for the first `faults`
/// connections, loses the response: dropped whole, or cut in the middle.
async fn faulty_proxy(upstream: SocketAddr, faults: usize) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else {
                return;
            };
            let n = counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut server = TcpStream::connect(upstream).await.unwrap();
                if n >= faults {
                    let (mut cr, mut cw) = client.split();
                    let (mut sr, mut sw) = server.split();
                    let _ = tokio::join!(tokio::io::copy(&mut cr, &mut sw), tokio::io::copy(&mut sr, &mut cw));
                    return;
                }
                // Forward one request, read the answer, lose it.
                let mut buf = vec![0u8; 1 << 20];
                let mut request = Vec::new();
                loop {
                    let k = client.read(&mut buf).await.unwrap_or(0);
                    if k == 0 {
                        return;
                    }
                    request.extend_from_slice(&buf[..k]);
                    if complete_http_request(&request) {
                        break;
                    }
                }
                server.write_all(&request).await.unwrap();
                let mut response = vec![0u8; 1 << 20];
                let k = server.read(&mut response).await.unwrap_or(0);
                if n % 2 == 1 && k > 10 {
                    // Cut mid-body.
                    let _ = client.write_all(&response[..k / 2]).await;
                }
                // Either way the connection dies here.
            });
        }
    });
    (addr, seen)
}

fn complete_http_request(buf: &[u8]) -> bool {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
    let len = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0)))
        .unwrap_or(0);
    buf.len() >= end + 4 + len
}

#[tokio::test]
async fn lost_responses_cause_no_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), AGENTS).await;
    // Get a serial block directly, then talk through the faulty proxy.
    let c = console(dir.path(), "masa1", &server.base_url(), "agent").await;
    c.engine.sync_once().await.unwrap();
    let mut ids = Vec::new();
    for i in 0..10 {
        let r = c.cache.file_request(water_request(i)).await.unwrap();
        c.cache.act(r.id, Action::Contact { text: None }).await.unwrap();
        ids.push(r.id);
    }
    let (proxy, seen) = faulty_proxy(server.addr, 4).await;
    let token_login = ApiClient::new(&server.base_url())
        .login("agent", PASSWORD, "masa1", Some(c.cache.device_id().await.unwrap()))
        .await
        .unwrap();
    let through_proxy =
        SyncEngine::new(c.cache.clone(), ApiClient::new(&format!("http://{proxy}")).with_token(token_login.token))
            .await
            .unwrap();
    let mut attempts = 0;
    while c.cache.counts().await.unwrap().pending > 0 {
        attempts += 1;
        assert!(attempts < 20, "sync never completed");
        let _ = through_proxy.sync_once().await;
    }
    assert!(seen.load(Ordering::SeqCst) > 4, "the proxy must have been used");
    let on_server = all_server_requests(&server).await;
    assert_eq!(on_server.len(), 10);
    for r in on_server {
        assert_eq!(r.contacts, 1, "the contact of {} was applied {} times", r.tracking_no, r.contacts);
    }
}

#[tokio::test]
async fn two_consoles_converge_and_true_conflicts_are_shown() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), AGENTS).await;
    let a = console(dir.path(), "masa1", &server.base_url(), "agent").await;
    let b = console(dir.path(), "masa2", &server.base_url(), "agent2").await;
    a.engine.sync_once().await.unwrap();
    let citizen = a
        .cache
        .create_citizen(NewCitizen {
            full_name: "Hatice Güneş".into(),
            phones: vec!["0532 765 43 21".into()],
            ..Default::default()
        })
        .await
        .unwrap();
    let r = a.cache.file_request(NewRequest { citizen_id: Some(citizen.id), ..water_request(0) }).await.unwrap();
    a.engine.sync_once().await.unwrap();
    b.engine.sync_once().await.unwrap();
    assert_eq!(b.cache.search_citizens("hatice gunes", 5).await.unwrap()[0].citizen.id, citizen.id);

    // B edits while A is "offline" (not syncing); both touch the citizen.
    b.cache
        .update_citizen(citizen.id, CitizenPatch { email: Some("hatice@example.com".into()), ..Default::default() })
        .await
        .unwrap();
    b.cache.act(r.id, Action::Note { text: "B'nin notu".into(), internal: false }).await.unwrap();
    b.engine.sync_once().await.unwrap();
    a.cache.update_citizen(citizen.id, CitizenPatch { hide_identity: Some(true), ..Default::default() }).await.unwrap();
    a.cache
        .update_citizen(citizen.id, CitizenPatch { email: Some("baska@example.com".into()), ..Default::default() })
        .await
        .unwrap();
    a.cache.act(r.id, Action::Note { text: "A'nın notu".into(), internal: false }).await.unwrap();
    a.engine.sync_once().await.unwrap();
    b.engine.sync_once().await.unwrap();

    // Different fields merged; notes never conflict; the same field is a
    // conflict, kept and shown on A.
    let on_server = server.state.store.citizen(citizen.id).await.unwrap().unwrap();
    assert!(on_server.hide_identity);
    assert_eq!(on_server.email.as_deref(), Some("hatice@example.com"));
    let outbox = a.cache.outbox().await.unwrap();
    assert_eq!(outbox.len(), 1, "{outbox:?}");
    assert_eq!(outbox[0].state, beyazmasa::client::cache::OutboxState::Conflict);
    assert!(outbox[0].last_error.as_deref().unwrap().contains("email"));
    assert_eq!(a.cache.counts().await.unwrap().conflict, 1);
    for c in [&a, &b] {
        let (req, _) = c.cache.request(r.id).await.unwrap().unwrap();
        let notes: Vec<_> = req.timeline.iter().filter_map(|e| e.text.clone()).collect();
        assert!(notes.contains(&"A'nın notu".to_string()) && notes.contains(&"B'nin notu".to_string()), "{notes:?}");
    }
    let b_view = b.cache.citizen(citizen.id).await.unwrap().unwrap();
    assert!(b_view.hide_identity);
    assert_eq!(b_view.email.as_deref(), Some("hatice@example.com"));

    // A rename pulled by B re-indexes the citizen: the new name finds them,
    // the old one no longer does, and the phone still does.
    a.cache.discard(outbox[0].mutation_id()).await.unwrap();
    a.cache
        .update_citizen(citizen.id, CitizenPatch { full_name: Some("Hatice Yıldırım".into()), ..Default::default() })
        .await
        .unwrap();
    a.engine.sync_once().await.unwrap();
    b.engine.sync_once().await.unwrap();
    assert_eq!(b.cache.search_citizens("hatice yildirim", 5).await.unwrap()[0].citizen.id, citizen.id);
    assert!(b.cache.search_citizens("hatice gunes", 5).await.unwrap().iter().all(|h| h.citizen.id != citizen.id));
    assert_eq!(b.cache.search_citizens("0532 765 43 21", 5).await.unwrap()[0].citizen.full_name, "Hatice Yıldırım");
}

#[tokio::test]
async fn a_fresh_console_bootstraps_from_a_snapshot_then_pulls_across_page_boundaries() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), AGENTS).await;
    let writer = console(dir.path(), "writer", &server.base_url(), "agent").await;
    writer.engine.sync_once().await.unwrap();
    for i in 0..5 {
        writer.cache.file_request(water_request(i)).await.unwrap();
    }
    writer.engine.sync_once().await.unwrap();

    // A new console: the snapshot brings the 5 requests at once.
    let reader = console(dir.path(), "reader", &server.base_url(), "agent2").await;
    let report = reader.engine.sync_once().await.unwrap();
    assert_eq!(report.snapshot, 5);
    assert_eq!(reader.cache.request_count().await.unwrap(), 5);

    // Then N changes, pulled with pages of N, N-1 and N+1.
    const N: usize = 6;
    for (round, page) in [N, N - 1, N + 1].into_iter().enumerate() {
        let mut reader = console(dir.path(), &format!("reader{round}"), &server.base_url(), "agent2").await;
        reader.engine.sync_once().await.unwrap();
        reader.engine.pull_page = page as u32;
        let before = reader.cache.request_count().await.unwrap();
        let mut ids = Vec::new();
        for i in 0..N {
            ids.push(writer.cache.file_request(water_request(100 + i)).await.unwrap().id);
        }
        writer.engine.sync_once().await.unwrap();
        let report = reader.engine.sync_once().await.unwrap();
        assert_eq!(report.pulled, N, "page size {page}");
        assert_eq!(reader.cache.request_count().await.unwrap(), before + N as i64);
        for id in ids {
            assert!(reader.cache.request(id).await.unwrap().is_some());
        }
        // Nothing more to pull.
        assert_eq!(reader.engine.sync_once().await.unwrap().pulled, 0);
    }
}

#[tokio::test]
async fn changes_reach_a_running_console_through_the_event_stream() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), AGENTS).await;
    let watcher = console(dir.path(), "watcher", &server.base_url(), "agent2").await;
    let cache = watcher.cache.clone();
    let mut status = watcher.engine.handle().status;
    let task = tokio::spawn(watcher.engine.run());
    // Wait for its first round (bootstrap) to finish.
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while status.borrow().last_sync.is_none() {
            status.changed().await.unwrap();
        }
    })
    .await
    .expect("first sync");

    let filer = console(dir.path(), "filer", &server.base_url(), "agent").await;
    filer.engine.sync_once().await.unwrap();
    let r = filer.cache.file_request(water_request(1)).await.unwrap();
    filer.engine.sync_once().await.unwrap();
    // The periodic sync is 15–30 s away: only the event stream can do this.
    let arrived = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        loop {
            if cache.request(r.id).await.unwrap().is_some() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(arrived.is_ok(), "the change did not arrive through the event stream");
    task.abort();
}

/// A server that builds snapshot images whatever the size of its database.
async fn server_with_images(dir: &std::path::Path) -> RunningServer {
    let mut state = AppState::open(&format!("sqlite://{}", dir.join("server.db").display())).await.unwrap();
    sync_support::create_users(&state, AGENTS).await;
    let images = beyazmasa::server::images::Images::new(Some(dir.join("server.db.images"))).for_any_size();
    state.images = Arc::new(images);
    spawn(state, "127.0.0.1:0".parse().unwrap()).await.unwrap()
}

/// Asks for the image until the server has one of everything up to now;
/// returns it, downloaded to `dest`.
async fn wait_for_image(
    server: &RunningServer,
    c: &Console,
    dest: &std::path::Path,
) -> beyazmasa::protocol::SnapshotHeader {
    let now = server.state.store.current_seq().await.unwrap();
    for _ in 0..300 {
        if let Some(h) = c.api.snapshot_image(6, dest, |_, _| {}).await.unwrap()
            && h.seq >= now
        {
            return h;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no snapshot image after 30 s");
}

#[tokio::test]
async fn a_new_console_adopts_the_servers_image_then_pulls_what_changed_since() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_with_images(dir.path()).await;
    let writer = console(dir.path(), "writer", &server.base_url(), "agent").await;
    writer.engine.sync_once().await.unwrap();
    let citizen = writer
        .cache
        .create_citizen(NewCitizen {
            full_name: "Zeynep Karakoç".into(),
            phones: vec!["0533 444 55 66".into()],
            ..Default::default()
        })
        .await
        .unwrap();
    let mut filed = Vec::new();
    for i in 0..20 {
        let r = NewRequest { citizen_id: (i % 2 == 0).then_some(citizen.id), ..water_request(i) };
        filed.push(writer.cache.file_request(r).await.unwrap());
    }
    writer.engine.sync_once().await.unwrap();
    // The first console to ask sets the build going.
    let probe = console(dir.path(), "probe", &server.base_url(), "agent2").await;
    let image = wait_for_image(&server, &probe, &dir.path().join("probe.image")).await;
    assert_eq!(image.seq, server.state.store.current_seq().await.unwrap());
    // Changes after the image come by pull.
    let later = writer.cache.file_request(water_request(99)).await.unwrap();
    writer.engine.sync_once().await.unwrap();

    let reader = console(dir.path(), "reader", &server.base_url(), "agent2").await;
    let report = reader.engine.sync_once().await.unwrap();
    assert_eq!(report.snapshot, 21, "the image's 20 requests and the citizen: {report:?}");
    assert_eq!(report.pulled, 1, "then the request filed after it: {report:?}");
    assert_eq!(reader.cache.request_count().await.unwrap(), 21);
    assert!(!dir.path().join("reader.db.image").exists(), "the downloaded image is not left behind");
    for r in filed.iter().chain([&later]) {
        let (view, badge) = reader.cache.request(r.id).await.unwrap().unwrap();
        assert_eq!((view.tracking_no.as_str(), badge), (r.tracking_no.as_str(), Badge::Sent));
    }
    // Its indexes came with it: search and history work at once.
    let hits = reader.cache.search_citizens("0533 444 55 66", 5).await.unwrap();
    assert_eq!(hits[0].citizen.id, citizen.id);
    assert_eq!(hits[0].open_requests, 10);
    assert_eq!(reader.cache.search_citizens("zeynep karakoc", 5).await.unwrap()[0].citizen.id, citizen.id);
    // It is this console's cache still: its own device, its own numbers.
    assert_ne!(reader.cache.device_id().await.unwrap(), probe.cache.device_id().await.unwrap());
    let own = reader.cache.file_request(water_request(100)).await.unwrap();
    reader.engine.sync_once().await.unwrap();
    assert!(server.state.store.request(own.id).await.unwrap().is_some());
    assert_eq!(reader.cache.counts().await.unwrap().pending, 0);
}

#[tokio::test]
async fn adopting_an_image_keeps_the_outbox_and_what_it_shows() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_with_images(dir.path()).await;
    let writer = console(dir.path(), "writer", &server.base_url(), "agent").await;
    writer.engine.sync_once().await.unwrap();
    let known = writer.cache.file_request(water_request(0)).await.unwrap();
    writer.engine.sync_once().await.unwrap();

    // A console that works offline after its first sync: a note on a known
    // request and two new ones, none sent.
    let c = console(dir.path(), "masa", &server.base_url(), "agent2").await;
    c.engine.sync_once().await.unwrap();
    let device = c.cache.device_id().await.unwrap();
    c.cache.act(known.id, Action::Note { text: "vatandaş tekrar aradı".into(), internal: false }).await.unwrap();
    let offline =
        [c.cache.file_request(water_request(1)).await.unwrap(), c.cache.file_request(water_request(2)).await.unwrap()];
    let serials = c.cache.serials_left().await.unwrap();

    // Its cache is replaced by the server's image.
    let dest = dir.path().join("masa.db.image");
    let image = wait_for_image(&server, &c, &dest).await;
    let n = c.cache.adopt_image(&dest, image.seq, &image.epoch).await.unwrap();
    assert_eq!(n, 3, "the known request and the two filed offline");
    assert!(!dest.exists());
    assert_eq!(c.cache.device_id().await.unwrap(), device);
    assert_eq!(c.cache.serials_left().await.unwrap(), serials, "no tracking number issued twice");
    assert_eq!(c.cache.counts().await.unwrap().pending, 3);
    for r in &offline {
        let (view, badge) = c.cache.request(r.id).await.unwrap().expect("still shown");
        assert_eq!((view.tracking_no.as_str(), badge), (r.tracking_no.as_str(), Badge::NotSent));
    }
    let (view, _) = c.cache.request(known.id).await.unwrap().unwrap();
    assert!(view.timeline.iter().any(|e| e.text.as_deref() == Some("vatandaş tekrar aradı")), "the note shows");

    // All of it goes out once.
    let report = c.engine.sync_once().await.unwrap();
    assert_eq!(report.pushed, 3);
    assert_eq!(c.cache.counts().await.unwrap().pending, 0);
    for r in &offline {
        assert_eq!(server.state.store.request(r.id).await.unwrap().unwrap().tracking_no, r.tracking_no);
    }
    let on_server = server.state.store.request(known.id).await.unwrap().unwrap();
    let notes = on_server.timeline.iter().filter(|e| e.text.as_deref() == Some("vatandaş tekrar aradı")).count();
    assert_eq!(notes, 1);

    // An image from another epoch, or cut short, is refused and changes nothing.
    let image = wait_for_image(&server, &c, &dest).await;
    let err = c.cache.adopt_image(&dest, image.seq, "baska-bir-donem").await.unwrap_err();
    assert!(format!("{err:#}").contains("not"), "{err:#}");
    assert_eq!(c.cache.request_count().await.unwrap(), 3);
    let image = wait_for_image(&server, &c, &dest).await;
    let len = std::fs::metadata(&dest).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&dest).unwrap().set_len(len / 2).unwrap();
    assert!(c.cache.adopt_image(&dest, image.seq, &image.epoch).await.is_err());
    assert_eq!(c.cache.request_count().await.unwrap(), 3);
    c.cache.file_request(water_request(3)).await.unwrap();
}

/// How the sick server of [`sick_proxy`] answers.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(usize)]
enum Sickness {
    /// Passes everything to the real server.
    Healthy = 0,
    /// `500` with a proxy's HTML error page.
    Http500 = 1,
    /// `200` with a body that is not JSON (bytes of every kind).
    Garbage = 2,
}

/// A loopback proxy in front of the real server whose health can be
/// switched; a switch cuts the open connections, so clients reconnect and
/// meet the new state. Counts the connections that met a sick server.
struct SickProxy {
    addr: SocketAddr,
    mode: Arc<AtomicUsize>,
    sick_answers: Arc<AtomicUsize>,
    connections: Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl SickProxy {
    async fn start(upstream: SocketAddr) -> SickProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = SickProxy {
            addr: listener.local_addr().unwrap(),
            mode: Arc::new(AtomicUsize::new(Sickness::Healthy as usize)),
            sick_answers: Arc::new(AtomicUsize::new(0)),
            connections: Arc::default(),
        };
        let (mode, sick, conns) = (proxy.mode.clone(), proxy.sick_answers.clone(), proxy.connections.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let mode = mode.load(Ordering::SeqCst);
                let sick = sick.clone();
                let task = tokio::spawn(async move {
                    if mode == Sickness::Healthy as usize {
                        let mut server = TcpStream::connect(upstream).await.unwrap();
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                        return;
                    }
                    let mut request = Vec::new();
                    let mut buf = vec![0u8; 64 * 1024];
                    while !complete_http_request(&request) {
                        match client.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(k) => request.extend_from_slice(&buf[..k]),
                        }
                    }
                    sick.fetch_add(1, Ordering::SeqCst);
                    let (status, kind, body): (&str, &str, Vec<u8>) = if mode == Sickness::Http500 as usize {
                        let page = format!("<html><body><h1>502 Bad Gateway</h1>{}</body></html>", "x".repeat(5000));
                        ("500 Internal Server Error", "text/html", page.into_bytes())
                    } else {
                        let mut junk = b"{\"items\": [\x1b[31m\x00\x07".to_vec();
                        junk.extend((0..=255u8).cycle().take(3000));
                        ("200 OK", "application/json", junk)
                    };
                    let head = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: {kind}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = client.write_all(head.as_bytes()).await;
                    let _ = client.write_all(&body).await;
                });
                conns.lock().unwrap().push(task.abort_handle());
            }
        });
        proxy
    }

    fn set(&self, mode: Sickness) {
        self.mode.store(mode as usize, Ordering::SeqCst);
        for c in self.connections.lock().unwrap().drain(..) {
            c.abort();
        }
    }
}

/// Waits (at most 20 s) until the engine's status satisfies `ok`.
async fn status_until(
    handle: &mut beyazmasa::client::sync::SyncHandle,
    what: &str,
    ok: impl Fn(&beyazmasa::client::sync::SyncStatus) -> bool,
) -> beyazmasa::client::sync::SyncStatus {
    let waited = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        handle.status.wait_for(|s| ok(s)).await.map(|s| s.clone()).ok()
    })
    .await;
    match waited {
        Ok(Some(s)) => s,
        _ => panic!("waited 20 s for {what}; the status: {:?}", *handle.status.borrow()),
    }
}

/// Issue 4, bad input: a server answering 500s, then garbage. The console
/// backs off (a few tries, not a storm), says what is wrong in one short
/// line, keeps taking requests, and sends them all once the server is well.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_answering_500s_or_garbage_is_backed_off_and_the_console_stays_usable() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), AGENTS).await;
    let proxy = SickProxy::start(server.addr).await;
    let c = console(dir.path(), "masa1", &format!("http://{}", proxy.addr), "agent").await;
    let mut handle = c.engine.handle();
    let engine = tokio::spawn(c.engine.run());
    status_until(&mut handle, "the first sync", |s| s.last_sync.is_some() && s.last_error.is_none()).await;

    let mut filed = Vec::new();
    for (sickness, expected) in
        [(Sickness::Http500, "server error without details (500)"), (Sickness::Garbage, "unexpected response")]
    {
        proxy.set(sickness);
        let before = proxy.sick_answers.load(Ordering::SeqCst);
        // The agent keeps working: the request is saved and numbered.
        let r = c.cache.file_request(water_request(filed.len())).await.unwrap();
        assert_eq!(c.cache.request(r.id).await.unwrap().unwrap().1, Badge::NotSent);
        filed.push(r);
        handle.sync_now();
        let s =
            status_until(&mut handle, expected, |s| s.last_error.as_deref().is_some_and(|e| e.starts_with(expected)))
                .await;
        let error = s.last_error.unwrap();
        assert!(error.len() < 120 && !error.chars().any(|c| c.is_control() || c == '<'), "one short line: {error:?}");
        assert_eq!(s.counts.pending as usize, filed.len());
        // Left alone for 6 s, it retries with growing pauses: a handful of
        // tries (sync and event stream together), not a storm.
        tokio::time::sleep(std::time::Duration::from_secs(6)).await;
        let tries = proxy.sick_answers.load(Ordering::SeqCst) - before;
        // (The pause keeps growing from one sickness to the next.)
        let least = if sickness == Sickness::Http500 { 2 } else { 1 };
        assert!((least..=16).contains(&tries), "{sickness:?}: {tries} tries in 6 s");
        assert_eq!(handle.status.borrow().last_error.as_deref(), Some(error.as_str()), "the same error, once");
    }

    proxy.set(Sickness::Healthy);
    handle.sync_now();
    status_until(&mut handle, "everything sent", |s| s.counts.pending == 0 && s.last_error.is_none()).await;
    for r in &filed {
        assert_eq!(server.state.store.request(r.id).await.unwrap().unwrap().tracking_no, r.tracking_no);
        assert_eq!(c.cache.request(r.id).await.unwrap().unwrap().1, Badge::Sent);
    }
    assert_eq!(all_server_requests(&server).await.len(), filed.len(), "each once");
    engine.abort();
}
