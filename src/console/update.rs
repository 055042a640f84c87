//! `update`: the only place the state changes. Synchronous and pure: it
//! never does I/O, it returns [`Effect`]s for that.

use chrono::Timelike;

use super::action::{Action, FailReason, Msg};
use super::effect::Effect;
use super::i18n::Text;
use super::key::{KeyChord, KeyCodeOrd};
use super::keymap::Resolution;
use super::nav::{Pane, Screen};
use super::state::{
    HEALTH_EVERY_SECS, LinkStatus, LoginField, LoginForm, Modal, Notice, NoticeLevel, OutboxView, Palette, Phase,
    State, role_screen,
};
use super::{update_call, update_queue, wallboard};

pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        m @ (Msg::CallerHits { .. }
        | Msg::History { .. }
        | Msg::CitizenSaved(_)
        | Msg::Filed(_)
        | Msg::Acted { .. }
        | Msg::Nearby { .. }
        | Msg::ScreenPop(_)) => update_call::on_msg(state, m),
        m @ (Msg::Queue(_) | Msg::Detail(_) | Msg::QueueActed { .. }) => update_queue::on_msg(state, m),
        m @ (Msg::StatsChanged | Msg::Wallboard(_)) => wallboard::on_msg(state, m),
        Msg::Outbox(result) => {
            if let Some(Modal::Outbox(view)) = &mut state.modal {
                view.loading = false;
                match result {
                    Ok(rows) => {
                        view.sel = view.sel.min(rows.len().saturating_sub(1));
                        view.rows = rows;
                        view.error = None;
                    }
                    Err(e) => view.error = Some(e.text(state.lang)),
                }
                state.dirty = true;
            }
            Vec::new()
        }
        Msg::CacheRecovered(r) => {
            let name = r.moved_to.file_name().unwrap_or(r.moved_to.as_os_str()).to_string_lossy();
            let key = if r.outbox_whole { Text::CacheRecovered } else { Text::CacheRecoveredPartial };
            state.notice =
                Some(Notice { level: NoticeLevel::Error, text: state.lang.f(key, &[&name, &r.kept.to_string()]) });
            state.dirty = true;
            Vec::new()
        }
        Msg::Key(ev) => match KeyChord::from_event(&ev) {
            Some(key) => on_key(state, key),
            None => Vec::new(),
        },
        Msg::Paste(text) => {
            let cut = match focused_field(state) {
                Some(Field::Line(input)) => {
                    input.insert_str(&text);
                    false
                }
                Some(Field::Area(area)) => area.paste(&text),
                _ => return Vec::new(),
            };
            if cut {
                state.notice = Some(Notice {
                    level: NoticeLevel::Warning,
                    text: state.lang.f(Text::PasteCut, &[&crate::protocol::MAX_TEXT_CHARS.to_string()]),
                });
            }
            state.dirty = true;
            after_edit(state)
        }
        Msg::Action(action) => on_action(state, action),
        Msg::Resize { .. } => {
            state.dirty = true;
            Vec::new()
        }
        Msg::Tick(now) => on_tick(state, now),
        Msg::Terminate => {
            state.quit = true;
            Vec::new()
        }
        Msg::Seeding(p) => {
            state.session.phase = Phase::Seeding(p);
            state.dirty = true;
            Vec::new()
        }
        Msg::EmbeddedFailed(reason) => {
            state.session.phase = Phase::SignedOut;
            set_link(state, LinkStatus::Offline);
            state.notice =
                Some(Notice { level: NoticeLevel::Error, text: state.lang.f(Text::EmbeddedFailed, &[&reason]) });
            state.dirty = true;
            Vec::new()
        }
        Msg::SignedIn(user) => {
            if !state.navigated {
                state.screen = state.pinned_screen.unwrap_or(role_screen(user.role));
            }
            state.session.user = Some(user);
            state.session.phase = Phase::SignedIn;
            state.session.verified = true;
            if matches!(state.modal, Some(Modal::Login(_))) {
                state.modal = None;
            }
            set_link(state, LinkStatus::Online);
            state.dirty = true;
            let mut effects = update_queue::signed_in(state);
            effects.extend(wallboard::shown(state));
            effects
        }
        Msg::NeedLogin { username } => {
            state.session.phase = Phase::SignedOut;
            state.session.verified = false;
            let expired = state.session.user.take().is_some();
            if expired {
                state.notice =
                    Some(Notice { level: NoticeLevel::Warning, text: state.lang.t(Text::SessionExpired).into() });
            }
            state.modal = Some(Modal::Login(LoginForm::new(username)));
            if state.link.status == LinkStatus::Connecting {
                set_link(state, LinkStatus::Online);
            }
            state.dirty = true;
            Vec::new()
        }
        Msg::LoginFailed(reason) => {
            let reason = match reason {
                FailReason::Unauthorized => state.lang.t(Text::ReasonUnauthorized).to_string(),
                FailReason::Unreachable => state.lang.t(Text::ReasonUnreachable).to_string(),
                FailReason::Other(text) => text,
            };
            if let Some(Modal::Login(form)) = &mut state.modal {
                form.busy = false;
                form.error = Some(state.lang.f(Text::LoginFailed, &[&reason]));
                form.password = Default::default();
                form.field = LoginField::Password;
            }
            state.dirty = true;
            Vec::new()
        }
        Msg::StartOffline { user } => {
            set_link(state, LinkStatus::Offline);
            state.notice =
                Some(Notice { level: NoticeLevel::Warning, text: state.lang.t(Text::ServerUnreachable).into() });
            match user {
                Some(user) => {
                    if !state.navigated {
                        state.screen = state.pinned_screen.unwrap_or(role_screen(user.role));
                    }
                    state.session.user = Some(user);
                    state.session.phase = Phase::SignedIn;
                }
                None => {
                    state.session.phase = Phase::SignedOut;
                    state.modal = Some(Modal::Login(LoginForm::new(None)));
                }
            }
            state.dirty = true;
            let mut effects = update_queue::signed_in(state);
            effects.extend(wallboard::shown(state));
            effects
        }
        Msg::Sync(s) => {
            // The sync engine knows best whether the server answers.
            set_link(state, if s.online { LinkStatus::Online } else { LinkStatus::Offline });
            if let Some(t) = s.since {
                state.link.since = Some(t.with_timezone(state.now.offset()));
            }
            let last_sync = s.last_sync.map(|t| t.with_timezone(state.now.offset()));
            let synced = last_sync != state.link.last_sync;
            state.link.last_sync = last_sync;
            state.link.pending = s.counts.pending + s.counts.rejected + s.counts.conflict;
            state.link.last_error = s.last_error;
            state.link.bootstrap = s.bootstrap;
            state.dirty = true;
            // A finished sync may have changed what the screens show.
            if !synced {
                return Vec::new();
            }
            let mut effects = update_call::after_sync(state);
            effects.extend(update_queue::after_sync(state));
            effects.extend(wallboard::after_sync(state));
            if matches!(state.modal, Some(Modal::Outbox(_))) {
                effects.push(Effect::LoadOutbox);
            }
            effects
        }
        Msg::Health { online, error } => {
            state.link.checking = false;
            let was = state.link.status;
            set_link(state, if online { LinkStatus::Online } else { LinkStatus::Offline });
            if error != state.link.last_error {
                state.link.last_error = error;
                state.dirty = true;
            }
            if online && was == LinkStatus::Offline {
                // Back online: drop the offline notice and confirm the
                // session with the server if we only had the cached user.
                if state.notice.as_ref().is_some_and(|n| n.text == state.lang.t(Text::ServerUnreachable)) {
                    state.notice = None;
                }
                if state.session.phase == Phase::SignedIn && !state.session.verified {
                    return vec![Effect::Connect];
                }
            }
            Vec::new()
        }
    }
}

