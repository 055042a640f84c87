//! The shift lead's wallboard (`GET /api/v1/stats/*`). Each aggregate is
//! checked against figures worked out by hand on a small data set.
//!
//! Where the clock matters (SLA, aging, intake, agents, hot spots) the data
//! is filed through the service with fixed `created_at` times and the panes
//! are computed through the store at a fixed `now`, the same functions the
//! routes call with the server's clock. The HTTP tests use a real server on
//! loopback with data relative to the real clock.

use std::collections::HashMap;
use std::time::Duration;

use beyazmasa::domain::calendar::istanbul;
use beyazmasa::domain::status::Role;
use beyazmasa::protocol::stats::*;
use beyazmasa::protocol::*;
use beyazmasa::server::auth::{AuthUser, hash_password};
use beyazmasa::server::live::{LiveCall, LiveSnapshot, Seen};
use beyazmasa::server::stats::{self, Scope};
use beyazmasa::server::store::{CallRecord, NewUser, StatsReader};
use beyazmasa::server::{AppState, RunningServer, service, spawn};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

const PASSWORD: &str = "test-parola-1";

/// A local Europe/Istanbul time, as UTC.
fn at(s: &str) -> DateTime<Utc> {
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap_or_else(|e| panic!("{s}: {e}"));
    istanbul().from_local_datetime(&naive).single().unwrap().to_utc()
}

struct TestApp {
    server: RunningServer,
    http: reqwest::Client,
    users: HashMap<String, AuthUser>,
    dir: tempfile::TempDir,
}

struct Session {
    token: String,
}

impl TestApp {
    async fn spawn() -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("stats.db").display());
        let state = AppState::open(&url).await.unwrap();
        let hash = hash_password(PASSWORD).unwrap();
        let mut users = HashMap::new();
        for (username, role, units, ext) in [
            ("agent", Role::Agent, vec![], Some("1001")),
            ("agent2", Role::Agent, vec![], Some("1002")),
            ("agent3", Role::Agent, vec![], Some("1003")),
            ("gaski", Role::UnitRep, vec!["GASKI".to_string()], None),
            ("park", Role::UnitRep, vec!["PARK_BAHCE".to_string()], None),
            ("lead", Role::Lead, vec![], None),
            ("admin", Role::Admin, vec![], None),
        ] {
            let info = state
                .store
                .create_user(NewUser {
                    username: username.into(),
                    full_name: format!("{username} user"),
                    password_hash: hash.clone(),
                    role,
                    units,
                    extension: ext.map(String::from),
                })
                .await
                .unwrap();
            users.insert(username.to_string(), AuthUser { user: info, device_id: Uuid::now_v7() });
        }
        let server = spawn(state, "127.0.0.1:0".parse().unwrap()).await.unwrap();
        TestApp { server, http: reqwest::Client::new(), users, dir }
    }

    fn state(&self) -> &AppState {
        &self.server.state
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
        Session { token: body.token }
    }

    async fn get(&self, s: &Session, path: &str) -> (StatusCode, Value) {
        let res = self.http.get(self.url(path)).bearer_auth(&s.token).send().await.unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, s: &Session, path: &str, body: Value) -> (StatusCode, Value) {
        let res = self.http.post(self.url(path)).bearer_auth(&s.token).json(&body).send().await.unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Files a request through the service as `who`, at a fixed time.
    async fn file(&self, who: &str, f: Filing<'_>) -> Request {
        let mut n = NewRequest::new(
            beyazmasa::domain::model::RequestType::Complaint,
            beyazmasa::domain::model::Channel::parse(f.channel).unwrap(),
            f.category,
            "Wallboard test request",
        );
        n.location = Some(Location {
            district: "SAHINBEY".into(),
            neighbourhood: f.neighbourhood.map(String::from),
            ..Default::default()
        });
        n.created_at = Some(f.at);
        n.call_seconds = f.call_seconds;
        let outcome = service::apply_once(self.state(), &self.users[who], MutationOp::CreateRequest { request: n })
            .await
            .unwrap();
        match outcome {
            Outcome::Applied { entity: Entity::Request(r), .. } => *r,
            other => panic!("filing {f:?}: {other:?}"),
        }
    }

    async fn act(&self, who: &str, r: &Request, action: Action) -> Request {
        let op = MutationOp::RequestAction { request_id: r.id, base_version: None, action: action.clone() };
        match service::apply_once(self.state(), &self.users[who], op).await.unwrap() {
            Outcome::Applied { entity: Entity::Request(r), .. } => *r,
            other => panic!("{action:?} by {who}: {other:?}"),
        }
    }

    async fn reader(&self) -> Box<dyn StatsReader> {
        self.state().store.stats_reader().await.unwrap()
    }
}

#[derive(Debug, Clone, Copy)]
struct Filing<'a> {
    category: &'a str,
    at: DateTime<Utc>,
    neighbourhood: Option<&'a str>,
    channel: &'a str,
    call_seconds: Option<u32>,
}

fn filing(category: &str, at: DateTime<Utc>) -> Filing<'_> {
    Filing { category, at, neighbourhood: Some("Karataş"), channel: "line153", call_seconds: None }
}

fn ids(list: &RequestList) -> Vec<String> {
    list.items.iter().map(|i| i.tracking_no.clone()).collect()
}

fn counts(new: u64, in_progress: u64, waiting: u64, overdue: u64, due_soon: u64) -> UnitCounts {
    UnitCounts { new, in_progress, waiting, open: new + in_progress + waiting, overdue, due_soon }
}

/// The SLA data set, around Cumhuriyet Bayramı 2026: Wed 28 Oct is a half
/// day (work ends 13:00), Thu 29 Oct a holiday. Categories: YAGMUR_IZGARA
/// and PARK_SULAMA are 3 working days, SU_ARIZA and AGAC_DEVRIK 6 calendar
/// hours, SU_KESINTISI 12; ELEKTRIK_KESINTISI is referred out at once.
struct SlaSet {
    a: Request,
    b: Request,
    c: Request,
    d: Request,
    e: Request,
    f: Request,
    h: Request,
    i: Request,
    l: Request,
    m: Request,
    n: Request,
}

