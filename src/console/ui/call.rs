//! Çağrı (agent): who is calling, what they asked before, the new request,
//! and what was reported nearby.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

use super::common::empty_pane;
use crate::console::nav::Pane;
use crate::console::state::State;
use crate::console::theme::Theme;

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let [left, right] = Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area);
    let [search, history] = Layout::vertical([Constraint::Length(7), Constraint::Fill(1)]).areas(left);
    let [form, nearby] = Layout::vertical([Constraint::Percentage(65), Constraint::Percentage(35)]).areas(right);
    empty_pane(frame, search, state, theme, Pane::CallSearch);
    empty_pane(frame, history, state, theme, Pane::CallHistory);
    empty_pane(frame, form, state, theme, Pane::CallForm);
    empty_pane(frame, nearby, state, theme, Pane::CallNearby);
}
