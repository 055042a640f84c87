//! API integration tests: the real server on 127.0.0.1:0 over a fresh SQLite
//! file per test, driven over HTTP.

use std::time::Duration;

use beyazmasa::domain::status::Role;
use beyazmasa::protocol::*;
use beyazmasa::server::auth::hash_password;
use beyazmasa::server::store::NewUser;
use beyazmasa::server::{AppState, RunningServer, spawn};
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

const PASSWORD: &str = "test-parola-1";

struct TestApp {
    server: RunningServer,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl TestApp {
    async fn spawn() -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("api.db").display());
        let state = AppState::open(&url).await.unwrap();
        let hash = hash_password(PASSWORD).unwrap();
        for (username, role, units, ext) in [
            ("agent", Role::Agent, vec![], Some("1001")),
            ("agent2", Role::Agent, vec![], None),
            ("gaski", Role::UnitRep, vec!["GASKI".to_string()], None),
            ("park", Role::UnitRep, vec!["PARK_BAHCE".to_string()], None),
            ("lead", Role::Lead, vec![], None),
        ] {
            state
                .store
                .create_user(NewUser {
                    username: username.into(),
                    full_name: username.into(),
                    password_hash: hash.clone(),
                    role,
                    units,
                    extension: ext.map(String::from),
                })
                .await
                .unwrap();
        }
        let server = spawn(state, "127.0.0.1:0".parse().unwrap()).await.unwrap();
        TestApp { server, http: reqwest::Client::new(), _dir: dir }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.server.base_url())
    }

    async fn login(&self, username: &str) -> Session {
        let res = self
            .http
            .post(self.url("/auth/login"))
            .json(&json!({"username": username, "password": PASSWORD, "device_name": "test"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body: LoginResponse = res.json().await.unwrap();
        Session { token: body.token, device_id: body.device_id, user: body.user }
    }

    async fn seq(&self) -> i64 {
        self.server.state.store.current_seq().await.unwrap()
    }

    async fn post(&self, s: &Session, path: &str, body: Value) -> (StatusCode, Value) {
        let res = self.http.post(self.url(path)).bearer_auth(&s.token).json(&body).send().await.unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, s: &Session, path: &str) -> (StatusCode, Value) {
        let res = self.http.get(self.url(path)).bearer_auth(&s.token).send().await.unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn new_citizen(&self, s: &Session, name: &str, phone: &str) -> Citizen {
        let (st, body) = self
            .post(
                s,
                "/citizens",
                json!({"full_name": name, "phones": [phone],
                       "address": {"district": "Şahinbey", "neighbourhood": "Karataş", "street": "12 Nolu Sokak", "number": "5"}}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{body}");
        serde_json::from_value(body).unwrap()
    }

    async fn new_request(&self, s: &Session, citizen: Option<Uuid>, category: &str) -> Request {
        let (st, body) = self
            .post(
                s,
                "/requests",
                json!({"type": "complaint", "channel": "line153", "category": category, "citizen_id": citizen,
                       "location": {"district": "SAHINBEY", "neighbourhood": "Karataş"},
                       "description": "İki gündür suyumuz akmıyor", "call_seconds": 95}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{body}");
        serde_json::from_value(body).unwrap()
    }

    async fn act(&self, s: &Session, r: &Request, action: Value) -> (StatusCode, Value) {
        self.post(s, &format!("/requests/{}/actions", r.id), action).await
    }
}

struct Session {
    token: String,
    device_id: Uuid,
    user: UserInfo,
}

fn error_field(body: &Value) -> Option<&str> {
    body["error"]["field"].as_str()
}

// A category that routes to GASKİ, from the shipped taxonomy.
fn water_category() -> String {
    let t = beyazmasa::domain::reference::shipped_taxonomy();
    t.categories
        .iter()
        .find(|c| c.default_unit == "GASKI" && !c.emergency && c.district_units.is_empty())
        .or_else(|| t.categories.iter().find(|c| c.default_unit == "GASKI" && !c.emergency))
        .expect("a GASKİ category")
        .code
        .clone()
}

#[tokio::test]
async fn login_and_missing_or_bad_tokens() {
    let app = TestApp::spawn().await;
    let s = app.login("agent").await;
    assert_eq!(s.user.role, Role::Agent);
    assert_eq!(s.user.extension.as_deref(), Some("1001"));

    let res = app
        .http
        .post(app.url("/auth/login"))
        .json(&json!({"username": "agent", "password": "wrong", "device_name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let res = app.http.get(app.url("/citizens?q=ali")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");

    let res = app.http.get(app.url("/auth/me")).bearer_auth("not-a-token").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let (st, me) = app.get(&s, "/auth/me").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(me["username"], "agent");
}

#[tokio::test]
async fn request_without_token_changes_nothing() {
    let app = TestApp::spawn().await;
    let before = app.seq().await;
    let res = app
        .http
        .post(app.url("/requests"))
        .json(&json!({"type": "request", "channel": "web", "category": water_category(), "description": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.seq().await, before);
}

#[tokio::test]
async fn citizen_search_by_phone_name_id_and_address() {
    let app = TestApp::spawn().await;
    let s = app.login("agent").await;
    let c = app.new_citizen(&s, "AHMET YILMAZ", "0532 123 45 67").await;
    assert_eq!(c.full_name, "Ahmet Yılmaz");
    assert_eq!(c.phones, vec!["+905321234567"]);
    let (st, body) = app
        .post(
            &s,
            "/citizens",
            json!({"full_name": "Ayşe Işık", "phones": ["0 (342) 555 66 77"], "tckn": "10000000146"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    app.new_citizen(&s, "Mehmet Kaya", "05559998877").await;

    let find = |q: &'static str| {
        let app = &app;
        let s = &s;
        async move {
            let (st, body) = app.get(s, &format!("/citizens?q={}", urlencode(q))).await;
            assert_eq!(st, StatusCode::OK, "{q}: {body}");
            serde_json::from_value::<Vec<CitizenHit>>(body).unwrap()
        }
    };
    for q in ["0532 123 45 67", "5321234567", "+90 532 1234567", "4567"] {
        let hits = find(q).await;
        assert_eq!(hits.first().map(|h| h.citizen.id), Some(c.id), "{q}");
    }
    assert_eq!(find("0532 123 45 67").await[0].matched, MatchKind::Phone);
    for q in ["yilmaz", "Ahmed Yılmaz", "ahmet yilmz", "AHMET"] {
        let hits = find(q).await;
        assert!(hits.iter().any(|h| h.citizen.id == c.id), "{q} should find Ahmet Yılmaz: {hits:?}");
    }
    let isik = find("ISIK").await;
    assert_eq!(isik.len(), 1, "{isik:?}");
    assert_eq!(isik[0].citizen.full_name, "Ayşe Işık");
    let by_id = find("10000000146").await;
    assert_eq!(by_id[0].matched, MatchKind::Tckn);
    assert_eq!(by_id[0].citizen.full_name, "Ayşe Işık");
    let by_address = find("karatas mh 12 sk").await;
    assert!(by_address.iter().any(|h| h.citizen.id == c.id && h.matched == MatchKind::Address), "{by_address:?}");
    assert!(find("Zebercet Kocabaş").await.is_empty());

    let (st, got) = app.get(&s, &format!("/citizens/{}", c.id)).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(got["full_name"], "Ahmet Yılmaz");
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn request_life_cycle_and_history() {
    let app = TestApp::spawn().await;
    let agent = app.login("agent").await;
    let rep = app.login("gaski").await;
    let c = app.new_citizen(&agent, "Fatma Öztürk", "05321112233").await;
    let cat = water_category();

    // Filed without forwarding, then forwarded by the agent.
    let (st, body) = app
        .post(
            &agent,
            "/requests",
            json!({"type": "complaint", "channel": "line185", "category": cat, "citizen_id": c.id, "forward": false,
                   "location": {"district": "Şahinbey", "neighbourhood": "karatas"}, "description": "Su yok"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    let r: Request = serde_json::from_value(body).unwrap();
    assert_eq!(r.status, beyazmasa::domain::status::Status::Registered);
    assert_eq!(r.unit, "GASKI");
    assert!(r.tracking_no.starts_with("27-") && r.tracking_no.len() == 10, "{}", r.tracking_no);
    assert_eq!(r.location.as_ref().unwrap().neighbourhood.as_deref(), Some("Karataş"));
    assert!(r.sla_due_at > r.created_at);

    let (st, body) = app.act(&agent, &r, json!({"action": "forward"})).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let (st, body) = app.act(&rep, &r, json!({"action": "accept"})).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "in_progress");
    assert_eq!(body["assigned_to"], "gaski");
    let (st, _) = app.act(&rep, &r, json!({"action": "note", "text": "Ekip yolda", "internal": true})).await;
    assert_eq!(st, StatusCode::OK);
    let (st, body) = app.act(&rep, &r, json!({"action": "resolve", "reply": "Arıza giderildi."})).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "resolved");

    let (st, hist) = app.get(&agent, &format!("/citizens/{}/requests", c.id)).await;
    assert_eq!(st, StatusCode::OK);
    let hist: Vec<Request> = serde_json::from_value(hist).unwrap();
    assert_eq!(hist.len(), 1);
    let kinds: Vec<EventKind> = hist[0].timeline.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        vec![EventKind::Created, EventKind::Forwarded, EventKind::Accepted, EventKind::Note, EventKind::Resolved]
    );
    assert_eq!(hist[0].timeline.last().unwrap().text.as_deref(), Some("Arıza giderildi."));

    // By tracking number, too.
    let (st, by_no) = app.get(&agent, &format!("/requests/{}", r.tracking_no.to_lowercase())).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(by_no["id"], r.id.to_string());

    // Listing with filters.
    let (st, page) = app.get(&rep, "/requests?unit=GASKI&status=resolved").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let (_, page) = app.get(&rep, "/requests?unit=GASKI&status=open").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 0);
    assert!(app.server.state.store.verify_audit_chain().await.unwrap() >= 6);
}

#[tokio::test]
async fn forbidden_transitions_and_scope_change_nothing() {
    let app = TestApp::spawn().await;
    let agent = app.login("agent").await;
    let rep = app.login("gaski").await;
    let park = app.login("park").await;
    let r = app.new_request(&agent, None, &water_category()).await;
    let before = app.seq().await;

    let (st, body) = app.act(&agent, &r, json!({"action": "accept"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
    let (st, body) = app.act(&park, &r, json!({"action": "accept"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
    let (st, body) = app.act(&agent, &r, json!({"action": "resolve", "reply": "x"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
    let (st, body) = app.act(&rep, &r, json!({"action": "close"})).await;
    assert_eq!(st, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "invalid_transition");
    assert_eq!(app.seq().await, before);

    // A stale base_version is a conflict carrying the current state.
    let (st, _) = app.act(&rep, &r, json!({"action": "accept", "base_version": r.version})).await;
    assert_eq!(st, StatusCode::OK);
    let (st, body) = app.act(&rep, &r, json!({"action": "resolve", "reply": "ok", "base_version": r.version})).await;
    assert_eq!(st, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "conflict");
    // Notes never conflict.
    let (st, _) = app
        .act(&agent, &r, json!({"action": "note", "text": "Vatandaş tekrar aradı", "base_version": r.version}))
        .await;
    assert_eq!(st, StatusCode::OK);
}

#[tokio::test]
async fn bad_input_names_the_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let s = app.login("agent").await;
    let cat = water_category();
    let before = app.seq().await;
    let base = json!({"type": "complaint", "channel": "line153", "category": cat,
                      "location": {"district": "SAHINBEY", "neighbourhood": "Karataş"}, "description": "Su yok"});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let cases: Vec<(&str, Value, &str)> = vec![
        ("/requests", with("colour", json!("red")), "colour"),
        ("/requests", with("description", json!("x".repeat(4001))), "description"),
        ("/requests", with("description", json!("zil \u{1b}[31m sesi")), "description"),
        ("/requests", with("category", json!("NO_SUCH")), "category"),
        ("/requests", with("channel", json!("pigeon")), "channel"),
        (
            "/requests",
            with("location", json!({"district": "SAHINBEY", "neighbourhood": "Atlantis"})),
            "location.neighbourhood",
        ),
        ("/requests", with("location", json!({"district": "Kadıköy"})), "location.district"),
        ("/requests", with("tracking_no", json!("27-AAAAAAA")), "tracking_no"),
        ("/citizens", json!({"full_name": "Ali Veli", "tckn": "12345678901"}), "tckn"),
        ("/citizens", json!({"full_name": "Ali Veli", "phones": ["0532 12"]}), "phones[0]"),
        ("/citizens", json!({"full_name": "Ali Veli", "phones": ["abc"]}), "phones[0]"),
        ("/citizens", json!({"full_name": "Ali Veli", "phones": ["112"]}), "phones[0]"),
        ("/citizens", json!({"full_name": ""}), "full_name"),
        ("/citizens", json!({"phones": []}), "full_name"),
    ];
    for (path, body, field) in cases {
        let (st, res) = app.post(&s, path, body.clone()).await;
        assert!(st.is_client_error(), "{path} {body}: {st} {res}");
        assert_eq!(error_field(&res), Some(field), "{path} {body}: {res}");
        assert!(res["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    // Malformed JSON.
    let res = app
        .http
        .post(app.url("/requests"))
        .bearer_auth(&s.token)
        .header("content-type", "application/json")
        .body("{\"type\": ")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error());
    let body: Value = res.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("malformed JSON"), "{body}");
    // Too large a body.
    let res = app
        .http
        .post(app.url("/requests"))
        .bearer_auth(&s.token)
        .header("content-type", "application/json")
        .body(format!("{{\"description\": \"{}\"}}", "a".repeat(3 * 1024 * 1024)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Bad query strings and ids.
    let (st, body) = app.get(&s, "/requests?status=sleeping").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_field(&body), Some("status"));
    let (st, _) = app.get(&s, "/citizens/not-a-uuid").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, _) = app.get(&s, &format!("/citizens/{}", Uuid::now_v7())).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_eq!(app.seq().await, before, "nothing may change");
}

#[tokio::test]
async fn idempotent_creates_and_pushes() {
    let app = TestApp::spawn().await;
    let s = app.login("agent").await;
    let id = Uuid::now_v7();
    let body = json!({"id": id, "type": "request", "channel": "web", "category": water_category(),
                      "location": {"district": "SAHINBEY", "neighbourhood": "Karataş"}, "description": "Sayaç arızası"});
    let (st1, a) = app.post(&s, "/requests", body.clone()).await;
    let (st2, b) = app.post(&s, "/requests", body).await;
    assert_eq!((st1, st2), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(a["tracking_no"], b["tracking_no"]);

    // The same mutation pushed twice has one effect.
    let mutation = json!({"mutation_id": Uuid::now_v7(), "kind": "create_request",
        "request": {"type": "complaint", "channel": "line153", "category": water_category(),
                    "location": {"district": "SAHINBEY", "neighbourhood": "Karataş"}, "description": "Kanal taştı"}});
    let push = json!({"device_id": s.device_id, "mutations": [mutation]});
    let (st, first) = app.post(&s, "/sync/push", push.clone()).await;
    assert_eq!(st, StatusCode::OK, "{first}");
    assert_eq!(first["results"][0]["result"], "applied");
    let seq_after_first = app.seq().await;
    let (_, second) = app.post(&s, "/sync/push", push).await;
    assert_eq!(second["results"][0]["result"], "duplicate");
    assert_eq!(second["results"][0]["original"]["entity"]["data"]["id"], first["results"][0]["entity"]["data"]["id"]);
    assert_eq!(app.seq().await, seq_after_first);
    let (_, page) = app.get(&s, "/requests?q=kanal").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);

    // A rejected mutation had no effect: sent again, it is decided afresh
    // (here: rejected again, still changing nothing), so a console can retry
    // it once the cause is fixed.
    let bad = json!({"device_id": s.device_id, "mutations": [{"mutation_id": Uuid::now_v7(), "kind": "create_request",
        "request": {"type": "complaint", "channel": "line153", "category": "NOPE", "description": "x"}}]});
    let (_, r1) = app.post(&s, "/sync/push", bad.clone()).await;
    assert_eq!(r1["results"][0]["result"], "rejected");
    assert_eq!(r1["results"][0]["field"], "category");
    let seq_after_reject = app.seq().await;
    let (_, r2) = app.post(&s, "/sync/push", bad).await;
    assert_eq!(r2["results"][0]["result"], "rejected", "{r2}");
    assert_eq!(r2["results"][0]["field"], "category");
    assert_eq!(app.seq().await, seq_after_reject);

    // Pushing for another device is refused.
    let (st, _) = app.post(&s, "/sync/push", json!({"device_id": Uuid::now_v7(), "mutations": []})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn offline_tracking_numbers_come_from_the_devices_block() {
    let app = TestApp::spawn().await;
    let s = app.login("agent").await;
    let other = app.login("agent2").await;
    let (st, block) = app.post(&s, "/sync/serials", json!({"count": 10})).await;
    assert_eq!(st, StatusCode::OK, "{block}");
    let block: SerialBlock = serde_json::from_value(block).unwrap();
    assert_eq!(block.end - block.start, 9);
    let no = beyazmasa::domain::tracking::TrackingNumber::from_serial(block.start).unwrap().to_string();
    let body = json!({"type": "request", "channel": "line153", "category": water_category(), "tracking_no": no,
                      "location": {"district": "SAHINBEY", "neighbourhood": "Karataş"}, "description": "Su yok"});
    // Another console cannot use this console's number.
    let (st, res) = app.post(&other, "/requests", body.clone()).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{res}");
    let (st, res) = app.post(&s, "/requests", body.clone()).await;
    assert_eq!(st, StatusCode::CREATED, "{res}");
    assert_eq!(res["tracking_no"], no);
    let mut again = body;
    again["id"] = json!(Uuid::now_v7());
    let (st, res) = app.post(&s, "/requests", again).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{res}");
}

#[tokio::test]
async fn pull_pages_across_boundaries() {
    let app = TestApp::spawn().await;
    let s = app.login("agent").await;
    let start = app.seq().await;
    let mut created = Vec::new();
    for i in 0..7 {
        created.push(app.new_citizen(&s, &format!("Vatandaş {i}"), &format!("0532 000 00 0{i}")).await.id);
    }
    let (_, first) = app.get(&s, &format!("/sync/pull?since={start}&limit=100")).await;
    let epoch = first["epoch"].as_str().unwrap().to_string();
    for limit in [6, 7, 8, 1] {
        let mut since = start;
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let (st, page) = app.get(&s, &format!("/sync/pull?since={since}&limit={limit}&epoch={epoch}")).await;
            assert_eq!(st, StatusCode::OK);
            let page: PullResponse = serde_json::from_value(page).unwrap();
            pages += 1;
            for c in &page.changes {
                let Entity::Citizen(cit) = &c.entity else { panic!("citizen expected") };
                seen.push(cit.id);
                assert!(c.seq > since);
            }
            since = page.next;
            if !page.has_more {
                break;
            }
        }
        assert_eq!(seen, created, "limit {limit}");
        let expected_pages = if limit >= 7 { 1 } else { 7usize.div_ceil(limit) };
        assert_eq!(pages, expected_pages, "limit {limit}");
    }
    // An edit moves the citizen to the end of the feed, once.
    let (st, _) = app
        .post(
            &s,
            "/sync/push",
            json!({"device_id": s.device_id, "mutations": [{"mutation_id": Uuid::now_v7(),
            "kind": "update_citizen", "id": created[0], "base_version": 0, "patch": {"email": "a@b.com.tr"}}]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (_, page) = app.get(&s, &format!("/sync/pull?since={start}&limit=100")).await;
    let ids: Vec<String> =
        page["changes"].as_array().unwrap().iter().map(|c| c["data"]["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids.len(), 7);
    assert_eq!(ids.last().unwrap(), &created[0].to_string());

    // Another epoch, or a cursor from the future: 410.
    let (st, body) = app.get(&s, "/sync/pull?since=0&epoch=other").await;
    assert_eq!(st, StatusCode::GONE);
    assert_eq!(body["error"]["code"], "resync");
    let (st, _) = app.get(&s, "/sync/pull?since=999999").await;
    assert_eq!(st, StatusCode::GONE);
}

#[tokio::test]
async fn citizen_field_merge_conflicts_only_on_the_same_field() {
    let app = TestApp::spawn().await;
    let a = app.login("agent").await;
    let b = app.login("agent2").await;
    let c = app.new_citizen(&a, "Hasan Çelik", "05327776655").await;
    let patch = |s: &Session, field: &str, v: Value| {
        json!({"device_id": s.device_id, "mutations": [{"mutation_id": Uuid::now_v7(), "kind": "update_citizen",
            "id": c.id, "base_version": c.version, "patch": {field: v}}]})
    };
    let (_, r1) = app.post(&a, "/sync/push", patch(&a, "email", json!("hasan@example.com"))).await;
    assert_eq!(r1["results"][0]["result"], "applied");
    let (_, r2) = app.post(&b, "/sync/push", patch(&b, "hide_identity", json!(true))).await;
    assert_eq!(r2["results"][0]["result"], "applied", "different fields merge");
    let (_, r3) = app.post(&b, "/sync/push", patch(&b, "email", json!("other@example.com"))).await;
    assert_eq!(r3["results"][0]["result"], "conflict", "{r3}");
    assert_eq!(r3["results"][0]["current"]["data"]["email"], "hasan@example.com");
}

#[tokio::test]
async fn sse_carries_changes_and_resumes_with_last_event_id() {
    let app = TestApp::spawn().await;
    let s = app.login("agent").await;
    let first = app.new_citizen(&s, "Emine Aydın", "05321230000").await;

    let res = app
        .http
        .get(app.url("/events"))
        .bearer_auth(&s.token)
        .header("Last-Event-ID", (first.version - 1).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mut stream = res.bytes_stream();
    let r = app.new_request(&s, Some(first.id), &water_category()).await;
    let mut buf = String::new();
    let got = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(chunk) = stream.next().await {
            buf.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
            if buf.contains(&r.id.to_string()) {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(got, Ok(true), "no change event arrived: {buf}");
    // The replay came first, with ids in order.
    let ids: Vec<i64> = buf.lines().filter_map(|l| l.strip_prefix("id:")).map(|v| v.trim().parse().unwrap()).collect();
    assert_eq!(ids, vec![first.version, r.version], "{buf}");
    assert!(buf.contains("event: change") || buf.contains("event:change"));
}

#[tokio::test]
async fn cti_screen_pop_reaches_the_extension() {
    let app = TestApp::spawn().await;
    let agent = app.login("agent").await;
    let c = app.new_citizen(&agent, "Kemal Arslan", "05324445566").await;
    let res = app.http.get(app.url("/events")).bearer_auth(&agent.token).send().await.unwrap();
    let mut stream = res.bytes_stream();
    let pbx = app.login("lead").await;
    let (st, _) =
        app.post(&pbx, "/cti/calls", json!({"ani": "905324445566", "extension": "1001", "event": "ringing"})).await;
    assert_eq!(st, StatusCode::ACCEPTED);
    let mut buf = String::new();
    let got = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(chunk) = stream.next().await {
            buf.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
            if buf.contains("screen_pop") && buf.contains(&c.id.to_string()) {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(got, Ok(true), "{buf}");
}

#[tokio::test]
async fn reference_endpoints_suggest_and_openapi() {
    let app = TestApp::spawn().await;
    let s = app.login("agent").await;
    let (st, units) = app.get(&s, "/units").await;
    assert_eq!(st, StatusCode::OK);
    assert!(units.as_array().unwrap().iter().any(|u| u["code"] == "GASKI"));
    let (_, cats) = app.get(&s, "/categories").await;
    assert!(cats.as_array().unwrap().len() >= 60);
    let (_, districts) = app.get(&s, "/districts").await;
    assert_eq!(districts.as_array().unwrap().len(), 9);
    let (st, sug) = app.get(&s, &format!("/categories/suggest?q={}", urlencode("iki gündür suyumuz akmıyor"))).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(sug[0]["unit"], "GASKI", "{sug}");
    let (_, sug) = app.get(&s, &format!("/categories/suggest?q={}", urlencode("gaz kokusu var"))).await;
    assert_eq!(sug[0]["emergency"], true, "{sug}");

    let doc: Value = app.http.get(app.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/requests",
        "/api/v1/sync/push",
        "/api/v1/sync/pull",
        "/api/v1/citizens/{id}/requests",
        "/api/v1/events",
    ] {
        assert!(paths.contains_key(p), "{p} missing from OpenAPI");
    }
    let (st, health) = app.get(&s, "/health").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(health["db"], "sqlite");
}

#[tokio::test]
async fn duplicates_merge_co_reporters_and_bounces_escalate() {
    let app = TestApp::spawn().await;
    let agent = app.login("agent").await;
    let lead = app.login("lead").await;
    let c1 = app.new_citizen(&agent, "Ali Koç", "05320000001").await;
    let c2 = app.new_citizen(&agent, "Veli Koç", "05320000002").await;
    let original = app.new_request(&agent, Some(c1.id), &water_category()).await;
    let dup = app.new_request(&agent, Some(c2.id), &water_category()).await;
    let (st, body) = app.act(&lead, &dup, json!({"action": "mark_duplicate", "of": original.id})).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "duplicate");
    let (_, orig) = app.get(&agent, &format!("/requests/{}", original.id)).await;
    assert_eq!(orig["co_reporters"], json!([c2.id]));

    // GASKI → PARK_BAHCE → GASKI is escalated.
    let (st, _) =
        app.act(&lead, &original, json!({"action": "reroute", "unit": "PARK_BAHCE", "reason": "yeşil alan"})).await;
    assert_eq!(st, StatusCode::OK);
    let (st, body) =
        app.act(&lead, &original, json!({"action": "reroute", "unit": "GASKI", "reason": "su hattı"})).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let kinds: Vec<&str> = body["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "escalated").count(), 1, "{kinds:?}");
}

#[tokio::test]
async fn shutdown_ends_open_event_streams() {
    let app = TestApp::spawn().await;
    let s = app.login("agent").await;
    let res = app.http.get(app.url("/events")).bearer_auth(&s.token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mut stream = res.bytes_stream();
    let stopped = tokio::time::timeout(Duration::from_secs(5), app.server.shutdown()).await;
    assert!(stopped.is_ok(), "graceful shutdown waited on an event stream");
    // The client sees its stream end.
    let ended =
        tokio::time::timeout(Duration::from_secs(5), async { while let Some(Ok(_)) = stream.next().await {} }).await;
    assert!(ended.is_ok());
}