fn set_link(state: &mut State, status: LinkStatus) {
    if state.link.status != status {
        state.link.status = status;
        state.link.since = Some(state.now);
        state.dirty = true;
    }
}

fn on_tick(state: &mut State, now: chrono::DateTime<chrono::FixedOffset>) -> Vec<Effect> {
    let minute_changed = (now.hour(), now.minute()) != (state.now.hour(), state.now.minute());
    let second_changed = now.timestamp() != state.now.timestamp();
    state.now = now;
    if minute_changed || (state.call_started.is_some() && second_changed) {
        state.dirty = true;
    }
    let connected = matches!(state.session.phase, Phase::SignedIn | Phase::SignedOut);
    let due = state.link.last_check.is_none_or(|t| (now - t).num_seconds() >= HEALTH_EVERY_SECS);
    if connected && due && !state.link.checking {
        state.link.checking = true;
        state.link.last_check = Some(now);
        return vec![Effect::CheckHealth];
    }
    Vec::new()
}

fn on_key(state: &mut State, key: KeyChord) -> Vec<Effect> {
    let chain = state.context_chain();
    let had_pending = !state.pending_keys.is_empty();
    if had_pending {
        state.dirty = true; // the which-key hint changes either way
    }
    // With a text field focused, the modal's or pane's and screen's own
    // bindings come first, then the field, then the global ones.
    let with_field = focused_field(state).is_some();
    let split = if with_field { chain.len() - 1 } else { chain.len() };
    let (first, rest) = chain.split_at(split);
    match state.keymap.resolve(first, &state.pending_keys, key) {
        Resolution::Action(a) => {
            state.pending_keys.clear();
            return on_action(state, a);
        }
        Resolution::Pending => {
            state.pending_keys.push(key);
            state.dirty = true;
            return Vec::new();
        }
        Resolution::Unbound => {}
    }
    if had_pending {
        // An abandoned sequence: forget it and take the key on its own.
        state.pending_keys.clear();
        return on_key(state, key);
    }
    if with_field {
        let handled = match focused_field(state) {
            Some(Field::Line(input)) => input.handle(key),
            Some(Field::Area(area)) => area.handle(key),
            Some(Field::Choice(call)) => match key.code {
                KeyCodeOrd::Left => call.cycle(-1),
                KeyCodeOrd::Right | KeyCodeOrd::Char(' ') => call.cycle(1),
                _ => false,
            },
            Some(Field::Toggle(flag)) => match key.code {
                KeyCodeOrd::Char(' ') | KeyCodeOrd::Left | KeyCodeOrd::Right => {
                    *flag = !*flag;
                    true
                }
                _ => false,
            },
            None => false,
        };
        if handled {
            state.dirty = true;
            return after_edit(state);
        }
        if let Resolution::Action(a) = state.keymap.resolve(rest, &[], key) {
            return on_action(state, a);
        }
    }
    if key.code == KeyCodeOrd::Esc {
        // Esc always gets out of a modal, even if the keymap unbound it.
        return on_action(state, Action::Cancel);
    }
    Vec::new()
}

