//! `update` for the Queue screen: its keys, the action form, and the
//! answers of the cache. Pure like the rest of `update`.

use chrono::Utc;

use super::action::{Action, Msg};
use super::effect::Effect;
use super::i18n::Lang;
use super::nav::{Pane, Screen};
use super::queue::{ActForm, ActKind, QueueState, SortKey, StatusFilter};
use super::state::{Modal, Notice, NoticeLevel, Phase, State};

fn now_utc(state: &State) -> chrono::DateTime<Utc> {
    state.now.with_timezone(&Utc)
}

fn load(state: &mut State) -> Vec<Effect> {
    if state.queue.units.is_empty() {
        return Vec::new();
    }
    state.queue.loading = true;
    vec![Effect::LoadQueue { units: state.queue.load_units() }]
}

/// The detail follows the selection.
fn detail(state: &State) -> Vec<Effect> {
    match state.queue.selected() {
        Some(r) if state.queue.detail.as_ref().is_none_or(|d| d.request.id != r.request.id) => {
            vec![Effect::LoadDetail(r.request.id)]
        }
        _ => Vec::new(),
    }
}

/// On signing in, and when the Queue screen is shown: (re)load.
pub fn signed_in(state: &mut State) -> Vec<Effect> {
    if let Some(user) = &state.session.user {
        let fresh = QueueState::for_user(user.role, &user.units);
        if fresh.units != state.queue.units {
            state.queue = fresh;
        }
    }
    if state.screen == Screen::Queue { load(state) } else { Vec::new() }
}

pub fn shown(state: &mut State) -> Vec<Effect> {
    if state.session.phase == Phase::SignedIn && !state.queue.loading { load(state) } else { Vec::new() }
}

/// After a finished sync: the list may have changed.
pub fn after_sync(state: &mut State) -> Vec<Effect> {
    if state.screen == Screen::Queue && !state.queue.loading {
        let mut effects = load(state);
        if let Some(d) = &state.queue.detail {
            effects.push(Effect::LoadDetail(d.request.id));
        }
        effects
    } else {
        Vec::new()
    }
}

pub fn after_filter_edit(state: &mut State) -> Vec<Effect> {
    let now = now_utc(state);
    state.queue.refilter(now);
    detail(state)
}

fn open_form(state: &mut State, kind: ActKind) -> Vec<Effect> {
    let targets = state.queue.targets();
    if targets.is_empty() {
        return Vec::new();
    }
    let form = ActForm::new(kind, &targets);
    state.modal = Some(Modal::Act(form));
    Vec::new()
}

/// Actions on the Queue screen with no modal open; `None` leaves the
/// action to the global handling.
pub fn on_action(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    let pane = state.focused_pane();
    let now = now_utc(state);
    let q = &mut state.queue;
    if q.filtering {
        match action {
            Action::Confirm | Action::Cancel | Action::QueueFilter => {
                q.filtering = false;
                return Some(Vec::new());
            }
            Action::Up | Action::Down => {}
            _ => return None,
        }
    }
    let effects = match action {
        Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Top | Action::Bottom
            if pane == Pane::QueueList =>
        {
            let n = q.visible.len();
            q.sel = match action {
                Action::Up => q.sel.saturating_sub(1),
                Action::Down => (q.sel + 1).min(n.saturating_sub(1)),
                Action::PageUp => q.sel.saturating_sub(20),
                Action::PageDown => (q.sel + 20).min(n.saturating_sub(1)),
                Action::Top => 0,
                _ => n.saturating_sub(1),
            };
            detail(state)
        }
        Action::Confirm if pane == Pane::QueueList => {
            state.focus[Screen::Queue.index()] = 1;
            detail(state)
        }
        Action::QueueFilter => {
            q.filtering = true;
            state.focus[Screen::Queue.index()] = 0;
            Vec::new()
        }
        Action::QueueSort => {
            let i = SortKey::ALL.iter().position(|s| *s == q.sort).unwrap_or(0);
            q.sort = SortKey::ALL[(i + 1) % SortKey::ALL.len()];
            q.refilter(now);
            detail(state)
        }
        Action::QueueOverdue => {
            q.overdue_only = !q.overdue_only;
            q.refilter(now);
            detail(state)
        }
        Action::QueueStatus => {
            let i = StatusFilter::ALL.iter().position(|s| *s == q.status).unwrap_or(0);
            q.status = StatusFilter::ALL[(i + 1) % StatusFilter::ALL.len()];
            q.refilter(now);
            detail(state)
        }
        Action::QueueUnit => {
            if q.units.len() > 1 {
                q.unit = match q.unit {
                    None => Some(0),
                    Some(i) if i + 1 < q.units.len() => Some(i + 1),
                    Some(_) => None,
                };
                q.marked.clear();
                q.sel = 0;
            }
            load(state)
        }
        Action::Mark => {
            q.toggle_mark();
            if pane == Pane::QueueList {
                q.sel = (q.sel + 1).min(q.visible.len().saturating_sub(1));
            }
            detail(state)
        }
        Action::MarkAll => {
            q.mark_all();
            Vec::new()
        }
        Action::ReqAccept => open_form(state, ActKind::Accept),
        Action::ReqAssign => open_form(state, ActKind::Assign),
        Action::ReqNote => open_form(state, ActKind::Note),
        Action::ReqWait => open_form(state, ActKind::Wait),
        Action::ReqResume => open_form(state, ActKind::Resume),
        Action::ReqReroute => open_form(state, ActKind::Reroute),
        Action::ReqOutOfRemit => open_form(state, ActKind::OutOfRemit),
        Action::ReqDuplicate => open_form(state, ActKind::Duplicate),
        Action::ReqResolve => open_form(state, ActKind::Resolve),
        Action::Refresh => {
            let mut effects = load(state);
            effects.push(Effect::CheckHealth);
            effects
        }
        _ => return None,
    };
    Some(effects)
}

