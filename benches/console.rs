//! Console speed: `cargo bench --bench console`.
//!
//! - start to first frame with an existing data dir (target ≤ 300 ms):
//!   in-process (config, keymap, theme, state, first draw) and, when tmux
//!   is installed, the real release binary until its first screen shows;
//! - start to signed in with an existing data dir (embedded server opened,
//!   stored token checked);
//! - a full 200×60 frame (target ≤ 2 ms);
//! - the wallboard at 200×60 with every pane filled from a demo database of
//!   BENCH_WALLBOARD_REQUESTS (50,000) requests (target ≤ 4 ms);
//! - Call screen, keystroke to frame mid-call (target ≤ 16 ms): each key of
//!   a description through `update` (live category suggestions included)
//!   and the redraw at 120×40.

use std::time::{Duration, Instant};

use beyazmasa::console::action::{Action, Msg};
use beyazmasa::console::app::{Clock, SystemClock};
use beyazmasa::console::effect::{Effect, EffectRunner};
use beyazmasa::console::paths::Paths;
use beyazmasa::console::runner::TaskRunner;
use beyazmasa::console::setup::Setup;
use beyazmasa::console::state::{Mode, State};
use beyazmasa::console::theme::Theme;
use beyazmasa::console::{ConsoleArgs, ui, update};
use beyazmasa::domain::status::Role;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn stats(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (ms(samples[samples.len() / 2]), ms(samples[samples.len() * 95 / 100]), ms(*samples.last().unwrap()))
}

fn report(name: &str, samples: Vec<Duration>, target_ms: f64) {
    let (median, p95, max) = stats(samples);
    let verdict = if p95 <= target_ms { "ok" } else { "OVER TARGET" };
    println!(
        "{name:<48} median {median:>8.3} ms  p95 {p95:>8.3} ms  max {max:>8.3} ms  (target ≤ {target_ms} ms: {verdict})"
    );
}

/// Seeds the embedded demo once, so later runs find an existing data dir.
async fn signed_in_after_connect(paths: &Paths) -> Duration {
    let start = Instant::now();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut runner = TaskRunner::new(tx, Mode::Embedded { role: Role::Agent }, paths.clone(), "bench".into());
    runner.run(Effect::Connect);
    loop {
        match rx.recv().await {
            Some(Msg::SignedIn(_)) => return start.elapsed(),
            Some(Msg::EmbeddedFailed(e)) => panic!("embedded server failed: {e}"),
            Some(_) => {}
            None => panic!("runner stopped"),
        }
    }
}

fn first_frame(paths: &Paths) -> Duration {
    let start = Instant::now();
    let setup = Setup::load(&ConsoleArgs::default(), paths).unwrap();
    let mut state = State::new(setup.state_init(SystemClock.now()));
    update::init(&mut state);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    terminal.draw(|f| ui::render(f, &state, &setup.theme)).unwrap();
    start.elapsed()
}

