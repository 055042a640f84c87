//! The console loop driven headless: synthetic keys in, TestBackend out.

mod console_support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use beyazmasa::console::action::{Action, FailReason, Msg};
use beyazmasa::console::app::{FixedClock, Loop};
use beyazmasa::console::diag::Source;
use beyazmasa::console::effect::{Effect, RecordingRunner};
use beyazmasa::console::i18n::Lang;
use beyazmasa::console::keymap::Keymap;
use beyazmasa::console::nav::Screen;
use beyazmasa::console::state::{LinkStatus, Modal, Mode, Phase, State};
use beyazmasa::console::theme::Theme;
use beyazmasa::console::update::{init, on_action, update};
use beyazmasa::domain::status::Role;
use console_support::*;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use pretty_assertions::assert_eq;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ctrl(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn chars(s: &str) -> Vec<Event> {
    s.chars().map(|c| key(KeyCode::Char(c))).collect()
}

/// Runs the real loop over `events`; the loop ends when they run out (the
/// end of input quits, so a test can drive the same state again).
async fn drive(state: &mut State, events: Vec<Event>, size: (u16, u16)) -> (Terminal<TestBackend>, Vec<Effect>) {
    state.quit = false;
    let mut terminal = Terminal::new(TestBackend::new(size.0, size.1)).unwrap();
    let theme = Theme::mono();
    let mut runner = RecordingRunner::default();
    let (_tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let input = futures::stream::iter(events.into_iter().map(Ok));
    let mut event_loop = Loop {
        theme: &theme,
        runner: &mut runner,
        clock: &FixedClock(fixed_now()),
        tick: Duration::from_secs(1),
        started: None,
    };
    event_loop.run(&mut terminal, input, rx, state).await.unwrap();
    (terminal, runner.effects)
}

#[tokio::test]
async fn every_screen_is_one_key_away_and_quit_quits() {
    let steps = [
        (KeyCode::F(3), Screen::Queue, "Birim kuyruğu"),
        (KeyCode::F(4), Screen::Wallboard, "Birim kuyrukları"),
        (KeyCode::F(5), Screen::Intake, "Bekleyen kayıtlar"),
        (KeyCode::F(1), Screen::Help, "Kısayollar"),
        (KeyCode::F(2), Screen::Call, "Arayan"),
    ];
    for (code, screen, title) in steps {
        let mut state = signed_in_state();
        let (terminal, _) = drive(&mut state, vec![key(code)], (120, 40)).await;
        assert_eq!(state.screen, screen);
        assert!(screen_text(&terminal).contains(title), "{title}");
    }
    let mut state = signed_in_state();
    let (_, effects) = drive(&mut state, vec![ctrl('q')], (80, 24)).await;
    assert!(state.quit);
    assert_eq!(effects.first(), Some(&Effect::Connect));
}

#[tokio::test]
async fn the_palette_runs_a_command_by_name() {
    let mut state = signed_in_state();
    let mut events = vec![ctrl('p')];
    events.extend(chars("kuyruk"));
    events.push(key(KeyCode::Enter));
    let (terminal, _) = drive(&mut state, events, (80, 24)).await;
    assert_eq!(state.screen, Screen::Queue);
    assert_eq!(state.modal, None);
    assert!(screen_text(&terminal).contains("Birim kuyruğu"));
}

#[tokio::test]
async fn help_overlay_opens_and_closes() {
    let mut state = signed_in_state();
    let (terminal, _) = drive(&mut state, vec![ctrl('k')], (80, 24)).await;
    assert_eq!(state.modal, Some(Modal::Help));
    assert!(screen_text(&terminal).contains("Bu ekrandaki kısayollar"));
    drive(&mut state, vec![key(KeyCode::Esc)], (80, 24)).await;
    assert_eq!(state.modal, None);
}

#[test]
fn update_is_pure_state_in_state_out() {
    let mut state = signed_in_state();
    let before = state.clone();
    on_action(&mut state, Action::FocusNext);
    on_action(&mut state, Action::FocusNext);
    on_action(&mut state, Action::GotoQueue);
    on_action(&mut state, Action::FocusPrev);
    let mut expected = before;
    expected.focus = [2, 2, 0, 0, 0];
    expected.screen = Screen::Queue;
    expected.navigated = true;
    assert_eq!(state, expected);
}

#[test]
fn a_quiet_minute_draws_nothing_but_the_call_timer_ticks() {
    let mut state = signed_in_state();
    state.dirty = false;
    update(&mut state, Msg::Tick(fixed_now() + chrono::Duration::seconds(20)));
    assert!(!state.dirty, "same minute, no call: no redraw");
    on_action(&mut state, Action::ToggleCallTimer);
    state.dirty = false;
    update(&mut state, Msg::Tick(fixed_now() + chrono::Duration::seconds(21)));
    assert!(state.dirty, "the call timer shows seconds");
}

#[test]
fn health_checks_are_periodic_and_not_stacked() {
    let mut state = signed_in_state();
    let t0 = fixed_now();
    assert_eq!(update(&mut state, Msg::Tick(t0)), vec![Effect::CheckHealth]);
    assert_eq!(update(&mut state, Msg::Tick(t0 + chrono::Duration::seconds(30))), vec![], "one in flight");
    update(&mut state, Msg::Health { online: false, error: Some("refused".into()) });
    assert_eq!(state.link.status, LinkStatus::Offline);
    assert_eq!(update(&mut state, Msg::Tick(t0 + chrono::Duration::seconds(31))), vec![Effect::CheckHealth]);
    update(&mut state, Msg::Health { online: true, error: None });
    assert_eq!(state.link.status, LinkStatus::Online);
}

#[test]
fn starting_offline_keeps_the_cached_user_and_reconnects_later() {
    let mut state = new_state(Lang::Tr, Mode::Remote { server: "https://x".into() });
    assert_eq!(init(&mut state), vec![Effect::Connect]);
    update(&mut state, Msg::StartOffline { user: Some(demo_user(Role::UnitRep)) });
    assert_eq!(state.session.phase, Phase::SignedIn);
    assert_eq!(state.screen, Screen::Queue, "unit reps start on their queue");
    assert_eq!(state.link.status, LinkStatus::Offline);
    assert!(state.notice.is_some());
    let effects = update(&mut state, Msg::Health { online: true, error: None });
    assert_eq!(effects, vec![Effect::Connect], "the cached session is confirmed once back online");
    assert_eq!(state.notice, None);
}

#[tokio::test]
async fn login_form_sends_what_was_typed() {
    let mut state = new_state(Lang::Tr, Mode::Remote { server: "https://x".into() });
    update(&mut state, Msg::NeedLogin { username: None });
    let mut events = chars("ayşe");
    events.push(key(KeyCode::Tab));
    events.extend(chars("gizli"));
    events.push(key(KeyCode::Enter));
    let (terminal, effects) = drive(&mut state, events, (80, 24)).await;
    assert!(effects.contains(&Effect::Login { username: "ayşe".into(), password: "gizli".into() }));
    let text = screen_text(&terminal);
    assert!(!text.contains("gizli"), "the password is never shown");
    assert!(text.contains("Oturum açılıyor"));
    update(&mut state, Msg::LoginFailed(FailReason::Unauthorized));
    match &state.modal {
        Some(Modal::Login(form)) => {
            assert_eq!(form.error.as_deref(), Some("Oturum açılamadı: kullanıcı adı veya parola yanlış"));
            assert!(form.password.is_empty());
        }
        other => panic!("{other:?}"),
    }
    update(&mut state, Msg::SignedIn(demo_user(Role::Agent)));
    assert_eq!(state.modal, None);
    assert_eq!(state.session.phase, Phase::SignedIn);
}

#[tokio::test]
async fn key_sequences_and_which_key_hints() {
    let (keymap, problems) = Keymap::load("vim", Path::new("/nonexistent/keymap.toml"));
    assert_eq!(problems, vec![]);
    let mut state = signed_in_state();
    state.keymap = Arc::new(keymap);
    on_action(&mut state, Action::GotoHelp);
    state.help_scroll = 5;
    let (terminal, _) = drive(&mut state, chars("g"), (80, 24)).await;
    let text = screen_text(&terminal);
    assert!(text.contains("g … Devamı: g En üste"), "{text}");
    drive(&mut state, chars("g"), (80, 24)).await;
    assert_eq!(state.help_scroll, 0);
    assert!(state.pending_keys.is_empty());
}

#[tokio::test]
async fn rebinding_changes_the_hints_and_the_help() {
    let mut keymap = Keymap::builtin_default();
    let problems = keymap.overlay(&Source::new(
        Path::new("keymap.toml"),
        "[global]\n\"ctrl-p\" = \"none\"\n\"F9\" = \"open_palette\"\n",
    ));
    assert_eq!(problems, vec![]);
    let mut state = signed_in_state();
    state.keymap = Arc::new(keymap);
    let text = screen_text(&draw(&state, 80, 24));
    assert!(text.contains("F9 Komut paleti"), "{text}");
    assert!(!text.contains("Ctrl-P"), "{text}");
    let (_, _) = drive(&mut state, vec![ctrl('p')], (80, 24)).await;
    assert_eq!(state.modal, None, "ctrl-p is unbound");
    drive(&mut state, vec![key(KeyCode::F(9))], (80, 24)).await;
    assert!(matches!(state.modal, Some(Modal::Palette(_))));
}

#[test]
fn resizing_down_to_80x24_and_below_never_panics() {
    let mut state = signed_in_state();
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    let theme = Theme::mono();
    let screens = [Action::GotoCall, Action::GotoQueue, Action::GotoWallboard, Action::GotoIntake, Action::GotoHelp];
    let overlays = [None, Some(Action::ToggleHelp), Some(Action::OpenPalette)];
    for (w, h) in [(200, 60), (120, 40), (100, 30), (81, 25), (80, 24), (79, 24), (80, 23), (40, 10), (1, 1), (0, 0)] {
        terminal.backend_mut().resize(w, h);
        for screen in screens {
            for overlay in overlays {
                let mut s = state.clone();
                on_action(&mut s, screen);
                if let Some(o) = overlay {
                    on_action(&mut s, o);
                }
                terminal.draw(|f| beyazmasa::console::ui::render(f, &s, &theme)).unwrap();
            }
        }
        if (w, h) == (80, 24) {
            let text = screen_text(&terminal);
            assert!(text.contains("F2 Çağrı"), "{text}");
            assert!(text.contains("14:05"), "{text}");
        }
    }
    on_action(&mut state, Action::GotoCall);
    terminal.backend_mut().resize(80, 24);
    terminal.draw(|f| beyazmasa::console::ui::render(f, &state, &theme)).unwrap();
    // After shrinking, no stale cells of the wide frame remain.
    let text = screen_text(&terminal);
    assert_eq!(text.lines().count(), 24);
    assert!(text.lines().all(|l| l.chars().count() <= 80));
}

#[test]
fn sync_status_drives_the_status_bar_and_quitting_with_pending_work_warns_once() {
    use beyazmasa::client::cache::OutboxCounts;
    use beyazmasa::client::sync::SyncStatus;
    let mut state = signed_in_state();
    let t = chrono::Utc::now();
    update(
        &mut state,
        Msg::Sync(SyncStatus {
            online: false,
            since: Some(t),
            last_sync: Some(t),
            last_error: Some("server unreachable".into()),
            counts: OutboxCounts { pending: 3, rejected: 1, conflict: 0 },
            bootstrap: None,
        }),
    );
    assert_eq!(state.link.status, LinkStatus::Offline);
    assert_eq!(state.link.pending, 4);
    assert_eq!(state.link.last_error.as_deref(), Some("server unreachable"));
    on_action(&mut state, Action::Quit);
    assert!(!state.quit, "the first quit only warns");
    assert!(state.notice.as_ref().unwrap().text.contains("4 kayıt"), "{:?}", state.notice);
    on_action(&mut state, Action::Quit);
    assert!(state.quit, "the second quit quits; the outbox stays on disk");
}

#[test]
fn the_initial_load_shows_its_progress_in_the_status_bar_until_done() {
    use beyazmasa::client::sync::SyncStatus;
    let mut state = signed_in_state();
    let loading = SyncStatus { online: true, bootstrap: Some((300, 1200)), ..Default::default() };
    update(&mut state, Msg::Sync(loading.clone()));
    for width in [80, 120] {
        let text = screen_text(&draw(&state, width, 24));
        assert!(text.contains("%25"), "{width} columns: {text}");
    }
    assert!(screen_text(&draw(&state, 120, 24)).contains("İlk yükleme %25"));
    let done = SyncStatus { bootstrap: None, last_sync: Some(chrono::Utc::now()), ..loading };
    update(&mut state, Msg::Sync(done));
    let text = screen_text(&draw(&state, 120, 24));
    assert!(!text.contains("İlk yükleme") && text.contains("Son eşitleme"), "{text}");
}

#[test]
fn the_outbox_shows_refusals_and_retries_or_discards_after_asking() {
    use beyazmasa::client::cache::OutboxState;
    use beyazmasa::console::action::OutboxRow;
    let mut state = signed_in_state();
    assert_eq!(on_action(&mut state, Action::ShowOutbox), vec![Effect::LoadOutbox]);
    let refused = OutboxRow {
        mutation_id: uuid::Uuid::from_u128(7),
        kind: "request_action".into(),
        label: Some("27-3TRA045".into()),
        state: OutboxState::Conflict,
        reason: Some("status changed meanwhile: resolved by gaski".into()),
        attempts: 2,
        held_back: 1,
    };
    let queued = OutboxRow {
        mutation_id: uuid::Uuid::from_u128(8),
        state: OutboxState::Pending,
        reason: None,
        held_back: 0,
        ..refused.clone()
    };
    update(&mut state, Msg::Outbox(Ok(vec![refused.clone(), queued])));
    let text = screen_text(&draw(&state, 120, 40));
    assert!(text.contains("[çakışma] 27-3TRA045 · başvuru işlemi · 2 deneme"), "{text}");
    assert!(text.contains("status changed meanwhile: resolved by gaski"), "the server's reason shows: {text}");
    assert!(text.contains("arkasında 1 değişiklik bekliyor"), "{text}");

    assert_eq!(press(&mut state, KeyCode::Char('r')), vec![Effect::Retry(refused.mutation_id)]);
    update(&mut state, Msg::Outbox(Ok(vec![refused.clone()])));
    assert_eq!(press(&mut state, KeyCode::Char('d')), vec![], "the first press only asks");
    assert!(screen_text(&draw(&state, 120, 40)).contains("Silmek için d tuşuna tekrar basın"));
    assert_eq!(press(&mut state, KeyCode::Char('d')), vec![Effect::Discard(refused.mutation_id)]);
    update(&mut state, Msg::Outbox(Err("cannot discard: request 27-X still names it".into())));
    assert!(screen_text(&draw(&state, 120, 40)).contains("cannot discard"));
    press(&mut state, KeyCode::Esc);
    assert_eq!(state.modal, None);
}

fn press(state: &mut State, code: KeyCode) -> Vec<Effect> {
    update(state, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

#[test]
fn the_status_bar_keeps_the_clock_at_80_columns_when_everything_is_long() {
    let mut state = signed_in_state();
    state.link.pending = 1234;
    state.link.last_sync = Some(fixed_now());
    state.call_started = Some(fixed_now() - chrono::Duration::seconds(3725));
    let user = state.session.user.clone();
    update(&mut state, Msg::StartOffline { user });
    for width in [80, 100, 120] {
        let text = screen_text(&draw(&state, width, 24));
        let status = text.lines().nth(22).unwrap();
        assert!(status.trim_end().ends_with("14:05"), "{width}: {status:?}");
        assert!(status.contains("1234") && status.contains("1:02:05"), "{width}: {status:?}");
    }
}
