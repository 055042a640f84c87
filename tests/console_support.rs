//! Shared by the console test binaries (included with `mod`).
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use beyazmasa::console::action::Msg;
use beyazmasa::console::i18n::Lang;
use beyazmasa::console::keymap::Keymap;
use beyazmasa::console::state::{Mode, State, StateInit};
use beyazmasa::console::theme::Theme;
use beyazmasa::console::{ui, update};
use beyazmasa::domain::status::Role;
use beyazmasa::protocol::UserInfo;
use chrono::{DateTime, FixedOffset};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// 14:05 on a Tuesday in Gaziantep.
pub fn fixed_now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-03-10T14:05:00+03:00").unwrap()
}

pub fn demo_user(role: Role) -> UserInfo {
    let (username, full_name) = match role {
        Role::Agent => ("agent", "Ayşe Demir"),
        Role::UnitRep => ("gaski", "GASKİ temsilcisi"),
        Role::Lead => ("lead", "Zeynep Şahin"),
        Role::Admin => ("admin", "Sistem Yöneticisi"),
    };
    UserInfo {
        id: uuid::Uuid::nil(),
        username: username.into(),
        full_name: full_name.into(),
        role,
        units: vec![],
        extension: Some("1001".into()),
    }
}

pub fn new_state(lang: Lang, mode: Mode) -> State {
    State::new(StateInit {
        lang,
        keymap: Arc::new(Keymap::builtin_default()),
        keymap_file: PathBuf::from("~/.config/beyazmasa/keymap.toml"),
        mode,
        pinned_screen: None,
        now: fixed_now(),
        notice: None,
    })
}

/// The embedded demo, signed in as the agent and online.
pub fn signed_in_state() -> State {
    let mut state = new_state(Lang::Tr, Mode::Embedded { role: Role::Agent });
    update::update(&mut state, Msg::SignedIn(demo_user(Role::Agent)));
    state
}

pub fn draw(state: &State, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| ui::render(f, state, &Theme::mono())).unwrap();
    terminal
}

/// The screen's text, one line per row, trailing blanks trimmed.
pub fn screen_text(terminal: &Terminal<TestBackend>) -> String {
    let buf = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
