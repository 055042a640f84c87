//! The wallboard through `update` alone: fetching on sign-in and on the
//! server's stats events (coalesced, no polling), stale figures kept and
//! marked, drilling into the queue; snapshots at 80×24, 120×40 and 200×60.

mod console_support;

use beyazmasa::console::action::{Action, Msg};
use beyazmasa::console::effect::Effect;
use beyazmasa::console::nav::{Pane, Screen};
use beyazmasa::console::state::State;
use beyazmasa::console::update::{on_action, update};
use beyazmasa::domain::status::Role;
use beyazmasa::protocol::stats::Wallboard;
use console_support::*;
use pretty_assertions::assert_eq;
use serde_json::json;

fn summary(tracking: &str, unit: &str, category: &str, due: &str, contacts: u32) -> serde_json::Value {
    json!({"id": uuid::Uuid::new_v4(), "tracking_no": tracking, "unit": unit, "category": category,
           "district": "SAHINBEY", "neighbourhood": "Karataş", "status": "in_progress", "priority": "high",
           "sla_due_at": due, "created_at": "2026-03-09T08:00:00Z", "contacts": contacts})
}

fn fixture() -> Wallboard {
    let at = "2026-03-10T11:05:00Z";
    let counts = |new, ip, wait, over, soon| json!({"new": new, "in_progress": ip, "waiting": wait, "open": new + ip + wait, "overdue": over, "due_soon": soon});
    let mut hours = Vec::new();
    for h in 0..24u64 {
        hours.push(json!({"hour": h, "today": if h <= 14 { Some((h * 7) % 23) } else { None }, "average": (h % 9) as f64 * 1.5}));
    }
    serde_json::from_value(json!({
        "units": {"generated_at": at, "soon_minutes": 120,
            "units": [
                {"unit": "GASKI", "new": 14, "in_progress": 30, "waiting": 2, "open": 46, "overdue": 9, "due_soon": 4},
                {"unit": "FEN_ISLERI", "new": 5, "in_progress": 12, "waiting": 0, "open": 17, "overdue": 0, "due_soon": 2},
                {"unit": "PARK_BAHCE", "new": 1, "in_progress": 3, "waiting": 1, "open": 5, "overdue": 0, "due_soon": 0}],
            "total": counts(20, 45, 3, 9, 6)},
        "aging": {"generated_at": at, "buckets": ["lt_4h", "lt_1d", "lt_3d", "lt_7d", "lt_15d", "older"],
            "total": [12, 20, 18, 9, 6, 3],
            "units": [{"unit": "GASKI", "counts": [8, 14, 12, 6, 4, 2]}, {"unit": "FEN_ISLERI", "counts": [3, 5, 5, 2, 1, 1]}]},
        "sla": {"generated_at": at, "soon_minutes": 120,
            "breached": {"total": 9, "items": [summary("27-LATE001", "GASKI", "SU_KESINTISI", "2026-03-10T06:05:00Z", 4)]},
            "due_soon": {"total": 6, "items": [summary("27-SOON001", "FEN_ISLERI", "YOL_CUKUR", "2026-03-10T12:35:00Z", 0)]}},
        "intake": {"generated_at": at, "date": "2026-03-10", "current_hour": 14, "weeks": 4, "today": 143,
            "average_so_far": 121.5, "average_day": 180.0, "hours": hours,
            "channels": [{"channel": "line153", "today": 90, "average": 110.0}, {"channel": "line185", "today": 40, "average": 50.0},
                         {"channel": "web", "today": 13, "average": 20.0}]},
        "agents": {"generated_at": at, "presence_window_seconds": 120, "logged_in": 2, "on_call": 1, "handled_today": 57,
            "aht_seconds": 212.0,
            "agents": [
                {"username": "agent", "full_name": "Ayşe Demir", "role": "agent", "extension": "1001", "logged_in": true, "devices": 1,
                 "call": {"state": "talking", "since": "2026-03-10T11:03:00Z", "seconds": 125}, "calls_today": 31, "missed_today": 1,
                 "filed_today": 28, "handled_today": 31, "aht_seconds": 198.0, "source": "cti"},
                {"username": "agent2", "full_name": "Mehmet Kaya", "role": "agent", "extension": "1002", "logged_in": true, "devices": 1,
                 "calls_today": 26, "missed_today": 0, "filed_today": 24, "handled_today": 26, "aht_seconds": 229.0, "source": "cti"}]},
        "hotspots": {"generated_at": at, "window_hours": 24,
            "items": [{"category": "SU_KESINTISI", "district": "SAHINBEY", "neighbourhood": "Karataş", "count": 14, "last_hour": 9},
                      {"category": "YOL_CUKUR", "district": "SEHITKAMIL", "neighbourhood": "Düztepe", "count": 4, "last_hour": 0}]},
        "escalations": {"generated_at": at, "min_contacts": 3,
            "bounced": {"total": 1, "items": [summary("27-BOUNCE1", "ZABITA", "GURULTU", "2026-03-11T11:00:00Z", 0)]},
            "reopened": {"total": 0, "items": []},
            "repeat_contacts": {"total": 1, "items": [summary("27-LATE001", "GASKI", "SU_KESINTISI", "2026-03-10T06:05:00Z", 4)]}}
    }))
    .expect("the fixture is a valid wallboard")
}

