//! The progress box while the embedded demo server starts and, on the first
//! run, fills its database.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{LineGauge, Paragraph, Wrap};

use super::common::popup;
use crate::console::action::SeedProgress;
use crate::console::i18n::Text;
use crate::console::state::State;
use crate::console::theme::{Theme, Token};

pub fn render_starting(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let inner = popup(frame, area, 50, 3, state.lang.t(Text::BannerEmbedded), theme);
    frame.render_widget(Paragraph::new(format!(" {}", state.lang.t(Text::StartingServer))), inner);
}

pub fn render_seeding(frame: &mut Frame, area: Rect, state: &State, p: &SeedProgress, theme: &Theme) {
    let inner = popup(frame, area, 64, 9, state.lang.t(Text::SeedingTitle), theme);
    let [c_label, c_gauge, r_label, r_gauge, _, hint] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
    ])
    .areas(inner);
    let rows = [
        (Text::SeedingCitizens, p.citizens_done, p.citizens_total, c_label, c_gauge),
        (Text::SeedingRequests, p.requests_done, p.requests_total, r_label, r_gauge),
    ];
    for (label, done, total, label_area, gauge_area) in rows {
        frame.render_widget(
            Paragraph::new(Line::styled(format!(" {} {done}/{total}", state.lang.t(label)), theme.style(Token::Text))),
            label_area,
        );
        let ratio = if total == 0 { 0.0 } else { (done as f64 / total as f64).clamp(0.0, 1.0) };
        let gauge_area = gauge_area.inner(ratatui::layout::Margin { horizontal: 1, vertical: 0 });
        frame.render_widget(
            LineGauge::default()
                .ratio(ratio)
                .label(format!("{:>3}% ", (ratio * 100.0).round() as u32))
                .filled_symbol("█")
                .unfilled_symbol("░")
                .filled_style(theme.style(Token::Gauge))
                .unfilled_style(theme.style(Token::TextDim)),
            gauge_area,
        );
    }
    frame.render_widget(
        Paragraph::new(state.lang.t(Text::SeedingHint)).style(theme.style(Token::TextDim)).wrap(Wrap { trim: true }),
        hint.inner(ratatui::layout::Margin { horizontal: 1, vertical: 0 }),
    );
}
