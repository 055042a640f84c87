//! A whole call, end to end: the real console binary in tmux, signed in to a
//! real API server over loopback. The agent finds the caller by a phone
//! number typed with spaces, describes a water outage, takes the suggested
//! GASKİ category, keeps the caller's neighbourhood and submits; the
//! tracking number read off the screen is then checked over the API in
//! GASKİ's queue. A second test files the same way with the server stopped,
//! and checks that the request arrives once the server is back. A screen
//! pop posted to the server's CTI endpoint brings the caller up.

mod tmux_support;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use beyazmasa::server::{AppState, RunningServer, demo, spawn};
use serde_json::{Value, json};
use tmux_support::{Tmux, require_tmux};

const PHONE: &str = "+905321112233";
const TYPED_PHONE: &str = "0532 111 22 33";

struct Server {
    rt: tokio::runtime::Runtime,
    running: Option<RunningServer>,
    db: std::path::PathBuf,
    addr: SocketAddr,
}

impl Server {
    fn start(dir: &Path) -> Server {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let db = dir.join("server.db");
        let mut s = Server { rt, running: None, db, addr: "127.0.0.1:0".parse().unwrap() };
        s.up();
        s
    }

    fn up(&mut self) {
        let (db, addr) = (self.db.clone(), self.addr);
        let running = self.rt.block_on(async move {
            let state = AppState::open(&format!("sqlite://{}", db.display())).await.unwrap();
            demo::create_demo_users(state.store.as_ref(), &beyazmasa::domain::reference::shipped_taxonomy())
                .await
                .unwrap();
            spawn(state, addr).await.unwrap()
        });
        self.addr = running.addr;
        self.running = Some(running);
    }

    fn down(&mut self) {
        if let Some(r) = self.running.take() {
            self.rt.block_on(r.shutdown());
        }
    }

    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// An API client signed in as `user`, blocking on the server's runtime.
struct Api {
    rt: tokio::runtime::Handle,
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    fn login(server: &Server, user: &str) -> Api {
        let mut api = Api {
            rt: server.rt.handle().clone(),
            http: reqwest::Client::new(),
            base: server.base(),
            token: String::new(),
        };
        let body = json!({"username": user, "password": demo::DEMO_PASSWORD, "device_name": "test"});
        let (status, res) = api.send(api.http.post(format!("{}/api/v1/auth/login", api.base)).json(&body));
        assert_eq!(status, 200, "{res}");
        api.token = res["token"].as_str().expect("a token").to_string();
        api
    }

