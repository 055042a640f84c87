//! Gelen kutusu: items from web, SMS, e-mail and social media waiting for an
//! agent, and a preview of the selected one.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

use super::common::empty_pane;
use crate::console::nav::Pane;
use crate::console::state::State;
use crate::console::theme::Theme;

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let [list, preview] = Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area);
    empty_pane(frame, list, state, theme, Pane::IntakeList);
    empty_pane(frame, preview, state, theme, Pane::IntakePreview);
}
