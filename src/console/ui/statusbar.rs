//! The status line: user and role, online or offline, pending changes,
//! last sync, the call timer and the clock. Narrow terminals get the short
//! form of each segment; nothing required is ever dropped at 80 columns.

use chrono::{DateTime, FixedOffset};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::common::clean;
use crate::console::i18n::{Lang, Text};
use crate::console::state::{LinkStatus, State};
use crate::console::theme::{Theme, Token};
use crate::domain::status::Role;

struct Segment {
    long: String,
    short: String,
    /// For the narrowest terminals, so the clock is never cut.
    tiny: String,
    token: Token,
}

fn role_label(lang: Lang, role: Role, short: bool) -> &'static str {
    lang.t(match (role, short) {
        (Role::Agent, false) => Text::RoleAgent,
        (Role::UnitRep, false) => Text::RoleUnitRep,
        (Role::Lead, false) => Text::RoleLead,
        (Role::Admin, false) => Text::RoleAdmin,
        (Role::Agent, true) => Text::RoleAgentShort,
        (Role::UnitRep, true) => Text::RoleUnitRepShort,
        (Role::Lead, true) => Text::RoleLeadShort,
        (Role::Admin, true) => Text::RoleAdminShort,
    })
}

/// Display width in terminal cells.
fn w(s: &str) -> usize {
    Span::raw(s).width()
}

fn hhmm(t: DateTime<FixedOffset>) -> String {
    t.format("%H:%M").to_string()
}

/// `mm:ss`, or `h:mm:ss` past an hour.
pub fn duration(secs: i64) -> String {
    let secs = secs.max(0);
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 { format!("{h}:{m:02}:{s:02}") } else { format!("{m:02}:{s:02}") }
}

fn segments(state: &State) -> Vec<Segment> {
    let lang = state.lang;
    let mut out = Vec::new();
    match &state.session.user {
        Some(u) => {
            let name = clean(&u.username).into_owned();
            out.push(Segment {
                long: format!("{name} · {}", role_label(lang, u.role, false)),
                short: format!("{name} · {}", role_label(lang, u.role, true)),
                tiny: name,
                token: Token::StatusUser,
            });
        }
        None => {
            let t = lang.t(Text::NotLoggedIn).to_string();
            out.push(Segment { long: t.clone(), short: t.clone(), tiny: t, token: Token::StatusUser });
        }
    }
    let (mark, text, token) = match state.link.status {
        LinkStatus::Online => ("●", Text::Online, Token::StatusOnline),
        LinkStatus::Offline => ("○", Text::Offline, Token::StatusOffline),
        LinkStatus::Connecting => ("◌", Text::Connecting, Token::StatusConnecting),
    };
    let short = format!("{mark} {}", lang.t(text));
    let long = match (state.link.status, state.link.since) {
        (LinkStatus::Offline, Some(since)) => format!("{short} ({})", hhmm(since)),
        _ => short.clone(),
    };
    out.push(Segment { long, short: short.clone(), tiny: short, token });
    let pending = format!("{} {}", lang.t(Text::Pending), state.link.pending);
    let token = if state.link.pending > 0 { Token::StatusPending } else { Token::Statusbar };
    out.push(Segment { long: pending.clone(), short: pending.clone(), tiny: pending, token });
    if let Some((done, total)) = state.link.bootstrap {
        // The first load of a new console, instead of the last sync.
        let share = (done * 100).checked_div(total).unwrap_or(0).min(100);
        out.push(Segment {
            long: format!("{} %{share}", lang.t(Text::InitialLoad)),
            short: format!("{} %{share}", lang.t(Text::InitialLoad)),
            tiny: format!("⟳ %{share}"),
            token: Token::StatusPending,
        });
    } else {
        let sync = state.link.last_sync.map(hhmm).unwrap_or_else(|| lang.t(Text::Never).to_string());
        out.push(Segment {
            long: format!("{} {sync}", lang.t(Text::LastSync)),
            short: format!("{} {sync}", lang.t(Text::LastSyncShort)),
            tiny: format!("⟳ {sync}"),
            token: Token::Statusbar,
        });
    }
    let (timer, token) = match state.call_started {
        Some(start) => (duration((state.now - start).num_seconds()), Token::StatusCall),
        None => ("--:--".to_string(), Token::Statusbar),
    };
    let call = format!("{} {timer}", lang.t(Text::CallTimer));
    out.push(Segment { long: call.clone(), short: call, tiny: format!("☎ {timer}"), token });
    let clock = hhmm(state.now);
    out.push(Segment { long: clock.clone(), short: clock.clone(), tiny: clock, token: Token::StatusClock });
    out
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let segs = segments(state);
    // 0 long, 1 short, 2 tiny.
    let text = |s: &Segment, level: u8| -> String {
        match level {
            0 => s.long.clone(),
            1 => s.short.clone(),
            _ => s.tiny.clone(),
        }
    };
    // A space at each end, and `sep` between segments.
    let width = |level: u8, sep: &str| -> usize {
        segs.iter().map(|s| w(&text(s, level))).sum::<usize>() + w(sep) * (segs.len() - 1) + 2
    };
    let avail = area.width as usize;
    let (level, sep) = [(0, " │ "), (1, " │ "), (1, "  "), (2, "  ")]
        .into_iter()
        .find(|(l, sep)| width(*l, sep) <= avail)
        .unwrap_or((2, " "));
    let bar = theme.style(Token::Statusbar);
    let mut spans = vec![Span::styled(" ", bar)];
    let last = segs.len() - 1;
    let used: usize = segs[..last].iter().map(|s| w(&text(s, level)) + w(sep)).sum();
    for (i, s) in segs.iter().enumerate() {
        let text = text(s, level);
        let text = &text;
        if i == last {
            // The clock sits at the right edge.
            let pad = avail.saturating_sub(1 + used + w(text) + 1);
            spans.push(Span::styled(" ".repeat(pad), bar));
        }
        spans.push(Span::styled(text.clone(), bar.patch(theme.style(s.token))));
        spans.push(Span::styled(if i == last { " " } else { sep }, bar));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(bar), area);
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn call_timer_format() {
        assert_eq!(duration(0), "00:00");
        assert_eq!(duration(75), "01:15");
        assert_eq!(duration(3725), "1:02:05");
        assert_eq!(duration(-3), "00:00");
    }
}
