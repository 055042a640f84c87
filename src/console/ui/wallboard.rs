//! Pano (shift lead): every unit's queue, SLA breaches and what breaches
//! next, intake against the usual day, aging, agents, hot spots and
//! escalations. Laid out to fit from 80×24 up to 240×70.

use chrono::Utc;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline, Wrap};

use super::call::{category_name, status_label};
use super::common::{clean, empty_pane, fit, pane_block};
use crate::console::i18n::{Lang, Text};
use crate::console::nav::Pane;
use crate::console::state::State;
use crate::console::theme::{Theme, Token};
use crate::console::wallboard::listed;
use crate::protocol::stats::{CallState, RequestSummary, Wallboard};

fn right(s: &str, width: usize) -> String {
    format!("{s:>width$}")
}

fn mmss(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    format!("{:02}:{:02}", s / 60, s % 60)
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let w = &state.wallboard;
    // The freshness line: live, or since when not.
    let [head, body] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    let lang = state.lang;
    let stamp = w.fetched_at.map(|t| t.format("%H:%M:%S").to_string());
    let (text, token) = match (&stamp, w.is_live(state.link.status)) {
        (Some(t), true) => (lang.f(Text::WallLive, &[t]), Token::StatusOnline),
        (Some(t), false) => (lang.f(Text::WallStale, &[t]), Token::SlaBreached),
        (None, _) => match &w.error {
            Some(e) => (clean(e).into_owned(), Token::Error),
            None => (lang.t(Text::WallWaiting).to_string(), Token::TextDim),
        },
    };
    frame.render_widget(Paragraph::new(format!(" {text}")).style(theme.style(token)), head);

    let panes = layout(body, state.focused_pane());
    for (pane, rect) in panes {
        match &w.data {
            None => empty_pane(frame, rect, state, theme, pane),
            Some(data) => render_pane(frame, rect, state, theme, pane, data),
        }
    }
}

/// Which panes show where. Small terminals show units, SLA and intake, and
/// the focused one of the rest (Tab walks through them).
fn layout(area: Rect, focused: Pane) -> Vec<(Pane, Rect)> {
    use Pane::*;
    if area.width >= 160 && area.height >= 36 {
        let cols: [Rect; 3] = Layout::horizontal([Constraint::Fill(1); 3]).areas(area);
        let [units, aging] = Layout::vertical([Constraint::Percentage(60), Constraint::Fill(1)]).areas(cols[0]);
        let [sla, esc] = Layout::vertical([Constraint::Percentage(55), Constraint::Fill(1)]).areas(cols[1]);
        let [intake, agents, hot] =
            Layout::vertical([Constraint::Length(9), Constraint::Percentage(45), Constraint::Fill(1)]).areas(cols[2]);
        return vec![
            (WallUnits, units),
            (WallAging, aging),
            (WallSla, sla),
            (WallEscalations, esc),
            (WallIntake, intake),
            (WallAgents, agents),
            (WallHotspots, hot),
        ];
    }
    let [left, right] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
    if area.width >= 120 && area.height >= 36 {
        let [units, aging, hot] =
            Layout::vertical([Constraint::Percentage(45), Constraint::Length(9), Constraint::Fill(1)]).areas(left);
        let [sla, intake, agents, esc] = Layout::vertical([
            Constraint::Percentage(30),
            Constraint::Length(7),
            Constraint::Percentage(30),
            Constraint::Fill(1),
        ])
        .areas(right);
        return vec![
            (WallUnits, units),
            (WallAging, aging),
            (WallHotspots, hot),
            (WallSla, sla),
            (WallIntake, intake),
            (WallAgents, agents),
            (WallEscalations, esc),
        ];
    }
    let [units, extra] = Layout::vertical([Constraint::Percentage(60), Constraint::Fill(1)]).areas(left);
    let [sla, intake] = Layout::vertical([Constraint::Percentage(60), Constraint::Fill(1)]).areas(right);
    let rest = if matches!(focused, WallUnits | WallSla | WallIntake) { WallEscalations } else { focused };
    vec![(WallUnits, units), (WallSla, sla), (WallIntake, intake), (rest, extra)]
}

fn selected(state: &State, pane: Pane, i: usize) -> bool {
    state.modal.is_none() && state.focused_pane() == pane && state.wallboard.sel == i
}

