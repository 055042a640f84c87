//! Çağrı (agent): who is calling, what they asked before, the new request,
//! and what was reported nearby.

use chrono::{DateTime, FixedOffset, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::common::{clean, cut, empty_pane, pane_block, popup};
use crate::client::cache::Badge;
use crate::console::action::Action;
use crate::console::call::{self, Caller, FormError, FormField, NewCallerError, NewCallerField, NewCallerForm, Pick};
use crate::console::i18n::{Lang, Text};
use crate::console::input::LineInput;
use crate::console::nav::Pane;
use crate::console::state::{NoteForm, State};
use crate::console::theme::{Theme, Token};
use crate::domain::phone::Phone;
use crate::domain::reference::taxonomy;
use crate::domain::tckn::Tckn;
use crate::protocol::{Citizen, EventKind, Request};

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let [left, right] = Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area);
    let search_height = (left.height * 2 / 5).max(7);
    let [search, history] = Layout::vertical([Constraint::Length(search_height), Constraint::Fill(1)]).areas(left);
    let nearby_height = (right.height / 4).clamp(5, 12);
    let [form, nearby] = Layout::vertical([Constraint::Fill(1), Constraint::Length(nearby_height)]).areas(right);
    render_search(frame, search, state, theme);
    render_history(frame, history, state, theme);
    render_form(frame, form, state, theme);
    render_nearby(frame, nearby, state, theme);
}

/// The key bound to `action` where the user is, for hints.
fn key(state: &State, action: Action) -> String {
    key_in(state, state.focused_pane(), action)
}

/// The key bound to `action` in `pane` of the Call screen, focused or not.
fn key_in(state: &State, pane: Pane, action: Action) -> String {
    use crate::console::keymap::Context;
    let chain = [Context::Pane(pane), Context::Screen(pane.screen()), Context::Global];
    state.keymap.keys_for(&chain, action).map(|k| k.to_string()).unwrap_or_else(|| "—".into())
}

fn focused(state: &State, pane: Pane) -> bool {
    state.modal.is_none() && state.focused_pane() == pane
}

pub fn age(lang: Lang, now: DateTime<FixedOffset>, then: DateTime<Utc>) -> String {
    let mins = (now.with_timezone(&Utc) - then).num_minutes().max(0);
    let (key, n) = match mins {
        m if m < 60 => (Text::AgeMinutes, m),
        m if m < 24 * 60 => (Text::AgeHours, m / 60),
        m => (Text::AgeDays, m / (24 * 60)),
    };
    lang.f(key, &[&n.to_string()])
}

fn local(state: &State, t: DateTime<Utc>) -> String {
    t.with_timezone(state.now.offset()).format("%d.%m.%Y %H:%M").to_string()
}

fn masked_phone(c: &Citizen) -> String {
    c.phones.first().and_then(|p| Phone::parse(p).ok()).map(|p| p.masked()).unwrap_or_default()
}

fn masked_tckn(c: &Citizen) -> String {
    c.tckn.as_deref().and_then(|t| Tckn::parse(t).ok()).map(|t| t.masked()).unwrap_or_default()
}

fn place(c: &Citizen) -> String {
    c.address.as_ref().map(|a| format!("{}/{}", district_name(&a.district), a.neighbourhood)).unwrap_or_default()
}

fn district_name(code: &str) -> String {
    crate::domain::places::Gazetteer::shipped().district(code).map(|(_, n)| n.to_string()).unwrap_or(code.to_string())
}

pub fn status_label(lang: Lang, s: crate::domain::status::Status) -> &'static str {
    match lang {
        Lang::Tr => s.label_tr(),
        Lang::En => s.label_en(),
    }
}

pub fn category_name(lang: Lang, code: &str) -> String {
    taxonomy()
        .category(code)
        .map(|c| if lang == Lang::En { c.name_en.clone() } else { c.name_tr.clone() })
        .unwrap_or_else(|| code.to_string())
}

pub fn badge_span(lang: Lang, badge: &Badge, theme: &Theme) -> Span<'static> {
    let (text, token) = match badge {
        Badge::Sent => (lang.t(Text::BadgeSent).to_string(), Token::BadgeSent),
        Badge::NotSent => (lang.t(Text::BadgeNotSent).to_string(), Token::BadgeUnsent),
        Badge::Rejected { reason } => (lang.f(Text::BadgeRejected, &[&clean(reason)]), Token::BadgeRejected),
        Badge::Conflict { reason } => (lang.f(Text::BadgeConflict, &[&clean(reason)]), Token::BadgeConflict),
    };
    Span::styled(format!("[{text}]"), theme.style(token))
}

