//! `update` for the Call screen: its keys, actions and the answers of the
//! cache. Pure like the rest of `update`.

use chrono::Duration;

use super::action::{Action, Msg, ScreenPop};
use super::call::{ActPurpose, Caller, CallerSlot, FormField, NewCallerError, RADAR_DAYS, new_caller_from_query};
use super::effect::Effect;
use super::i18n::Text;
use super::input::LineInput;
use super::nav::{Pane, Screen};
use super::state::{Modal, NoteForm, Notice, NoticeLevel, State};
use crate::protocol::{Action as Op, CallEvent};

/// Gives the focus to `pane` of the Call screen.
pub fn focus(state: &mut State, pane: Pane) {
    if let Some(i) = Screen::Call.panes().iter().position(|p| *p == pane) {
        state.focus[Screen::Call.index()] = i;
    }
}

fn en(state: &State) -> bool {
    state.lang == super::i18n::Lang::En
}

fn start_timer(state: &mut State) {
    if state.call_started.is_none() {
        state.call_started = Some(state.now);
    }
}

/// Seconds on the call so far, or as frozen at the hang-up.
pub fn call_seconds(state: &State) -> Option<u32> {
    state
        .call
        .ended_seconds
        .or_else(|| state.call_started.map(|t| u32::try_from((state.now - t).num_seconds().max(0)).unwrap_or(u32::MAX)))
}

fn warn(state: &mut State, text: String) {
    state.notice = Some(Notice { level: NoticeLevel::Warning, text });
}

fn radar(state: &mut State) -> Vec<Effect> {
    match state.call.radar_query() {
        Some(key) => {
            let since = (state.now - Duration::days(RADAR_DAYS)).with_timezone(&chrono::Utc);
            vec![Effect::FindNearby { key, since }]
        }
        None => Vec::new(),
    }
}

fn history(state: &State) -> Vec<Effect> {
    state.call.caller.0.citizen().map(|c| Effect::LoadHistory { citizen_id: c.id }).into_iter().collect()
}

/// Takes a citizen as the caller: history loads, the location defaults to
/// their address, the cursor goes to the description and the timer runs.
fn take_caller(state: &mut State, citizen: crate::protocol::Citizen) -> Vec<Effect> {
    let citizen_id = state.call.select_caller(citizen);
    focus(state, Pane::CallForm);
    start_timer(state);
    let mut effects = vec![Effect::LoadHistory { citizen_id }];
    effects.extend(radar(state));
    effects
}

/// After a text field of the Call screen changed.
pub fn after_edit(state: &mut State) -> Vec<Effect> {
    match state.focused_pane() {
        Pane::CallSearch => match state.call.search_changed() {
            Some((seq, query)) => vec![Effect::SearchCallers { seq, query }],
            None => Vec::new(),
        },
        Pane::CallForm => {
            let field = state.call.form.field;
            state.call.form.errors.retain(|(f, _)| *f != field);
            match field {
                FormField::Description => state.call.description_changed(),
                FormField::Category | FormField::District | FormField::Neighbourhood | FormField::Unit => {
                    let en = en(state);
                    state.call.pick_edited(field, en);
                }
                _ => {}
            }
            Vec::new()
        }
        _ => Vec::new(),
    }
}

fn move_sel(sel: &mut usize, len: usize, action: Action) {
    if len == 0 {
        *sel = 0;
        return;
    }
    *sel = match action {
        Action::Up => sel.saturating_sub(1),
        Action::Down => (*sel + 1).min(len - 1),
        Action::PageUp => sel.saturating_sub(10),
        Action::PageDown => (*sel + 10).min(len - 1),
        Action::Top => 0,
        _ => len - 1,
    };
}

