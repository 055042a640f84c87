//! Pano (shift lead): every unit's queue and aging, SLA breaches, and the
//! live feed.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

use super::common::empty_pane;
use crate::console::nav::Pane;
use crate::console::state::State;
use crate::console::theme::Theme;

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let [units, bottom] = Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area);
    let [breaches, activity] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(bottom);
    empty_pane(frame, units, state, theme, Pane::WallUnits);
    empty_pane(frame, breaches, state, theme, Pane::WallBreaches);
    empty_pane(frame, activity, state, theme, Pane::WallActivity);
}