/// A one-line text field with its cursor when focused.
fn input_span(input: &LineInput, placeholder: &str, focused: bool, width: usize, theme: &Theme) -> Span<'static> {
    let mut style = theme.style(Token::Input);
    if focused {
        style = style.patch(theme.style(Token::InputFocused));
    }
    let text = if input.is_empty() && !focused { placeholder.to_string() } else { clean(input.text()).into_owned() };
    let pad = width.saturating_sub(text.chars().count());
    Span::styled(format!("{}{}", cut(&text, width), " ".repeat(pad)), style)
}

fn set_cursor(frame: &mut Frame, area: Rect, x: usize, row: u16) {
    let x = area.x + (x as u16).min(area.width.saturating_sub(1));
    frame.set_cursor_position((x, area.y + row));
}

// ------------------------------------------------------------ search

fn render_search(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let inner = pane_block(frame, area, state, theme, Pane::CallSearch).inner(Margin { horizontal: 1, vertical: 0 });
    if inner.height == 0 {
        return;
    }
    let c = &state.call;
    let has_focus = focused(state, Pane::CallSearch);
    let prompt = "› ";
    let line = Line::from(vec![
        Span::styled(prompt, theme.style(Token::InputLabel)),
        input_span(
            &c.search,
            state.lang.t(Text::SearchPrompt),
            has_focus,
            (inner.width as usize).saturating_sub(2),
            theme,
        ),
    ]);
    frame.render_widget(Paragraph::new(line), Rect { height: 1, ..inner });
    if has_focus {
        set_cursor(frame, inner, 2 + c.search.cursor(), 0);
    }
    let rest = Rect { y: inner.y + 1, height: inner.height - 1, ..inner };
    let mut lines = Vec::new();
    let width = rest.width as usize;
    if c.search.text().trim().chars().count() < call::MIN_QUERY_CHARS {
        lines.push(Line::styled(state.lang.t(Text::EmptyCallSearch), theme.style(Token::Empty)));
    } else if c.hits.is_empty() && c.hits_query == c.search.text().trim() {
        let text = state.lang.f(Text::NoHits, &[&key(state, Action::NewCaller), &key(state, Action::AnonymousCaller)]);
        lines.push(Line::styled(text, theme.style(Token::Empty)));
    } else if !c.hits.is_empty() {
        let count = state.lang.f(Text::HitsFromCache, &[&c.hits.len().to_string()]);
        lines.push(Line::styled(count, theme.style(Token::TextDim)));
        // Narrow panes give each hit two lines, so the place is never cut.
        let two_lines = width < 64;
        let per_hit = if two_lines { 2 } else { 1 };
        let visible = ((rest.height as usize).saturating_sub(1) / per_hit).max(1);
        let first = c.hit_sel.saturating_sub(visible - 1);
        for (i, hit) in c.hits.iter().enumerate().skip(first).take(visible) {
            let cz = &hit.citizen;
            let open = if hit.open_requests > 0 {
                format!(" ● {}", state.lang.f(Text::OpenCount, &[&hit.open_requests.to_string()]))
            } else {
                String::new()
            };
            let selected = i == c.hit_sel;
            let base = if selected && has_focus { theme.style(Token::Selection) } else { theme.style(Token::Text) };
            let who = format!("{}  {}", clean(&cz.full_name), masked_phone(cz));
            let place = format!("{}  {}", place(cz), masked_tckn(cz));
            let text = if two_lines { who } else { format!("{who}  {place}") };
            let room = width.saturating_sub(open.chars().count());
            let pad = room.saturating_sub(text.chars().count());
            lines.push(Line::from(vec![
                Span::styled(format!("{}{}", cut(&text, room), " ".repeat(pad)), base),
                Span::styled(open, base.patch(theme.style(Token::SlaWarning))),
            ]));
            if two_lines {
                lines.push(Line::styled(cut(&format!("  {place}"), width), base.patch(theme.style(Token::TextDim))));
            }
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), rest);
}

// ------------------------------------------------------------ history