fn render_pane(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, pane: Pane, data: &Wallboard) {
    let inner = pane_block(frame, area, state, theme, pane).inner(Margin::new(1, 0));
    let lines = match pane {
        Pane::WallUnits => units(state, theme, data, inner.width as usize),
        Pane::WallSla => sla(state, theme, data, inner.width as usize),
        Pane::WallAging => aging(state, theme, data, inner.width as usize),
        Pane::WallAgents => agents(state, theme, data, inner.width as usize),
        Pane::WallHotspots => hotspots(state, theme, data, inner.width as usize),
        Pane::WallEscalations => escalations(state, theme, data, inner.width as usize),
        Pane::WallIntake => return intake(frame, inner, state, theme, data),
        _ => Vec::new(),
    };
    // Keep the highlighted row in view.
    let sel_line = if state.focused_pane() == pane { state.wallboard.sel + 2 } else { 0 };
    let skip = sel_line.saturating_sub(inner.height as usize);
    frame.render_widget(Paragraph::new(lines.into_iter().skip(skip).collect::<Vec<_>>()), inner);
}

fn units(state: &State, theme: &Theme, data: &Wallboard, width: usize) -> Vec<Line<'static>> {
    let lang = state.lang;
    let col_w = if width < 50 { 5 } else { 6 };
    let name_w = width.saturating_sub(6 * col_w).max(6);
    let cols = [Text::ColNew, Text::ColOpen, Text::ColInProgress, Text::ColWaiting, Text::ColOverdue, Text::ColDueSoon];
    let mut head = fit(lang.t(Text::ColUnit), name_w);
    for c in cols {
        let label: String = lang.t(c).chars().take(col_w - 1).collect();
        head.push_str(&right(&label, col_w));
    }
    let mut lines = vec![Line::styled(head, theme.style(Token::InputLabel))];
    let row = |name: &str, c: &crate::protocol::stats::UnitCounts| {
        let mut s = fit(name, name_w);
        for n in [c.new, c.open, c.in_progress, c.waiting, c.overdue, c.due_soon] {
            s.push_str(&right(&n.to_string(), col_w));
        }
        s
    };
    let t = &data.units.total;
    lines.push(Line::styled(row(lang.t(Text::WallTotal), t), theme.style(Token::TitleFocused)));
    for (i, u) in data.units.units.iter().enumerate() {
        let token = if u.counts.overdue > 0 {
            Token::SlaBreached
        } else if u.counts.due_soon > 0 {
            Token::SlaWarning
        } else {
            Token::Text
        };
        let mut style = theme.style(token);
        if selected(state, Pane::WallUnits, i) {
            style = style.patch(theme.style(Token::Selection));
        }
        lines.push(Line::styled(row(&u.unit, &u.counts), style));
    }
    lines
}

fn summary_line(state: &State, r: &RequestSummary, width: usize, late: bool) -> String {
    let lang = state.lang;
    let now = state.now.with_timezone(&Utc);
    let mins = (r.sla_due_at - now).num_minutes();
    let when = if late { format!("-{}", hm(lang, mins.abs())) } else { hm(lang, mins.max(0)) };
    let place = r.neighbourhood.as_deref().unwrap_or("");
    fit(
        &format!(
            "{} {:>7} {:<11} {} · {}",
            r.tracking_no,
            when,
            fit(&r.unit, 11),
            category_name(lang, &r.category),
            clean(place)
        ),
        width,
    )
}

fn hm(lang: Lang, mins: i64) -> String {
    if mins >= 48 * 60 {
        lang.f(Text::AgeDays, &[&(mins / (24 * 60)).to_string()])
    } else {
        format!("{}:{:02}", mins / 60, mins % 60)
    }
}