async fn sla_set(app: &TestApp) -> SlaSet {
    // Filed Mon 26 10:00: Tue 27, Wed 28 (half), [Thu 29 off], Fri 30 → due Fri 30 17:00.
    let a = app.file("agent", filing("YAGMUR_IZGARA", at("2026-10-26 10:00"))).await;
    // Filed Fri 23: Mon 26, Tue 27, Wed 28 (half day) → due Wed 28 13:00.
    let b = app.file("agent", filing("YAGMUR_IZGARA", at("2026-10-23 10:00"))).await;
    // Filed Tue 27: Wed 28, [Thu 29], Fri 30, [weekend], Mon 2 Nov → due Mon 2 Nov 17:00.
    let c = app.file("agent", filing("YAGMUR_IZGARA", at("2026-10-27 16:00"))).await;
    // 6 calendar hours through the holiday night: due Fri 30 02:00; accepted.
    let d = app.file("agent", filing("SU_ARIZA", at("2026-10-29 20:00"))).await;
    let d = app.act("gaski", &d, Action::Accept { assignee: None }).await;
    // Due Fri 30 12:00, but waiting for the citizen: the clock is paused.
    let e = app.file("agent", filing("SU_ARIZA", at("2026-10-30 06:00"))).await;
    let e = app.act("gaski", &e, Action::Wait { reason: "Adres teyidi bekleniyor".into() }).await;
    // 12 hours: due Fri 30 17:00.
    let f = app.file("agent", filing("SU_KESINTISI", at("2026-10-30 05:00"))).await;
    // Due Fri 30 17:00 but resolved: closed, counted nowhere.
    let g = app.file("agent", filing("SU_ARIZA", at("2026-10-30 11:00"))).await;
    app.act("gaski", &g, Action::Resolve { reply: "Arıza giderildi".into() }).await;
    // PARK_BAHCE, filed on the half day: Fri 30, Mon 2, Tue 3 → due Tue 3 Nov 17:00.
    let h = app.file("agent", filing("PARK_SULAMA", at("2026-10-28 12:00"))).await;
    // 6 calendar hours on a Saturday: due Sat 24 16:00.
    let i = app.file("agent", filing("AGAC_DEVRIK", at("2026-10-24 10:00"))).await;
    // Referred to TOROSLAR on filing: not open.
    app.file("agent", filing("ELEKTRIK_KESINTISI", at("2026-10-30 09:00"))).await;
    // Due exactly at 15:30, the instant the board is read: breached.
    let l = app.file("agent", filing("SU_ARIZA", at("2026-10-30 09:30"))).await;
    // Due 19:00: beyond the 2-hour horizon.
    let m = app.file("agent", filing("SU_ARIZA", at("2026-10-30 13:00"))).await;
    // Filed Tue 1 Sep: Wed 2, Thu 3, Fri 4 → due Fri 4 Sep 17:00.
    let n = app.file("agent", filing("YAGMUR_IZGARA", at("2026-09-01 10:00"))).await;
    SlaSet { a, b, c, d, e, f, h, i, l, m, n }
}

#[tokio::test]
async fn units_sla_and_aging_on_the_working_day_calendar() {
    let app = TestApp::spawn().await;
    let s = sla_set(&app).await;
    // The calendar did what the comments above say.
    for (r, due) in [
        (&s.a, "2026-10-30 17:00"),
        (&s.b, "2026-10-28 13:00"),
        (&s.c, "2026-11-02 17:00"),
        (&s.d, "2026-10-30 02:00"),
        (&s.f, "2026-10-30 17:00"),
        (&s.h, "2026-11-03 17:00"),
        (&s.i, "2026-10-24 16:00"),
        (&s.l, "2026-10-30 15:30"),
        (&s.m, "2026-10-30 19:00"),
        (&s.n, "2026-09-04 17:00"),
    ] {
        assert_eq!(r.sla_due_at, at(due), "{}", r.tracking_no);
    }
    assert_eq!(s.e.status, beyazmasa::domain::status::Status::Waiting);

    let now = at("2026-10-30 15:30");
    let mut r = app.reader().await;
    let units = stats::units(r.as_mut(), &Scope::All, now).await.unwrap();
    assert_eq!(units.soon_minutes, 120);
    let rows: Vec<(&str, &UnitCounts)> = units.units.iter().map(|u| (u.unit.as_str(), &u.counts)).collect();
    // GASKİ: new A B C F L M N, in progress D, waiting E; overdue B D L N
    // (not E: paused; not A: the holiday moved it to 17:00 today); due soon A F.
    // PARK_BAHCE: new H I; overdue I (calendar hours run over the weekend).
    assert_eq!(rows, vec![("GASKI", &counts(7, 1, 1, 4, 2)), ("PARK_BAHCE", &counts(2, 0, 0, 1, 0))]);
    assert_eq!(units.total, counts(9, 1, 1, 5, 2));

    let sla = stats::sla(r.as_mut(), &Scope::All, now, 50).await.unwrap();
    assert_eq!(sla.breached.total, 5);
    assert_eq!(ids(&sla.breached), [&s.n, &s.i, &s.b, &s.d, &s.l].map(|r| r.tracking_no.clone()));
    assert_eq!(sla.due_soon.total, 2);
    assert_eq!(ids(&sla.due_soon), [&s.a, &s.f].map(|r| r.tracking_no.clone()));
    let first = &sla.breached.items[0];
    assert_eq!((first.unit.as_str(), first.category.as_str()), ("GASKI", "YAGMUR_IZGARA"));
    assert_eq!((first.district.as_deref(), first.neighbourhood.as_deref()), (Some("SAHINBEY"), Some("Karataş")));
    assert_eq!(first.sla_due_at, at("2026-09-04 17:00"));
    // A limit cuts the list, not the total; a unit filter cuts both.
    let sla = stats::sla(r.as_mut(), &Scope::All, now, 2).await.unwrap();
    assert_eq!((sla.breached.total, ids(&sla.breached)), (5, vec![s.n.tracking_no.clone(), s.i.tracking_no.clone()]));
    let gaski = Scope::Units(vec!["GASKI".into()]);
    let sla = stats::sla(r.as_mut(), &gaski, now, 50).await.unwrap();
    assert_eq!(ids(&sla.breached), [&s.n, &s.b, &s.d, &s.l].map(|r| r.tracking_no.clone()));
    assert_eq!(sla.breached.total, 4);

    // Aging at Fri 30 15:30. GASKİ: M 2.5 h; D E F L under a day; C 71.5 h;
    // A 101.5 h; B 173.5 h; N older. PARK_BAHCE: H 51.5 h; I 149.5 h.
    let aging = stats::aging(r.as_mut(), &Scope::All, now).await.unwrap();
    assert_eq!(aging.buckets, ["lt_4h", "lt_1d", "lt_3d", "lt_7d", "lt_15d", "older"]);
    assert_eq!(aging.total, [1, 4, 2, 2, 1, 1]);
    let per_unit: Vec<(&str, &[u64])> = aging.units.iter().map(|u| (u.unit.as_str(), u.counts.as_slice())).collect();
    assert_eq!(per_unit, vec![("GASKI", &[1, 4, 1, 1, 1, 1][..]), ("PARK_BAHCE", &[0, 0, 1, 1, 0, 0][..])]);
    let park = Scope::Units(vec!["PARK_BAHCE".into()]);
    let aging = stats::aging(r.as_mut(), &park, now).await.unwrap();
    assert_eq!(aging.total, [0, 0, 1, 1, 0, 0]);
}