fn tmux_first_screen(paths: &Paths) -> Option<Vec<Duration>> {
    let bin = std::env::var("BEYAZMASA_BENCH_BIN").ok().or_else(|| {
        let exe = std::env::current_exe().ok()?;
        let candidate = exe.parent()?.parent()?.join("beyazmasa");
        candidate.exists().then(|| candidate.display().to_string())
    })?;
    std::process::Command::new("tmux").arg("-V").output().ok()?;
    let socket = format!("beyazmasa-bench-{}", std::process::id());
    let tmux = |args: &[&str]| {
        std::process::Command::new("tmux").args(["-L", &socket, "-f", "/dev/null"]).args(args).output().unwrap()
    };
    let mut samples = Vec::new();
    for _ in 0..10 {
        let cmd = format!(
            "env NO_COLOR=1 BEYAZMASA_CONFIG_DIR='{}' BEYAZMASA_DATA_DIR='{}' '{bin}'",
            paths.config_dir.display(),
            paths.data_dir.display()
        );
        let start = Instant::now();
        tmux(&["new-session", "-d", "-s", "b", "-x", "120", "-y", "40", "sh", "-c", &cmd]);
        loop {
            let out = tmux(&["capture-pane", "-p", "-t", "b"]);
            if String::from_utf8_lossy(&out.stdout).contains("F2 Çağrı") {
                samples.push(start.elapsed());
                break;
            }
            if start.elapsed() > Duration::from_secs(10) {
                println!("tmux: the console did not show within 10 s");
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        tmux(&["send-keys", "-t", "b", "C-q"]);
        std::thread::sleep(Duration::from_millis(300));
        tmux(&["kill-server"]);
    }
    Some(samples)
}

/// A console's state in Turkish with the default keymap, embedded as `role`.
fn new_state(role: Role) -> State {
    State::new(beyazmasa::console::state::StateInit {
        lang: beyazmasa::console::i18n::Lang::Tr,
        keymap: std::sync::Arc::new(beyazmasa::console::keymap::Keymap::builtin_default()),
        keymap_file: "keymap.toml".into(),
        mode: Mode::Embedded { role },
        pinned_screen: None,
        now: SystemClock.now(),
        notice: None,
    })
}

/// An agent signed in at extension 1001.
fn agent_state() -> State {
    let mut state = new_state(Role::Agent);
    let user = beyazmasa::protocol::UserInfo {
        id: uuid::Uuid::nil(),
        username: "agent".into(),
        full_name: "Ayşe Demir".into(),
        role: Role::Agent,
        units: vec![],
        extension: Some("1001".into()),
    };
    update::update(&mut state, Msg::SignedIn(user));
    state
}

fn full_frames() -> Vec<Duration> {
    let mut state = agent_state();
    let (theme, _) = Theme::load("default", None, false);
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    let screens = [Action::GotoCall, Action::GotoQueue, Action::GotoWallboard, Action::GotoIntake, Action::GotoHelp];
    let mut samples = Vec::new();
    for i in 0..2000 {
        update::on_action(&mut state, screens[i % screens.len()]);
        if i % 7 == 0 {
            update::on_action(&mut state, Action::ToggleHelp);
        }
        // Forget the previous frame so every cell is drawn and flushed.
        terminal.clear().unwrap();
        let start = Instant::now();
        terminal.draw(|f| ui::render(f, &state, &theme)).unwrap();
        samples.push(start.elapsed());
        state.modal = None;
    }
    samples
}

/// A caller with a history, then a description typed key by key: the time
/// from each key to its frame.
fn call_keystrokes() -> Vec<Duration> {
    use beyazmasa::protocol::{Address, Citizen, CitizenHit, MatchKind};
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let mut state = agent_state();
    let now = chrono::Utc::now();
    let citizen = Citizen {
        id: uuid::Uuid::now_v7(),
        full_name: "Hatice Karaca".into(),
        phones: vec!["+905321112233".into()],
        tckn: None,
        email: None,
        address: Some(Address {
            district: "SAHINBEY".into(),
            neighbourhood: "Karataş".into(),
            street: Some("Gazi Caddesi".into()),
            number: Some("12".into()),
        }),
        hide_identity: false,
        created_at: now,
        updated_at: now,
        version: 1,
        field_versions: Default::default(),
    };
    let key =
        |state: &mut State, code: KeyCode| update::update(state, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    for c in "0532 111 22 33".chars() {
        key(&mut state, KeyCode::Char(c));
    }
    let hit = CitizenHit { citizen, matched: MatchKind::Phone, score: 1.0, open_requests: 0 };
    let seq = state.call.search_seq;
    update::update(&mut state, Msg::CallerHits { seq, query: "0532 111 22 33".into(), result: Ok(vec![hit]) });
    key(&mut state, KeyCode::Enter);
    let (theme, _) = Theme::load("default", None, false);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    terminal.draw(|f| ui::render(f, &state, &theme)).unwrap();
    let text = "İki gündür Karataş'ta sular kesik, komşularda da su yok, yaşlı annem var, tanker istiyoruz. ";
    let mut samples = Vec::new();
    for c in text.chars().cycle().take(2000) {
        let start = Instant::now();
        key(&mut state, KeyCode::Char(c));
        terminal.draw(|f| ui::render(f, &state, &theme)).unwrap();
        samples.push(start.elapsed());
    }
    samples
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::in_dir(dir.path());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let seeding = runtime.block_on(signed_in_after_connect(&paths));
    println!("first run: seeding the demo data and signing in took {:.1} s", seeding.as_secs_f64());
    let warm: Vec<Duration> = (0..5).map(|_| runtime.block_on(signed_in_after_connect(&paths))).collect();
    report("start to signed in, existing data dir", warm, 1000.0);
    let frames: Vec<Duration> = (0..50).map(|_| first_frame(&paths)).collect();
    report("start to first frame (in-process)", frames, 300.0);
    match tmux_first_screen(&paths) {
        Some(samples) if !samples.is_empty() => report("start to first screen (real binary in tmux)", samples, 300.0),
        _ => println!("start to first screen (real binary in tmux): skipped, needs tmux and a built binary"),
    }
    report("full 200×60 frame", full_frames(), 2.0);
    report("Call screen: keystroke to frame (120×40)", call_keystrokes(), 16.0);
    report("wallboard frame, every pane filled (200×60)", runtime.block_on(wallboard_frames()), 4.0);
}

/// The shift lead's wallboard on real figures (the stats of a demo
/// database), drawn whole again and again.
async fn wallboard_frames() -> Vec<Duration> {
    use beyazmasa::server::demo;
    let requests = std::env::var("BENCH_WALLBOARD_REQUESTS").ok().and_then(|v| v.parse().ok()).unwrap_or(50_000);
    let dir = tempfile::tempdir().unwrap();
    let store =
        beyazmasa::server::store::open(&format!("sqlite://{}", dir.path().join("s.db").display())).await.unwrap();
    let opts = demo::DemoOptions { citizens: requests / 5, requests, seed: 27, now: chrono::Utc::now() };
    demo::generate(store.as_ref(), &opts, &mut |_| {}).await.unwrap();
    let users = store.list_users().await.unwrap();
    let live =
        beyazmasa::server::live::LiveBoard::start(beyazmasa::server::EventHub::new()).snapshot(chrono::Utc::now());
    let mut reader = store.stats_reader().await.unwrap();
    let board =
        beyazmasa::server::stats::wallboard(reader.as_mut(), &users, &live, chrono::Utc::now(), 50).await.unwrap();
    let mut state = new_state(Role::Lead);
    let lead = users.iter().find(|u| u.role == Role::Lead).expect("the demo has a lead").clone();
    update::update(&mut state, Msg::SignedIn(lead));
    update::update(&mut state, Msg::Wallboard(Ok(Box::new(board))));
    let (theme, _) = Theme::load("default", None, false);
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    let mut samples = Vec::new();
    for _ in 0..1000 {
        terminal.clear().unwrap();
        let start = Instant::now();
        terminal.draw(|f| ui::render(f, &state, &theme)).unwrap();
        samples.push(start.elapsed());
    }
    let screen = format!("{:?}", terminal.backend().buffer());
    assert!(screen.contains("GASKI"), "the board shows the units");
    samples
}
