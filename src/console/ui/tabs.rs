//! The top line: one tab per screen with the key that opens it (from the
//! live keymap), and the local-demo banner.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::console::i18n::Text;
use crate::console::keymap::Context;
use crate::console::nav::Screen;
use crate::console::state::State;
use crate::console::theme::{Theme, Token};

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let mut spans = Vec::new();
    if area.width >= 110 {
        spans.push(Span::styled(format!(" {} ", state.lang.t(Text::AppTitle)), theme.style(Token::Title)));
        spans.push(Span::styled("│", theme.style(Token::Border)));
    }
    for screen in Screen::ALL {
        let active = screen == state.screen;
        let style = if active { theme.style(Token::TabActive) } else { theme.style(Token::Tabs) };
        spans.push(Span::raw(" "));
        if let Some(keys) = state.keymap.keys_for(&[Context::Global], screen.goto()) {
            let key_style = if active { style } else { theme.style(Token::TabKey) };
            spans.push(Span::styled(format!(" {keys}"), key_style));
        }
        spans.push(Span::styled(format!(" {} ", state.lang.t(screen.title())), style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.style(Token::Tabs)), area);
    if state.is_embedded() {
        let banner = Span::styled(format!(" {} ", state.lang.t(Text::BannerEmbedded)), theme.style(Token::Banner));
        frame.render_widget(Paragraph::new(Line::from(banner)).alignment(Alignment::Right), area);
    }
}