#[tokio::test]
async fn due_times_across_the_weekend_and_the_holiday() {
    let app = TestApp::spawn().await;
    let s = sla_set(&app).await;
    let mut r = app.reader().await;
    let gaski = Scope::Units(vec!["GASKI".into()]);
    let row = async |r: &mut dyn StatsReader, now: &str| {
        stats::units(r, &gaski, at(now)).await.unwrap().units.into_iter().next().unwrap().counts
    };
    // Thu 29 Oct 16:00, the holiday: three calendar days after A was filed,
    // but A is due on Fri 30 at 17:00; only B (due on the half day) and N
    // are overdue.
    assert_eq!(row(r.as_mut(), "2026-10-29 16:00").await.overdue, 2);
    // Wed 28 12:00 (half day): B is due at 13:00, within two hours.
    let sla = stats::sla(r.as_mut(), &gaski, at("2026-10-28 12:00"), 10).await.unwrap();
    assert!(ids(&sla.due_soon).contains(&s.b.tracking_no), "{sla:?}");
    // Sat 31 Oct: C (due Mon 2 Nov 17:00) is neither overdue nor due soon.
    let sla = stats::sla(r.as_mut(), &gaski, at("2026-10-31 10:00"), 10).await.unwrap();
    assert!(!ids(&sla.breached).contains(&s.c.tracking_no) && !ids(&sla.due_soon).contains(&s.c.tracking_no));
    // Mon 2 Nov 15:30: C is due soon; at 17:00 sharp it is breached.
    let sla = stats::sla(r.as_mut(), &gaski, at("2026-11-02 15:30"), 10).await.unwrap();
    assert_eq!(ids(&sla.due_soon), vec![s.c.tracking_no.clone()]);
    let sla = stats::sla(r.as_mut(), &gaski, at("2026-11-02 17:00"), 10).await.unwrap();
    assert!(ids(&sla.breached).contains(&s.c.tracking_no));
    assert!(sla.due_soon.items.is_empty());
    // The waiting request is never breached, however late.
    let sla = stats::sla(r.as_mut(), &gaski, at("2027-06-01 12:00"), 1000).await.unwrap();
    assert!(!ids(&sla.breached).contains(&s.e.tracking_no));
    assert_eq!(sla.breached.total, 8, "every running GASKİ request, not the waiting one");
    drop(r);

    // Resuming restarts the clock: due moves by the paused span, so E is
    // breached again some time after its original 12:00 due time.
    let e = app.act("gaski", &s.e, Action::Resume {}).await;
    assert!(e.sla_due_at > s.e.sla_due_at);
    let mut r = app.reader().await;
    let sla = stats::sla(r.as_mut(), &gaski, e.sla_due_at, 1000).await.unwrap();
    assert!(ids(&sla.breached).contains(&e.tracking_no));
}

#[tokio::test]
async fn intake_today_against_the_same_weekday() {
    let app = TestApp::spawn().await;
    // Wed 14 Oct 2026, 10:30 in Istanbul.
    let now = at("2026-10-14 10:30");
    let f = |category, t: &str, channel| Filing { channel, ..filing(category, at(t)) };
    for (t, channel) in [
        // Today. 00:10 local is still Tuesday in UTC: it counts for today.
        ("2026-10-14 00:10", "web"),
        ("2026-10-14 08:10", "line153"),
        ("2026-10-14 08:50", "web"),
        ("2026-10-14 09:15", "line153"),
        ("2026-10-14 10:05", "line153"),
        // The same weekday in the four weeks before.
        ("2026-10-07 08:20", "line153"),
        ("2026-10-07 15:00", "web"),
        ("2026-09-30 08:40", "line153"),
        ("2026-09-16 09:00", "sms"),
        // Not counted: yesterday (23:50 local is Tuesday), five weeks back.
        ("2026-10-13 23:50", "line153"),
        ("2026-09-09 08:00", "line153"),
    ] {
        app.file("agent", f("SU_ARIZA", t, channel)).await;
    }
    let mut r = app.reader().await;
    let p = stats::intake(r.as_mut(), now).await.unwrap();
    assert_eq!(p.date.to_string(), "2026-10-14");
    assert_eq!((p.current_hour, p.weeks, p.today), (10, 4, 5));
    assert_eq!(p.hours.len(), 24);
    let h = |i: usize| (p.hours[i].today, p.hours[i].average);
    assert_eq!(h(0), (Some(1), 0.0));
    assert_eq!(h(8), (Some(2), 0.5));
    assert_eq!(h(9), (Some(1), 0.25));
    assert_eq!(h(10), (Some(1), 0.0));
    assert_eq!(h(11), (None, 0.0));
    assert_eq!(h(15), (None, 0.25));
    assert_eq!(h(23), (None, 0.0));
    assert_eq!((p.average_so_far, p.average_day), (0.75, 1.0));
    let channels: Vec<(&str, u64, f64)> = p.channels.iter().map(|c| (c.channel.as_str(), c.today, c.average)).collect();
    assert_eq!(channels, vec![("line153", 3, 0.5), ("web", 2, 0.25), ("sms", 0, 0.25)]);
}

