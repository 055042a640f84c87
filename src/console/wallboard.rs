//! The shift lead's wallboard: figures from `GET /stats/wallboard`,
//! refetched when the server's event stream says they changed (no polling),
//! kept and marked stale while the server is away. Pure state and updates.

use chrono::{DateTime, FixedOffset};

use super::action::{Action, Msg};
use super::effect::Effect;
use super::nav::{Pane, Screen};
use super::state::{LinkStatus, Phase, State};
use crate::protocol::stats::{RequestSummary, Wallboard};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct WallboardState {
    pub data: Option<Box<Wallboard>>,
    /// When the figures shown were fetched (the console's clock).
    pub fetched_at: Option<DateTime<FixedOffset>>,
    pub loading: bool,
    /// A change was announced while a fetch was running: fetch again.
    pub again: bool,
    pub error: Option<String>,
    /// The highlighted row of the focused pane.
    pub sel: usize,
}

impl WallboardState {
    /// Live: the figures are fresh and the server is reachable.
    pub fn is_live(&self, link: LinkStatus) -> bool {
        self.data.is_some() && self.error.is_none() && link == LinkStatus::Online
    }
}

fn fetch(state: &mut State) -> Vec<Effect> {
    let w = &mut state.wallboard;
    if w.loading {
        w.again = true;
        return Vec::new();
    }
    w.loading = true;
    vec![Effect::LoadWallboard]
}

fn showing(state: &State) -> bool {
    state.screen == Screen::Wallboard && state.session.phase == Phase::SignedIn
}

/// The Wallboard screen was shown (or the console signed in on it).
pub fn shown(state: &mut State) -> Vec<Effect> {
    if showing(state) { fetch(state) } else { Vec::new() }
}

/// After a finished sync (the server is back, or time passed): refresh
/// figures that are missing or could not be fetched.
pub fn after_sync(state: &mut State) -> Vec<Effect> {
    if showing(state) && (state.wallboard.data.is_none() || state.wallboard.error.is_some()) {
        fetch(state)
    } else {
        Vec::new()
    }
}

pub fn on_msg(state: &mut State, msg: Msg) -> Vec<Effect> {
    state.dirty = true;
    match msg {
        Msg::StatsChanged if showing(state) => fetch(state),
        Msg::Wallboard(result) => {
            let w = &mut state.wallboard;
            w.loading = false;
            match result {
                Ok(data) => {
                    w.data = Some(data);
                    w.fetched_at = Some(state.now);
                    w.error = None;
                }
                // The last figures stay, marked stale.
                Err(e) => w.error = Some(e),
            }
            if std::mem::take(&mut state.wallboard.again) { fetch(state) } else { Vec::new() }
        }
        _ => Vec::new(),
    }
}

/// The requests a pane lists, in the order shown.
pub fn listed(data: &Wallboard, pane: Pane) -> Vec<&RequestSummary> {
    match pane {
        Pane::WallSla => data.sla.breached.items.iter().chain(&data.sla.due_soon.items).collect(),
        Pane::WallEscalations => data
            .escalations
            .bounced
            .items
            .iter()
            .chain(&data.escalations.reopened.items)
            .chain(&data.escalations.repeat_contacts.items)
            .collect(),
        _ => Vec::new(),
    }
}

fn rows(data: &Wallboard, pane: Pane) -> usize {
    match pane {
        Pane::WallUnits => data.units.units.len(),
        Pane::WallHotspots => data.hotspots.items.len(),
        Pane::WallAgents => data.agents.agents.len(),
        Pane::WallAging => data.aging.units.len(),
        p => listed(data, p).len(),
    }
}

/// Keys on the wallboard; `None` leaves the action to the global handling.
pub fn on_action(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    let pane = state.focused_pane();
    let n = state.wallboard.data.as_ref().map(|d| rows(d, pane)).unwrap_or(0);
    let w = &mut state.wallboard;
    match action {
        Action::Up => w.sel = w.sel.saturating_sub(1),
        Action::Down => w.sel = (w.sel + 1).min(n.saturating_sub(1)),
        Action::Top => w.sel = 0,
        Action::Bottom => w.sel = n.saturating_sub(1),
        Action::FocusNext | Action::FocusPrev => {
            w.sel = 0;
            return None;
        }
        Action::Refresh => {
            let mut effects = fetch(state);
            effects.push(Effect::CheckHealth);
            return Some(effects);
        }
        // The big-screen board (`--wallboard`) only shows.
        Action::Confirm if state.pinned_screen.is_none() => return Some(drill(state, pane)),
        _ => return None,
    }
    Some(Vec::new())
}

/// Enter on a row: the matching queue, or the request in the queue.
fn drill(state: &mut State, pane: Pane) -> Vec<Effect> {
    let Some(data) = state.wallboard.data.as_ref() else { return Vec::new() };
    let sel = state.wallboard.sel;
    let (unit, filter) = match pane {
        Pane::WallUnits => match data.units.units.get(sel) {
            Some(row) => (Some(row.unit.clone()), String::new()),
            None => return Vec::new(),
        },
        Pane::WallAging => match data.aging.units.get(sel) {
            Some(row) => (Some(row.unit.clone()), String::new()),
            None => return Vec::new(),
        },
        Pane::WallHotspots => match data.hotspots.items.get(sel) {
            Some(h) => {
                (None, format!("k:{} m:{}", h.category.to_lowercase(), crate::domain::text::fold(&h.neighbourhood)))
            }
            None => return Vec::new(),
        },
        Pane::WallSla | Pane::WallEscalations => match listed(data, pane).get(sel) {
            Some(r) => (Some(r.unit.clone()), r.tracking_no.clone()),
            None => return Vec::new(),
        },
        _ => return Vec::new(),
    };
    let q = &mut state.queue;
    q.unit = unit.and_then(|u| q.units.iter().position(|x| *x == u));
    q.filter = super::input::LineInput::with_text(&filter);
    q.status = Default::default();
    q.overdue_only = false;
    q.marked.clear();
    q.sel = 0;
    state.screen = Screen::Queue;
    state.navigated = true;
    super::update_queue::shown(state)
}
