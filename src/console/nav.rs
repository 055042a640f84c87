//! Screens, their panes and the modal layers, by name. Keymap contexts and
//! the help screen use these names (`pane.call.search`, `modal.palette`).

use super::action::Action;
use super::i18n::Text;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Screen {
    Call,
    Queue,
    Wallboard,
    Intake,
    Help,
}

impl Screen {
    pub const ALL: [Screen; 5] = [Screen::Call, Screen::Queue, Screen::Wallboard, Screen::Intake, Screen::Help];

    pub fn index(self) -> usize {
        self as usize
    }

    /// The name keymap files use after `screen.`.
    pub fn name(self) -> &'static str {
        match self {
            Screen::Call => "call",
            Screen::Queue => "queue",
            Screen::Wallboard => "wallboard",
            Screen::Intake => "intake",
            Screen::Help => "help",
        }
    }

    pub fn parse(name: &str) -> Option<Screen> {
        Screen::ALL.into_iter().find(|s| s.name() == name)
    }

    pub fn title(self) -> Text {
        match self {
            Screen::Call => Text::ScreenCall,
            Screen::Queue => Text::ScreenQueue,
            Screen::Wallboard => Text::ScreenWallboard,
            Screen::Intake => Text::ScreenIntake,
            Screen::Help => Text::ScreenHelp,
        }
    }

    /// The action that switches to this screen.
    pub fn goto(self) -> Action {
        match self {
            Screen::Call => Action::GotoCall,
            Screen::Queue => Action::GotoQueue,
            Screen::Wallboard => Action::GotoWallboard,
            Screen::Intake => Action::GotoIntake,
            Screen::Help => Action::GotoHelp,
        }
    }

    /// Panes in focus order.
    pub fn panes(self) -> &'static [Pane] {
        use Pane::*;
        match self {
            Screen::Call => &[CallSearch, CallHistory, CallForm, CallNearby],
            Screen::Queue => &[QueueList, QueueDetail, QueueTimeline],
            Screen::Wallboard => {
                &[WallUnits, WallSla, WallIntake, WallAging, WallAgents, WallHotspots, WallEscalations]
            }
            Screen::Intake => &[IntakeList, IntakePreview],
            Screen::Help => &[HelpKeys],
        }
    }
}

macro_rules! panes {
    ($($variant:ident = $name:literal, $title:ident, $empty:ident;)*) => {
        /// A titled region of a screen that can hold the focus.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Pane { $($variant),* }

        impl Pane {
            pub const ALL: &'static [Pane] = &[$(Pane::$variant),*];

            /// The name keymap files use after `pane.`.
            pub fn name(self) -> &'static str {
                match self { $(Pane::$variant => $name),* }
            }

            pub fn title(self) -> Text {
                match self { $(Pane::$variant => Text::$title),* }
            }

            /// What the pane says while it has nothing to show.
            pub fn empty_text(self) -> Text {
                match self { $(Pane::$variant => Text::$empty),* }
            }

            pub fn parse(name: &str) -> Option<Pane> {
                Pane::ALL.iter().copied().find(|p| p.name() == name)
            }
        }
    };
}

panes! {
    CallSearch = "call.search", PaneCallSearch, EmptyCallSearch;
    CallHistory = "call.history", PaneCallHistory, EmptyCallHistory;
    CallForm = "call.form", PaneCallForm, EmptyCallForm;
    CallNearby = "call.nearby", PaneCallNearby, EmptyCallNearby;
    QueueList = "queue.list", PaneQueueList, EmptyQueueList;
    QueueDetail = "queue.detail", PaneQueueDetail, EmptyQueueDetail;
    QueueTimeline = "queue.timeline", PaneQueueTimeline, EmptyQueueTimeline;
    WallUnits = "wallboard.units", PaneWallUnits, EmptyWallUnits;
    WallSla = "wallboard.sla", PaneWallBreaches, EmptyWallBreaches;
    WallIntake = "wallboard.intake", PaneWallIntake, EmptyWallData;
    WallAging = "wallboard.aging", PaneWallAging, EmptyWallData;
    WallAgents = "wallboard.agents", PaneWallAgents, EmptyWallData;
    WallHotspots = "wallboard.hotspots", PaneWallHotspots, EmptyWallData;
    WallEscalations = "wallboard.escalations", PaneWallEscalations, EmptyWallEscalations;
    IntakeList = "intake.list", PaneIntakeList, EmptyIntakeList;
    IntakePreview = "intake.preview", PaneIntakePreview, EmptyIntakePreview;
    HelpKeys = "help.keys", PaneHelpKeys, HelpIntro;
}

impl Pane {
    pub fn screen(self) -> Screen {
        *Screen::ALL.iter().find(|s| s.panes().contains(&self)).expect("every pane belongs to a screen")
    }
}

/// A layer drawn over the screens that takes the keys first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ModalKind {
    Palette,
    Help,
    Login,
    NewCaller,
    Note,
    Timeline,
    Update,
    Outbox,
    Act,
}

impl ModalKind {
    pub const ALL: [ModalKind; 9] = [
        ModalKind::Palette,
        ModalKind::Help,
        ModalKind::Login,
        ModalKind::NewCaller,
        ModalKind::Note,
        ModalKind::Timeline,
        ModalKind::Update,
        ModalKind::Outbox,
        ModalKind::Act,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ModalKind::Palette => "palette",
            ModalKind::Help => "help",
            ModalKind::Login => "login",
            ModalKind::NewCaller => "new_caller",
            ModalKind::Note => "note",
            ModalKind::Timeline => "timeline",
            ModalKind::Update => "update",
            ModalKind::Outbox => "outbox",
            ModalKind::Act => "act",
        }
    }

    pub fn title(self) -> Text {
        match self {
            ModalKind::Palette => Text::HelpModalPalette,
            ModalKind::Help => Text::HelpModalHelp,
            ModalKind::Login => Text::HelpModalLogin,
            ModalKind::NewCaller => Text::NewCallerTitle,
            ModalKind::Note => Text::NoteTitle,
            ModalKind::Timeline => Text::TimelineTitle,
            ModalKind::Update => Text::UpdateTitle,
            ModalKind::Outbox => Text::OutboxTitle,
            ModalKind::Act => Text::ActTitle,
        }
    }

    pub fn parse(name: &str) -> Option<ModalKind> {
        ModalKind::ALL.into_iter().find(|m| m.name() == name)
    }
}