    fn send(&self, req: reqwest::RequestBuilder) -> (u16, Value) {
        self.rt.block_on(async {
            let res = req.bearer_auth(&self.token).send().await.unwrap();
            (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
        })
    }

    fn get(&self, path: &str) -> (u16, Value) {
        self.send(self.http.get(format!("{}/api/v1{path}", self.base)))
    }

    fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(self.http.post(format!("{}/api/v1{path}", self.base)).json(&body))
    }
}

/// The caller, on the server before the console starts.
fn create_caller(api: &Api) -> String {
    let (status, body) = api.post(
        "/citizens",
        json!({
            "full_name": "Hatice Karaca",
            "phones": [PHONE],
            "address": {"district": "SAHINBEY", "neighbourhood": "Karataş", "street": "Gazi Caddesi", "number": "12"}
        }),
    );
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

fn start_console(tmux: &Tmux, dir: &Path, base: &str) {
    start_console_as(tmux, "e2e", dir, base, "agent", "agent · Çağrı temsilcisi");
}

/// The console in tmux session `session`, signed in as `user` and synced.
fn start_console_as(tmux: &Tmux, session: &str, dir: &Path, base: &str, user: &str, status: &str) {
    start_console_with(tmux, session, dir, base, user, status, "");
}

fn start_console_with(tmux: &Tmux, session: &str, dir: &Path, base: &str, user: &str, status: &str, flags: &str) {
    let command = format!(
        "env NO_COLOR=1 TERM=xterm-256color BEYAZMASA_CONFIG_DIR='{config}' BEYAZMASA_DATA_DIR='{data}' \
         '{bin}' --server '{base}' {flags}; sleep 60",
        config = dir.join(session).join("config").display(),
        data = dir.join(session).join("data").display(),
        bin = env!("CARGO_BIN_EXE_beyazmasa"),
    );
    let out = tmux.run(&["new-session", "-d", "-s", session, "-x", "120", "-y", "40", "sh", "-c", &command]);
    assert!(out.status.success(), "tmux new-session: {}", String::from_utf8_lossy(&out.stderr));
    tmux.set_target(session);
    tmux.wait_for("the login form", Duration::from_secs(30), |s| s.contains("Kullanıcı adı"));
    tmux.send(&["-l", user]);
    tmux.send(&["Tab"]);
    tmux.send(&["-l", demo::DEMO_PASSWORD]);
    tmux.send(&["Enter"]);
    tmux.wait_for("signed in and synced", Duration::from_secs(30), |s| {
        s.contains(status)
            && s.contains("● Çevrim içi")
            && s.contains("Son eşitleme")
            && !s.contains("Son eşitleme yok")
    });
}

/// Steps 1–7 of the call; returns the tracking number read off the screen.
fn file_water_outage(tmux: &Tmux) -> String {
    tmux.send(&["-l", TYPED_PHONE]);
    tmux.wait_for("the caller found in the local cache", Duration::from_secs(10), |s| {
        s.contains("1 sonuç · yerel önbellekten") && s.contains("Hatice Karaca")
    });
    tmux.send(&["Enter"]);
    tmux.wait_for("the caller's neighbourhood as the location", Duration::from_secs(10), |s| {
        s.contains("Karataş · Şahinbey") && s.contains("Gazi Caddesi No 12")
    });
    tmux.send(&["-l", "iki gündür sokakta sular kesik"]);
    tmux.wait_for("a GASKİ suggestion", Duration::from_secs(10), |s| s.contains("Alt-1 Su kesintisi·GASKI"));
    tmux.send(&["M-1"]);
    tmux.wait_for("the category taken, routed to GASKİ", Duration::from_secs(10), |s| s.contains("→ GASKI"));
    tmux.send(&["C-s"]);
    let screen = tmux.wait_for("the tracking number", Duration::from_secs(10), |s| s.contains("TAKİP NUMARASI"));
    tracking_number(&screen).unwrap_or_else(|| panic!("no tracking number on the screen:\n{screen}"))
}

/// The first `27-XXXXXXX` on the screen.
fn tracking_number(screen: &str) -> Option<String> {
    screen.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).find_map(|w| {
        let ok = w.len() == 10 && w.starts_with("27-") && w[3..].chars().all(|c| c.is_ascii_alphanumeric());
        ok.then(|| w.to_string())
    })
}

fn check_in_gaski_queue(api: &Api, tracking: &str, citizen_id: &str) {
    let (status, r) = api.get(&format!("/requests/{tracking}"));
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["unit"], "GASKI");
    assert_eq!(r["status"], "forwarded");
    assert_eq!(r["category"], "SU_KESINTISI");
    assert_eq!(r["type"], "request");
    assert_eq!(r["channel"], "line153");
    assert_eq!(r["citizen_id"], citizen_id);
    assert_eq!(r["description"], "iki gündür sokakta sular kesik");
    assert_eq!(r["location"]["district"], "SAHINBEY");
    assert_eq!(r["location"]["neighbourhood"], "Karataş");
    assert!(r["call_seconds"].as_u64().is_some(), "the call length is logged: {r}");
    let (status, page) = api.get("/requests?unit=GASKI&status=forwarded&limit=200");
    assert_eq!(status, 200, "{page}");
    let in_queue = page["items"].as_array().unwrap().iter().any(|i| i["tracking_no"] == tracking);
    assert!(in_queue, "{tracking} is in GASKİ's queue: {page}");
}