fn render_history(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let c = &state.call;
    let citizen = match &c.caller.0 {
        Caller::None => return empty_pane(frame, area, state, theme, Pane::CallHistory),
        Caller::Anonymous => {
            let inner = pane_block(frame, area, state, theme, Pane::CallHistory).inner(Margin::new(1, 0));
            let text = state.lang.t(Text::AnonymousCaller);
            frame.render_widget(Paragraph::new(text).style(theme.style(Token::TitleFocused)), inner);
            return;
        }
        Caller::Known(cz) => cz,
    };
    let inner = pane_block(frame, area, state, theme, Pane::CallHistory).inner(Margin::new(1, 0));
    let width = inner.width as usize;
    let header = vec![
        Span::styled(clean(&citizen.full_name).into_owned(), theme.style(Token::TitleFocused)),
        Span::styled(format!("  {}  {}", masked_phone(citizen), masked_tckn(citizen)), theme.style(Token::Text)),
    ];
    let mut lines = vec![Line::from(header)];
    let mut second = Vec::new();
    if citizen.hide_identity {
        second.push(Span::styled(format!("[{}] ", state.lang.t(Text::IdentityHidden)), theme.style(Token::SlaWarning)));
    }
    if let Some(a) = &citizen.address {
        let street = [a.street.as_deref(), a.number.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" No ");
        let text = format!("{} / {} {}", district_name(&a.district), a.neighbourhood, street);
        let room = width.saturating_sub(second.iter().map(Span::width).sum());
        second.push(Span::styled(cut(&clean(&text), room), theme.style(Token::TextDim)));
    }
    if !second.is_empty() {
        lines.push(Line::from(second));
    }
    let has_focus = focused(state, Pane::CallHistory);
    if c.history.is_empty() {
        lines.push(Line::styled(state.lang.t(Text::NoHistory), theme.style(Token::Empty)));
    } else {
        let hint = state.lang.f(
            Text::HistoryHint,
            &[&key_in(state, Pane::CallHistory, Action::AddNote), &key_in(state, Pane::CallHistory, Action::AskUpdate)],
        );
        lines.push(Line::styled(cut(&hint, width), theme.style(Token::Hint)));
        let visible = (inner.height as usize).saturating_sub(lines.len()) / 2;
        let first = c.history_sel.saturating_sub(visible.saturating_sub(1));
        for (i, (r, badge)) in c.history.iter().enumerate().skip(first).take(visible.max(1)) {
            let selected = i == c.history_sel && has_focus;
            let open = r.status.is_open();
            let mut base = if open { theme.style(Token::Text) } else { theme.style(Token::TextDim) };
            if selected {
                base = base.patch(theme.style(Token::Selection));
            }
            let marker = if open { "● " } else { "  " };
            let head = format!(
                "{marker}{} {} · {} · {} · {}",
                r.tracking_no,
                status_label(state.lang, r.status),
                r.unit,
                category_name(state.lang, &r.category),
                age(state.lang, state.now, r.created_at),
            );
            let badge = badge_span(state.lang, badge, theme);
            let room = width.saturating_sub(badge.width() + 1);
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{} ", cut(&head, room)),
                    base.patch(if open { theme.style(Token::SlaWarning) } else { Style::default() }),
                ),
                badge,
            ]));
            let note = call::last_note(r).unwrap_or(&r.description);
            lines.push(Line::styled(format!("    {}", cut(&clean(note).replace('\n', " "), width - 4)), base));
        }
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

// ------------------------------------------------------------ form

fn field_label(state: &State, t: Text, width: usize, theme: &Theme) -> Span<'static> {
    Span::styled(format!("{:<width$}", state.lang.t(t)), theme.style(Token::InputLabel))
}

fn error_span(state: &State, e: Option<FormError>, theme: &Theme) -> Option<Span<'static>> {
    let text = match e? {
        FormError::Required => state.lang.t(Text::ErrRequired),
        FormError::NoCaller => state.lang.t(Text::ErrNoCaller),
        FormError::UnitReasonRequired => state.lang.t(Text::ErrUnitReason),
        FormError::AnswerOnlyForInfo => state.lang.t(Text::ErrAnswerOnlyInfo),
    };
    Some(Span::styled(format!(" {text}"), theme.style(Token::Error)))
}

fn choice_span(text: &str, focused: bool, theme: &Theme) -> Span<'static> {
    let style = if focused {
        theme.style(Token::Input).patch(theme.style(Token::InputFocused))
    } else {
        theme.style(Token::Input)
    };
    Span::styled(format!("‹{text}›"), style)
}

