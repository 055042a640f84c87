//! The console's whole state. `update` changes it; `ui::render` reads it.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};

use super::action::{Action, OutboxRow, SeedProgress};
use super::call::{CallState, NewCallerForm};
use super::i18n::Lang;
use super::input::LineInput;
use super::key::KeyChord;
use super::keymap::{Context, Keymap};
use super::nav::{ModalKind, Pane, Screen};
use crate::domain::status::Role;
use crate::protocol::{Request, UserInfo};

/// Smallest terminal the screens are laid out for.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// How often the server's health is checked.
pub const HEALTH_EVERY_SECS: i64 = 10;

#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub lang: Lang,
    pub keymap: Arc<Keymap>,
    /// Shown on the help screen, so users know which file to edit.
    pub keymap_file: PathBuf,
    pub screen: Screen,
    /// Focused pane index, per screen.
    pub focus: [usize; 5],
    pub modal: Option<Modal>,
    /// Keys typed so far of a multi-key sequence.
    pub pending_keys: Vec<KeyChord>,
    pub session: Session,
    pub link: Link,
    /// When the current call started (the call timer).
    pub call_started: Option<DateTime<FixedOffset>>,
    /// The Call screen.
    pub call: CallState,
    /// The Queue screen.
    pub queue: super::queue::QueueState,
    /// The Wallboard screen.
    pub wallboard: super::wallboard::WallboardState,
    pub now: DateTime<FixedOffset>,
    /// Lines scrolled on the help screen.
    pub help_scroll: u16,
    /// One message for the user (config problems, a failed start).
    pub notice: Option<Notice>,
    /// A screen forced from the command line (`--wallboard`).
    pub pinned_screen: Option<Screen>,
    /// The user switched screens; signing in no longer picks one.
    pub navigated: bool,
    pub quit: bool,
    /// Something visible changed since the last frame.
    pub dirty: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Modal {
    Palette(Palette),
    Help,
    Login(LoginForm),
    NewCaller(NewCallerForm),
    /// A note on one of the caller's requests.
    Note(NoteForm),
    /// A request's whole timeline (read only).
    Timeline(Box<Request>),
    /// What to read out to a citizen asking for an update.
    Update(Box<Request>),
    /// Changes not yet accepted by the server, with the reasons of those
    /// the server refused.
    Outbox(OutboxView),
    /// An action on one or more requests of the queue, with its preview.
    Act(super::queue::ActForm),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutboxView {
    pub rows: Vec<OutboxRow>,
    pub sel: usize,
    pub loading: bool,
    pub error: Option<String>,
    /// A discard asked for once; the second press does it.
    pub confirm_discard: Option<uuid::Uuid>,
}

impl Modal {
    pub fn kind(&self) -> ModalKind {
        match self {
            Modal::Palette(_) => ModalKind::Palette,
            Modal::Help => ModalKind::Help,
            Modal::Login(_) => ModalKind::Login,
            Modal::NewCaller(_) => ModalKind::NewCaller,
            Modal::Note(_) => ModalKind::Note,
            Modal::Timeline(_) => ModalKind::Timeline,
            Modal::Update(_) => ModalKind::Update,
            Modal::Outbox(_) => ModalKind::Outbox,
            Modal::Act(_) => ModalKind::Act,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NoteForm {
    pub request_id: uuid::Uuid,
    pub tracking_no: String,
    /// Reopen the (closed) request with this text as the reason, rather
    /// than add a note.
    pub reopen: bool,
    pub text: LineInput,
    pub busy: bool,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Palette {
    pub query: LineInput,
    /// Index into the filtered list.
    pub selected: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginField {
    Username,
    Password,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LoginForm {
    pub username: LineInput,
    pub password: LineInput,
    pub field: LoginField,
    pub busy: bool,
    pub error: Option<String>,
}

impl LoginForm {
    pub fn new(username: Option<String>) -> LoginForm {
        let field = if username.is_some() { LoginField::Password } else { LoginField::Username };
        LoginForm {
            username: LineInput::with_text(username.as_deref().unwrap_or("")),
            password: LineInput::default(),
            field,
            busy: false,
            error: None,
        }
    }
}

/// Which server the console talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// The in-process demo server, signed in as this demo role.
    Embedded {
        role: Role,
    },
    Remote {
        server: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Starting the embedded server or reading the stored token.
    Starting,
    /// First run of the embedded server: writing demo data.
    Seeding(SeedProgress),
    /// Waiting for the user to sign in.
    SignedOut,
    /// A user is known: verified by the server, or cached while offline.
    SignedIn,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub mode: Mode,
    pub phase: Phase,
    pub user: Option<UserInfo>,
    /// The server has confirmed the user in this run (not just the cache).
    pub verified: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkStatus {
    Connecting,
    Online,
    Offline,
}

/// The connection to the server, as the status bar shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub status: LinkStatus,
    /// When `status` last changed.
    pub since: Option<DateTime<FixedOffset>>,
    pub last_sync: Option<DateTime<FixedOffset>>,
    /// Local changes not yet accepted by the server.
    pub pending: u32,
    pub checking: bool,
    pub last_check: Option<DateTime<FixedOffset>>,
    pub last_error: Option<String>,
    /// While a new console loads its first snapshot: done and total.
    pub bootstrap: Option<(u64, u64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeLevel {
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub level: NoticeLevel,
    pub text: String,
}

/// What the console starts with; everything else has a fixed start value.
pub struct StateInit {
    pub lang: Lang,
    pub keymap: Arc<Keymap>,
    pub keymap_file: PathBuf,
    pub mode: Mode,
    pub pinned_screen: Option<Screen>,
    pub now: DateTime<FixedOffset>,
    pub notice: Option<Notice>,
}

impl State {
    pub fn new(init: StateInit) -> State {
        let screen = init.pinned_screen.unwrap_or(match &init.mode {
            Mode::Embedded { role } => role_screen(*role),
            Mode::Remote { .. } => Screen::Call,
        });
        State {
            lang: init.lang,
            keymap: init.keymap,
            keymap_file: init.keymap_file,
            screen,
            focus: [0; 5],
            modal: None,
            pending_keys: Vec::new(),
            session: Session { mode: init.mode, phase: Phase::Starting, user: None, verified: false },
            link: Link {
                status: LinkStatus::Connecting,
                since: None,
                last_sync: None,
                pending: 0,
                checking: false,
                last_check: None,
                last_error: None,
                bootstrap: None,
            },
            call_started: None,
            call: CallState::default(),
            queue: Default::default(),
            wallboard: Default::default(),
            now: init.now,
            help_scroll: 0,
            notice: init.notice,
            pinned_screen: init.pinned_screen,
            navigated: false,
            quit: false,
            dirty: true,
        }
    }

    pub fn focused_pane(&self) -> Pane {
        let panes = self.screen.panes();
        panes[self.focus[self.screen.index()] % panes.len()]
    }

    /// Where keys are looked up, most specific first. A modal hides the
    /// panes behind it.
    pub fn context_chain(&self) -> Vec<Context> {
        match &self.modal {
            Some(m) => vec![Context::Modal(m.kind()), Context::Global],
            // The queue's one-letter keys must not eat what is typed in
            // its filter.
            None if self.screen == Screen::Queue && self.queue.filtering => {
                vec![Context::Pane(self.focused_pane()), Context::Global]
            }
            None => vec![Context::Pane(self.focused_pane()), Context::Screen(self.screen), Context::Global],
        }
    }

    /// The chain of the screen under any modal, for the help overlay.
    pub fn screen_chain(&self) -> Vec<Context> {
        vec![Context::Pane(self.focused_pane()), Context::Screen(self.screen), Context::Global]
    }

    pub fn is_embedded(&self) -> bool {
        matches!(self.session.mode, Mode::Embedded { .. })
    }
}

/// The screen a role starts on.
pub fn role_screen(role: Role) -> Screen {
    match role {
        Role::Agent => Screen::Call,
        Role::UnitRep => Screen::Queue,
        Role::Lead | Role::Admin => Screen::Wallboard,
    }
}

/// Commands the palette offers: everything a user would look for by name,
/// not the movement keys.
pub fn palette_actions() -> impl Iterator<Item = Action> {
    Action::ALL.iter().copied().filter(|a| {
        !matches!(
            a,
            Action::Up
                | Action::Down
                | Action::PageUp
                | Action::PageDown
                | Action::Top
                | Action::Bottom
                | Action::Confirm
                | Action::Cancel
                | Action::OpenPalette
        )
    })
}

/// Folds text for matching: Turkish lower case, then without diacritics,
/// so "cagri" finds "Çağrı" and "IS" finds "iş".
pub fn fold(s: &str) -> String {
    s.chars()
        .flat_map(|c| match c {
            'İ' | 'I' | 'ı' => vec!['i'],
            c => c.to_lowercase().collect(),
        })
        .map(|c| match c {
            'ç' => 'c',
            'ğ' => 'g',
            'ö' => 'o',
            'ş' => 's',
            'ü' => 'u',
            'â' => 'a',
            'î' => 'i',
            'û' => 'u',
            c => c,
        })
        .filter(|c| *c != '\u{307}')
        .collect()
}

impl State {
    /// The palette's commands matching `query`: every word of the query in
    /// the command's label or its keymap name.
    pub fn palette_matches(&self, query: &str) -> Vec<Action> {
        let words: Vec<String> = fold(query).split_whitespace().map(str::to_string).collect();
        palette_actions()
            .filter(|a| {
                let hay = format!("{} {}", fold(self.lang.t(a.label())), a.name());
                words.iter().all(|w| hay.contains(w.as_str()))
            })
            .collect()
    }
}