#[test]
fn a_whole_call_files_into_the_gaski_queue_and_a_screen_pop_finds_the_caller() {
    require_tmux();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let lead = Api::login(&server, "lead");
    let citizen_id = create_caller(&lead);
    let tmux = Tmux::new(&format!("beyazmasa-call-{}", std::process::id()));
    start_console(&tmux, dir.path(), &server.base());

    let tracking = file_water_outage(&tmux);
    tmux.wait_for("the request sent", Duration::from_secs(15), |s| {
        s.contains("[gönderildi]") && s.contains("Bekleyen 0")
    });
    check_in_gaski_queue(&lead, &tracking, &citizen_id);

    // The next call: the phone system reports it ringing at the agent's
    // extension, and the console brings up the caller with the timer on.
    tmux.send(&["C-x"]);
    tmux.wait_for("a clean screen", Duration::from_secs(10), |s| !s.contains("TAKİP NUMARASI"));
    let (status, body) = lead
        .post("/cti/calls", json!({"ani": "05321112233", "extension": "1001", "event": "ringing", "line": "line185"}));
    assert_eq!(status, 202, "{body}");
    // One predicate for the whole frame: tmux may capture a frame half drawn,
    // and the status bar is drawn last.
    tmux.wait_for("the screen pop with the call timer running", Duration::from_secs(10), |s| {
        s.contains("Hatice Karaca")
            && s.contains(&tracking)
            && s.contains("‹185 GASKİ›")
            && s.contains("Görüşme ")
            && !s.contains("Görüşme --:--")
    });
}

#[test]
fn a_call_filed_with_the_server_down_arrives_when_it_is_back() {
    require_tmux();
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path());
    let lead = Api::login(&server, "lead");
    let citizen_id = create_caller(&lead);
    let tmux = Tmux::new(&format!("beyazmasa-call-off-{}", std::process::id()));
    start_console(&tmux, dir.path(), &server.base());

    server.down();
    tmux.wait_for("offline", Duration::from_secs(30), |s| s.contains("Çevrim dışı"));
    let tracking = file_water_outage(&tmux);
    tmux.wait_for("one change waiting", Duration::from_secs(10), |s| {
        s.contains("[gönderilmedi]") && s.contains("Bekleyen 1")
    });

    server.up();
    tmux.wait_for("the request sent after the server came back", Duration::from_secs(90), |s| {
        s.contains("[gönderildi]") && s.contains("Bekleyen 0") && s.contains("● Çevrim içi")
    });
    check_in_gaski_queue(&lead, &tracking, &citizen_id);
}