#[tokio::test]
async fn agents_presence_calls_and_handling_time() {
    let app = TestApp::spawn().await;
    let now = at("2026-10-14 15:00");
    let store = &app.state().store;
    let call = |ext: &str, who: Option<&str>, rang: Option<&str>, answered: Option<&str>, ended: &str| CallRecord {
        extension: ext.into(),
        username: who.map(String::from),
        ringing_at: rang.map(at),
        answered_at: answered.map(at),
        ended_at: at(ended),
    };
    for c in [
        // agent (1001): two answered calls today, 2 and 3 minutes; one missed; one yesterday.
        call("1001", Some("agent"), Some("2026-10-14 09:00"), Some("2026-10-14 09:01"), "2026-10-14 09:03"),
        call("1001", Some("agent"), None, Some("2026-10-14 11:00"), "2026-10-14 11:03"),
        call("1001", Some("agent"), Some("2026-10-14 12:00"), None, "2026-10-14 12:01"),
        call("1001", Some("agent"), Some("2026-10-13 16:00"), Some("2026-10-13 16:00"), "2026-10-13 16:30"),
    ] {
        store.record_call(&c).await.unwrap();
    }
    // agent2 has no phone-system data: two filings with call timers today, one without, one yesterday.
    for (t, secs) in [("2026-10-14 09:30", Some(100)), ("2026-10-14 10:30", Some(200)), ("2026-10-14 11:30", None)] {
        app.file("agent2", Filing { call_seconds: secs, ..filing("SU_ARIZA", at(t)) }).await;
    }
    app.file("agent2", Filing { call_seconds: Some(999), ..filing("SU_ARIZA", at("2026-10-13 12:00")) }).await;
    // agent filed one request today, with a timer; the CTI figures win.
    app.file("agent", Filing { call_seconds: Some(50), ..filing("SU_ARIZA", at("2026-10-14 09:10")) }).await;

    let id = |u: &str| app.users[u].user.id;
    let secs = |s: i64| now - chrono::Duration::seconds(s);
    let live = LiveSnapshot {
        devices: vec![
            // agent synced 30 s ago; agent2 ten minutes ago (gone); agent3 has its event stream open.
            Seen { user_id: id("agent"), device_id: Uuid::now_v7(), last_seen: secs(30), streams: 0 },
            Seen { user_id: id("agent2"), device_id: Uuid::now_v7(), last_seen: secs(600), streams: 0 },
            Seen { user_id: id("agent3"), device_id: Uuid::now_v7(), last_seen: secs(3600), streams: 1 },
            Seen { user_id: id("lead"), device_id: Uuid::now_v7(), last_seen: secs(5), streams: 1 },
        ],
        calls: [
            ("1001".to_string(), LiveCall { ringing_at: Some(secs(100)), answered_at: Some(secs(90)) }),
            ("1003".to_string(), LiveCall { ringing_at: Some(secs(4)), answered_at: None }),
        ]
        .into(),
    };
    let users = store.list_users().await.unwrap();
    let mut r = app.reader().await;
    let p = stats::agents(r.as_mut(), &users, &live, now).await.unwrap();
    assert_eq!(p.presence_window_seconds, 120);
    let names: Vec<&str> = p.agents.iter().map(|a| a.username.as_str()).collect();
    // The lead has no extension; nobody else did anything.
    assert_eq!(names, ["agent", "agent2", "agent3"]);

    let a = &p.agents[0];
    assert!(a.logged_in);
    assert_eq!(a.devices, 1);
    assert_eq!(a.call, Some(AgentCall { state: CallState::Talking, since: secs(90), seconds: 90 }));
    assert_eq!((a.calls_today, a.missed_today, a.talk_avg_seconds), (2, 1, Some(150.0)));
    assert_eq!((a.filed_today, a.filed_call_avg_seconds), (1, Some(50.0)));
    assert_eq!((a.handled_today, a.aht_seconds, a.source), (2, Some(150.0), Some(HandledSource::Cti)));

    let b = &p.agents[1];
    assert!(!b.logged_in);
    assert_eq!(b.last_seen_at, Some(secs(600)));
    assert_eq!(b.call, None);
    assert_eq!((b.calls_today, b.filed_today, b.filed_call_avg_seconds), (0, 3, Some(150.0)));
    assert_eq!((b.handled_today, b.aht_seconds, b.source), (2, Some(150.0), Some(HandledSource::Requests)));

    let c = &p.agents[2];
    assert!(c.logged_in);
    assert_eq!(c.call, Some(AgentCall { state: CallState::Ringing, since: secs(4), seconds: 4 }));
    assert_eq!((c.handled_today, c.aht_seconds, c.source), (0, None, None));

    assert_eq!((p.logged_in, p.on_call, p.handled_today, p.aht_seconds), (2, 1, 4, Some(150.0)));
}