fn sla(state: &State, theme: &Theme, data: &Wallboard, width: usize) -> Vec<Line<'static>> {
    let lang = state.lang;
    let s = &data.sla;
    let mut lines = vec![Line::styled(
        lang.f(Text::SlaBreachedCount, &[&s.breached.total.to_string()]),
        theme.style(Token::SlaBreached),
    )];
    let mut i = 0;
    for r in &s.breached.items {
        let mut style = theme.style(Token::Text);
        if selected(state, Pane::WallSla, i) {
            style = style.patch(theme.style(Token::Selection));
        }
        lines.push(Line::styled(summary_line(state, r, width, true), style));
        i += 1;
    }
    lines.push(Line::styled(
        lang.f(Text::SlaDueSoonCount, &[&s.due_soon.total.to_string()]),
        theme.style(Token::SlaWarning),
    ));
    for r in &s.due_soon.items {
        let mut style = theme.style(Token::Text);
        if selected(state, Pane::WallSla, i) {
            style = style.patch(theme.style(Token::Selection));
        }
        lines.push(Line::styled(summary_line(state, r, width, false), style));
        i += 1;
    }
    lines
}

fn aging(state: &State, theme: &Theme, data: &Wallboard, width: usize) -> Vec<Line<'static>> {
    let lang = state.lang;
    let labels = [Text::AgeLt4h, Text::AgeLt1d, Text::AgeLt3d, Text::AgeLt7d, Text::AgeLt15d, Text::AgeOlder];
    let max = data.aging.total.iter().copied().max().unwrap_or(0).max(1);
    let bar_w = width.saturating_sub(10 + 7);
    let mut lines: Vec<Line> = data
        .aging
        .total
        .iter()
        .zip(labels)
        .enumerate()
        .map(|(i, (n, label))| {
            let len = (*n as usize * bar_w).div_ceil(max as usize);
            let token = if i >= 4 {
                Token::SlaBreached
            } else if i >= 2 {
                Token::SlaWarning
            } else {
                Token::Gauge
            };
            Line::from(vec![
                Span::styled(fit(lang.t(label), 10), theme.style(Token::InputLabel)),
                Span::styled("█".repeat(len), theme.style(token)),
                Span::styled(format!(" {n}"), theme.style(Token::Text)),
            ])
        })
        .collect();
    // Per unit on demand: the focused pane lists each unit's buckets.
    if state.focused_pane() == Pane::WallAging {
        for (i, u) in data.aging.units.iter().enumerate() {
            let counts: Vec<String> = u.counts.iter().map(|c| right(&c.to_string(), 5)).collect();
            let mut style = theme.style(Token::Text);
            if selected(state, Pane::WallAging, i) {
                style = style.patch(theme.style(Token::Selection));
            }
            lines.push(Line::styled(fit(&format!("{:<12}{}", u.unit, counts.join("")), width), style));
        }
    }
    lines
}

fn intake(frame: &mut Frame, inner: Rect, state: &State, theme: &Theme, data: &Wallboard) {
    let lang = state.lang;
    let i = &data.intake;
    let text = lang.f(
        Text::IntakeToday,
        &[&i.today.to_string(), &format!("{:.0}", i.average_so_far), &format!("{:.0}", i.average_day)],
    );
    let channels: Vec<String> = i
        .channels
        .iter()
        .map(|c| format!("{} {}", if lang == Lang::En { c.channel.label_en() } else { c.channel.label_tr() }, c.today))
        .collect();
    let [top, today, avg, chans] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(2), Constraint::Length(2), Constraint::Fill(1)])
            .areas(inner);
    frame.render_widget(Paragraph::new(fit(&text, inner.width as usize)).style(theme.style(Token::Text)), top);
    let label_w = 6u16;
    let spark = |area: Rect| Rect { x: area.x + label_w, width: area.width.saturating_sub(label_w).min(24), ..area };
    let today_data: Vec<u64> = i.hours.iter().map(|h| h.today.unwrap_or(0)).collect();
    let avg_data: Vec<u64> = i.hours.iter().map(|h| h.average.round() as u64).collect();
    let max = today_data.iter().chain(&avg_data).copied().max().unwrap_or(1).max(1);
    frame.render_widget(Paragraph::new(lang.t(Text::IntakeTodayRow)).style(theme.style(Token::InputLabel)), today);
    frame.render_widget(Sparkline::default().data(&today_data).max(max).style(theme.style(Token::Gauge)), spark(today));
    frame.render_widget(Paragraph::new(lang.t(Text::IntakeAverageRow)).style(theme.style(Token::InputLabel)), avg);
    frame.render_widget(Sparkline::default().data(&avg_data).max(max).style(theme.style(Token::TextDim)), spark(avg));
    frame.render_widget(
        Paragraph::new(channels.join(" · ")).style(theme.style(Token::Text)).wrap(Wrap { trim: true }),
        chans,
    );
}

