//! What can happen to the console: [`Action`]s are what keys are bound to
//! (keymap files name them), [`Msg`]s are everything `update` receives,
//! including actions, raw keys, the clock and results coming back from tasks.

use chrono::{DateTime, FixedOffset};
use crossterm::event::KeyEvent;

use super::call::{ActPurpose, Row};
use super::i18n::{Lang, Text};
use crate::protocol::{Citizen, CitizenHit, Request, UserInfo};

macro_rules! actions {
    ($($variant:ident = $name:literal => $label:ident),* $(,)?) => {
        /// A user intent a key can be bound to. Keymap files name these in
        /// snake case (`goto_call`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action { $($variant),* }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant),*];

            /// The name keymap files use.
            pub fn name(self) -> &'static str {
                match self { $(Action::$variant => $name),* }
            }

            /// What the help screen and the palette call it.
            pub fn label(self) -> Text {
                match self { $(Action::$variant => Text::$label),* }
            }

            pub fn parse(name: &str) -> Option<Action> {
                match name { $($name => Some(Action::$variant),)* _ => None }
            }
        }
    };
}

actions! {
    Quit = "quit" => ActQuit,
    GotoCall = "goto_call" => ActGotoCall,
    GotoQueue = "goto_queue" => ActGotoQueue,
    GotoWallboard = "goto_wallboard" => ActGotoWallboard,
    GotoIntake = "goto_intake" => ActGotoIntake,
    GotoHelp = "goto_help" => ActGotoHelp,
    OpenPalette = "open_palette" => ActOpenPalette,
    ToggleHelp = "toggle_help" => ActToggleHelp,
    FocusNext = "focus_next" => ActFocusNext,
    FocusPrev = "focus_prev" => ActFocusPrev,
    Up = "up" => ActUp,
    Down = "down" => ActDown,
    PageUp = "page_up" => ActPageUp,
    PageDown = "page_down" => ActPageDown,
    Top = "top" => ActTop,
    Bottom = "bottom" => ActBottom,
    Confirm = "confirm" => ActConfirm,
    Cancel = "cancel" => ActCancel,
    ToggleCallTimer = "toggle_call_timer" => ActToggleCallTimer,
    Refresh = "refresh" => ActRefresh,
    NextField = "next_field" => ActNextField,
    PrevField = "prev_field" => ActPrevField,
    FocusSearch = "focus_search" => ActFocusSearch,
    CallSubmit = "call_submit" => ActCallSubmit,
    CallNext = "call_next" => ActCallNext,
    NewCaller = "new_caller" => ActNewCaller,
    AnonymousCaller = "anonymous_caller" => ActAnonymousCaller,
    AcceptSuggestion1 = "accept_suggestion_1" => ActAcceptSuggestion1,
    AcceptSuggestion2 = "accept_suggestion_2" => ActAcceptSuggestion2,
    AcceptSuggestion3 = "accept_suggestion_3" => ActAcceptSuggestion3,
    AddNote = "add_note" => ActAddNote,
    AskUpdate = "ask_update" => ActAskUpdate,
    CoReport = "co_report" => ActCoReport,
    Toggle = "toggle" => ActToggle,
    ShowOutbox = "show_outbox" => ActShowOutbox,
    Discard = "discard" => ActDiscard,
    Retry = "retry" => ActRetry,
    QueueFilter = "queue_filter" => ActQueueFilter,
    QueueSort = "queue_sort" => ActQueueSort,
    QueueOverdue = "queue_overdue" => ActQueueOverdue,
    QueueStatus = "queue_status" => ActQueueStatus,
    QueueUnit = "queue_unit" => ActQueueUnit,
    Mark = "mark" => ActMark,
    MarkAll = "mark_all" => ActMarkAll,
    ReqAccept = "request_accept" => ActReqAccept,
    ReqAssign = "request_assign" => ActReqAssign,
    ReqNote = "request_note" => ActReqNote,
    ReqWait = "request_wait" => ActReqWait,
    ReqResume = "request_resume" => ActReqResume,
    ReqReroute = "request_reroute" => ActReqReroute,
    ReqOutOfRemit = "request_out_of_remit" => ActReqOutOfRemit,
    ReqDuplicate = "request_duplicate" => ActReqDuplicate,
    ReqResolve = "request_resolve" => ActReqResolve,
    InsertTemplate = "insert_template" => ActInsertTemplate,
    Reopen = "reopen" => ActReopen,
}

impl<'de> serde::Deserialize<'de> for Action {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Action::parse(&name).ok_or_else(|| serde::de::Error::custom(format!("unknown action `{name}`")))
    }
}

/// Progress of seeding the embedded demo database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SeedProgress {
    pub citizens_done: u32,
    pub citizens_total: u32,
    pub requests_done: u32,
    pub requests_total: u32,
}