#[tokio::test]
async fn hot_spots_of_the_last_day() {
    let app = TestApp::spawn().await;
    let now = at("2026-10-14 10:30");
    let place = |n| Some(n);
    for (category, t, nbh) in [
        ("SU_ARIZA", "2026-10-14 10:00", place("Karataş")),
        ("SU_ARIZA", "2026-10-14 02:00", place("Karataş")),
        ("SU_ARIZA", "2026-10-13 10:31", place("Karataş")),
        ("SU_ARIZA", "2026-10-14 09:00", place("Akbayır")),
        ("YOL_CUKUR", "2026-10-14 09:45", place("Karataş")),
        ("YOL_CUKUR", "2026-10-14 10:15", place("Karataş")),
        // Not counted: more than 24 hours ago, no neighbourhood, after `now`.
        ("SU_ARIZA", "2026-10-13 10:29", place("Karataş")),
        ("SU_ARIZA", "2026-10-14 10:00", None),
        ("SU_ARIZA", "2026-10-14 10:31", place("Karataş")),
    ] {
        app.file("agent", Filing { neighbourhood: nbh, ..filing(category, at(t)) }).await;
    }
    let mut r = app.reader().await;
    let p = stats::hotspots(r.as_mut(), &Scope::All, now, 10).await.unwrap();
    assert_eq!(p.window_hours, 24);
    let got: Vec<(&str, &str, &str, u64, u64)> = p
        .items
        .iter()
        .map(|h| (h.category.as_str(), h.district.as_str(), h.neighbourhood.as_str(), h.count, h.last_hour))
        .collect();
    assert_eq!(
        got,
        vec![
            ("SU_ARIZA", "SAHINBEY", "Karataş", 3, 1),
            ("YOL_CUKUR", "SAHINBEY", "Karataş", 2, 2),
            ("SU_ARIZA", "SAHINBEY", "Akbayır", 1, 0),
        ]
    );
    let p = stats::hotspots(r.as_mut(), &Scope::All, now, 1).await.unwrap();
    assert_eq!(p.items.len(), 1);
    // YOL_CUKUR in Şahinbey goes to FEN_ISLERI.
    let p = stats::hotspots(r.as_mut(), &Scope::Units(vec!["FEN_ISLERI".into()]), now, 10).await.unwrap();
    assert_eq!(p.items.iter().map(|h| h.category.as_str()).collect::<Vec<_>>(), ["YOL_CUKUR"]);
}

#[tokio::test]
async fn escalations_bounced_reopened_and_chased() {
    let app = TestApp::spawn().await;
    let t = at("2026-10-14 09:00");
    let water = || filing("SU_ARIZA", t);
    // Bounced GASKİ → PARK_BAHCE → GASKİ, still open.
    let bounced = app.file("agent", water()).await;
    let reroute = |unit: &str| Action::Reroute { unit: unit.into(), reason: "yanlış birim".into() };
    app.act("lead", &bounced, reroute("PARK_BAHCE")).await;
    let bounced = app.act("lead", &bounced, reroute("GASKI")).await;
    assert!(bounced.timeline.iter().any(|e| e.kind == EventKind::Escalated));
    // Bounced, then resolved: no longer on the board.
    let settled = app.file("agent", water()).await;
    app.act("lead", &settled, reroute("PARK_BAHCE")).await;
    app.act("lead", &settled, reroute("GASKI")).await;
    app.act("gaski", &settled, Action::Resolve { reply: "Tamam".into() }).await;
    // Rerouted once, never back: not a bounce.
    let moved = app.file("agent", water()).await;
    app.act("lead", &moved, reroute("PARK_BAHCE")).await;
    // Reopened twice over; the second one taken up again (in progress, still listed).
    let reopened = app.file("agent", water()).await;
    app.act("gaski", &reopened, Action::Resolve { reply: "Tamam".into() }).await;
    let reopened = app.act("agent", &reopened, Action::Reopen { reason: "Sorun sürüyor".into() }).await;
    let reopened2 = app.file("agent", filing("AGAC_DEVRIK", t)).await;
    app.act("park", &reopened2, Action::Resolve { reply: "Tamam".into() }).await;
    app.act("agent", &reopened2, Action::Reopen { reason: "Sorun sürüyor".into() }).await;
    let reopened2 = app.act("park", &reopened2, Action::Accept { assignee: None }).await;
    // Chased three times (listed), twice (not), four times but cancelled (not).
    let contact = Action::Contact { text: Some("Tekrar aradı".into()) };
    let chased = app.file("agent", water()).await;
    let twice = app.file("agent", water()).await;
    let closed = app.file("agent", water()).await;
    let mut chased4 = app.file("agent", water()).await;
    for _ in 0..3 {
        app.act("agent", &chased, contact.clone()).await;
    }
    for _ in 0..2 {
        app.act("agent", &twice, contact.clone()).await;
    }
    for _ in 0..4 {
        app.act("agent", &closed, contact.clone()).await;
        chased4 = app.act("agent", &chased4, contact.clone()).await;
    }
    app.act("agent", &closed, Action::Cancel { reason: "Vatandaş vazgeçti".into() }).await;
    assert_eq!(chased4.contacts, 4);

    let mut r = app.reader().await;
    let p = stats::escalations(r.as_mut(), &Scope::All, Utc::now(), 50).await.unwrap();
    assert_eq!(p.min_contacts, 3);
    assert_eq!((p.bounced.total, ids(&p.bounced)), (1, vec![bounced.tracking_no.clone()]));
    let b = &p.bounced.items[0];
    assert!(b.escalated_at.is_some() && b.reopened_at.is_none());
    // Latest reopening first.
    assert_eq!(p.reopened.total, 2);
    assert_eq!(ids(&p.reopened), [&reopened2, &reopened].map(|r| r.tracking_no.clone()));
    assert_eq!(p.reopened.items[0].status, beyazmasa::domain::status::Status::InProgress);
    // Most contacts first.
    assert_eq!(p.repeat_contacts.total, 2);
    assert_eq!(ids(&p.repeat_contacts), [&chased4, &chased].map(|r| r.tracking_no.clone()));
    assert_eq!(p.repeat_contacts.items[0].contacts, 4);
    let p = stats::escalations(r.as_mut(), &Scope::All, Utc::now(), 1).await.unwrap();
    assert_eq!((p.reopened.total, p.reopened.items.len()), (2, 1));
    let p = stats::escalations(r.as_mut(), &Scope::Units(vec!["PARK_BAHCE".into()]), Utc::now(), 50).await.unwrap();
    assert_eq!((p.bounced.total, p.reopened.total, p.repeat_contacts.total), (0, 1, 0));
}

