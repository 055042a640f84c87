//! Kuyruk (unit representative): the unit's queue, the selected request and
//! its timeline; the action form with its preview.

use chrono::Utc;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::call::{age, badge_span, category_name, status_label, timeline_lines};
use super::common::{clean, empty_pane, fit, pane_block, popup};
use crate::client::cache::Badge;
use crate::console::action::Action;
use crate::console::i18n::{Lang, Text};
use crate::console::keymap::Context;
use crate::console::nav::{ModalKind, Pane, Screen};
use crate::console::queue::{ActError, ActForm, ActKind, QueueRow, SortKey, StatusFilter, WARN_MINUTES, minutes_left};
use crate::console::state::State;
use crate::console::theme::{Theme, Token};
use crate::domain::phone::Phone;
use crate::domain::places::Gazetteer;

fn key_in(state: &State, chain: &[Context], action: Action) -> String {
    state.keymap.keys_for(chain, action).map(|k| k.to_string()).unwrap_or_else(|| "—".into())
}

/// "3 sa 20 dk" of working time.
pub fn duration(lang: Lang, minutes: i64) -> String {
    let m = minutes.abs();
    if m >= 9 * 60 * 2 {
        // Beyond two working days, days read better (9-hour working days).
        return lang.f(Text::AgeDays, &[&(m / (9 * 60)).to_string()]);
    }
    lang.f(Text::DurHM, &[&(m / 60).to_string(), &(m % 60).to_string()])
}

fn sla_cell(state: &State, row: &QueueRow) -> (String, Token) {
    let left = minutes_left(&row.request, state.now.with_timezone(&Utc));
    let text = if left < 0 { format!("-{}", duration(state.lang, left)) } else { duration(state.lang, left) };
    let token = if left < 0 {
        Token::SlaBreached
    } else if left < WARN_MINUTES {
        Token::SlaWarning
    } else {
        Token::SlaOk
    };
    (text, token)
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    // Wide screens put the request beside the list; others below it, so the
    // list keeps every column.
    let (list, detail, timeline) = if area.width >= 160 {
        let [list, right] = Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)]).areas(area);
        let [detail, timeline] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(right);
        (list, detail, timeline)
    } else {
        let below = (area.height * 2 / 5).max(8);
        let [list, bottom] = Layout::vertical([Constraint::Fill(1), Constraint::Length(below)]).areas(area);
        let [detail, timeline] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(bottom);
        (list, detail, timeline)
    };
    render_list(frame, list, state, theme);
    render_detail(frame, detail, state, theme);
    render_timeline(frame, timeline, state, theme);
}