/// Issue 6 end to end: an agent files a park request; the Parks unit's
/// representative sees it appear without a key, accepts it, notes and
/// resolves it with a reply template; the agent's history shows it resolved
/// with the reply.
#[test]
fn a_park_request_reaches_the_unit_live_and_the_reply_reaches_the_agent() {
    require_tmux();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let lead = Api::login(&server, "lead");
    create_caller(&lead);
    let tmux = Tmux::new(&format!("beyazmasa-queue-{}", std::process::id()));
    start_console_as(&tmux, "rep", dir.path(), &server.base(), "park_bahce", "park_bahce · Birim temsilcisi");
    tmux.wait_for("the Parks queue", Duration::from_secs(10), |s| s.contains("PARK_BAHCE ·"));
    start_console_as(&tmux, "agent", dir.path(), &server.base(), "agent", "agent · Çağrı temsilcisi");

    // The agent files it.
    tmux.send(&["-l", TYPED_PHONE]);
    tmux.wait_for("the caller", Duration::from_secs(10), |s| s.contains("1 sonuç · yerel önbellekten"));
    tmux.send(&["Enter"]);
    tmux.send(&["-l", "parkın çimleri biçilmemiş, banklar kırık"]);
    tmux.wait_for("a parks suggestion", Duration::from_secs(10), |s| s.contains("Alt-1 Park bakımı·PARK_BAHCE"));
    tmux.send(&["M-1"]);
    tmux.send(&["C-s"]);
    let screen = tmux.wait_for("the tracking number", Duration::from_secs(10), |s| s.contains("TAKİP NUMARASI"));
    let tracking = tracking_number(&screen).expect("a tracking number");

    // The representative's queue shows it with no key pressed.
    tmux.set_target("rep");
    tmux.wait_for("the new request in the queue", Duration::from_secs(15), |s| s.contains(&tracking));
    tmux.send(&["/"]);
    tmux.send(&["-l", &tracking]);
    tmux.send(&["Enter"]);
    tmux.send(&["a"]);
    tmux.wait_for("the accept form", Duration::from_secs(5), |s| s.contains("Yönlendirildi → İşlemde"));
    tmux.send(&["Enter"]);
    // The form's preview line also reads "→ İşlemde": wait for the form to
    // close and the row itself to say it.
    tmux.wait_for("accepted", Duration::from_secs(10), |s| {
        !s.contains("╔ Kabul et")
            && s.lines().any(|l| l.contains(&tracking) && l.contains("İşlemde") && !l.contains('→'))
    });
    tmux.send(&["n"]);
    tmux.send(&["-l", "Ekip yarın sabah gidecek"]);
    tmux.send(&["Enter"]);
    tmux.wait_for("the note in the timeline", Duration::from_secs(10), |s| {
        s.contains("iç not]: Ekip yarın") && !s.contains("╔ Not ")
    });
    tmux.send(&["e"]);
    tmux.send(&["C-t"]);
    tmux.wait_for("the template with the tracking number filled", Duration::from_secs(5), |s| {
        s.contains("İşlemde → Sonuçlandı") && s.contains(&format!("{tracking} numaralı"))
    });
    tmux.send(&["Enter"]);
    tmux.wait_for("resolved and gone from the open queue", Duration::from_secs(10), |s| {
        s.contains("başvuruya işlem kaydedildi") && !s.lines().any(|l| l.contains(&tracking) && l.contains("İşlemde"))
    });

    // Over the API, once the console has pushed it: resolved, with the
    // reply filled for this request.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let r = loop {
        let (status, r) = lead.get(&format!("/requests/{tracking}"));
        assert_eq!(status, 200, "{r}");
        if r["status"] == "resolved" || std::time::Instant::now() > deadline {
            break r;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(r["status"], "resolved");
    let reply = r["timeline"].as_array().unwrap().iter().rev().find(|e| e["kind"] == "resolved").unwrap()["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reply.contains(&format!("{tracking} numaralı")) && !reply.contains('{'), "{reply}");

    // The agent's history shows it resolved, with the reply.
    tmux.set_target("agent");
    let first_words: String = reply.chars().take(30).collect();
    tmux.wait_for("the agent's history: resolved, with the reply", Duration::from_secs(15), |s| {
        s.lines().any(|l| l.contains(&tracking) && l.contains("Sonuçlandı")) && s.contains(&first_words)
    });
}

/// The counts of a unit's row on the wallboard: new, open, in progress,
/// waiting, overdue, due within 2 h.
fn unit_row(screen: &str, unit: &str) -> Option<Vec<u64>> {
    let line = screen.lines().find(|l| l.trim_start_matches(['┃', '│', ' ']).starts_with(&format!("{unit} ")))?;
    let cells: Vec<u64> = line.split_whitespace().filter_map(|w| w.parse().ok()).collect();
    (cells.len() >= 6).then(|| cells[..6].to_vec())
}

/// Issue 7 end to end: a wall display runs; requests filed and resolved
/// through the API change its counts with no key pressed.
#[test]
fn the_wallboard_follows_filings_and_resolutions_live() {
    require_tmux();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let agent = Api::login(&server, "agent");
    let tmux = Tmux::new(&format!("beyazmasa-board-{}", std::process::id()));
    start_console_with(&tmux, "board", dir.path(), &server.base(), "lead", "lead · Vardiya amiri", "--wallboard");
    tmux.wait_for("the live board", Duration::from_secs(15), |s| s.contains("● canlı") && s.contains("Toplam"));
    assert_eq!(unit_row(&tmux.capture(false), "GASKI"), None, "no GASKİ request yet");

    let mut ids = Vec::new();
    for i in 0..3 {
        let (status, r) = agent.post(
            "/requests",
            json!({"type": "complaint", "channel": "line185", "category": "SU_KESINTISI",
                   "description": format!("Karataş'ta su yok {i}"),
                   "location": {"district": "SAHINBEY", "neighbourhood": "Karataş"}}),
        );
        assert_eq!(status, 201, "{r}");
        ids.push(r["id"].as_str().unwrap().to_string());
    }
    let screen = tmux.wait_for("three new GASKİ requests on the board", Duration::from_secs(10), |s| {
        unit_row(s, "GASKI").is_some_and(|c| c[0] == 3 && c[1] == 3)
    });
    assert!(screen.contains("Karataş"), "the hot spot shows: {screen}");

    let gaski = Api::login(&server, "gaski");
    let (status, r) =
        gaski.post(&format!("/requests/{}/actions", ids[0]), json!({"action": "resolve", "reply": "Su verildi."}));
    assert_eq!(status, 200, "{r}");
    tmux.wait_for("one resolved", Duration::from_secs(10), |s| unit_row(s, "GASKI").is_some_and(|c| c[1] == 2));
}