/// Actions on the Call screen with no modal open; `None` leaves the action
/// to the global handling.
pub fn on_action(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    let pane = state.focused_pane();
    let effects = match action {
        Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Top | Action::Bottom => {
            let c = &mut state.call;
            match pane {
                Pane::CallSearch => move_sel(&mut c.hit_sel, c.hits.len(), action),
                Pane::CallHistory => move_sel(&mut c.history_sel, c.history.len(), action),
                Pane::CallNearby => move_sel(&mut c.nearby_sel, c.nearby.len(), action),
                Pane::CallForm => {
                    let field = c.form.field;
                    match c.form.pick_mut(field) {
                        Some(p) if !p.options.is_empty() => move_sel(&mut p.sel, p.options.len(), action),
                        _ => {
                            c.move_field(matches!(action, Action::Down | Action::PageDown | Action::Bottom));
                        }
                    }
                }
                _ => return None,
            }
            Vec::new()
        }
        Action::Confirm => match pane {
            Pane::CallSearch => match state.call.hits.get(state.call.hit_sel) {
                Some(hit) => {
                    let citizen = hit.citizen.clone();
                    take_caller(state, citizen)
                }
                None => Vec::new(),
            },
            Pane::CallHistory => {
                if let Some((r, _)) = state.call.selected_history() {
                    state.modal = Some(Modal::Timeline(Box::new(r.clone())));
                }
                Vec::new()
            }
            Pane::CallNearby => co_report(state),
            Pane::CallForm => {
                let field = state.call.form.field;
                if state.call.pick_confirm(field) {
                    state.call.move_field(true);
                    radar(state)
                } else {
                    state.call.move_field(true);
                    Vec::new()
                }
            }
            _ => return None,
        },
        Action::NextField | Action::PrevField if pane == Pane::CallForm => {
            let forward = action == Action::NextField;
            let field = state.call.form.field;
            let mut effects = Vec::new();
            let typed = state.call.form.pick_mut(field).is_some_and(|p| !p.input.is_empty());
            if forward && typed && state.call.pick_confirm(field) {
                effects = radar(state);
            }
            if !state.call.move_field(forward) {
                let next = if forward { Pane::CallNearby } else { Pane::CallHistory };
                focus(state, next);
            }
            effects
        }
        Action::NextField | Action::PrevField => {
            let global = if action == Action::NextField { Action::FocusNext } else { Action::FocusPrev };
            return Some(super::update::on_action(state, global));
        }
        Action::FocusSearch => {
            focus(state, Pane::CallSearch);
            Vec::new()
        }
        Action::CallSubmit => submit(state),
        Action::CallNext => {
            let c = &state.call;
            let unsaved = c.filed.is_none() && c.form.has_content();
            let text = state.lang.t(Text::CallDiscardWarning).to_string();
            let warned = state.notice.as_ref().is_some_and(|n| n.text == text);
            if unsaved && !warned {
                warn(state, text);
                return Some(Vec::new());
            }
            state.notice = None;
            state.call.reset(None);
            state.call_started = None;
            focus(state, Pane::CallSearch);
            Vec::new()
        }
        Action::NewCaller => {
            state.modal = Some(Modal::NewCaller(new_caller_from_query(state.call.search.text())));
            Vec::new()
        }
        Action::AnonymousCaller => {
            state.call.caller = CallerSlot(Caller::Anonymous);
            state.call.history.clear();
            state.call.form.field = FormField::Description;
            state.call.form.errors.clear();
            focus(state, Pane::CallForm);
            start_timer(state);
            Vec::new()
        }
        Action::AcceptSuggestion1 | Action::AcceptSuggestion2 | Action::AcceptSuggestion3 => {
            let i = match action {
                Action::AcceptSuggestion1 => 0,
                Action::AcceptSuggestion2 => 1,
                _ => 2,
            };
            let en = en(state);
            if state.call.accept_suggestion(i, en) { radar(state) } else { Vec::new() }
        }
        Action::AddNote => {
            if let Some((r, _)) = state.call.selected_history() {
                state.modal = Some(Modal::Note(NoteForm {
                    request_id: r.id,
                    tracking_no: r.tracking_no.clone(),
                    reopen: false,
                    text: LineInput::default(),
                    busy: false,
                    error: None,
                }));
            }
            Vec::new()
        }
        // A citizen calling back about a closed request: reopen it, with why.
        Action::Reopen => {
            if let Some((r, _)) = state.call.selected_history().filter(|(r, _)| r.status.is_closed()) {
                state.modal = Some(Modal::Note(NoteForm {
                    request_id: r.id,
                    tracking_no: r.tracking_no.clone(),
                    reopen: true,
                    text: LineInput::default(),
                    busy: false,
                    error: None,
                }));
            }
            Vec::new()
        }
        Action::AskUpdate => match state.call.selected_history() {
            Some((r, _)) => {
                let request_id = r.id;
                state.modal = Some(Modal::Update(Box::new(r.clone())));
                vec![Effect::Act { request_id, op: super::call::update_op(), purpose: ActPurpose::Update }]
            }
            None => Vec::new(),
        },
        Action::CoReport => co_report(state),
        _ => return None,
    };
    Some(effects)
}