fn agents(state: &State, theme: &Theme, data: &Wallboard, width: usize) -> Vec<Line<'static>> {
    let lang = state.lang;
    let a = &data.agents;
    let aht = a.aht_seconds.map(mmss).unwrap_or_else(|| "—".into());
    let mut lines = vec![Line::styled(
        fit(
            &lang.f(
                Text::AgentsSummary,
                &[&a.logged_in.to_string(), &a.on_call.to_string(), &a.handled_today.to_string(), &aht],
            ),
            width,
        ),
        theme.style(Token::TitleFocused),
    )];
    for (i, r) in a.agents.iter().enumerate() {
        let (status, token) = match (&r.call, r.logged_in) {
            (Some(c), _) if c.state == CallState::Talking => {
                (lang.f(Text::AgentTalking, &[&mmss(c.seconds as f64)]), Token::StatusCall)
            }
            (Some(c), _) => (lang.f(Text::AgentRinging, &[&mmss(c.seconds as f64)]), Token::SlaWarning),
            (None, true) => (lang.t(Text::AgentReady).to_string(), Token::StatusOnline),
            (None, false) => (lang.t(Text::AgentAway).to_string(), Token::TextDim),
        };
        let stats = lang.f(
            Text::AgentStats,
            &[&r.handled_today.to_string(), &r.aht_seconds.map(mmss).unwrap_or_else(|| "—".into())],
        );
        let mut style = theme.style(Token::Text);
        if selected(state, Pane::WallAgents, i) {
            style = style.patch(theme.style(Token::Selection));
        }
        let name = format!("{} {}", clean(&r.username), r.extension.as_deref().unwrap_or(""));
        lines.push(Line::from(vec![
            Span::styled(fit(&name, 16), style),
            Span::styled(fit(&status, 18), style.patch(theme.style(token))),
            Span::styled(fit(&stats, width.saturating_sub(34)), style),
        ]));
    }
    lines
}

fn hotspots(state: &State, theme: &Theme, data: &Wallboard, width: usize) -> Vec<Line<'static>> {
    let lang = state.lang;
    data.hotspots
        .items
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let token = if h.last_hour >= 5 { Token::SlaBreached } else { Token::Text };
            let mut style = theme.style(token);
            if selected(state, Pane::WallHotspots, i) {
                style = style.patch(theme.style(Token::Selection));
            }
            let text = format!(
                "{:>4}  {} · {} ({})",
                h.count,
                category_name(lang, &h.category),
                clean(&h.neighbourhood),
                lang.f(Text::HotspotLastHour, &[&h.last_hour.to_string()])
            );
            Line::styled(fit(&text, width), style)
        })
        .collect()
}

fn escalations(state: &State, theme: &Theme, data: &Wallboard, width: usize) -> Vec<Line<'static>> {
    let lang = state.lang;
    let e = &data.escalations;
    let all = listed(data, Pane::WallEscalations);
    let mut lines = Vec::new();
    let mut i = 0;
    for (title, list) in [
        (lang.f(Text::EscBounced, &[&e.bounced.total.to_string()]), &e.bounced),
        (lang.f(Text::EscReopened, &[&e.reopened.total.to_string()]), &e.reopened),
        (
            lang.f(Text::EscRepeat, &[&e.repeat_contacts.total.to_string(), &e.min_contacts.to_string()]),
            &e.repeat_contacts,
        ),
    ] {
        lines.push(Line::styled(title, theme.style(Token::InputLabel)));
        for r in &list.items {
            let mut style = theme.style(Token::Text);
            if selected(state, Pane::WallEscalations, i) {
                style = style.patch(theme.style(Token::Selection));
            }
            let text = format!(
                "{} {} {} · {} · ☎{}",
                r.tracking_no,
                fit(&r.unit, 11),
                status_label(lang, r.status),
                category_name(lang, &r.category),
                r.contacts
            );
            lines.push(Line::styled(fit(&text, width), style));
            i += 1;
        }
    }
    debug_assert_eq!(i, all.len());
    lines
}