/// Why signing in did not work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailReason {
    Unauthorized,
    Unreachable,
    Other(String),
}

/// Everything `update` reacts to.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// A key from the terminal, resolved through the keymap by `update`.
    Key(KeyEvent),
    /// Pasted text (bracketed paste), for text fields.
    Paste(String),
    /// An action, already resolved (from the palette or a test).
    Action(Action),
    /// The terminal changed size.
    Resize { width: u16, height: u16 },
    /// The clock moved on.
    Tick(DateTime<FixedOffset>),
    /// SIGTERM, SIGHUP or SIGINT: leave now.
    Terminate,
    /// The embedded server is being seeded with demo data.
    Seeding(SeedProgress),
    /// The embedded server failed to start.
    EmbeddedFailed(String),
    /// A session is established (token valid or fresh login).
    SignedIn(UserInfo),
    /// No usable token: show the login screen, pre-filling the user name.
    NeedLogin { username: Option<String> },
    /// A login attempt failed.
    LoginFailed(FailReason),
    /// The server could not be reached at start; continue as the cached user
    /// if there is one.
    StartOffline { user: Option<UserInfo> },
    /// Result of a periodic health check.
    Health { online: bool, error: Option<String> },
    /// The sync engine's state changed (online, outbox counts, last sync).
    Sync(crate::client::sync::SyncStatus),
    /// Caller search results from the cache, for search number `seq`.
    CallerHits { seq: u64, query: String, result: Result<Vec<CitizenHit>, String> },
    /// A citizen's requests from the cache, newest first.
    History { citizen_id: uuid::Uuid, rows: Vec<Row> },
    /// A new caller was saved (or could not be).
    CitizenSaved(Result<Citizen, CacheError>),
    /// The request was saved in the cache (or could not be).
    Filed(Result<Request, CacheError>),
    /// An action on a request was saved (or could not be).
    Acted { purpose: ActPurpose, result: Result<Request, CacheError> },
    /// Open requests of the same category nearby (duplicate radar).
    Nearby { key: (String, String, String), rows: Vec<Row> },
    /// The phone system reports a call at this console's extension.
    ScreenPop(ScreenPop),
    /// The outbox as it stands, or why it could not be read or changed.
    Outbox(Result<Vec<OutboxRow>, CacheError>),
    /// The unit queue from the cache.
    Queue(Result<Vec<Row>, String>),
    /// The selected request, whole, with its citizen.
    Detail(Option<Box<super::queue::Detail>>),
    /// Queue actions saved: how many, and those refused (tracking no, why).
    QueueActed { done: usize, failed: Vec<(String, CacheError)> },
    /// The offline cache file was damaged: moved aside and rebuilt, with
    /// what could be kept of its outbox.
    CacheRecovered(crate::client::cache::Recovery),
    /// The server says wallboard figures changed.
    StatsChanged,
    /// The wallboard's figures, or why they could not be fetched.
    Wallboard(Result<Box<crate::protocol::stats::Wallboard>, String>),
}

/// Why the offline cache did not do what was asked.
#[derive(Debug, Clone, PartialEq)]
pub enum CacheError {
    /// The disk is full: nothing was written, everything saved before is
    /// kept.
    DiskFull,
    /// Anything else, as the cache put it.
    Other(String),
}

impl CacheError {
    /// From a cache error, with a full disk recognised.
    pub fn of(e: &anyhow::Error) -> CacheError {
        if crate::client::cache::is_disk_full(e) { CacheError::DiskFull } else { CacheError::Other(format!("{e:#}")) }
    }

    /// What to tell the user (after "not saved: " where it is a save).
    pub fn text(&self, lang: Lang) -> String {
        match self {
            CacheError::DiskFull => lang.t(Text::DiskFull).to_string(),
            CacheError::Other(e) => e.clone(),
        }
    }
}

impl From<String> for CacheError {
    fn from(e: String) -> CacheError {
        CacheError::Other(e)
    }
}

impl From<&str> for CacheError {
    fn from(e: &str) -> CacheError {
        CacheError::Other(e.to_string())
    }
}

/// An outbox item as the outbox view lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    pub mutation_id: uuid::Uuid,
    /// `create_request`, `request_action`, `create_citizen`, `update_citizen`.
    pub kind: String,
    /// Tracking number or citizen name, when known.
    pub label: Option<String>,
    pub state: crate::client::cache::OutboxState,
    /// The server's reason (parked) or the last transport error (pending).
    pub reason: Option<String>,
    pub attempts: i64,
    /// Later changes of the same record waiting behind this one.
    pub held_back: i64,
}

/// A call the phone system announced, with the caller if the cache knows
/// the number.
#[derive(Debug, Clone, PartialEq)]
pub struct ScreenPop {
    pub ani: String,
    pub event: crate::protocol::CallEvent,
    pub citizen: Option<Citizen>,
    pub line: Option<crate::domain::model::Channel>,
}
