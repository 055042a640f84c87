//! Yardım: the help screen lists every binding of the live keymap by
//! context; the help overlay shows just what works on the current screen.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::common::{pane_block, popup};
use crate::console::action::Action;
use crate::console::i18n::Text;
use crate::console::keymap::{Context, Keymap};
use crate::console::nav::{ModalKind, Pane, Screen};
use crate::console::state::State;
use crate::console::theme::{Theme, Token};

/// (keys, action) rows of `ctx` that really fire in `chain`, one row per
/// action with all its keys.
fn rows(keymap: &Keymap, ctx: Context, chain: &[Context]) -> Vec<(String, Action)> {
    let mut out: Vec<(String, Action)> = Vec::new();
    for b in keymap.bindings(ctx) {
        let Some((last, prefix)) = b.keys.0.split_last() else { continue };
        let fires = keymap.resolve(chain, prefix, *last) == crate::console::keymap::Resolution::Action(b.action);
        if !fires {
            continue;
        }
        match out.iter_mut().find(|(_, a)| *a == b.action) {
            Some((keys, _)) => keys.push_str(&format!(", {}", b.keys)),
            None => out.push((b.keys.to_string(), b.action)),
        }
    }
    out
}

fn row_line<'a>(keys: &str, action: Action, state: &'a State, theme: &Theme, key_width: usize) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("  {keys:<key_width$} "), theme.style(Token::HintKey)),
        Span::styled(state.lang.t(action.label()), theme.style(Token::Text)),
    ])
}

fn context_title(state: &State, ctx: Context) -> String {
    match ctx {
        Context::Global => state.lang.t(Text::HelpGlobal).to_string(),
        Context::Screen(s) => format!("{}  ({})", state.lang.t(s.title()), ctx.name()),
        Context::Pane(p) => {
            format!("{} › {}  ({})", state.lang.t(p.screen().title()), state.lang.t(p.title()), ctx.name())
        }
        Context::Modal(m) => format!("{}  ({})", state.lang.t(m.title()), ctx.name()),
    }
}

pub fn render_screen(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let inner = pane_block(frame, area, state, theme, Pane::HelpKeys);
    let path = state.keymap_file.display().to_string();
    let mut lines = vec![
        Line::styled(state.lang.t(Text::HelpIntro), theme.style(Token::TextDim)),
        Line::styled(state.lang.f(Text::HelpUserFile, &[&path]), theme.style(Token::TextDim)),
    ];
    let contexts = std::iter::once(Context::Global)
        .chain(Screen::ALL.iter().map(|s| Context::Screen(*s)))
        .chain(Pane::ALL.iter().map(|p| Context::Pane(*p)))
        .chain(ModalKind::ALL.iter().map(|m| Context::Modal(*m)));
    for ctx in contexts {
        let chain = match ctx {
            Context::Global => vec![ctx],
            Context::Pane(p) => vec![ctx, Context::Screen(p.screen()), Context::Global],
            _ => vec![ctx, Context::Global],
        };
        let rows: Vec<_> = rows(&state.keymap, ctx, &chain);
        if rows.is_empty() {
            continue;
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled(context_title(state, ctx), theme.style(Token::Title)));
        for (keys, action) in &rows {
            lines.push(row_line(keys, *action, state, theme, 14));
        }
    }
    let max_scroll = (lines.len() as u16).saturating_sub(inner.height);
    let scroll = state.help_scroll.min(max_scroll);
    let inner = inner.inner(ratatui::layout::Margin { horizontal: 1, vertical: 0 });
    frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), inner);
}

pub fn render_overlay(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let chain = state.screen_chain();
    let mut all = Vec::new();
    for ctx in &chain {
        all.extend(rows(&state.keymap, *ctx, &chain));
    }
    let two_columns = area.width >= 78 && all.len() > 8;
    let per_column = if two_columns { all.len().div_ceil(2) } else { all.len() };
    let width = if two_columns { 76 } else { 40 };
    let height = per_column as u16 + 2;
    let inner = popup(frame, area, width, height, state.lang.t(Text::HelpOverlayTitle), theme);
    let columns: Vec<Rect> = if two_columns {
        Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).split(inner).to_vec()
    } else {
        vec![inner]
    };
    for (col, chunk) in columns.iter().zip(all.chunks(per_column.max(1))) {
        let lines: Vec<Line> = chunk.iter().map(|(k, a)| row_line(k, *a, state, theme, 12)).collect();
        frame.render_widget(Paragraph::new(lines), *col);
    }
}
