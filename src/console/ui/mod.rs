//! Rendering: a pure function of the state and the theme.

pub mod call;
pub mod common;
mod footer;
mod help;
mod intake;
mod login;
mod outbox;
mod palette;
mod queue;
mod startup;
pub mod statusbar;
mod tabs;
mod wallboard;

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::widgets::{Paragraph, Wrap};

use super::i18n::Text;
use super::nav::Screen;
use super::state::{MIN_HEIGHT, MIN_WIDTH, Modal, NoticeLevel, Phase, State};
use super::theme::{Theme, Token};

pub fn render(frame: &mut Frame, state: &State, theme: &Theme) {
    let area = frame.area();
    frame.buffer_mut().set_style(area, theme.style(Token::Ui));
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        render_too_small(frame, area, state, theme);
        return;
    }
    let notice_height = u16::from(state.notice.is_some());
    let [tabs_area, body, notice, status, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(notice_height),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    tabs::render(frame, tabs_area, state, theme);
    let signing_in = matches!(state.modal, Some(Modal::Login(_)));
    match state.screen {
        // Nothing of the screens shows before a user has signed in.
        _ if signing_in => {}
        Screen::Call => call::render(frame, body, state, theme),
        Screen::Queue => queue::render(frame, body, state, theme),
        Screen::Wallboard => wallboard::render(frame, body, state, theme),
        Screen::Intake => intake::render(frame, body, state, theme),
        Screen::Help => help::render_screen(frame, body, state, theme),
    }
    if let Some(n) = &state.notice {
        let token = match n.level {
            NoticeLevel::Warning => Token::Notice,
            NoticeLevel::Error => Token::NoticeError,
        };
        let text = common::clean(&n.text);
        frame.render_widget(Paragraph::new(format!(" {text}")).style(theme.style(token)), notice);
    }
    statusbar::render(frame, status, state, theme);
    footer::render(frame, hints, state, theme);

    if state.is_embedded() {
        match &state.session.phase {
            Phase::Starting => startup::render_starting(frame, body, state, theme),
            Phase::Seeding(p) => startup::render_seeding(frame, body, state, p, theme),
            _ => {}
        }
    }
    match &state.modal {
        Some(Modal::Palette(p)) => palette::render(frame, area, state, p, theme),
        Some(Modal::Help) => help::render_overlay(frame, area, state, theme),
        Some(Modal::Login(form)) => login::render(frame, body, state, form, theme),
        Some(Modal::NewCaller(form)) => call::render_new_caller(frame, body, state, form, theme),
        Some(Modal::Note(form)) => call::render_note(frame, body, state, form, theme),
        Some(Modal::Timeline(r)) => call::render_timeline(frame, body, state, r, theme),
        Some(Modal::Update(r)) => call::render_update(frame, body, state, r, theme),
        Some(Modal::Outbox(view)) => outbox::render(frame, body, state, view, theme),
        Some(Modal::Act(form)) => queue::render_act(frame, body, state, form, theme),
        None => {}
    }
}

fn render_too_small(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let text = state.lang.f(
        Text::EnlargeWindow,
        &[&MIN_WIDTH.to_string(), &MIN_HEIGHT.to_string(), &area.width.to_string(), &area.height.to_string()],
    );
    let lines = text.chars().count() as u16 / area.width.max(1) + 1;
    let middle = Rect { y: area.y + area.height.saturating_sub(lines) / 2, height: lines.min(area.height), ..area };
    frame.render_widget(
        Paragraph::new(text).alignment(Alignment::Center).wrap(Wrap { trim: true }).style(theme.style(Token::Notice)),
        middle,
    );
}