/// The escalation columns the store keeps on the request row agree with the
/// timelines after every kind of write, and migration 0002 fills them in
/// the same way for requests filed before it.
#[tokio::test]
async fn escalation_columns_follow_the_timeline() {
    let app = TestApp::spawn().await;
    let s = sla_set(&app).await;
    let reroute = |unit: &str| Action::Reroute { unit: unit.into(), reason: "yanlış birim".into() };
    app.act("lead", &s.a, reroute("PARK_BAHCE")).await;
    app.act("lead", &s.a, reroute("GASKI")).await;
    app.act("lead", &s.a, reroute("PARK_BAHCE")).await;
    app.act("lead", &s.b, Action::Cancel { reason: "mükerrer".into() }).await;
    app.act("agent", &s.b, Action::Reopen { reason: "Sorun sürüyor".into() }).await;
    app.act("lead", &s.c, Action::MarkDuplicate { of: s.m.id }).await;
    app.act("agent", &s.n, Action::Contact { text: None }).await;

    let path = app.dir.path().join("stats.db");
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display())).await.unwrap();
    let mismatched = "SELECT count(*) FROM requests r WHERE \
         r.escalated_at IS NOT (SELECT max(at) FROM request_events e WHERE e.request_id = r.id AND e.kind = 'escalated') \
         OR r.reopened_at IS NOT (SELECT max(at) FROM request_events e WHERE e.request_id = r.id AND e.kind = 'reopened')";
    assert_eq!(sqlx::query_scalar::<_, i64>(mismatched).fetch_one(&db).await.unwrap(), 0);
    let flagged: i64 =
        sqlx::query_scalar("SELECT count(*) FROM requests WHERE escalated_at IS NOT NULL OR reopened_at IS NOT NULL")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(flagged, 2);

    // The backfill: the old tables with these rows, then migration 0002.
    let old = tempfile::NamedTempFile::new().unwrap();
    // One connection: ATTACH is per connection.
    let old_db = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect(&format!("sqlite://{}", old.path().display()))
        .await
        .unwrap();
    sqlx::raw_sql(include_str!("../migrations/sqlite/0001_init.sql")).execute(&old_db).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("ATTACH DATABASE '{}' AS new", path.display())))
        .execute(&old_db)
        .await
        .unwrap();
    sqlx::raw_sql(
        "INSERT INTO main.requests SELECT id, tracking_no, kind, channel, category, unit, status, priority, district, \
         neighbourhood, address, lat, lon, description, search_key, citizen_id, created_by, assigned_to, duplicate_of, \
         co_reporters, sla_due_at, paused_at, contacts, call_seconds, created_at, updated_at, version FROM new.requests;
         INSERT INTO main.request_events SELECT * FROM new.request_events;",
    )
    .execute(&old_db)
    .await
    .unwrap();
    sqlx::raw_sql(include_str!("../migrations/sqlite/0002_wallboard.sql")).execute(&old_db).await.unwrap();
    let diff: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM main.requests o JOIN new.requests n USING (id) \
         WHERE o.escalated_at IS NOT n.escalated_at OR o.reopened_at IS NOT n.reopened_at",
    )
    .fetch_one(&old_db)
    .await
    .unwrap();
    assert_eq!(diff, 0);
}

// ------------------------------------------------------------------ HTTP

#[tokio::test]
async fn http_panes_for_the_lead_and_the_unit() {
    let app = TestApp::spawn().await;
    let agent = app.login("agent").await;
    let lead = app.login("lead").await;
    let gaski = app.login("gaski").await;
    let park = app.login("park").await;
    let now = Utc::now();
    let new = |category: &str, created_at: DateTime<Utc>| {
        json!({"type": "complaint", "channel": "line153", "category": category,
               "location": {"district": "SAHINBEY", "neighbourhood": "Karataş"},
               "description": "Su yok", "created_at": created_at, "call_seconds": 90})
    };
    // Overdue (6 h target, filed 20 h ago), due in 6 h, and one in 12 h.
    let (st, late) = app.post(&agent, "/requests", new("SU_ARIZA", now - chrono::Duration::hours(20))).await;
    assert_eq!(st, StatusCode::CREATED, "{late}");
    let (st, _) = app.post(&agent, "/requests", new("SU_ARIZA", now)).await;
    assert_eq!(st, StatusCode::CREATED);
    let (st, _) = app.post(&agent, "/requests", new("SU_KESINTISI", now)).await;
    assert_eq!(st, StatusCode::CREATED);

    let (st, units) = app.get(&lead, "/stats/units").await;
    assert_eq!(st, StatusCode::OK, "{units}");
    assert_eq!(
        units["units"],
        json!([{"unit": "GASKI", "new": 3, "in_progress": 0, "waiting": 0, "open": 3, "overdue": 1, "due_soon": 0}])
    );
    assert_eq!(units["total"]["open"], 3);
    // The unit representative sees their unit; the park one a row of zeros.
    let (_, g) = app.get(&gaski, "/stats/units").await;
    assert_eq!(g["units"], units["units"]);
    let (st, p) = app.get(&park, "/stats/units").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(p["units"][0]["unit"], "PARK_BAHCE");
    assert_eq!(p["units"][0]["open"], 0);
    assert_eq!(p["units"].as_array().unwrap().len(), 1);

    let (st, sla) = app.get(&gaski, "/stats/sla?limit=5").await;
    assert_eq!(st, StatusCode::OK, "{sla}");
    assert_eq!(sla["breached"]["total"], 1);
    assert_eq!(sla["breached"]["items"][0]["tracking_no"], late["tracking_no"]);
    assert_eq!(sla["breached"]["items"][0]["sla_due_at"], late["sla_due_at"]);
    let (_, sla) = app.get(&park, "/stats/sla").await;
    assert_eq!(sla["breached"]["total"], 0);

    let (st, aging) = app.get(&lead, "/stats/aging?unit=GASKI").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(aging["total"], json!([2, 1, 0, 0, 0, 0]));

    let (st, hot) = app.get(&lead, "/stats/hotspots").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(hot["items"][0]["count"], 2, "{hot}");
    assert_eq!(hot["items"][0]["last_hour"], 1);

    let (st, intake) = app.get(&lead, "/stats/intake").await;
    assert_eq!(st, StatusCode::OK);
    // The backdated filing counts on its own day (yesterday, or earlier today
    // in the first hour after midnight).
    let today = intake["today"].as_u64().unwrap();
    assert!((2..=3).contains(&today), "{intake}");
    assert_eq!(intake["hours"].as_array().unwrap().len(), 24);

    let (st, board) = app.get(&lead, "/stats/wallboard").await;
    assert_eq!(st, StatusCode::OK, "{board}");
    for pane in ["units", "aging", "sla", "intake", "agents", "hotspots", "escalations"] {
        assert!(board[pane].is_object(), "{pane} missing");
    }
    assert_eq!(board["units"]["units"], units["units"]);
    assert_eq!(board["sla"]["breached"]["total"], 1);
    let (st, _) = app.get(&app.login("admin").await, "/stats/wallboard?limit=1000").await;
    assert_eq!(st, StatusCode::OK);
}

