//! The sign-in form for a real server (`--server URL`).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::common::{clean, popup};
use crate::console::i18n::Text;
use crate::console::input::LineInput;
use crate::console::state::{LoginField, LoginForm, Mode, State};
use crate::console::theme::{Theme, Token};

const LABEL_WIDTH: usize = 16;

pub fn render(frame: &mut Frame, area: Rect, state: &State, form: &LoginForm, theme: &Theme) {
    let inner = popup(frame, area, 64, 11, state.lang.t(Text::LoginTitle), theme);
    let server = match &state.session.mode {
        Mode::Remote { server } => clean(server).into_owned(),
        Mode::Embedded { .. } => state.lang.t(Text::BannerEmbedded).to_string(),
    };
    let label = |t: Text| Span::styled(format!(" {:<LABEL_WIDTH$}", state.lang.t(t)), theme.style(Token::InputLabel));
    let field_width = (inner.width as usize).saturating_sub(LABEL_WIDTH + 2);
    let field = |input: &LineInput, focused: bool, secret: bool| {
        let shown: String = if secret { "•".repeat(input.text().chars().count()) } else { input.text().to_string() };
        let pad = field_width.saturating_sub(shown.chars().count());
        let mut style = theme.style(Token::Input);
        if focused {
            style = style.patch(theme.style(Token::InputFocused));
        }
        Span::styled(format!("{shown}{}", " ".repeat(pad)), style)
    };
    let user_focused = form.field == LoginField::Username;
    let mut lines = vec![
        Line::from(vec![label(Text::LoginServer), Span::styled(server, theme.style(Token::Text))]),
        Line::raw(""),
        Line::from(vec![label(Text::LoginUsername), field(&form.username, user_focused, false)]),
        Line::raw(""),
        Line::from(vec![label(Text::LoginPassword), field(&form.password, !user_focused, true)]),
        Line::raw(""),
    ];
    if form.busy {
        lines.push(Line::styled(format!(" {}", state.lang.t(Text::LoginInProgress)), theme.style(Token::TextDim)));
    } else if let Some(e) = &form.error {
        lines.push(Line::styled(format!(" {}", clean(e)), theme.style(Token::Error)));
    } else {
        lines.push(Line::styled(format!(" {}", state.lang.t(Text::LoginHint)), theme.style(Token::TextDim)));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    if !form.busy {
        let (input, row) = if user_focused { (&form.username, 2) } else { (&form.password, 4) };
        let x = inner.x + 1 + LABEL_WIDTH as u16 + input.cursor() as u16;
        frame.set_cursor_position((x.min(inner.right().saturating_sub(1)), inner.y + row));
    }
}
