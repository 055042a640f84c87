//! Kuyruk (unit representative): the unit's queue, the selected request and
//! its timeline.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

use super::common::empty_pane;
use crate::console::nav::Pane;
use crate::console::state::State;
use crate::console::theme::Theme;

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let [list, right] = Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area);
    let [detail, timeline] = Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(right);
    empty_pane(frame, list, state, theme, Pane::QueueList);
    empty_pane(frame, detail, state, theme, Pane::QueueDetail);
    empty_pane(frame, timeline, state, theme, Pane::QueueTimeline);
}