#[tokio::test]
async fn http_roles_and_bad_parameters() {
    let app = TestApp::spawn().await;
    let agent = app.login("agent").await;
    let lead = app.login("lead").await;
    let gaski = app.login("gaski").await;
    let all = ["units", "aging", "sla", "intake", "agents", "hotspots", "escalations", "wallboard"];
    for pane in all {
        let (st, body) = app.get(&agent, &format!("/stats/{pane}")).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{pane}");
        assert_eq!(body["error"]["code"], "forbidden");
        // Before the parameters are even looked at.
        let (st, _) = app.get(&agent, &format!("/stats/{pane}?limit=0&bogus=1")).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{pane}");
    }
    for pane in ["intake", "agents", "wallboard"] {
        let (st, _) = app.get(&gaski, &format!("/stats/{pane}")).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{pane}");
    }
    let (st, body) = app.get(&gaski, "/stats/units?unit=PARK_BAHCE").await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
    let (st, _) = app.get(&gaski, "/stats/sla?unit=GASKI,PARK_BAHCE").await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = app.get(&gaski, "/stats/sla?unit=GASKI").await;
    assert_eq!(st, StatusCode::OK);
    let res = app.http.get(app.url("/stats/units")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    for (path, field) in [
        ("/stats/units?unit=NOPE", Some("unit")),
        ("/stats/aging?unit=", Some("unit")),
        ("/stats/sla?unit=GASKI,NOPE", Some("unit")),
        ("/stats/sla?limit=0", Some("limit")),
        ("/stats/sla?limit=1001", Some("limit")),
        ("/stats/hotspots?limit=-1", None),
        ("/stats/escalations?limit=ten", None),
        ("/stats/units?since=yesterday", None),
        ("/stats/intake?now=2026-01-01T00:00:00Z", None),
        ("/stats/wallboard?limit=0", Some("limit")),
        ("/stats/agents?unit=GASKI", None),
    ] {
        let (st, body) = app.get(&lead, path).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
        assert_eq!(body["error"]["code"], "invalid_field", "{path}");
        assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
        if let Some(field) = field {
            assert_eq!(body["error"]["field"], field, "{path}");
        }
    }
    let (st, _) = app.get(&lead, "/stats/sla?limit=1000&unit=GASKI,PARK_BAHCE").await;
    assert_eq!(st, StatusCode::OK);

    let doc: Value = app.http.get(app.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    for pane in all {
        let path = format!("/api/v1/stats/{pane}");
        assert!(doc["paths"][&path]["get"].is_object(), "{path} missing from OpenAPI");
    }
    for schema in ["UnitsPane", "SlaPane", "AgentsPane", "Wallboard", "RequestSummary"] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema} missing from OpenAPI");
    }
}

#[tokio::test]
async fn http_agents_from_logins_and_phone_events() {
    let app = TestApp::spawn().await;
    let lead = app.login("lead").await;
    let agent = app.login("agent").await;
    let (st, _) = app.get(&agent, "/auth/me").await;
    assert_eq!(st, StatusCode::OK);
    let cti = |ext: &str, event: &str| json!({"ani": "05321234567", "extension": ext, "event": event});
    for (ext, event) in [("1001", "ringing"), ("1001", "answered"), ("1002", "ringing"), ("1002", "hangup")] {
        let (st, body) = app.post(&lead, "/cti/calls", cti(ext, event)).await;
        assert_eq!(st, StatusCode::ACCEPTED, "{body}");
    }
    let (st, p) = app.get(&lead, "/stats/agents").await;
    assert_eq!(st, StatusCode::OK, "{p}");
    let row = |p: &Value, name: &str| p["agents"].as_array().unwrap().iter().find(|a| a["username"] == name).cloned();
    let a = row(&p, "agent").expect("agent listed");
    assert_eq!(a["logged_in"], true);
    assert_eq!(a["call"]["state"], "talking");
    assert!(a["call"]["seconds"].as_u64().unwrap() < 60);
    // agent2 never signed in, but missed a call at its extension today.
    let b = row(&p, "agent2").expect("agent2 listed");
    assert_eq!(
        (b["logged_in"].clone(), b["missed_today"].clone(), b["source"].clone()),
        (json!(false), json!(1), json!("cti"))
    );
    assert!(row(&p, "agent3").is_none());
    assert_eq!((p["logged_in"].clone(), p["on_call"].clone()), (json!(1), json!(1)));

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (st, _) = app.post(&lead, "/cti/calls", cti("1001", "hangup")).await;
    assert_eq!(st, StatusCode::ACCEPTED);
    let (_, p) = app.get(&lead, "/stats/agents").await;
    let a = row(&p, "agent").unwrap();
    assert_eq!(a["call"], Value::Null);
    assert_eq!((a["calls_today"].clone(), a["handled_today"].clone()), (json!(1), json!(1)));
    assert!(a["aht_seconds"].as_f64().unwrap() >= 1.0, "{a}");
}

