//! The command palette: every command by name, with the key that runs it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::common::popup;
use crate::console::i18n::Text;
use crate::console::state::{Palette, State};
use crate::console::theme::{Theme, Token};

pub fn render(frame: &mut Frame, area: Rect, state: &State, palette: &Palette, theme: &Theme) {
    let matches = state.palette_matches(palette.query.text());
    let height = (matches.len().max(1) as u16 + 4).min(area.height.saturating_sub(4));
    let inner = popup(frame, area, 60, height, state.lang.t(Text::PaletteTitle), theme);
    let [prompt, _, list] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1), Constraint::Fill(1)]).areas(inner);
    let label = format!(" {} › ", state.lang.t(Text::PalettePrompt));
    let label_width = Span::raw(label.as_str()).width() as u16;
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(label, theme.style(Token::InputLabel)),
            Span::styled(palette.query.text(), theme.style(Token::Input).patch(theme.style(Token::InputFocused))),
        ])),
        prompt,
    );
    let cursor_x = prompt.x + label_width + palette.query.text().chars().take(palette.query.cursor()).count() as u16;
    frame.set_cursor_position((cursor_x.min(prompt.right().saturating_sub(1)), prompt.y));

    if matches.is_empty() {
        frame.render_widget(Paragraph::new(state.lang.t(Text::PaletteEmpty)).style(theme.style(Token::Empty)), list);
        return;
    }
    // Keep the selection in view.
    let visible = list.height as usize;
    let first = palette.selected.saturating_sub(visible.saturating_sub(1));
    let chain = state.screen_chain();
    let lines: Vec<Line> = matches
        .iter()
        .enumerate()
        .skip(first)
        .take(visible)
        .map(|(i, action)| {
            let keys = state.keymap.keys_for(&chain, *action).map(|k| k.to_string()).unwrap_or_default();
            let label = state.lang.t(action.label());
            let pad = (list.width as usize).saturating_sub(Span::raw(label).width() + keys.chars().count() + 3);
            let base = if i == palette.selected { theme.style(Token::Selection) } else { theme.style(Token::Text) };
            Line::from(vec![
                Span::styled(format!(" {label}{} ", " ".repeat(pad)), base),
                Span::styled(format!("{keys} "), base.patch(theme.style(Token::HintKey))),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), list);
}
