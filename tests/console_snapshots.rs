//! What each screen looks like, at 80×24 and 120×40, in the mono theme.

mod console_support;

use beyazmasa::console::action::{Action, Msg, SeedProgress};
use beyazmasa::console::i18n::Lang;
use beyazmasa::console::state::Mode;
use beyazmasa::console::update::{on_action, update};
use beyazmasa::domain::status::Role;
use console_support::*;

fn snapshot(name: &str, state: &beyazmasa::console::state::State) {
    for (w, h) in [(80, 24), (120, 40)] {
        let text = screen_text(&draw(state, w, h));
        insta::assert_snapshot!(format!("{name}_w{w}"), text);
    }
}

#[test]
fn call_screen() {
    snapshot("call", &signed_in_state());
}

#[test]
fn queue_screen() {
    let mut state = signed_in_state();
    on_action(&mut state, Action::GotoQueue);
    snapshot("queue", &state);
}

#[test]
fn wallboard_screen() {
    let mut state = signed_in_state();
    on_action(&mut state, Action::GotoWallboard);
    snapshot("wallboard", &state);
}

#[test]
fn intake_screen() {
    let mut state = signed_in_state();
    on_action(&mut state, Action::GotoIntake);
    snapshot("intake", &state);
}

#[test]
fn help_screen() {
    let mut state = signed_in_state();
    on_action(&mut state, Action::GotoHelp);
    snapshot("help", &state);
}

#[test]
fn help_overlay() {
    let mut state = signed_in_state();
    on_action(&mut state, Action::ToggleHelp);
    snapshot("help_overlay", &state);
}

#[test]
fn palette_filtered() {
    let mut state = signed_in_state();
    on_action(&mut state, Action::OpenPalette);
    update(&mut state, Msg::Paste("pano".into()));
    snapshot("palette", &state);
}

#[test]
fn seeding_progress() {
    let mut state = new_state(Lang::Tr, Mode::Embedded { role: Role::Agent });
    let p = SeedProgress { citizens_done: 3000, citizens_total: 3000, requests_done: 2000, requests_total: 8000 };
    update(&mut state, Msg::Seeding(p));
    snapshot("seeding", &state);
}

#[test]
fn login_screen_for_a_real_server() {
    let mut state = new_state(Lang::Tr, Mode::Remote { server: "https://alo153.gaziantep.bel.tr".into() });
    update(&mut state, Msg::NeedLogin { username: Some("ayse.demir".into()) });
    snapshot("login", &state);
}

#[test]
fn offline_with_pending_call_in_english() {
    let mut state = new_state(Lang::En, Mode::Remote { server: "https://alo153.example".into() });
    update(&mut state, Msg::StartOffline { user: Some(demo_user(Role::Agent)) });
    on_action(&mut state, Action::ToggleCallTimer);
    let later = fixed_now() + chrono::Duration::seconds(135);
    update(&mut state, Msg::Tick(later));
    snapshot("offline_en", &state);
}

#[test]
fn too_small_terminal_asks_to_enlarge() {
    let state = signed_in_state();
    let text = screen_text(&draw(&state, 60, 20));
    insta::assert_snapshot!("too_small", text);
    assert!(text.contains("Pencereyi büyütün"), "{text}");
}