fn co_report(state: &mut State) -> Vec<Effect> {
    let Some((r, _)) = state.call.selected_nearby() else { return Vec::new() };
    let request_id = r.id;
    let Some(citizen) = state.call.caller.0.citizen() else {
        warn(state, state.lang.t(Text::CoReportNeedsCaller).into());
        return Vec::new();
    };
    if state.call.busy || state.call.filed.is_some() {
        return Vec::new();
    }
    let op = Op::AddCoReporter { citizen_id: citizen.id };
    state.call.busy = true;
    vec![Effect::Act { request_id, op, purpose: ActPurpose::CoReport }]
}

fn submit(state: &mut State) -> Vec<Effect> {
    if state.call.busy {
        return Vec::new();
    }
    if state.call.filed.is_some() {
        warn(state, state.lang.t(Text::CallAlreadyFiled).into());
        return Vec::new();
    }
    let seconds = call_seconds(state);
    match state.call.build_request(state.now, seconds) {
        Some(new) => {
            state.call.busy = true;
            state.call.error = None;
            vec![Effect::FileRequest(Box::new(new))]
        }
        None => {
            focus(state, Pane::CallForm);
            Vec::new()
        }
    }
}

/// Actions inside the Call screen's modals; `None` for the rest.
pub fn modal_action(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    match state.modal.as_mut()? {
        Modal::NewCaller(form) => {
            match action {
                Action::Cancel => state.modal = None,
                Action::FocusNext | Action::NextField | Action::Down => form.move_field(true),
                Action::FocusPrev | Action::PrevField | Action::Up => form.move_field(false),
                Action::Toggle => form.hide_identity = !form.hide_identity,
                Action::Confirm | Action::CallSubmit if !form.busy => {
                    if let Some(new) = form.build() {
                        form.busy = true;
                        return Some(vec![Effect::CreateCitizen(new)]);
                    }
                }
                Action::Quit => return None,
                _ => {}
            }
            Some(Vec::new())
        }
        Modal::Note(form) => {
            match action {
                Action::Cancel => state.modal = None,
                Action::Confirm | Action::CallSubmit if !form.busy => {
                    let text = form.text.text().trim();
                    if text.is_empty() {
                        form.error = Some(state.lang.t(Text::NoteEmpty).into());
                    } else {
                        form.busy = true;
                        let op = if form.reopen {
                            crate::protocol::Action::Reopen { reason: text.to_string() }
                        } else {
                            super::call::note_op(text)
                        };
                        let effect = Effect::Act { request_id: form.request_id, op, purpose: ActPurpose::Note };
                        return Some(vec![effect]);
                    }
                }
                Action::Quit => return None,
                _ => {}
            }
            Some(Vec::new())
        }
        Modal::Timeline(_) | Modal::Update(_) => match action {
            Action::Cancel | Action::Confirm => {
                state.modal = None;
                Some(Vec::new())
            }
            Action::Quit => None,
            _ => Some(Vec::new()),
        },
        _ => None,
    }
}

