//! The outbox: local changes the server has not accepted yet. Refused and
//! conflicting ones come first, with the server's reason; they can be sent
//! again or discarded (asked twice).

use ratatui::Frame;
use ratatui::layout::{Margin, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::common::{clean, popup};
use crate::client::cache::OutboxState;
use crate::console::action::{Action, OutboxRow};
use crate::console::i18n::Text;
use crate::console::keymap::Context;
use crate::console::nav::ModalKind;
use crate::console::state::{OutboxView, State};
use crate::console::theme::{Theme, Token};

fn kind_label(kind: &str) -> Text {
    match kind {
        "create_request" => Text::KindCreateRequest,
        "create_citizen" => Text::KindCreateCitizen,
        "update_citizen" => Text::KindUpdateCitizen,
        _ => Text::KindRequestAction,
    }
}

fn row_lines(state: &State, row: &OutboxRow, selected: bool, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let lang = state.lang;
    let (label, token) = match row.state {
        OutboxState::Pending => (Text::StatePending, Token::BadgeUnsent),
        OutboxState::Rejected => (Text::StateRejected, Token::BadgeRejected),
        OutboxState::Conflict => (Text::StateConflict, Token::BadgeConflict),
    };
    let base = if selected { theme.style(Token::Selection) } else { theme.style(Token::Text) };
    let mut head = format!(
        " {} · {} · {}",
        clean(row.label.as_deref().unwrap_or("—")),
        lang.t(kind_label(&row.kind)),
        lang.f(Text::OutboxAttempts, &[&row.attempts.to_string()])
    );
    if row.held_back > 0 {
        head.push_str(&format!(" · {}", lang.f(Text::OutboxHeldBack, &[&row.held_back.to_string()])));
    }
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("[{}]", lang.t(label)), base.patch(theme.style(token))),
        Span::styled(head.chars().take(width.saturating_sub(12)).collect::<String>(), base),
    ])];
    if let Some(reason) = &row.reason {
        let text: String = format!("   {}", clean(reason)).chars().take(width).collect();
        lines.push(Line::styled(text, theme.style(Token::TextDim)));
    }
    lines
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, view: &OutboxView, theme: &Theme) {
    let lang = state.lang;
    let height = area.height.saturating_sub(4).min(24);
    let inner = popup(frame, area, area.width.saturating_sub(6).min(100), height, lang.t(Text::OutboxTitle), theme)
        .inner(Margin::new(1, 0));
    let width = inner.width as usize;
    let chain = [Context::Modal(ModalKind::Outbox), Context::Global];
    let key = |a: Action| state.keymap.keys_for(&chain, a).map(|k| k.to_string()).unwrap_or_else(|| "—".into());
    let mut lines = Vec::new();
    if let Some(id) = view.confirm_discard
        && view.rows.iter().any(|r| r.mutation_id == id)
    {
        lines.push(Line::styled(
            lang.f(Text::OutboxConfirmDiscard, &[&key(Action::Discard)]),
            theme.style(Token::Error),
        ));
    } else {
        let hint = lang.f(Text::OutboxHint, &[&key(Action::Retry), &key(Action::Discard)]);
        lines.push(Line::styled(hint, theme.style(Token::Hint)));
    }
    if let Some(e) = &view.error {
        lines.push(Line::styled(clean(e).into_owned(), theme.style(Token::Error)));
    }
    if view.loading && view.rows.is_empty() {
        lines.push(Line::styled(lang.t(Text::Loading), theme.style(Token::TextDim)));
    } else if view.rows.is_empty() {
        lines.push(Line::styled(lang.t(Text::OutboxEmpty), theme.style(Token::Empty)));
    }
    // Keep the selected row in view.
    let room = (inner.height as usize).saturating_sub(lines.len());
    let first = view.sel.saturating_sub(room / 2 / 2);
    for (i, row) in view.rows.iter().enumerate().skip(first) {
        let rows = row_lines(state, row, i == view.sel, width, theme);
        if lines.len() + rows.len() > inner.height as usize {
            break;
        }
        lines.extend(rows);
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