/// A picker: the chosen value, or what is being typed.
fn pick_span(pick: &Pick, focused: bool, width: usize, state: &State, theme: &Theme) -> Span<'static> {
    if pick.input.is_empty() && !focused || (pick.input.is_empty() && pick.chosen.is_some()) {
        let text =
            pick.chosen.as_ref().map(|c| c.label.clone()).unwrap_or_else(|| state.lang.t(Text::ChosenNone).into());
        let mut style = theme.style(Token::Input);
        if focused {
            style = style.patch(theme.style(Token::InputFocused));
        }
        let pad = width.saturating_sub(text.chars().count());
        return Span::styled(format!("{}{}", cut(&text, width), " ".repeat(pad)), style);
    }
    input_span(&pick.input, "", focused, width, theme)
}

fn render_form(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let c = &state.call;
    if let Some(filed) = &c.filed {
        return render_filed(frame, area, state, filed, theme);
    }
    if matches!(c.caller.0, Caller::None) && !c.form.has_content() {
        return empty_pane(frame, area, state, theme, Pane::CallForm);
    }
    let inner = pane_block(frame, area, state, theme, Pane::CallForm).inner(Margin::new(1, 0));
    let f = &c.form;
    let has_focus = focused(state, Pane::CallForm) && !c.busy;
    let at = |field: FormField| has_focus && f.field == field;
    let lw = 10usize;
    let width = inner.width as usize;
    let value_w = width.saturating_sub(lw);
    let lang = state.lang;
    let en = lang == Lang::En;
    let kind = if en { f.kind.label_en() } else { f.kind.label_tr() };
    let channel = if en { f.channel.label_en() } else { f.channel.label_tr() };
    let priority = f.effective_priority();
    let priority = if en { priority.label_en() } else { priority.label_tr() };

    // Rows above and below the description, to size it.
    let extra_rows = usize::from(f.kind == crate::domain::model::RequestType::Information)
        + usize::from(f.unit.chosen.is_some())
        + 1; // status or warning line
    let fixed = 1 + 1 + 1 + 1 + 1 + 1 + 1 + extra_rows;
    let desc_rows = (inner.height as usize).saturating_sub(fixed).clamp(1, 8) as u16;

    let mut y = inner.y;
    let mut row = |frame: &mut Frame, line: Line, h: u16| {
        if y < inner.bottom() {
            frame.render_widget(Paragraph::new(line), Rect { x: inner.x, y, width: inner.width, height: 1 });
        }
        let this = y;
        y += h;
        this
    };
    // Type and channel.
    let mut spans = vec![field_label(state, Text::FieldKind, lw, theme), choice_span(kind, at(FormField::Kind), theme)];
    spans.push(Span::styled(format!("  {} ", lang.t(Text::FieldChannel)), theme.style(Token::InputLabel)));
    spans.push(choice_span(channel, at(FormField::Channel), theme));
    row(frame, Line::from(spans), 1);
    // Description.
    let mut spans = vec![field_label(state, Text::FieldDescription, lw, theme)];
    spans.extend(error_span(state, f.error(FormField::Description), theme));
    let label_y = row(frame, Line::from(spans), 1);
    let desc_area = Rect { x: inner.x, y: label_y + 1, width: inner.width, height: desc_rows };
    if desc_area.bottom() <= inner.bottom() {
        let mut area = f.description.area().clone();
        let style = if at(FormField::Description) {
            theme.style(Token::Input).patch(theme.style(Token::InputFocused))
        } else {
            theme.style(Token::Input)
        };
        area.set_style(style);
        area.set_cursor_line_style(Style::default());
        area.set_cursor_style(if at(FormField::Description) {
            theme.style(Token::Selection)
        } else {
            Style::default()
        });
        frame.render_widget(&area, desc_area);
    }
    y = label_y + 1 + desc_rows;
    let mut row = |frame: &mut Frame, line: Line| {
        if y < inner.bottom() {
            frame.render_widget(Paragraph::new(line), Rect { x: inner.x, y, width: inner.width, height: 1 });
        }
        y += 1;
        y - 1
    };
    // Suggestions.
    let mut spans = vec![field_label(state, Text::Suggestions, lw, theme)];
    let actions = [Action::AcceptSuggestion1, Action::AcceptSuggestion2, Action::AcceptSuggestion3];
    for (s, a) in f.suggestions.iter().zip(actions) {
        spans.push(Span::styled(format!("{} ", key(state, a)), theme.style(Token::HintKey)));
        spans.push(Span::styled(format!("{}·{}  ", category_name(lang, &s.code), s.unit), theme.style(Token::Text)));
    }
    row(frame, Line::from(spans));
    // Category, with its routing.
    let routed = f.unit_code().unwrap_or_else(|| lang.t(Text::ChosenNone).to_string());
    let routed_text = if f.category.chosen.is_some() { format!(" → {routed}") } else { String::new() };
    let cat_w = value_w.saturating_sub(routed_text.chars().count());
    let mut spans = vec![
        field_label(state, Text::FieldCategory, lw, theme),
        pick_span(&f.category, at(FormField::Category), cat_w, state, theme),
    ];
    spans.push(Span::styled(routed_text, theme.style(Token::TitleFocused)));
    spans.extend(error_span(state, f.error(FormField::Category), theme));
    let cat_y = row(frame, Line::from(spans));
    // District and neighbourhood.
    let half = value_w / 2;
    let mut spans = vec![
        field_label(state, Text::FieldDistrict, lw, theme),
        pick_span(&f.district, at(FormField::District), half.saturating_sub(1), state, theme),
        Span::raw(" "),
        pick_span(&f.neighbourhood, at(FormField::Neighbourhood), value_w - half, state, theme),
    ];
    spans.extend(error_span(state, f.error(FormField::District), theme));
    let place_y = row(frame, Line::from(spans));
    let street_y = row(
        frame,
        Line::from(vec![
            field_label(state, Text::FieldStreet, lw, theme),
            input_span(&f.street, "", at(FormField::Street), value_w, theme),
        ]),
    );
    // Priority and unit.
    let unit_w = value_w.saturating_sub(priority.chars().count() + 4 + lang.t(Text::FieldUnit).chars().count());
    let unit_y = row(
        frame,
        Line::from(vec![
            field_label(state, Text::FieldPriority, lw, theme),
            choice_span(priority, at(FormField::Priority), theme),
            Span::styled(format!(" {} ", lang.t(Text::FieldUnit)), theme.style(Token::InputLabel)),
            if f.unit.chosen.is_none() && f.unit.input.is_empty() && !at(FormField::Unit) {
                Span::styled(lang.f(Text::FieldRouted, &[&routed]), theme.style(Token::TextDim))
            } else {
                pick_span(&f.unit, at(FormField::Unit), unit_w, state, theme)
            },
        ]),
    );
    let mut answer_y = None;
    if f.kind == crate::domain::model::RequestType::Information {
        answer_y = Some(row(
            frame,
            Line::from(vec![
                field_label(state, Text::FieldAnswer, lw, theme),
                input_span(&f.answer, lang.t(Text::AnswerClosesHint), at(FormField::Answer), value_w, theme),
            ]),
        ));
    }
    let mut reason_y = None;
    if f.unit.chosen.is_some() {
        let mut spans = vec![
            field_label(state, Text::FieldUnitReason, lw, theme),
            input_span(&f.unit_reason, "", at(FormField::UnitReason), value_w, theme),
        ];
        spans.extend(error_span(state, f.error(FormField::UnitReason), theme));
        reason_y = Some(row(frame, Line::from(spans)));
    }
    // The emergency warning outranks everything else on the last line.
    if f.category().is_some_and(|c| c.emergency) {
        let warn = format!(" ⚠ {} ", lang.t(Text::EmergencyWarning));
        row(
            frame,
            Line::styled(cut(&warn, width), theme.style(Token::SlaBreached).patch(theme.style(Token::Selection))),
        );
    } else if c.busy {
        row(frame, Line::styled(lang.t(Text::Saving), theme.style(Token::TextDim)));
    } else if let Some(e) = &c.error {
        row(frame, Line::styled(cut(&lang.f(Text::SaveFailed, &[&clean(e)]), width), theme.style(Token::Error)));
    }

    if !has_focus {
        return;
    }
    // The cursor, and the open picker's options below its field.
    let field_row = match f.field {
        FormField::Category => Some((cat_y, lw, &f.category.input)),
        FormField::District => Some((place_y, lw, &f.district.input)),
        FormField::Neighbourhood => Some((place_y, lw + half, &f.neighbourhood.input)),
        FormField::Street => Some((street_y, lw, &f.street)),
        FormField::Unit => {
            Some((unit_y, lw + priority.chars().count() + 4 + lang.t(Text::FieldUnit).chars().count(), &f.unit.input))
        }
        FormField::Answer => answer_y.map(|y| (y, lw, &f.answer)),
        FormField::UnitReason => reason_y.map(|y| (y, lw, &f.unit_reason)),
        _ => None,
    };
    if let Some((y, x, input)) = field_row {
        let chosen_shown = f.pick(f.field).is_some_and(|p| p.input.is_empty() && p.chosen.is_some());
        if !chosen_shown {
            set_cursor(frame, Rect { y: inner.y, ..inner }, x + input.cursor(), y - inner.y);
        }
        if let Some(pick) = f.pick(f.field).filter(|p| !p.options.is_empty()) {
            render_options(frame, inner, y + 1, x, pick, theme);
        }
    }
}