fn render_list(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let q = &state.queue;
    let lang = state.lang;
    let inner = pane_block(frame, area, state, theme, Pane::QueueList).inner(Margin::new(1, 0));
    let width = inner.width as usize;
    let unit = match q.unit.and_then(|i| q.units.get(i)) {
        Some(u) => u.clone(),
        None if q.units.len() == 1 => q.units[0].clone(),
        None => lang.t(Text::QueueAllUnits).to_string(),
    };
    let sort = lang.t(match q.sort {
        SortKey::Due => Text::SortDue,
        SortKey::Age => Text::SortAge,
        SortKey::Priority => Text::SortPriority,
        SortKey::Neighbourhood => Text::SortNeighbourhood,
    });
    let status = match q.status {
        StatusFilter::AllOpen => lang.t(Text::StatusAllOpen),
        StatusFilter::Only(s) => status_label(lang, s),
    };
    let open = q.rows.iter().filter(|r| r.request.status.is_open()).count();
    let mut summary =
        lang.f(Text::QueueSummary, &[&unit, &q.visible.len().to_string(), &open.to_string(), sort, status]);
    if q.overdue_only {
        summary.push_str(&format!(" · {}", lang.t(Text::OverdueOnly)));
    }
    if !q.marked.is_empty() {
        summary.push_str(&format!(" · {}", lang.f(Text::QueueMarked, &[&q.marked.len().to_string()])));
    }
    let mut lines = vec![Line::styled(fit(&summary, width), theme.style(Token::TitleFocused))];
    // The filter line: typing, or what filters.
    let filter_style = if q.filtering {
        theme.style(Token::Input).patch(theme.style(Token::InputFocused))
    } else {
        theme.style(Token::Input)
    };
    let filter = if q.filter.is_empty() && !q.filtering {
        lang.t(Text::FilterPrompt).to_string()
    } else {
        q.filter.text().to_string()
    };
    lines.push(Line::from(vec![
        Span::styled("/ ", theme.style(Token::InputLabel)),
        Span::styled(fit(&clean(&filter), width.saturating_sub(2)), filter_style),
    ]));
    if q.filtering {
        frame.set_cursor_position((inner.x + 2 + q.filter.cursor() as u16, inner.y + 1));
    }
    if let Some(e) = &q.error {
        lines.push(Line::styled(clean(e).into_owned(), theme.style(Token::Error)));
    }
    if q.visible.is_empty() {
        let text = if q.loading && !q.loaded { lang.t(Text::Loading) } else { lang.t(Text::EmptyQueueList) };
        lines.push(Line::styled(text, theme.style(Token::Empty)));
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
        return;
    }
    // Columns: mark, tracking, SLA, age, status, neighbourhood, category,
    // assignee, calls; the flexible ones share what is left.
    let fixed = 2 + 11 + 12 + 6 + 14 + 4;
    let flex = width.saturating_sub(fixed);
    let (place_w, cat_w, who_w) = if flex >= 48 { (14, flex - 26, 12) } else { (flex * 2 / 5, flex - flex * 2 / 5, 0) };
    let mut header = format!(
        "  {}{}{}{}{}{}",
        fit(lang.t(Text::ColTracking), 11),
        fit(lang.t(Text::ColSla), 12),
        fit(lang.t(Text::ColAge), 6),
        fit(lang.t(Text::ColStatus), 14),
        fit(lang.t(Text::ColPlace), place_w),
        fit(lang.t(Text::ColCategory), cat_w),
    );
    if who_w > 0 {
        header.push_str(&fit(lang.t(Text::ColAssignee), who_w));
    }
    header.push_str(&fit(lang.t(Text::ColCalls), 4));
    lines.push(Line::styled(header, theme.style(Token::InputLabel)));
    let has_focus = state.modal.is_none() && state.focused_pane() == Pane::QueueList;
    let room = (inner.height as usize).saturating_sub(lines.len()).max(1);
    let first = q.sel.saturating_sub(room - 1);
    for (i, &idx) in q.visible.iter().enumerate().skip(first).take(room) {
        let row = &q.rows[idx];
        let r = &row.request;
        let selected = i == q.sel;
        let base = if selected && has_focus { theme.style(Token::Selection) } else { theme.style(Token::Text) };
        let mark = if q.marked.contains(&r.id) { "▶ " } else { "  " };
        let (sla, sla_token) = sla_cell(state, row);
        let calls = if r.contacts > 0 { format!("☎{}", r.contacts) } else { String::new() };
        let mut spans = vec![
            Span::styled(mark, base.patch(theme.style(Token::TitleFocused))),
            Span::styled(fit(&r.tracking_no, 11), base),
            Span::styled(fit(&sla, 12), base.patch(theme.style(sla_token))),
            Span::styled(fit(&age(lang, state.now, r.created_at), 6), base),
            Span::styled(fit(status_label(lang, r.status), 14), base),
            Span::styled(
                fit(&clean(r.location.as_ref().and_then(|l| l.neighbourhood.as_deref()).unwrap_or("")), place_w),
                base,
            ),
            Span::styled(fit(&category_name(lang, &r.category), cat_w), base),
        ];
        if who_w > 0 {
            spans.push(Span::styled(fit(&clean(r.assigned_to.as_deref().unwrap_or("")), who_w), base));
        }
        spans.push(Span::styled(fit(&calls, 4), base.patch(theme.style(Token::SlaWarning))));
        if row.badge != Badge::Sent {
            spans.push(badge_span(lang, &row.badge, theme));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn render_detail(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let Some(d) = &state.queue.detail else { return empty_pane(frame, area, state, theme, Pane::QueueDetail) };
    let lang = state.lang;
    let inner = pane_block(frame, area, state, theme, Pane::QueueDetail).inner(Margin::new(1, 0));
    let r = &d.request;
    let local = |t: chrono::DateTime<Utc>| t.with_timezone(state.now.offset()).format("%d.%m.%Y %H:%M").to_string();
    let left = minutes_left(r, state.now.with_timezone(&Utc));
    let remaining = if r.paused_at.is_some() {
        lang.t(Text::SlaPaused).to_string()
    } else if left < 0 {
        lang.f(Text::SlaOver, &[&duration(lang, left)])
    } else {
        lang.f(Text::SlaLeft, &[&duration(lang, left)])
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("{} ", r.tracking_no), theme.style(Token::TitleFocused)),
            Span::styled(format!("{} · {} ", status_label(lang, r.status), r.unit), theme.style(Token::Text)),
            badge_span(lang, &d.badge, theme),
        ]),
        Line::styled(
            format!(
                "{} · {} · {}",
                category_name(lang, &r.category),
                if lang == Lang::En { r.kind.label_en() } else { r.kind.label_tr() },
                if lang == Lang::En { r.priority.label_en() } else { r.priority.label_tr() }
            ),
            theme.style(Token::Text),
        ),
        Line::styled(lang.f(Text::DetailDue, &[&local(r.sla_due_at), &remaining]), theme.style(Token::TextDim)),
    ];
    if let Some(l) = &r.location {
        let district =
            Gazetteer::shipped().district(&l.district).map(|(_, n)| n.to_string()).unwrap_or(l.district.clone());
        let place = [Some(district), l.neighbourhood.clone(), l.address.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" / ");
        lines.push(Line::styled(lang.f(Text::DetailLocation, &[&clean(&place)]), theme.style(Token::Text)));
    }
    lines.push(match &d.citizen {
        Some(c) => {
            let phone = c.phones.first().and_then(|p| Phone::parse(p).ok()).map(|p| p.masked()).unwrap_or_default();
            let who = if c.hide_identity {
                format!("[{}] {phone}", lang.t(Text::IdentityHidden))
            } else {
                format!("{} {phone}", clean(&c.full_name))
            };
            Line::styled(lang.f(Text::DetailCitizen, &[&who]), theme.style(Token::Text))
        }
        // A citizen this console's cache does not hold (a unit's console
        // loads requests, not the citizen register).
        None if r.citizen_id.is_some() => {
            Line::styled(lang.t(Text::DetailCitizenElsewhere), theme.style(Token::TextDim))
        }
        None => Line::styled(lang.t(Text::DetailAnonymous), theme.style(Token::TextDim)),
    });
    if !r.co_reporters.is_empty() {
        lines.push(Line::styled(
            lang.f(Text::DetailCoReporters, &[&r.co_reporters.len().to_string()]),
            theme.style(Token::Text),
        ));
    }
    if let Some(of) = r.duplicate_of {
        let original = state
            .queue
            .rows
            .iter()
            .find(|x| x.request.id == of)
            .map(|x| x.request.tracking_no.clone())
            .unwrap_or(of.to_string());
        lines.push(Line::styled(lang.f(Text::DetailDuplicateOf, &[&original]), theme.style(Token::Text)));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(clean(&r.description).into_owned(), theme.style(Token::Text)));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn render_timeline(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let Some(d) = &state.queue.detail else { return empty_pane(frame, area, state, theme, Pane::QueueTimeline) };
    let inner = pane_block(frame, area, state, theme, Pane::QueueTimeline).inner(Margin::new(1, 0));
    let lines = timeline_lines(state, &d.request, theme);
    // The newest events matter most: keep the end in view.
    let skip = lines.len().saturating_sub(inner.height as usize);
    frame.render_widget(
        Paragraph::new(lines.into_iter().skip(skip).collect::<Vec<_>>()).wrap(Wrap { trim: false }),
        inner,
    );
}

fn kind_title(kind: ActKind) -> Text {
    match kind {
        ActKind::Accept => Text::ActReqAccept,
        ActKind::Assign => Text::ActReqAssign,
        ActKind::Note => Text::ActReqNote,
        ActKind::Wait => Text::ActReqWait,
        ActKind::Resume => Text::ActReqResume,
        ActKind::Reroute => Text::ActReqReroute,
        ActKind::OutOfRemit => Text::ActReqOutOfRemit,
        ActKind::Duplicate => Text::ActReqDuplicate,
        ActKind::Resolve => Text::ActReqResolve,
        ActKind::Reopen => Text::EvReopened,
    }
}

fn text_label(kind: ActKind) -> Text {
    match kind {
        ActKind::Resolve => Text::LblReply,
        ActKind::Note => Text::LblNote,
        ActKind::Assign => Text::LblAssignee,
        ActKind::OutOfRemit => Text::LblMessage,
        ActKind::Duplicate => Text::LblOriginal,
        _ => Text::LblReason,
    }
}

pub fn render_act(frame: &mut Frame, area: Rect, state: &State, form: &ActForm, theme: &Theme) {
    let lang = state.lang;
    let height = (form.targets.len() as u16 + 12).min(area.height.saturating_sub(2)).max(12);
    let inner = popup(frame, area, area.width.saturating_sub(6).min(100), height, lang.t(kind_title(form.kind)), theme)
        .inner(Margin::new(1, 0));
    let width = inner.width as usize;
    let chain = [Context::Modal(ModalKind::Act), Context::Screen(Screen::Queue), Context::Global];
    let lw = 24;
    let mut lines = Vec::new();
    let mut cursor = None;
    if form.kind.needs_unit() {
        let label = if form.kind == ActKind::OutOfRemit { Text::LblBody } else { Text::LblUnit };
        let shown = if form.unit.input.is_empty() {
            form.unit.chosen.as_ref().map(|c| c.label.clone()).unwrap_or_default()
        } else {
            form.unit.input.text().to_string()
        };
        let style = if form.on_unit { theme.style(Token::InputFocused) } else { theme.style(Token::Input) };
        if form.on_unit {
            cursor = Some((lw + form.unit.input.cursor(), lines.len()));
        }
        lines.push(Line::from(vec![
            Span::styled(fit(lang.t(label), lw), theme.style(Token::InputLabel)),
            Span::styled(fit(&clean(&shown), width.saturating_sub(lw)), theme.style(Token::Input).patch(style)),
        ]));
        if form.on_unit {
            for (i, o) in form.unit.options.iter().enumerate().take(6) {
                let style = if i == form.unit.sel { theme.style(Token::Selection) } else { theme.style(Token::Popup) };
                lines.push(Line::styled(
                    format!("{}{}", " ".repeat(lw), fit(&o.label, width.saturating_sub(lw))),
                    style,
                ));
            }
        }
    }
    if form.kind.needs_text() {
        let style = if form.on_unit { theme.style(Token::Input) } else { theme.style(Token::InputFocused) };
        if !form.on_unit {
            cursor = Some((lw + form.text.cursor().min(width.saturating_sub(lw + 1)), lines.len()));
        }
        lines.push(Line::from(vec![
            Span::styled(fit(lang.t(text_label(form.kind)), lw), theme.style(Token::InputLabel)),
            Span::styled(
                fit(&clean(form.text.text()), width.saturating_sub(lw)),
                theme.style(Token::Input).patch(style),
            ),
        ]));
        // What the (first) citizen will read, placeholders filled, wrapped.
        let preview = form.preview(state.now).unwrap_or_default();
        if preview.chars().count() > width.saturating_sub(lw) || preview != form.text.text().trim() {
            let chars: Vec<char> = clean(&preview).chars().collect();
            for chunk in chars.chunks(width.saturating_sub(2).max(10)).take(6) {
                lines
                    .push(Line::styled(format!("  {}", chunk.iter().collect::<String>()), theme.style(Token::TextDim)));
            }
        }
    }
    if form.kind == ActKind::Note {
        let toggle = key_in(state, &chain, Action::Toggle);
        let text =
            if form.internal { lang.f(Text::ActInternal, &[&toggle]) } else { lang.f(Text::ActPublic, &[&toggle]) };
        lines.push(Line::styled(text, theme.style(Token::TextDim)));
    }
    if let Some(e) = &form.error {
        let text = lang.t(match e {
            ActError::TextRequired => Text::ActErrText,
            ActError::UnitRequired => Text::ActErrUnit,
            ActError::NoneApplicable => Text::ActErrNone,
            ActError::UnknownOriginal => Text::ActErrOriginal,
            ActError::NoTemplate => Text::ActErrTemplate,
        });
        lines.push(Line::styled(text, theme.style(Token::Error)));
    } else if form.busy {
        lines.push(Line::styled(lang.t(Text::Saving), theme.style(Token::TextDim)));
    }
    lines.push(Line::raw(""));
    let applicable = form.targets.iter().filter(|t| t.to.is_some()).count();
    lines.push(Line::styled(lang.f(Text::ActPreview, &[&applicable.to_string()]), theme.style(Token::TitleFocused)));
    let room = (inner.height as usize).saturating_sub(lines.len() + 1);
    for t in form.targets.iter().take(room.saturating_sub(1).max(1)) {
        let change = match t.to {
            Some(to) if to == t.from => status_label(lang, to).to_string(),
            Some(to) => format!("{} → {}", status_label(lang, t.from), status_label(lang, to)),
            None => format!("{} ({})", status_label(lang, t.from), lang.t(Text::ActNotApplicable)),
        };
        let style = if t.to.is_some() { theme.style(Token::Text) } else { theme.style(Token::TextDim) };
        lines.push(Line::styled(
            fit(
                &format!("  {}  {}  {} · {}", t.tracking_no, change, t.neighbourhood, category_name(lang, &t.category)),
                width,
            ),
            style,
        ));
    }
    if form.targets.len() > room.saturating_sub(1).max(1) {
        let more = form.targets.len() - room.saturating_sub(1).max(1);
        lines.push(Line::styled(lang.f(Text::ActMore, &[&more.to_string()]), theme.style(Token::TextDim)));
    }
    let hint = lang.f(Text::ActHint, &[&key_in(state, &chain, Action::InsertTemplate)]);
    lines.push(Line::styled(hint, theme.style(Token::Hint)));
    frame.render_widget(Paragraph::new(lines), inner);
    if let Some((x, y)) = cursor
        && !form.busy
    {
        frame.set_cursor_position((inner.x + x as u16, inner.y + y as u16));
    }
}