fn lead_state() -> State {
    let mut state = signed_in_state();
    let lead = demo_user(Role::Lead);
    let effects = update(&mut state, Msg::SignedIn(lead));
    assert_eq!(state.screen, Screen::Wallboard);
    assert!(effects.contains(&Effect::LoadWallboard), "{effects:?}");
    state
}

#[test]
fn figures_are_fetched_on_events_coalesced_and_kept_stale_when_the_server_is_away() {
    let mut state = lead_state();
    // An event while the first fetch runs: one more fetch after it, not two.
    assert_eq!(update(&mut state, Msg::StatsChanged), vec![]);
    assert_eq!(update(&mut state, Msg::StatsChanged), vec![]);
    assert_eq!(update(&mut state, Msg::Wallboard(Ok(Box::new(fixture())))), vec![Effect::LoadWallboard]);
    assert_eq!(update(&mut state, Msg::Wallboard(Ok(Box::new(fixture())))), vec![]);
    let text = screen_text(&draw(&state, 120, 40));
    assert!(text.contains("● canlı · 14:05:00 güncellendi"), "{text}");
    assert!(text.contains("GASKI                   14    46    30     2     9     4"), "{text}");

    // The server goes away: the figures stay, marked stale.
    update(&mut state, Msg::Tick(fixed_now() + chrono::Duration::minutes(3)));
    assert_eq!(update(&mut state, Msg::StatsChanged), vec![Effect::LoadWallboard]);
    update(&mut state, Msg::Wallboard(Err("server unreachable".into())));
    let text = screen_text(&draw(&state, 120, 40));
    assert!(text.contains("○ 14:05:00'dan beri canlı değil · rakamlar eski"), "{text}");
    assert!(text.contains("27-LATE001"), "the last figures are still shown: {text}");
}

#[test]
fn enter_on_a_row_drills_into_the_queue_but_not_on_the_wall_display() {
    let mut state = lead_state();
    update(&mut state, Msg::Wallboard(Ok(Box::new(fixture()))));
    on_action(&mut state, Action::FocusNext);
    assert_eq!(state.focused_pane(), Pane::WallSla);
    let effects = on_action(&mut state, Action::Confirm);
    assert_eq!(state.screen, Screen::Queue);
    assert_eq!(state.queue.filter.text(), "27-LATE001");
    assert_eq!(effects, vec![Effect::LoadQueue { units: vec!["GASKI".into()] }]);

    let mut board = lead_state();
    board.pinned_screen = Some(Screen::Wallboard);
    update(&mut board, Msg::Wallboard(Ok(Box::new(fixture()))));
    assert_eq!(on_action(&mut board, Action::Confirm), vec![]);
    on_action(&mut board, Action::GotoQueue);
    assert_eq!(board.screen, Screen::Wallboard, "the wall display stays on the board");
}

#[test]
fn snapshots_at_three_sizes() {
    let mut state = lead_state();
    update(&mut state, Msg::Wallboard(Ok(Box::new(fixture()))));
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        insta::assert_snapshot!(format!("wallboard_w{w}"), screen_text(&draw(&state, w, h)));
    }
}
