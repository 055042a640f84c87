//! Pieces every screen uses: titled panes, empty states, popups, and the
//! cleaning of text that came from outside.

use std::borrow::Cow;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};

use crate::console::nav::Pane;
use crate::console::state::State;
use crate::console::theme::{Theme, Token};

/// Strips control and escape characters from text that came from citizens,
/// other channels or the server, before it reaches the terminal.
pub fn clean(s: &str) -> Cow<'_, str> {
    if s.chars().any(|c| c.is_control()) {
        Cow::Owned(s.chars().filter(|c| !c.is_control()).collect())
    } else {
        Cow::Borrowed(s)
    }
}

/// A pane's frame: its title, drawn focused or not. Returns the inside.
/// Cuts `s` to `width` characters, marking the cut with `…`.
pub fn cut(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// [`cut`], padded with spaces to `width` characters: a table cell.
pub fn fit(s: &str, width: usize) -> String {
    let out = cut(s, width);
    let n = out.chars().count();
    out + &" ".repeat(width.saturating_sub(n))
}

pub fn pane_block(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, pane: Pane) -> Rect {
    let focused = state.modal.is_none() && state.focused_pane() == pane;
    let (border, title) = if focused {
        (theme.style(Token::BorderFocused), theme.style(Token::TitleFocused))
    } else {
        (theme.style(Token::Border), theme.style(Token::Title))
    };
    let block = Block::bordered()
        .border_type(if focused { BorderType::Thick } else { BorderType::Plain })
        .border_style(border)
        .title(Line::from(Span::styled(format!(" {} ", state.lang.t(pane.title())), title)));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

/// A pane with nothing in it yet: its frame and what it will show.
pub fn empty_pane(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, pane: Pane) {
    let inner = pane_block(frame, area, state, theme, pane);
    let inner = inner.inner(ratatui::layout::Margin { horizontal: 1, vertical: 0 });
    let text =
        Paragraph::new(state.lang.t(pane.empty_text())).style(theme.style(Token::Empty)).wrap(Wrap { trim: true });
    frame.render_widget(text, inner);
}

/// Clears a centred box of at most `width`×`height` and frames it as a
/// popup. Returns the inside.
pub fn popup(frame: &mut Frame, area: Rect, width: u16, height: u16, title: &str, theme: &Theme) -> Rect {
    let rect = area.centered(Constraint::Length(width.min(area.width)), Constraint::Length(height.min(area.height)));
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(theme.style(Token::PopupBorder))
        .style(theme.style(Token::Popup))
        .title(Line::from(Span::styled(format!(" {title} "), theme.style(Token::PopupTitle))));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    inner
}

/// "Key Label" pairs for hints and help rows.
pub fn key_label<'a>(keys: String, label: &'a str, theme: &Theme) -> Vec<Span<'a>> {
    vec![Span::styled(keys, theme.style(Token::HintKey)), Span::styled(format!(" {label}"), theme.style(Token::Hint))]
}