/// The open picker's list, drawn over the rows below its field.
fn render_options(frame: &mut Frame, inner: Rect, y: u16, x: usize, pick: &Pick, theme: &Theme) {
    let width = (inner.width as usize).saturating_sub(x).max(20).min(inner.width as usize) as u16;
    let x = inner.right().saturating_sub(width).min(inner.x + x as u16);
    let room = inner.bottom().saturating_sub(y);
    let (y, height) = if room as usize >= pick.options.len().min(4) {
        (y, (pick.options.len() as u16).min(room))
    } else {
        // Not enough room below: open upwards.
        let h = (pick.options.len() as u16).min(y.saturating_sub(inner.y + 1));
        (y - 1 - h, h)
    };
    let area = Rect { x, y, width, height };
    frame.render_widget(Clear, area);
    let lines: Vec<Line> = pick
        .options
        .iter()
        .enumerate()
        .take(height as usize)
        .map(|(i, o)| {
            let style = if i == pick.sel { theme.style(Token::Selection) } else { theme.style(Token::Popup) };
            let text = cut(&o.label, width as usize - 1);
            let pad = (width as usize).saturating_sub(text.chars().count() + 1);
            Line::styled(format!(" {text}{}", " ".repeat(pad)), style)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

fn render_filed(frame: &mut Frame, area: Rect, state: &State, filed: &call::Filed, theme: &Theme) {
    let inner = pane_block(frame, area, state, theme, Pane::CallForm).inner(Margin::new(1, 0));
    let lang = state.lang;
    let badge = state
        .call
        .history
        .iter()
        .find(|(r, _)| r.id == filed.request_id)
        .map(|(_, b)| b.clone())
        .unwrap_or(Badge::NotSent);
    // Letter-spaced in a reversed band, so it can be read out from a
    // distance without misreading.
    let spaced: String = filed.tracking_no.chars().map(|c| format!("{c} ")).collect();
    let band = theme.style(Token::Selection).patch(theme.style(Token::TitleFocused));
    let width = inner.width as usize;
    let centre = |s: &str| {
        let pad = width.saturating_sub(s.chars().count()) / 2;
        format!("{}{s}{}", " ".repeat(pad), " ".repeat(width.saturating_sub(pad + s.chars().count())))
    };
    let mut lines = vec![
        Line::raw(""),
        Line::styled(centre(lang.t(Text::TrackingTitle)), theme.style(Token::TitleFocused)),
        Line::styled(centre(""), band),
        Line::styled(centre(spaced.trim_end()), band),
        Line::styled(centre(""), band),
        Line::styled(centre(&filed.tracking_no), theme.style(Token::Text)),
        Line::raw(""),
    ];
    let status = status_label(lang, filed.status);
    let text = if filed.co_reported {
        lang.t(Text::CoReported).to_string()
    } else {
        lang.f(Text::FiledTo, &[&filed.unit, status])
    };
    lines.push(Line::from(vec![
        Span::styled(format!("{text} "), theme.style(Token::Text)),
        badge_span(lang, &badge, theme),
    ]));
    lines.push(Line::raw(""));
    lines.push(Line::styled(lang.f(Text::NextCallHint, &[&key(state, Action::CallNext)]), theme.style(Token::Hint)));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

// ------------------------------------------------------------ nearby

fn render_nearby(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let c = &state.call;
    if c.nearby_key.is_none() {
        return empty_pane(frame, area, state, theme, Pane::CallNearby);
    }
    let inner = pane_block(frame, area, state, theme, Pane::CallNearby).inner(Margin::new(1, 0));
    let width = inner.width as usize;
    let mut lines = Vec::new();
    if c.nearby.is_empty() {
        lines.push(Line::styled(state.lang.t(Text::NearbyNone), theme.style(Token::Empty)));
    } else {
        let hint = state.lang.f(Text::NearbyHint, &[&key_in(state, Pane::CallNearby, Action::CoReport)]);
        lines.push(Line::styled(cut(&hint, width), theme.style(Token::Hint)));
        let has_focus = focused(state, Pane::CallNearby);
        let visible = (inner.height as usize).saturating_sub(1).max(1);
        let first = c.nearby_sel.saturating_sub(visible - 1);
        for (i, (r, _)) in c.nearby.iter().enumerate().skip(first).take(visible) {
            let base =
                if i == c.nearby_sel && has_focus { theme.style(Token::Selection) } else { theme.style(Token::Text) };
            let reporters = if r.co_reporters.is_empty() {
                String::new()
            } else {
                format!(" {}", state.lang.f(Text::CoReporters, &[&r.co_reporters.len().to_string()]))
            };
            let text = format!(
                "{} {} {}{} · {}",
                r.tracking_no,
                age(state.lang, state.now, r.created_at),
                status_label(state.lang, r.status),
                reporters,
                clean(&r.description).replace('\n', " ")
            );
            lines.push(Line::styled(cut(&text, width), base));
        }
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

// ------------------------------------------------------------ modals

pub fn render_new_caller(frame: &mut Frame, area: Rect, state: &State, form: &NewCallerForm, theme: &Theme) {
    let lang = state.lang;
    let inner = popup(frame, area, 64, 12, lang.t(Text::NewCallerTitle), theme).inner(Margin::new(1, 0));
    let lw = 18;
    let vw = (inner.width as usize).saturating_sub(lw);
    let mut lines = Vec::new();
    let fields = [
        (NewCallerField::Name, Text::NcName, &form.name),
        (NewCallerField::Phone, Text::NcPhone, &form.phone),
        (NewCallerField::Tckn, Text::NcTckn, &form.tckn),
    ];
    let mut cursor = None;
    for (field, label, input) in fields {
        let at = form.field == field && !form.busy;
        if at {
            cursor = Some((lw + input.cursor(), lines.len() as u16));
        }
        lines.push(Line::from(vec![field_label(state, label, lw, theme), input_span(input, "", at, vw, theme)]));
        let error = form.error(field).map(|e| match e {
            NewCallerError::NameRequired => lang.t(Text::ErrNameRequired).to_string(),
            NewCallerError::Phone(r) => lang.f(Text::ErrPhone, &[r]),
            NewCallerError::Tckn(r) => lang.f(Text::ErrTckn, &[r]),
            NewCallerError::Save(r) => lang.f(Text::SaveFailed, &[&clean(r)]),
        });
        lines.push(match error {
            Some(e) => Line::styled(format!("{}{}", " ".repeat(lw), cut(&e, vw)), theme.style(Token::Error)),
            None => Line::raw(""),
        });
    }
    let at = form.field == NewCallerField::HideIdentity;
    let mark = if form.hide_identity { "[x]" } else { "[ ]" };
    lines.push(Line::from(vec![field_label(state, Text::NcHide, lw, theme), choice_span(mark, at, theme)]));
    lines.push(Line::raw(""));
    let hint = if form.busy { lang.t(Text::Saving) } else { lang.t(Text::NcHint) };
    lines.push(Line::styled(hint, theme.style(Token::TextDim)));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    if let Some((x, y)) = cursor {
        set_cursor(frame, inner, x, y);
    }
}

pub fn render_note(frame: &mut Frame, area: Rect, state: &State, form: &NoteForm, theme: &Theme) {
    let lang = state.lang;
    let inner = popup(frame, area, 70, 7, lang.t(Text::NoteTitle), theme).inner(Margin::new(1, 0));
    let w = inner.width as usize;
    let mut lines = vec![
        Line::styled(
            lang.f(if form.reopen { Text::ReopenFor } else { Text::NoteFor }, &[&form.tracking_no]),
            theme.style(Token::TextDim),
        ),
        Line::from(input_span(&form.text, "", !form.busy, w, theme)),
    ];
    if let Some(e) = &form.error {
        lines.push(Line::styled(clean(e).into_owned(), theme.style(Token::Error)));
    } else if form.busy {
        lines.push(Line::styled(lang.t(Text::Saving), theme.style(Token::TextDim)));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    if !form.busy {
        set_cursor(frame, inner, form.text.cursor(), 1);
    }
}

fn event_label(kind: EventKind) -> Text {
    match kind {
        EventKind::Created => Text::EvCreated,
        EventKind::Forwarded => Text::EvForwarded,
        EventKind::Accepted => Text::EvAccepted,
        EventKind::Assigned => Text::EvAssigned,
        EventKind::Note => Text::EvNote,
        EventKind::StatusChanged => Text::EvStatusChanged,
        EventKind::Rerouted => Text::EvRerouted,
        EventKind::Resolved => Text::EvResolved,
        EventKind::CitizenInformed => Text::EvInformed,
        EventKind::Reopened => Text::EvReopened,
        EventKind::Contact => Text::EvContact,
        EventKind::CoReporter => Text::EvCoReporter,
        EventKind::Escalated => Text::EvEscalated,
    }
}

/// A request's timeline lines, oldest first.
pub fn timeline_lines(state: &State, r: &Request, theme: &Theme) -> Vec<Line<'static>> {
    let lang = state.lang;
    r.timeline
        .iter()
        .map(|e| {
            let mut spans = vec![
                Span::styled(format!("{} ", local(state, e.at)), theme.style(Token::TextDim)),
                Span::styled(format!("{} ", clean(&e.actor)), theme.style(Token::InputLabel)),
                Span::styled(lang.t(event_label(e.kind)).to_string(), theme.style(Token::Text)),
            ];
            if let Some(u) = &e.unit {
                spans.push(Span::styled(format!(" → {u}"), theme.style(Token::Text)));
            }
            if e.internal {
                spans.push(Span::styled(format!(" [{}]", lang.t(Text::Internal)), theme.style(Token::TextDim)));
            }
            if let Some(t) = &e.text {
                spans.push(Span::styled(format!(": {}", clean(t).replace('\n', " ")), theme.style(Token::Text)));
            }
            Line::from(spans)
        })
        .collect()
}

fn request_heading(state: &State, r: &Request) -> String {
    state.lang.f(Text::UpdateStatus, &[&r.tracking_no, status_label(state.lang, r.status), &r.unit])
}

pub fn render_timeline(frame: &mut Frame, area: Rect, state: &State, r: &Request, theme: &Theme) {
    let height = (r.timeline.len() as u16 + 6).min(area.height.saturating_sub(2));
    let inner =
        popup(frame, area, area.width.saturating_sub(8).min(110), height, state.lang.t(Text::TimelineTitle), theme)
            .inner(Margin::new(1, 0));
    let mut lines = vec![
        Line::styled(request_heading(state, r), theme.style(Token::TitleFocused)),
        Line::styled(
            format!("{} · {}", category_name(state.lang, &r.category), clean(&r.description).replace('\n', " ")),
            theme.style(Token::Text),
        ),
        Line::raw(""),
    ];
    lines.extend(timeline_lines(state, r, theme));
    lines.push(Line::styled(state.lang.t(Text::CloseHint), theme.style(Token::TextDim)));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

pub fn render_update(frame: &mut Frame, area: Rect, state: &State, r: &Request, theme: &Theme) {
    let lang = state.lang;
    let inner = popup(frame, area, 76, 12, lang.t(Text::UpdateTitle), theme).inner(Margin::new(1, 0));
    let mut lines = vec![Line::styled(request_heading(state, r), theme.style(Token::TitleFocused)), Line::raw("")];
    match call::last_answer(r) {
        Some((at, text)) => {
            lines.push(Line::styled(
                lang.f(Text::UpdateLastAnswer, &[&local(state, at)]),
                theme.style(Token::InputLabel),
            ));
            lines.push(Line::styled(clean(text).into_owned(), theme.style(Token::Text)));
        }
        None => lines.push(Line::styled(
            lang.f(Text::UpdateNoAnswer, &[&local(state, r.created_at), &local(state, r.sla_due_at)]),
            theme.style(Token::Text),
        )),
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(lang.f(Text::UpdateLogged, &[&r.contacts.to_string()]), theme.style(Token::TextDim)));
    lines.push(Line::styled(lang.t(Text::CloseHint), theme.style(Token::TextDim)));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
