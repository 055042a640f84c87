//! The hint line, built from the live keymap: rebinding a key changes its
//! hint, and an unbound action has none. While a key sequence is half
//! typed it lists what can follow (which-key).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::common::key_label;
use crate::console::action::Action;
use crate::console::i18n::Text;
use crate::console::key::KeySeq;
use crate::console::nav::{ModalKind, Screen};
use crate::console::state::State;
use crate::console::theme::{Theme, Token};

/// The actions worth a hint in the current context, most useful first.
fn hint_actions(state: &State) -> &'static [Action] {
    match state.modal.as_ref().map(|m| m.kind()) {
        Some(ModalKind::Palette) => &[Action::Confirm, Action::Down, Action::Up, Action::Cancel],
        Some(ModalKind::Help) => &[Action::Cancel, Action::GotoHelp],
        Some(ModalKind::Login) => &[Action::Confirm, Action::FocusNext, Action::Quit],
        Some(ModalKind::NewCaller | ModalKind::Note) => &[Action::Confirm, Action::NextField, Action::Cancel],
        Some(ModalKind::Timeline | ModalKind::Update) => &[Action::Cancel],
        Some(ModalKind::Outbox) => &[Action::Retry, Action::Discard, Action::Cancel],
        Some(ModalKind::Act) => &[Action::Confirm, Action::InsertTemplate, Action::Cancel],
        None if state.screen == Screen::Queue => &[
            Action::OpenPalette,
            Action::ReqResolve,
            Action::ReqAccept,
            Action::Mark,
            Action::QueueFilter,
            Action::QueueSort,
            Action::ToggleHelp,
            Action::ReqNote,
            Action::QueueUnit,
        ],
        None if state.screen == Screen::Call => &[
            Action::OpenPalette,
            Action::CallSubmit,
            Action::CallNext,
            Action::NewCaller,
            Action::ToggleHelp,
            Action::AnonymousCaller,
            Action::FocusSearch,
            Action::NextField,
            Action::Quit,
        ],
        None => &[Action::OpenPalette, Action::ToggleHelp, Action::Quit, Action::FocusNext],
    }
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let chain = state.context_chain();
    let mut items: Vec<(String, &str)> = Vec::new();
    let mut spans = vec![Span::raw(" ")];
    if state.pending_keys.is_empty() {
        for action in hint_actions(state) {
            if let Some(keys) = state.keymap.keys_for(&chain, *action) {
                items.push((keys.to_string(), state.lang.t(action.label())));
            }
        }
    } else {
        let typed = KeySeq(state.pending_keys.clone());
        spans.push(Span::styled(format!("{typed} … "), theme.style(Token::HintKey)));
        spans.push(Span::styled(format!("{} ", state.lang.t(Text::PendingKeys)), theme.style(Token::Hint)));
        for (rest, action) in state.keymap.continuations(&chain, &state.pending_keys) {
            items.push((rest.to_string(), state.lang.t(action.label())));
        }
    }
    let mut used: usize = spans.iter().map(Span::width).sum();
    for (keys, label) in items {
        let item = key_label(keys, label, theme);
        let width: usize = item.iter().map(Span::width).sum::<usize>() + 2;
        if used + width > area.width as usize {
            break;
        }
        used += width;
        spans.extend(item);
        spans.push(Span::raw("  "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.style(Token::Hint)), area);
}