/// Keys in the action form.
pub fn modal_action(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    let en = state.lang == Lang::En;
    let now = state.now;
    let rows = &state.queue.rows;
    let Some(Modal::Act(form)) = &mut state.modal else { return None };
    match action {
        Action::Cancel => state.modal = None,
        Action::FocusNext | Action::FocusPrev | Action::NextField | Action::PrevField if form.kind.needs_unit() => {
            form.on_unit = !form.on_unit;
        }
        Action::Up | Action::Down if form.on_unit => {
            let n = form.unit.options.len();
            form.unit.sel = match action {
                Action::Up => form.unit.sel.saturating_sub(1),
                _ => (form.unit.sel + 1).min(n.saturating_sub(1)),
            };
        }
        Action::Toggle if form.kind == ActKind::Note => form.internal = !form.internal,
        Action::InsertTemplate => form.insert_template(),
        Action::Confirm if form.on_unit && !form.unit.options.is_empty() => {
            form.choose_unit();
            let _ = en;
        }
        Action::Confirm | Action::CallSubmit if !form.busy => {
            let originals =
                |tracking: &str| rows.iter().find(|r| r.request.tracking_no == tracking).map(|r| r.request.id);
            if let Some(ops) = form.build(now, originals) {
                form.busy = true;
                return Some(vec![Effect::QueueAct(ops)]);
            }
        }
        Action::Quit => return None,
        _ => {}
    }
    Some(Vec::new())
}

/// Messages for the Queue screen.
pub fn on_msg(state: &mut State, msg: Msg) -> Vec<Effect> {
    state.dirty = true;
    match msg {
        Msg::Queue(Ok(rows)) => {
            let now = now_utc(state);
            state.queue.rows_arrived(rows, now);
            state.queue.error = None;
            detail(state)
        }
        Msg::Queue(Err(e)) => {
            state.queue.loading = false;
            state.queue.error = Some(e);
            Vec::new()
        }
        Msg::Detail(d) => {
            state.queue.detail = d.map(|d| *d);
            Vec::new()
        }
        Msg::QueueActed { done, failed } => {
            if matches!(state.modal, Some(Modal::Act(_))) {
                state.modal = None;
            }
            state.queue.marked.clear();
            if !failed.is_empty() {
                let list: Vec<String> = failed.iter().map(|(t, e)| format!("{t}: {}", e.text(state.lang))).collect();
                let text = state.lang.f(super::i18n::Text::ActFailed, &[&list.len().to_string(), &list.join("; ")]);
                state.notice = Some(Notice { level: NoticeLevel::Error, text });
            } else {
                let text = state.lang.f(super::i18n::Text::ActDone, &[&done.to_string()]);
                state.notice = Some(Notice { level: NoticeLevel::Warning, text });
            }
            let mut effects = load(state);
            if let Some(d) = &state.queue.detail {
                effects.push(Effect::LoadDetail(d.request.id));
            }
            effects
        }
        _ => Vec::new(),
    }
}
