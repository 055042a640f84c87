//! Who may do what to which request (issue 6, server side), against the real
//! server on 127.0.0.1:0 over a fresh SQLite file per test, with the demo
//! users (`agent`, `lead`, `admin`, and one unit representative per
//! metropolitan unit, named by the unit code in lower case: `gaski`,
//! `park_bahce`, …).
//!
//! - The whole role × action matrix of `POST /requests/{id}/actions`, written
//!   out below as a table from the product rules, not computed from the code
//!   under test.
//! - Bad input on actions and stale base versions.
//! - SLA due times filed on the arife of a religious holiday and during it.

use beyazmasa::domain::reference::SlaTarget;
use beyazmasa::domain::status::Status;
use beyazmasa::protocol::LoginResponse;
use beyazmasa::server::demo::{DEMO_PASSWORD, create_demo_users};
use beyazmasa::server::{AppState, RunningServer, spawn};
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

/// A GASKİ category (water fault) with no district routing: filed in
/// Şahinbey it goes to GASKI.
const GASKI_CATEGORY: &str = "SU_ARIZA";
/// A park category; Şahinbey is not among its district routings, so it goes
/// to PARK_BAHCE.
const PARK_CATEGORY: &str = "PARK_BAKIM";

struct TestApp {
    server: RunningServer,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

struct Session {
    username: &'static str,
    token: String,
    device_id: Uuid,
}

impl TestApp {
    async fn spawn() -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("scope.db").display());
        let state = AppState::open(&url).await.unwrap();
        create_demo_users(state.store.as_ref(), &state.reference.taxonomy).await.unwrap();
        let server = spawn(state, "127.0.0.1:0".parse().unwrap()).await.unwrap();
        TestApp { server, http: reqwest::Client::new(), _dir: dir }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.server.base_url())
    }

    async fn login(&self, username: &'static str) -> Session {
        let res = self
            .http
            .post(self.url("/auth/login"))
            .json(&json!({"username": username, "password": DEMO_PASSWORD, "device_name": "scope test"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "login {username}");
        let body: LoginResponse = res.json().await.unwrap();
        Session { username, token: body.token, device_id: body.device_id }
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

    async fn act(&self, s: &Session, id: Uuid, action: Value) -> (StatusCode, Value) {
        self.post(s, &format!("/requests/{id}/actions"), action).await
    }

    async fn request(&self, s: &Session, id: Uuid) -> Value {
        let (st, body) = self.get(s, &format!("/requests/{id}")).await;
        assert_eq!(st, StatusCode::OK, "{body}");
        body
    }

    /// Files a complaint in Şahinbey/Karataş; `forward: false` leaves it
    /// registered.
    async fn file(&self, s: &Session, category: &str, kind: &str, forward: bool) -> Value {
        let (st, body) = self
            .post(
                s,
                "/requests",
                json!({"type": kind, "channel": "line153", "category": category, "forward": forward,
                       "location": {"district": "SAHINBEY", "neighbourhood": "Karataş"},
                       "description": "Sokakta su borusu patladı"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{body}");
        body
    }

    /// A fresh GASKİ request brought to `status` by the shift lead along the
    /// happy path.
    async fn gaski_request_in(&self, agent: &Session, lead: &Session, status: Status, kind: &str) -> Uuid {
        let r = self.file(agent, GASKI_CATEGORY, kind, status != Status::Registered).await;
        assert_eq!(r["unit"], "GASKI", "{r}");
        let id: Uuid = r["id"].as_str().unwrap().parse().unwrap();
        let accept = json!({"action": "accept"});
        let wait = json!({"action": "wait", "reason": "Vatandaştan adres tarifi bekleniyor"});
        let resolve = json!({"action": "resolve", "reply": "Arıza giderildi."});
        let inform = json!({"action": "inform", "text": "Vatandaş arandı"});
        let close = json!({"action": "close"});
        let steps: Vec<&Value> = match status {
            Status::Registered | Status::Forwarded => vec![],
            Status::InProgress => vec![&accept],
            Status::Waiting => vec![&accept, &wait],
            Status::Resolved => vec![&accept, &resolve],
            Status::Informed => vec![&accept, &resolve, &inform],
            Status::Closed => vec![&accept, &resolve, &inform, &close],
            other => panic!("no set-up path to {other:?}"),
        };
        for step in steps {
            let (st, body) = self.act(lead, id, step.clone()).await;
            assert_eq!(st, StatusCode::OK, "set-up {step}: {body}");
        }
        let r = self.request(lead, id).await;
        assert_eq!(r["status"], status.as_str(), "set-up reached the wrong status: {r}");
        id
    }

    /// What an observer sees of a request and of the change feed.
    async fn observe(&self, s: &Session, id: Uuid) -> Observed {
        let request = self.request(s, id).await;
        let (st, health) = self.get(s, "/health").await;
        assert_eq!(st, StatusCode::OK);
        Observed { request, seq: health["seq"].as_i64().unwrap() }
    }

    /// Changes in the feed after `since`.
    async fn changes_since(&self, s: &Session, since: i64) -> Vec<Value> {
        let (st, page) = self.get(s, &format!("/sync/pull?since={since}&limit=100")).await;
        assert_eq!(st, StatusCode::OK, "{page}");
        page["changes"].as_array().unwrap().clone()
    }

    /// Checks that nothing changed since `before`: the request as `GET`
    /// returns it (version, status, timeline, …) and the change feed.
    /// Returns what differs, if anything.
    async fn unchanged_since(&self, s: &Session, id: Uuid, before: &Observed) -> Option<String> {
        let after = self.observe(s, id).await;
        let mut diffs = Vec::new();
        if after.request != before.request {
            let r = |v: &Value| {
                (v["version"].clone(), v["status"].clone(), v["timeline"].as_array().map(Vec::len).unwrap_or(0))
            };
            diffs.push(format!(
                "request changed: (version, status, timeline length) {:?} → {:?}",
                r(&before.request),
                r(&after.request)
            ));
        }
        if after.seq != before.seq {
            diffs.push(format!("change sequence moved {} → {}", before.seq, after.seq));
        }
        let changes = self.changes_since(s, before.seq).await;
        if !changes.is_empty() {
            diffs.push(format!("{} change(s) in the feed", changes.len()));
        }
        (!diffs.is_empty()).then(|| diffs.join("; "))
    }
}

struct Observed {
    request: Value,
    seq: i64,
}

/// Whether `body` is the API's one error shape, `{"error":{"code","message","field"?}}`,
/// with this code.
fn is_api_error(body: &Value, code: &str) -> bool {
    let Some(outer) = body.as_object() else { return false };
    let Some(e) = body["error"].as_object() else { return false };
    outer.len() == 1
        && e.keys().all(|k| matches!(k.as_str(), "code" | "message" | "field"))
        && e.get("code").and_then(Value::as_str) == Some(code)
        && e.get("message").and_then(Value::as_str).is_some_and(|m| !m.trim().is_empty())
}

fn id_of(v: &Value) -> Uuid {
    v["id"].as_str().unwrap().parse().unwrap()
}

// ------------------------------------------------------------- the matrix

/// The five kinds of caller, in the matrix's column order.
const WHO: [&str; 5] = [
    "agent",      // call-centre agent
    "gaski",      // unit representative of the request's unit (GASKI)
    "park_bahce", // unit representative of another unit
    "lead",       // shift lead
    "admin",
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum May {
    Yes,
    No,
}
const Y: May = May::Yes;
const N: May = May::No;

/// Anything an action needs besides the request: a citizen to add as a
/// co-reporter, and an open GASKİ request to be a duplicate of.
struct Fixture {
    citizen: Uuid,
    original: Uuid,
}

struct Row {
    action: &'static str,
    /// The status the request is in when the action is tried (one where the
    /// action applies).
    from: Status,
    /// The status after an allowed action.
    after: Status,
    /// Agent, own unit rep, other unit rep, lead, admin.
    may: [May; 5],
    body: fn(&Fixture) -> Value,
}

/// The product rules, one row per action:
///
/// - Leads and admins may do everything.
/// - A unit representative acts only on requests of their own units: on
///   another unit's request everything is forbidden. On their own they work
///   the request (accept, assign, wait, resume, re-route, resolve, close,
///   out of remit, mark duplicate), may forward, inform, reopen, note, log a
///   contact or add a co-reporter, but not cancel: cancelling is the call
///   centre's (agent or lead).
/// - An agent files and forwards on the call, notes, logs contacts and
///   co-reporters, informs the citizen, cancels and reopens; the unit's work
///   (accept, assign, wait, resume, re-route, close, out of remit, mark
///   duplicate) is not theirs. An agent may resolve only an information
///   (bilgi) request: the complaint here is not one (see
///   `agents_answer_information_requests_only` for the bilgi case).
fn matrix() -> Vec<Row> {
    use Status::*;
    #[rustfmt::skip]
    let rows = vec![
        // may: [agent, gaski (the request's unit), park_bahce (another unit), lead, admin]
        Row { action: "forward",         from: Registered, after: Forwarded,  may: [Y, Y, N, Y, Y],
              body: |_| json!({"action": "forward"}) },
        Row { action: "accept",          from: Forwarded,  after: InProgress, may: [N, Y, N, Y, Y],
              body: |_| json!({"action": "accept"}) },
        Row { action: "assign",          from: InProgress, after: InProgress, may: [N, Y, N, Y, Y],
              body: |_| json!({"action": "assign", "assignee": "Saha ekibi 3"}) },
        Row { action: "note",            from: Forwarded,  after: Forwarded,  may: [Y, Y, N, Y, Y],
              body: |_| json!({"action": "note", "text": "Vatandaş öğleden sonra evde", "internal": true}) },
        Row { action: "wait",            from: InProgress, after: Waiting,    may: [N, Y, N, Y, Y],
              body: |_| json!({"action": "wait", "reason": "Sayaç numarası bekleniyor"}) },
        Row { action: "resume",          from: Waiting,    after: InProgress, may: [N, Y, N, Y, Y],
              body: |_| json!({"action": "resume"}) },
        Row { action: "reroute",         from: InProgress, after: Forwarded,  may: [N, Y, N, Y, Y],
              body: |_| json!({"action": "reroute", "unit": "FEN_ISLERI", "reason": "Yol çökmesi, boru değil"}) },
        Row { action: "resolve",         from: InProgress, after: Resolved,   may: [N, Y, N, Y, Y],
              body: |_| json!({"action": "resolve", "reply": "Boru değiştirildi."}) },
        Row { action: "inform",          from: Resolved,   after: Informed,   may: [Y, Y, N, Y, Y],
              body: |_| json!({"action": "inform", "text": "Telefonla bildirildi"}) },
        Row { action: "close",           from: Informed,   after: Closed,     may: [N, Y, N, Y, Y],
              body: |_| json!({"action": "close"}) },
        Row { action: "out_of_remit",    from: InProgress, after: OutOfRemit, may: [N, Y, N, Y, Y],
              body: |_| json!({"action": "out_of_remit", "body": "TOROSLAR", "message": "Elektrik arızası, 186"}) },
        Row { action: "mark_duplicate",  from: Forwarded,  after: Duplicate,  may: [N, Y, N, Y, Y],
              body: |f| json!({"action": "mark_duplicate", "of": f.original}) },
        Row { action: "cancel",          from: Forwarded,  after: Cancelled,  may: [Y, N, N, Y, Y],
              body: |_| json!({"action": "cancel", "reason": "Vatandaş başvurusunu geri çekti"}) },
        Row { action: "reopen",          from: Closed,     after: Reopened,   may: [Y, Y, N, Y, Y],
              body: |_| json!({"action": "reopen", "reason": "Su yine kesildi"}) },
        Row { action: "contact",         from: Forwarded,  after: Forwarded,  may: [Y, Y, N, Y, Y],
              body: |_| json!({"action": "contact", "text": "Ne zaman gelinecek diye sordu"}) },
        Row { action: "add_co_reporter", from: Forwarded,  after: Forwarded,  may: [Y, Y, N, Y, Y],
              body: |f| json!({"action": "add_co_reporter", "citizen_id": f.citizen}) },
    ];
    rows
}

#[tokio::test]
async fn every_role_and_action_is_allowed_or_forbidden_as_the_rules_say() {
    let app = TestApp::spawn().await;
    let mut sessions = Vec::new();
    for who in WHO {
        sessions.push(app.login(who).await);
    }
    let (agent, lead) = (&sessions[0], &sessions[3]);
    let (st, citizen) =
        app.post(agent, "/citizens", json!({"full_name": "Hatice Yıldız", "phones": ["0532 111 22 33"]})).await;
    assert_eq!(st, StatusCode::CREATED, "{citizen}");
    let original = app.gaski_request_in(agent, lead, Status::Forwarded, "complaint").await;
    let fixture = Fixture { citizen: id_of(&citizen), original };

    let rows = matrix();
    // Every action of the API has its row, once.
    let mut actions: Vec<&str> = rows.iter().map(|r| r.action).collect();
    actions.sort();
    actions.dedup();
    assert_eq!(actions.len(), 16);
    assert_eq!(rows.len(), 16);

    let mut failures = Vec::new();
    let mut cases = 0;
    for row in &rows {
        for (col, session) in sessions.iter().enumerate() {
            cases += 1;
            let id = app.gaski_request_in(agent, lead, row.from, "complaint").await;
            let body = (row.body)(&fixture);
            let before = app.observe(lead, id).await;
            let (st, res) = app.act(session, id, body.clone()).await;
            let case = format!("{} by {} from {}", row.action, session.username, row.from.as_str());
            match row.may[col] {
                May::Yes => {
                    if st != StatusCode::OK {
                        failures.push(format!("{case}: expected 200, got {st}: {res}"));
                        continue;
                    }
                    if res["status"] != row.after.as_str() {
                        failures.push(format!("{case}: expected status {}, got {}", row.after.as_str(), res["status"]));
                    }
                    if res["version"].as_i64() <= before.request["version"].as_i64() {
                        failures.push(format!("{case}: the version did not move: {res}"));
                    }
                    // What the caller got is what everyone now reads.
                    let now = app.request(lead, id).await;
                    if now != res {
                        failures.push(format!("{case}: the answer differs from GET: {res} vs {now}"));
                    }
                }
                May::No => {
                    if st != StatusCode::FORBIDDEN {
                        failures.push(format!("{case}: expected 403, got {st}: {res}"));
                    } else if !is_api_error(&res, "forbidden") {
                        failures.push(format!("{case}: 403 without the API error shape: {res}"));
                    }
                    if let Some(diff) = app.unchanged_since(lead, id, &before).await {
                        failures.push(format!("{case}: refused, yet {diff}"));
                    }
                }
            }
        }
    }
    assert_eq!(cases, 80);
    assert!(failures.is_empty(), "{} of {cases} cases wrong:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn agents_answer_information_requests_only() {
    let app = TestApp::spawn().await;
    let agent = app.login("agent").await;
    let lead = app.login("lead").await;
    // A bilgi request still open with the unit: the agent may answer it.
    let info = app.gaski_request_in(&agent, &lead, Status::Forwarded, "information").await;
    let (st, body) = app.act(&agent, info, json!({"action": "resolve", "reply": "Kesinti 16:00'da biter."})).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "resolved");
    // The same for a request (talep) is the unit's.
    let talep = app.gaski_request_in(&agent, &lead, Status::Forwarded, "request").await;
    let before = app.observe(&lead, talep).await;
    let (st, body) = app.act(&agent, talep, json!({"action": "resolve", "reply": "Hallettik."})).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
    assert!(is_api_error(&body, "forbidden"), "{body}");
    assert_eq!(app.unchanged_since(&lead, talep, &before).await, None);
}

/// The configured read scope: `GET /requests/{id}`, `GET /requests` and
/// `/sync/pull` filter by nobody's unit, so everyone signed in reads every
/// request; the unit scope (`check_scope` in the service) limits acting, not
/// reading. Another unit's request is read-only for a unit representative,
/// not invisible.
#[tokio::test]
async fn another_units_request_is_read_only_for_a_unit_rep() {
    let app = TestApp::spawn().await;
    let agent = app.login("agent").await;
    let lead = app.login("lead").await;
    let park = app.login("park_bahce").await;
    let id = app.gaski_request_in(&agent, &lead, Status::InProgress, "complaint").await;
    let seen_by_lead = app.request(&lead, id).await;

    // By id and by tracking number: the whole request, timeline included.
    let (st, by_id) = app.get(&park, &format!("/requests/{id}")).await;
    assert_eq!(st, StatusCode::OK, "{by_id}");
    assert_eq!(by_id, seen_by_lead);
    let tracking = seen_by_lead["tracking_no"].as_str().unwrap();
    let (st, by_no) = app.get(&park, &format!("/requests/{tracking}")).await;
    assert_eq!(st, StatusCode::OK, "{by_no}");
    assert_eq!(by_no, seen_by_lead);
    // In lists filtered to the other unit, too.
    let (st, page) = app.get(&park, "/requests?unit=GASKI&status=open").await;
    assert_eq!(st, StatusCode::OK, "{page}");
    assert!(page["items"].as_array().unwrap().iter().any(|r| id_of(r) == id), "{page}");
    // And in the change feed.
    let changes = app.changes_since(&park, 0).await;
    assert!(changes.iter().any(|c| c["entity"] == "request" && id_of(&c["data"]) == id));

    // Reading is all: even a note is refused, and changes nothing.
    let before = app.observe(&lead, id).await;
    let (st, body) = app.act(&park, id, json!({"action": "note", "text": "Bizim alan değil"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
    assert!(is_api_error(&body, "forbidden"), "{body}");
    assert_eq!(app.unchanged_since(&lead, id, &before).await, None);
}

/// Marking a request as a duplicate also writes to the original (its
/// co-reporters and version). A unit representative may do that only when
/// the original is also one of their units' requests; across units it is
/// the shift lead's call.
#[tokio::test]
async fn a_unit_rep_cannot_merge_into_another_units_request() {
    let app = TestApp::spawn().await;
    let agent = app.login("agent").await;
    let lead = app.login("lead").await;
    let gaski = app.login("gaski").await;
    let (st, c1) = app.post(&agent, "/citizens", json!({"full_name": "Ali Koç", "phones": ["05320000001"]})).await;
    assert_eq!(st, StatusCode::CREATED);
    let (st, c2) = app.post(&agent, "/citizens", json!({"full_name": "Veli Koç", "phones": ["05320000002"]})).await;
    assert_eq!(st, StatusCode::CREATED);
    let file_for = |category: &'static str, citizen: Uuid, description: &'static str| {
        let (app, agent) = (&app, &agent);
        async move {
            let (st, body) = app
                .post(
                    agent,
                    "/requests",
                    json!({"type": "complaint", "channel": "line153", "category": category, "citizen_id": citizen,
                           "location": {"district": "SAHINBEY", "neighbourhood": "Karataş"},
                           "description": description}),
                )
                .await;
            assert_eq!(st, StatusCode::CREATED, "{body}");
            body
        }
    };
    let park_original = file_for(PARK_CATEGORY, id_of(&c1), "Parktaki sulama borusu patladı").await;
    assert_eq!(park_original["unit"], "PARK_BAHCE");
    let dup = file_for(GASKI_CATEGORY, id_of(&c2), "Park önünde su fışkırıyor").await;
    assert_eq!(dup["unit"], "GASKI");

    let before_dup = app.observe(&lead, id_of(&dup)).await;
    let before_original = app.request(&lead, id_of(&park_original)).await;
    let (st, body) =
        app.act(&gaski, id_of(&dup), json!({"action": "mark_duplicate", "of": id_of(&park_original)})).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
    assert!(is_api_error(&body, "forbidden"), "{body}");
    assert_eq!(app.unchanged_since(&lead, id_of(&dup), &before_dup).await, None);
    assert_eq!(app.request(&lead, id_of(&park_original)).await, before_original);

    // The lead may, and the duplicate's citizen joins the original.
    let (st, body) =
        app.act(&lead, id_of(&dup), json!({"action": "mark_duplicate", "of": id_of(&park_original)})).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "duplicate");
    let original = app.request(&lead, id_of(&park_original)).await;
    assert_eq!(original["co_reporters"], json!([id_of(&c2)]));
}

// ------------------------------------------------------------- bad input

#[tokio::test]
async fn bad_action_input_is_422_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let agent = app.login("agent").await;
    let lead = app.login("lead").await;
    let gaski = app.login("gaski").await;
    let id = app.gaski_request_in(&agent, &lead, Status::InProgress, "complaint").await;

    let cases = [
        (json!({"action": "resolve", "reply": ""}), "reply"),
        (json!({"action": "resolve", "reply": "   \n "}), "reply"),
        (json!({"action": "reroute", "unit": "PARK_BAHCE"}), "reason"),
        (json!({"action": "reroute", "unit": "PARK_BAHCE", "reason": ""}), "reason"),
        (json!({"action": "reroute", "unit": "PARK_BAHCE", "reason": "  "}), "reason"),
    ];
    for (action, field) in cases {
        let before = app.observe(&lead, id).await;
        let (st, body) = app.act(&gaski, id, action.clone()).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{action}: {body}");
        assert!(is_api_error(&body, "invalid_field"), "{action}: {body}");
        assert_eq!(body["error"]["field"], field, "{action}: {body}");
        assert_eq!(app.unchanged_since(&lead, id, &before).await, None, "{action}");
    }
}

#[tokio::test]
async fn a_stale_base_version_is_a_conflict_and_overwrites_nothing() {
    let app = TestApp::spawn().await;
    let agent = app.login("agent").await;
    let lead = app.login("lead").await;
    let gaski = app.login("gaski").await;
    let id = app.gaski_request_in(&agent, &lead, Status::Forwarded, "complaint").await;
    // The unit rep opens the request at this version…
    let seen = app.request(&gaski, id).await;
    let base = seen["version"].as_i64().unwrap();
    // …meanwhile the lead accepts it for a field team.
    let (st, accepted) =
        app.act(&lead, id, json!({"action": "accept", "assignee": "Saha ekibi 2", "base_version": base})).await;
    assert_eq!(st, StatusCode::OK, "{accepted}");
    let current = app.observe(&lead, id).await;
    let now = current.request["version"].as_i64().unwrap();
    assert!(now > base);

    // REST: the rep's resolve on the old version is 409, naming the current
    // version and status.
    let (st, body) =
        app.act(&gaski, id, json!({"action": "resolve", "reply": "Giderildi.", "base_version": base})).await;
    assert_eq!(st, StatusCode::CONFLICT, "{body}");
    assert!(is_api_error(&body, "conflict"), "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(&format!("now {now}")) && message.contains("in_progress"), "{message}");
    assert_eq!(app.unchanged_since(&lead, id, &current).await, None);

    // Sync push (the console's outbox): the same stale change comes back as
    // a conflict carrying the whole current request.
    let push = json!({"device_id": gaski.device_id, "mutations": [{
        "mutation_id": Uuid::now_v7(), "kind": "request_action", "request_id": id, "base_version": base,
        "action": {"action": "resolve", "reply": "Giderildi."}}]});
    let (st, res) = app.post(&gaski, "/sync/push", push).await;
    assert_eq!(st, StatusCode::OK, "{res}");
    let result = &res["results"][0];
    assert_eq!(result["result"], "conflict", "{res}");
    assert_eq!(result["current"]["entity"], "request");
    assert_eq!(result["current"]["data"], current.request);
    assert_eq!(current.request["assigned_to"], "Saha ekibi 2");
    assert_eq!(app.unchanged_since(&lead, id, &current).await, None);

    // On the current version the same change goes through.
    let (st, body) =
        app.act(&gaski, id, json!({"action": "resolve", "reply": "Giderildi.", "base_version": now})).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "resolved");
}

// ------------------------------------------------------------- SLA

/// Files a request as the console does for an offline filing: with the time
/// it was recorded. Returns its due time.
async fn due_of(app: &TestApp, s: &Session, category: &str, created_at: &str) -> DateTime<Utc> {
    let (st, body) = app
        .post(
            s,
            "/requests",
            json!({"type": "complaint", "channel": "line153", "category": category, "created_at": created_at,
                   "location": {"district": "SAHINBEY", "neighbourhood": "Karataş"},
                   "description": "Bayram öncesi kayıt"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    let at = |v: &Value| v.as_str().unwrap().parse::<DateTime<Utc>>().unwrap();
    assert_eq!(at(&body["created_at"]), created_at.parse::<DateTime<Utc>>().unwrap(), "{body}");
    // The stored request agrees with the answer.
    let stored = app.request(s, id_of(&body)).await;
    assert_eq!(stored["sla_due_at"], body["sla_due_at"]);
    at(&body["sla_due_at"])
}

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// Due times around religious holidays, from `data/holidays.json`, worked out
/// by hand. Local time is Europe/Istanbul, UTC+03:00 all year. Working days
/// are Monday to Friday except full holidays; a half day (arife) ends at
/// 13:00, others at 17:00. An `n` working-day target is due at the end of the
/// n-th working day after the day of filing (which never counts).
#[tokio::test]
async fn sla_due_times_around_religious_holidays() {
    let app = TestApp::spawn().await;
    let agent = app.login("agent").await;
    let tax = beyazmasa::domain::reference::shipped_taxonomy();
    let sla = |code: &str| tax.category(code).unwrap().sla;
    // The targets the expectations below are worked out for.
    assert_eq!(sla("SU_SAYAC"), SlaTarget::WorkingDays(5), "water meter");
    assert_eq!(sla("YAGMUR_IZGARA"), SlaTarget::WorkingDays(3), "storm drain grate");
    assert_eq!(sla("SU_KESINTISI"), SlaTarget::Hours(12), "water cut");

    // Kurban Bayramı 2025: arife Thu 5 June (half day), bayram Fri 6 – Mon 9 June.
    // Filed on the arife at 14:30, after its 13:00 close: the rest of the
    // arife, the bayram and the weekend do not count.
    //   Thu 05.06  day of filing (arife)      –
    //   Fri 06.06  Kurban 1                   –
    //   Sat 07.06  Kurban 2, weekend          –
    //   Sun 08.06  Kurban 3, weekend          –
    //   Mon 09.06  Kurban 4                   –
    //   Tue 10.06  1 · Wed 11.06  2 · Thu 12.06  3 · Fri 13.06  4
    //   Sat 14.06, Sun 15.06 weekend          –
    //   Mon 16.06  5 → 17:00+03 = 14:00Z
    assert_eq!(due_of(&app, &agent, "SU_SAYAC", "2025-06-05T11:30:00Z").await, utc("2025-06-16T14:00:00Z"));

    // Ramazan Bayramı 2024: arife Tue 9 April (half day), bayram Wed 10 – Fri 12 April.
    // Filed on the arife at 15:00, storm drain grate, 3 working days:
    //   Tue 09.04  day of filing (arife)      –
    //   Wed 10.04 – Fri 12.04  Ramazan 1–3    –
    //   Sat 13.04, Sun 14.04 weekend          –
    //   Mon 15.04  1 · Tue 16.04  2 · Wed 17.04  3 → 17:00+03 = 14:00Z
    assert_eq!(due_of(&app, &agent, "YAGMUR_IZGARA", "2024-04-09T12:00:00Z").await, utc("2024-04-17T14:00:00Z"));

    // Due on the arife itself: the half day's afternoon is not working time.
    // Filed Mon 2 June 2025 10:00, 3 working days:
    //   Tue 03.06  1 · Wed 04.06  2 · Thu 05.06 (arife)  3 → 13:00+03 = 10:00Z, not 17:00
    assert_eq!(due_of(&app, &agent, "YAGMUR_IZGARA", "2025-06-02T07:00:00Z").await, utc("2025-06-05T10:00:00Z"));

    // Filed during the bayram itself, Fri 6 June 2025 (Kurban 1) at 11:00:
    // counting starts after the bayram and the weekend.
    //   Sat 07.06 – Mon 09.06  Kurban 2–4 (Sat, Sun weekend as well)  –
    //   Tue 10.06  1 · Wed 11.06  2 · Thu 12.06  3 → 17:00+03 = 14:00Z   (3 working days)
    //   … Fri 13.06  4 · Mon 16.06  5 → 17:00+03 = 14:00Z               (5 working days)
    assert_eq!(due_of(&app, &agent, "YAGMUR_IZGARA", "2025-06-06T08:00:00Z").await, utc("2025-06-12T14:00:00Z"));
    assert_eq!(due_of(&app, &agent, "SU_SAYAC", "2025-06-06T08:00:00Z").await, utc("2025-06-16T14:00:00Z"));

    // An hours target is calendar hours, round the clock: a water cut
    // reported on the arife at 14:30 is due 12 hours later, in the bayram.
    //   Thu 05.06 14:30+03 + 12 h = Fri 06.06 02:30+03 = Thu 05.06 23:30Z
    assert_eq!(due_of(&app, &agent, "SU_KESINTISI", "2025-06-05T11:30:00Z").await, utc("2025-06-05T23:30:00Z"));
}