/// Messages about the Call screen.
pub fn on_msg(state: &mut State, msg: Msg) -> Vec<Effect> {
    let effects = match msg {
        Msg::CallerHits { seq, query, result } => {
            match result {
                Ok(hits) => {
                    state.call.hits_arrived(seq, query, hits);
                }
                Err(e) => state.call.error = Some(e),
            }
            Vec::new()
        }
        Msg::History { citizen_id, rows } => {
            state.call.history_arrived(citizen_id, rows);
            Vec::new()
        }
        Msg::CitizenSaved(result) => match result {
            Ok(citizen) => {
                if matches!(state.modal, Some(Modal::NewCaller(_))) {
                    state.modal = None;
                }
                take_caller(state, citizen)
            }
            Err(e) => {
                if let Some(Modal::NewCaller(form)) = &mut state.modal {
                    form.busy = false;
                    form.errors = vec![(form.field, NewCallerError::Save(e.text(state.lang)))];
                }
                Vec::new()
            }
        },
        Msg::Filed(result) => {
            state.call.busy = false;
            match result {
                Ok(r) => {
                    state.call.filed(&r, false);
                    history(state)
                }
                Err(e) => {
                    state.call.error = Some(e.text(state.lang));
                    Vec::new()
                }
            }
        }
        Msg::Acted { purpose, result } => match (purpose, result) {
            (ActPurpose::Note, Ok(_)) => {
                if matches!(state.modal, Some(Modal::Note(_))) {
                    state.modal = None;
                }
                history(state)
            }
            (ActPurpose::Note, Err(e)) => {
                if let Some(Modal::Note(form)) = &mut state.modal {
                    form.busy = false;
                    form.error = Some(e.text(state.lang));
                }
                Vec::new()
            }
            (ActPurpose::Update, Ok(r)) => {
                if let Some(Modal::Update(shown)) = &mut state.modal
                    && shown.id == r.id
                {
                    **shown = r;
                }
                history(state)
            }
            (ActPurpose::CoReport, Ok(r)) => {
                state.call.filed(&r, true);
                history(state)
            }
            (_, Err(e)) => {
                state.call.busy = false;
                state.call.error = Some(e.text(state.lang));
                Vec::new()
            }
        },
        Msg::Nearby { key, rows } => {
            state.call.nearby_arrived(key, rows);
            Vec::new()
        }
        Msg::ScreenPop(pop) => screen_pop(state, pop),
        _ => Vec::new(),
    };
    state.dirty = true;
    effects
}

fn screen_pop(state: &mut State, pop: ScreenPop) -> Vec<Effect> {
    if pop.event == CallEvent::Hangup {
        if state.call.popped.as_deref() == Some(pop.ani.as_str()) {
            state.call.ended_seconds = call_seconds(state);
        }
        return Vec::new();
    }
    if state.call.popped.as_deref() == Some(pop.ani.as_str()) {
        return Vec::new(); // answered after ringing: already popped
    }
    if state.call.filed.is_none() && state.call.form.has_content() {
        warn(state, state.lang.f(Text::IncomingWhileBusy, &[&pop.ani]));
        return Vec::new();
    }
    if matches!(state.modal, Some(Modal::Login(_))) {
        return Vec::new();
    }
    state.call.reset(pop.line);
    state.call.popped = Some(pop.ani.clone());
    state.screen = Screen::Call;
    state.modal = None;
    state.call_started = Some(state.now);
    let shown = crate::domain::phone::Phone::parse(&pop.ani).map(|p| p.national()).unwrap_or(pop.ani.clone());
    state.call.search = LineInput::with_text(&shown);
    let mut effects: Vec<Effect> =
        state.call.search_changed().map(|(seq, query)| Effect::SearchCallers { seq, query }).into_iter().collect();
    match pop.citizen {
        Some(citizen) => effects.extend(take_caller(state, citizen)),
        None => {
            focus(state, Pane::CallSearch);
            state.modal = Some(Modal::NewCaller(new_caller_from_query(&shown)));
        }
    }
    effects
}

/// After a sync finished: the caller's history and the search results may
/// have changed on the server.
pub fn after_sync(state: &mut State) -> Vec<Effect> {
    if state.screen != Screen::Call {
        return Vec::new();
    }
    let mut effects = history(state);
    // A search typed while the cache was still loading gets its answer now.
    if !state.call.hits_query.is_empty() || !state.call.search.is_empty() {
        effects.extend(state.call.search_changed().map(|(seq, query)| Effect::SearchCallers { seq, query }));
    }
    effects
}