/// Reads SSE frames into `buf` for `wait`.
async fn read_events<B: AsRef<[u8]>>(
    stream: &mut (impl futures::Stream<Item = reqwest::Result<B>> + Unpin),
    buf: &mut String,
    wait: Duration,
) {
    let _ = tokio::time::timeout(wait, async {
        while let Some(Ok(chunk)) = stream.next().await {
            buf.push_str(&String::from_utf8_lossy(chunk.as_ref()));
        }
    })
    .await;
}

fn stats_events(buf: &str) -> Vec<Value> {
    buf.split("\n\n")
        .filter(|frame| frame.lines().any(|l| l == "event: stats"))
        .filter_map(|frame| frame.lines().find_map(|l| l.strip_prefix("data: ")))
        .map(|d| serde_json::from_str(d).unwrap())
        .collect()
}

#[tokio::test]
async fn stats_events_are_throttled_and_scoped() {
    let app = TestApp::spawn().await;
    let agent = app.login("agent").await;
    // The filing agent's first sign of life (an agents-pane change) now, not amid the writes.
    assert_eq!(app.get(&agent, "/auth/me").await.0, StatusCode::OK);
    let open = async |who: &str| {
        let s = app.login(who).await;
        let res = app.http.get(app.url("/events")).bearer_auth(&s.token).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.bytes_stream()
    };
    let (mut lead, mut gaski, mut park, mut agent_stream) =
        (open("lead").await, open("gaski").await, open("park").await, open("agent").await);
    // Let the sign-ins' own events pass.
    let mut skip = String::new();
    read_events(&mut lead, &mut skip, Duration::from_millis(700)).await;

    let body = json!({"type": "complaint", "channel": "line153", "category": "SU_ARIZA",
                      "location": {"district": "SAHINBEY", "neighbourhood": "Karataş"}, "description": "Su yok"});
    let started = std::time::Instant::now();
    let mut filed = 0;
    while started.elapsed() < Duration::from_millis(1200) {
        let (st, _) = app.post(&agent, "/requests", body.clone()).await;
        assert_eq!(st, StatusCode::CREATED);
        filed += 1;
    }
    let mut buf = String::new();
    read_events(&mut lead, &mut buf, Duration::from_millis(1500)).await;
    let events = stats_events(&buf);
    let changes = buf.matches("event: change").count();
    assert_eq!(changes, filed, "every change still streams");
    // At most one per 500 ms: over ~1.2 s of writes (plus the trailing
    // flush) that is 4 at most, however many writes there were.
    assert!((1..=4).contains(&events.len()), "{} stats events for {filed} writes", events.len());
    assert!(filed > events.len() * 2, "throttling merged nothing ({filed} writes)");
    for e in &events {
        assert_eq!(e["type"], "stats");
        assert_eq!(e["units"], json!(["GASKI"]));
        assert!(e["panes"].as_array().unwrap().contains(&json!("units")));
    }

    let mut g = String::new();
    read_events(&mut gaski, &mut g, Duration::from_millis(300)).await;
    assert!(!stats_events(&g).is_empty(), "the GASKİ representative hears about GASKİ");
    let mut p = String::new();
    read_events(&mut park, &mut p, Duration::from_millis(300)).await;
    assert!(stats_events(&p).is_empty(), "the park representative does not: {p}");
    let mut a = String::new();
    read_events(&mut agent_stream, &mut a, Duration::from_millis(300)).await;
    assert!(a.contains("event: change") && stats_events(&a).is_empty(), "agents get no stats events");

    // A phone event changes only the agents pane.
    let lead_s = app.login("lead").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let mut skip = String::new();
    read_events(&mut lead, &mut skip, Duration::from_millis(100)).await;
    let (st, _) =
        app.post(&lead_s, "/cti/calls", json!({"ani": "05321234567", "extension": "1001", "event": "ringing"})).await;
    assert_eq!(st, StatusCode::ACCEPTED);
    let mut buf = String::new();
    read_events(&mut lead, &mut buf, Duration::from_millis(700)).await;
    let events = stats_events(&buf);
    assert!(events.iter().any(|e| e["panes"] == json!(["agents"])), "{buf}");
}

/// Issue 7: a request crossing its due time changes the wallboard with
/// nothing written, and the server says so (a `stats` event for the units
/// and SLA panes of its unit) at that moment, not at the next write.
#[tokio::test]
async fn a_request_becoming_overdue_with_nothing_written_sends_a_stats_event() {
    let app = TestApp::spawn().await;
    let mut events = app.state().events.subscribe();
    let r = app.file("agent", filing("YAGMUR_IZGARA", Utc::now())).await;
    // Its due time, moved to 2 s from now behind the server's back.
    let due = Utc::now() + chrono::Duration::seconds(2);
    let db =
        sqlx::SqlitePool::connect(&format!("sqlite://{}", app.dir.path().join("stats.db").display())).await.unwrap();
    sqlx::query("UPDATE requests SET sla_due_at = ? WHERE id = ?")
        .bind(due.timestamp_millis())
        .bind(r.id.to_string())
        .execute(&db)
        .await
        .unwrap();
    db.close().await;
    // Any change makes the server look for the next due time again.
    app.file("agent", filing("PARK_BAKIM", Utc::now())).await;
    let event = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let ServerEvent::Stats { panes, units } = events.recv().await.unwrap()
                && panes == [StatsPane::Units, StatsPane::Sla]
            {
                return (Utc::now(), units);
            }
        }
    })
    .await
    .expect("a stats event when the request turned overdue");
    assert_eq!(event.1, vec![r.unit.clone()]);
    assert!(event.0 >= due, "sent at {} for a request due at {due}", event.0);
    assert!(event.0 - due < chrono::Duration::seconds(2), "sent at {}, due {due}", event.0);
}