/// The focused thing that takes typed keys.
enum Field<'a> {
    Line(&'a mut super::input::LineInput),
    Area(&'a mut super::call::Description),
    /// Type, channel or priority: left and right cycle.
    Choice(&'a mut super::call::CallState),
    Toggle(&'a mut bool),
}

fn focused_field(state: &mut State) -> Option<Field<'_>> {
    use super::call::{FormField, NewCallerField};
    let pane = state.focused_pane();
    match &mut state.modal {
        Some(Modal::Palette(p)) => Some(Field::Line(&mut p.query)),
        Some(Modal::Login(form)) if !form.busy => Some(Field::Line(match form.field {
            LoginField::Username => &mut form.username,
            LoginField::Password => &mut form.password,
        })),
        Some(Modal::NewCaller(form)) if !form.busy => match form.field {
            NewCallerField::HideIdentity => Some(Field::Toggle(&mut form.hide_identity)),
            _ => form.input_mut().map(Field::Line),
        },
        Some(Modal::Note(form)) if !form.busy => Some(Field::Line(&mut form.text)),
        Some(Modal::Act(form)) if !form.busy && form.kind.needs_text() || form.on_unit => {
            Some(Field::Line(if form.on_unit { &mut form.unit.input } else { &mut form.text }))
        }
        Some(_) => None,
        None if state.screen == Screen::Queue && state.queue.filtering => Some(Field::Line(&mut state.queue.filter)),
        None if state.screen == Screen::Call => {
            let call = &mut state.call;
            match pane {
                Pane::CallSearch => Some(Field::Line(&mut call.search)),
                Pane::CallForm if !call.busy && call.filed.is_none() => match call.form.field {
                    FormField::Description => Some(Field::Area(&mut call.form.description)),
                    FormField::Kind | FormField::Channel | FormField::Priority => Some(Field::Choice(call)),
                    f => call.form.line_mut(f).map(Field::Line),
                },
                _ => None,
            }
        }
        None => None,
    }
}

/// After a text field changed: what depends on it follows.
fn after_edit(state: &mut State) -> Vec<Effect> {
    match &mut state.modal {
        Some(Modal::Palette(p)) => p.selected = 0,
        Some(Modal::NewCaller(form)) => {
            let field = form.field;
            form.errors.retain(|(f, _)| *f != field);
        }
        Some(Modal::Note(form)) => form.error = None,
        Some(Modal::Act(form)) => {
            form.error = None;
            if form.on_unit {
                form.unit_edited(state.lang == super::i18n::Lang::En);
            }
        }
        Some(_) => {}
        None if state.screen == Screen::Queue && state.queue.filtering => {
            return update_queue::after_filter_edit(state);
        }
        None if state.screen == Screen::Call => return update_call::after_edit(state),
        None => {}
    }
    Vec::new()
}

fn goto(state: &mut State, screen: Screen) {
    // A login hides the screens; a wall display (`--wallboard`) stays put.
    if matches!(state.modal, Some(Modal::Login(_))) || state.pinned_screen.is_some_and(|p| p != screen) {
        return;
    }
    state.modal = None;
    state.screen = screen;
    state.navigated = true;
}

pub fn on_action(state: &mut State, action: Action) -> Vec<Effect> {
    state.dirty = true;
    if let Some(modal) = &state.modal {
        let kind = modal.kind();
        if let Some(effects) = modal_action(state, kind, action) {
            return effects;
        }
        if let Some(effects) = update_call::modal_action(state, action) {
            return effects;
        }
        if let Some(effects) = update_queue::modal_action(state, action) {
            return effects;
        }
    } else if state.screen == Screen::Call
        && state.session.phase == Phase::SignedIn
        && let Some(effects) = update_call::on_action(state, action)
    {
        return effects;
    } else if state.screen == Screen::Queue
        && state.session.phase == Phase::SignedIn
        && let Some(effects) = update_queue::on_action(state, action)
    {
        return effects;
    } else if state.screen == Screen::Wallboard
        && state.session.phase == Phase::SignedIn
        && let Some(effects) = wallboard::on_action(state, action)
    {
        return effects;
    }
    match action {
        Action::Quit => {
            // Pending work is safe in the cache, but say so once.
            let text = state.lang.f(Text::QuitWithPending, &[&state.link.pending.to_string()]);
            let warned = state.notice.as_ref().is_some_and(|n| n.text == text);
            if state.link.pending == 0 || warned {
                state.quit = true;
            } else {
                state.notice = Some(Notice { level: NoticeLevel::Warning, text });
            }
        }
        Action::GotoCall => goto(state, Screen::Call),
        Action::GotoQueue => {
            goto(state, Screen::Queue);
            return update_queue::shown(state);
        }
        Action::GotoWallboard => {
            goto(state, Screen::Wallboard);
            return wallboard::shown(state);
        }
        Action::GotoIntake => goto(state, Screen::Intake),
        Action::GotoHelp => goto(state, Screen::Help),
        Action::OpenPalette => {
            if !matches!(state.modal, Some(Modal::Login(_))) {
                state.modal = Some(Modal::Palette(Palette::default()));
            }
        }
        Action::ToggleHelp => match state.modal {
            Some(Modal::Help) => state.modal = None,
            Some(Modal::Login(_)) => {}
            _ => state.modal = Some(Modal::Help),
        },
        Action::FocusNext | Action::FocusPrev | Action::NextField | Action::PrevField => {
            let action = match action {
                Action::NextField => Action::FocusNext,
                Action::PrevField => Action::FocusPrev,
                a => a,
            };
            let n = state.screen.panes().len();
            let i = &mut state.focus[state.screen.index()];
            *i = if action == Action::FocusNext { (*i + 1) % n } else { (*i + n - 1) % n };
        }
        Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Top | Action::Bottom => {
            if state.screen == Screen::Help {
                scroll_help(state, action);
            }
        }
        // Call screen actions elsewhere, or before signing in: nothing.
        Action::Confirm
        | Action::Toggle
        | Action::FocusSearch
        | Action::CallSubmit
        | Action::CallNext
        | Action::NewCaller
        | Action::AnonymousCaller
        | Action::AcceptSuggestion1
        | Action::AcceptSuggestion2
        | Action::AcceptSuggestion3
        | Action::AddNote
        | Action::AskUpdate
        | Action::CoReport
        | Action::Discard
        | Action::Retry
        | Action::QueueFilter
        | Action::QueueSort
        | Action::QueueOverdue
        | Action::QueueStatus
        | Action::QueueUnit
        | Action::Mark
        | Action::MarkAll
        | Action::ReqAccept
        | Action::ReqAssign
        | Action::ReqNote
        | Action::ReqWait
        | Action::ReqResume
        | Action::ReqReroute
        | Action::ReqOutOfRemit
        | Action::ReqDuplicate
        | Action::ReqResolve
        | Action::InsertTemplate
        | Action::Reopen => {}
        Action::ShowOutbox => {
            if state.session.phase == Phase::SignedIn && !matches!(state.modal, Some(Modal::Login(_))) {
                state.modal = Some(Modal::Outbox(OutboxView { loading: true, ..Default::default() }));
                return vec![Effect::LoadOutbox];
            }
        }
        Action::Cancel => {
            state.pending_keys.clear();
            if state.notice.is_some() {
                state.notice = None;
            }
        }
        Action::ToggleCallTimer => {
            state.call_started = match state.call_started {
                Some(_) => None,
                None => Some(state.now),
            };
        }
        Action::Refresh => {
            state.link.checking = true;
            state.link.last_check = Some(state.now);
            let mut effects = vec![Effect::CheckHealth];
            if state.session.phase == Phase::SignedIn && !state.session.verified {
                effects.push(Effect::Connect);
            }
            return effects;
        }
    }
    Vec::new()
}

fn scroll_help(state: &mut State, action: Action) {
    let s = &mut state.help_scroll;
    *s = match action {
        Action::Up => s.saturating_sub(1),
        Action::Down => s.saturating_add(1),
        Action::PageUp => s.saturating_sub(10),
        Action::PageDown => s.saturating_add(10),
        Action::Top => 0,
        _ => u16::MAX, // clamped when drawn
    };
}

/// Actions a modal handles itself; `None` lets the global handling run.
fn modal_action(state: &mut State, kind: super::nav::ModalKind, action: Action) -> Option<Vec<Effect>> {
    use super::nav::ModalKind;
    match (kind, action) {
        (ModalKind::Palette | ModalKind::Help, Action::Cancel) => {
            state.modal = None;
            state.pending_keys.clear();
            Some(Vec::new())
        }
        (ModalKind::Palette, Action::Up | Action::Down | Action::Top | Action::Bottom) => {
            let n = match &state.modal {
                Some(Modal::Palette(p)) => state.palette_matches(p.query.text()).len(),
                _ => 0,
            };
            if let Some(Modal::Palette(p)) = &mut state.modal {
                p.selected = match action {
                    Action::Up => p.selected.checked_sub(1).unwrap_or(n.saturating_sub(1)),
                    Action::Down if n > 0 => (p.selected + 1) % n,
                    Action::Bottom => n.saturating_sub(1),
                    _ => 0,
                };
            }
            Some(Vec::new())
        }
        (ModalKind::Palette, Action::Confirm) => {
            let chosen = match &state.modal {
                Some(Modal::Palette(p)) => state.palette_matches(p.query.text()).get(p.selected).copied(),
                _ => None,
            };
            state.modal = None;
            Some(chosen.map(|a| on_action(state, a)).unwrap_or_default())
        }
        (ModalKind::Login, _) => Some(login_action(state, action)),
        (ModalKind::Outbox, _) => outbox_action(state, action),
        _ => None,
    }
}

/// The outbox view: move, retry, discard (asked twice), close.
fn outbox_action(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    let Some(Modal::Outbox(view)) = &mut state.modal else { return None };
    let selected = view.rows.get(view.sel).map(|r| r.mutation_id);
    let n = view.rows.len();
    match action {
        Action::Cancel | Action::ShowOutbox => state.modal = None,
        Action::Up => view.sel = view.sel.saturating_sub(1),
        Action::Down => view.sel = (view.sel + 1).min(n.saturating_sub(1)),
        Action::Top => view.sel = 0,
        Action::Bottom => view.sel = n.saturating_sub(1),
        Action::Refresh => {
            view.loading = true;
            return Some(vec![Effect::LoadOutbox]);
        }
        Action::Retry if !view.loading => {
            if let Some(id) = selected {
                view.loading = true;
                view.confirm_discard = None;
                return Some(vec![Effect::Retry(id)]);
            }
        }
        Action::Discard if !view.loading => {
            if let Some(id) = selected {
                if view.confirm_discard == Some(id) {
                    view.confirm_discard = None;
                    view.loading = true;
                    return Some(vec![Effect::Discard(id)]);
                }
                view.confirm_discard = Some(id);
            }
        }
        Action::Quit => return None,
        _ => {}
    }
    if !matches!(action, Action::Discard)
        && let Some(Modal::Outbox(view)) = &mut state.modal
    {
        view.confirm_discard = None;
    }
    Some(Vec::new())
}

fn login_action(state: &mut State, action: Action) -> Vec<Effect> {
    let Some(Modal::Login(form)) = &mut state.modal else {
        return Vec::new();
    };
    match action {
        Action::FocusNext | Action::FocusPrev | Action::Up | Action::Down => {
            form.field = match form.field {
                LoginField::Username => LoginField::Password,
                LoginField::Password => LoginField::Username,
            };
        }
        Action::Confirm if !form.busy => {
            let username = form.username.text().trim().to_string();
            let password = form.password.text().to_string();
            if username.is_empty() || password.is_empty() {
                form.error = Some(state.lang.t(Text::LoginMissingFields).into());
                form.field = if username.is_empty() { LoginField::Username } else { LoginField::Password };
                return Vec::new();
            }
            form.busy = true;
            form.error = None;
            return vec![Effect::Login { username, password }];
        }
        // Quitting and the clock work from the login screen; nothing else.
        Action::Quit => state.quit = true,
        Action::Refresh => return vec![Effect::CheckHealth],
        _ => {}
    }
    Vec::new()
}

/// The effects to run when the console starts.
pub fn init(state: &mut State) -> Vec<Effect> {
    state.dirty = true;
    vec![Effect::Connect]
}
