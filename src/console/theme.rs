//! Themes: semantic roles (`ui.selection`, `queue.sla.breached`) mapped to
//! styles, with a palette of named colours and `inherits`. Widgets ask for a
//! [`Token`]; they never pick colours.
//!
//! Resolution: a theme's role table is its parent's with its own entries
//! replacing whole roles; palette names are looked up in the merged palette;
//! then each role's style is its parent role's style (`a.b.c` → `a.b` →
//! `a`) patched with its own entry.

use std::collections::HashMap;
use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use toml::de::DeValue;

use super::diag::{self, Problem, Source};

pub const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("high-contrast", include_str!("../../themes/high-contrast.toml")),
    ("mono", include_str!("../../themes/mono.toml")),
];

macro_rules! tokens {
    ($($variant:ident = $name:literal),* $(,)?) => {
        /// A semantic role a widget can be drawn in.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Token { $($variant),* }

        impl Token {
            pub const ALL: &'static [Token] = &[$(Token::$variant),*];

            pub fn name(self) -> &'static str {
                match self { $(Token::$variant => $name),* }
            }
        }
    };
}

tokens! {
    Ui = "ui",
    Text = "ui.text",
    TextDim = "ui.text.dim",
    Border = "ui.border",
    BorderFocused = "ui.border.focused",
    Title = "ui.title",
    TitleFocused = "ui.title.focused",
    Tabs = "ui.tabs",
    TabActive = "ui.tabs.active",
    TabKey = "ui.tabs.key",
    Banner = "ui.banner",
    Selection = "ui.selection",
    Statusbar = "ui.statusbar",
    StatusUser = "ui.statusbar.user",
    StatusOnline = "ui.statusbar.online",
    StatusOffline = "ui.statusbar.offline",
    StatusConnecting = "ui.statusbar.connecting",
    StatusPending = "ui.statusbar.pending",
    StatusCall = "ui.statusbar.call",
    StatusClock = "ui.statusbar.clock",
    Hint = "ui.hint",
    HintKey = "ui.hint.key",
    Notice = "ui.notice",
    NoticeError = "ui.notice.error",
    Empty = "ui.empty",
    Popup = "ui.popup",
    PopupBorder = "ui.popup.border",
    PopupTitle = "ui.popup.title",
    Input = "ui.input",
    InputFocused = "ui.input.focused",
    InputLabel = "ui.input.label",
    Gauge = "ui.gauge",
    Error = "ui.error",
    SlaOk = "queue.sla.ok",
    SlaWarning = "queue.sla.warning",
    SlaBreached = "queue.sla.breached",
    PriorityUrgent = "queue.priority.urgent",
    PriorityHigh = "queue.priority.high",
    PriorityNormal = "queue.priority.normal",
    PriorityLow = "queue.priority.low",
    BadgeUnsent = "request.badge.unsent",
    BadgeSent = "request.badge.sent",
    BadgeRejected = "request.badge.rejected",
    BadgeConflict = "request.badge.conflict",
}

/// A role's own entry, before palette lookup and parent cascade.
#[derive(Debug, Clone, Default, PartialEq)]
struct RawStyle {
    fg: Option<String>,
    bg: Option<String>,
    modifiers: Modifier,
}

#[derive(Debug, Clone, Default)]
struct RawTheme {
    palette: HashMap<String, String>,
    roles: HashMap<String, RawStyle>,
}

/// A resolved theme: one style per token.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    styles: HashMap<Token, Style>,
}

impl Theme {
    pub fn style(&self, token: Token) -> Style {
        self.styles.get(&token).copied().unwrap_or_default()
    }

    /// The built-in colourless theme; cannot fail.
    pub fn mono() -> Theme {
        Theme::load("mono", None, false).0
    }

    /// Loads theme `name`, looking in `user_dir` (the config dir's `themes/`)
    /// before the built-ins. On any problem the result is still a usable
    /// theme (falling back to `default`), and the problems say why.
    pub fn load(name: &str, user_dir: Option<&Path>, truecolor: bool) -> (Theme, Vec<Problem>) {
        let mut problems = Vec::new();
        let raw = match load_raw(name, user_dir, &mut Vec::new(), &mut problems) {
            Some(raw) => raw,
            None => load_raw("default", None, &mut Vec::new(), &mut problems).unwrap_or_default(),
        };
        let theme = resolve(name, &raw, truecolor, &mut problems);
        (theme, problems)
    }
}

fn load_raw(
    name: &str,
    user_dir: Option<&Path>,
    seen: &mut Vec<String>,
    problems: &mut Vec<Problem>,
) -> Option<RawTheme> {
    let user_path = user_dir.map(|d| d.join(format!("{name}.toml")));
    let (path, text) = match user_path.as_deref().map(diag::read_optional) {
        Some(Ok(Some(text))) => (user_path.clone().unwrap(), text),
        Some(Err(p)) => {
            problems.push(p);
            return None;
        }
        _ => match BUILTIN.iter().find(|(n, _)| *n == name) {
            Some((n, text)) => (Path::new(&format!("themes/{n}.toml")).to_path_buf(), text.to_string()),
            None => {
                problems.push(Problem {
                    file: user_path.unwrap_or_else(|| format!("themes/{name}.toml").into()),
                    line: None,
                    message: format!(
                        "unknown theme `{name}`; built-in: {}",
                        BUILTIN.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                    ),
                });
                return None;
            }
        },
    };
    if seen.iter().any(|s| s == name) {
        problems.push(Problem {
            file: path,
            line: None,
            message: format!("theme `{name}` inherits itself ({} → {name})", seen.join(" → ")),
        });
        return None;
    }
    seen.push(name.to_string());
    let src = Source::new(&path, &text);
    parse_raw(&src, user_dir, seen, problems)
}

fn parse_raw(
    src: &Source<'_>,
    user_dir: Option<&Path>,
    seen: &mut Vec<String>,
    problems: &mut Vec<Problem>,
) -> Option<RawTheme> {
    let doc = match src.parse() {
        Ok(doc) => doc,
        Err(p) => {
            problems.push(p);
            return None;
        }
    };
    let table = doc.get_ref();
    let mut raw = match table.get("inherits").map(|v| (v.span(), v.get_ref())) {
        None => RawTheme::default(),
        Some((_, DeValue::String(parent))) => load_raw(parent, user_dir, seen, problems).unwrap_or_default(),
        Some((span, other)) => {
            problems
                .push(src.problem(Some(span), format!("`inherits` must be a theme name, found {}", diag::kind(other))));
            RawTheme::default()
        }
    };
    // The palette first: roles above it in the file may use its names.
    match table.get("palette").map(|v| (v.span(), v.get_ref())) {
        Some((_, DeValue::Table(p))) => {
            for (k, v) in diag::entries_in_order(p) {
                match v.get_ref() {
                    DeValue::String(c) => match parse_color(c, &HashMap::new(), false) {
                        Ok(_) => {
                            raw.palette.insert(k.get_ref().to_string(), c.to_string());
                        }
                        Err(e) => problems.push(src.problem(Some(v.span()), format!("palette `{}`: {e}", k.get_ref()))),
                    },
                    _ if Token::ALL.iter().any(|t| t.name() == k.get_ref().as_ref()) => problems.push(src.problem(
                        Some(k.span()),
                        format!("role `{}` is inside [palette]; put roles above the [palette] section", k.get_ref()),
                    )),
                    other => problems.push(src.problem(
                        Some(v.span()),
                        format!("palette colour `{}` must be a string, found {}", k.get_ref(), diag::kind(other)),
                    )),
                }
            }
        }
        Some((span, other)) => {
            problems.push(src.problem(Some(span), format!("`palette` must be a table, found {}", diag::kind(other))))
        }
        None => {}
    }
    for (key, value) in diag::entries_in_order(table) {
        let name = key.get_ref().as_ref();
        match (name, value.get_ref()) {
            ("inherits" | "palette", _) => {}
            _ if !Token::ALL.iter().any(|t| t.name() == name) => {
                problems.push(src.problem(Some(key.span()), format!("unknown role `{name}`")));
            }
            (_, v) => {
                if let Some(style) = parse_style(src, name, v, value.span(), &raw.palette, problems) {
                    raw.roles.insert(name.to_string(), style);
                }
            }
        }
    }
    Some(raw)
}

fn parse_style(
    src: &Source<'_>,
    role: &str,
    value: &DeValue<'_>,
    span: std::ops::Range<usize>,
    palette: &HashMap<String, String>,
    problems: &mut Vec<Problem>,
) -> Option<RawStyle> {
    let colour = |c: &str, at: std::ops::Range<usize>, problems: &mut Vec<Problem>| match parse_color(c, palette, false)
    {
        Ok(_) => Some(c.to_string()),
        Err(e) => {
            problems.push(src.problem(Some(at), format!("`{role}`: {e}")));
            None
        }
    };
    let table = match value {
        DeValue::String(fg) => {
            let fg = colour(fg, span, problems)?;
            return Some(RawStyle { fg: Some(fg), ..RawStyle::default() });
        }
        DeValue::Table(t) => t,
        other => {
            problems.push(src.problem(
                Some(span),
                format!("role `{role}` must be a colour or a table, found {}", diag::kind(other)),
            ));
            return None;
        }
    };
    let mut style = RawStyle::default();
    for (k, v) in diag::entries_in_order(table) {
        let at = Some(v.span());
        match (k.get_ref().as_ref(), v.get_ref()) {
            ("fg", DeValue::String(c)) => style.fg = colour(c, v.span(), problems),
            ("bg", DeValue::String(c)) => style.bg = colour(c, v.span(), problems),
            ("modifiers", DeValue::Array(items)) => {
                for item in items.iter() {
                    match item.get_ref() {
                        DeValue::String(m) => match modifier(m) {
                            Some(m) => style.modifiers |= m,
                            None => problems
                                .push(src.problem(Some(item.span()), format!("unknown modifier `{m}` in `{role}`"))),
                        },
                        other => problems.push(src.problem(
                            Some(item.span()),
                            format!("a modifier must be a string, found {}", diag::kind(other)),
                        )),
                    }
                }
            }
            (field @ ("fg" | "bg" | "modifiers"), other) => problems
                .push(src.problem(at, format!("`{field}` of `{role}` has the wrong type: {}", diag::kind(other)))),
            (field, _) => problems.push(
                src.problem(Some(k.span()), format!("unknown field `{field}` in `{role}`; expected fg, bg, modifiers")),
            ),
        }
    }
    Some(style)
}

fn modifier(name: &str) -> Option<Modifier> {
    Some(match name {
        "bold" => Modifier::BOLD,
        "dim" => Modifier::DIM,
        "italic" => Modifier::ITALIC,
        "underlined" => Modifier::UNDERLINED,
        "reversed" => Modifier::REVERSED,
        "crossed_out" => Modifier::CROSSED_OUT,
        "slow_blink" => Modifier::SLOW_BLINK,
        _ => return None,
    })
}

const ANSI: &[(&str, Color)] = &[
    ("default", Color::Reset),
    ("reset", Color::Reset),
    ("black", Color::Black),
    ("red", Color::Red),
    ("green", Color::Green),
    ("yellow", Color::Yellow),
    ("blue", Color::Blue),
    ("magenta", Color::Magenta),
    ("cyan", Color::Cyan),
    ("gray", Color::Gray),
    ("dark_gray", Color::DarkGray),
    ("light_red", Color::LightRed),
    ("light_green", Color::LightGreen),
    ("light_yellow", Color::LightYellow),
    ("light_blue", Color::LightBlue),
    ("light_magenta", Color::LightMagenta),
    ("light_cyan", Color::LightCyan),
    ("white", Color::White),
];

/// ANSI colours with their usual RGB, for approximating `#rrggbb` on
/// terminals without truecolor.
const ANSI_RGB: &[(Color, (u8, u8, u8))] = &[
    (Color::Black, (0, 0, 0)),
    (Color::Red, (205, 0, 0)),
    (Color::Green, (0, 205, 0)),
    (Color::Yellow, (205, 205, 0)),
    (Color::Blue, (0, 0, 238)),
    (Color::Magenta, (205, 0, 205)),
    (Color::Cyan, (0, 205, 205)),
    (Color::Gray, (229, 229, 229)),
    (Color::DarkGray, (127, 127, 127)),
    (Color::LightRed, (255, 0, 0)),
    (Color::LightGreen, (0, 255, 0)),
    (Color::LightYellow, (255, 255, 0)),
    (Color::LightBlue, (92, 92, 255)),
    (Color::LightMagenta, (255, 0, 255)),
    (Color::LightCyan, (0, 255, 255)),
    (Color::White, (255, 255, 255)),
];

fn parse_color(name: &str, palette: &HashMap<String, String>, truecolor: bool) -> Result<Color, String> {
    let name = palette.get(name).map(String::as_str).unwrap_or(name);
    if let Some((_, c)) = ANSI.iter().find(|(n, _)| *n == name) {
        return Ok(*c);
    }
    if let Some(hex) = name.strip_prefix('#') {
        let bytes = u32::from_str_radix(hex, 16).ok().filter(|_| hex.len() == 6);
        let Some(v) = bytes else {
            return Err(format!("`{name}` is not a #rrggbb colour"));
        };
        let (r, g, b) = ((v >> 16) as u8, (v >> 8) as u8, v as u8);
        return Ok(if truecolor { Color::Rgb(r, g, b) } else { nearest_ansi(r, g, b) });
    }
    if let Ok(i) = name.parse::<u8>() {
        return Ok(Color::Indexed(i));
    }
    Err(format!("unknown colour `{name}`; use an ANSI name, a palette name, #rrggbb or 0-255"))
}

fn nearest_ansi(r: u8, g: u8, b: u8) -> Color {
    let dist = |(cr, cg, cb): (u8, u8, u8)| {
        let d = |a: u8, b: u8| (a as i32 - b as i32).pow(2);
        d(r, cr) + d(g, cg) + d(b, cb)
    };
    ANSI_RGB.iter().min_by_key(|(_, rgb)| dist(*rgb)).map(|(c, _)| *c).unwrap_or(Color::Reset)
}

fn resolve(name: &str, raw: &RawTheme, truecolor: bool, problems: &mut Vec<Problem>) -> Theme {
    let mut own: HashMap<&str, Style> = HashMap::new();
    for (role, spec) in &raw.roles {
        let mut style = Style::default().add_modifier(spec.modifiers);
        for (slot, value) in [("fg", &spec.fg), ("bg", &spec.bg)] {
            let Some(value) = value else { continue };
            match parse_color(value, &raw.palette, truecolor) {
                Ok(c) if slot == "fg" => style = style.fg(c),
                Ok(c) => style = style.bg(c),
                Err(e) => problems.push(Problem {
                    file: format!("themes/{name}.toml").into(),
                    line: None,
                    message: format!("{slot} of `{role}`: {e}"),
                }),
            }
        }
        own.insert(role.as_str(), style);
    }
    let styles = Token::ALL
        .iter()
        .map(|t| {
            let mut style = Style::default();
            let mut prefix = String::new();
            for part in t.name().split('.') {
                if !prefix.is_empty() {
                    prefix.push('.');
                }
                prefix.push_str(part);
                if let Some(s) = own.get(prefix.as_str()) {
                    style = style.patch(*s);
                }
            }
            (*t, style)
        })
        .collect();
    Theme { name: name.to_string(), styles }
}

/// Whether the terminal says it shows 24-bit colour.
pub fn truecolor_from_env() -> bool {
    matches!(std::env::var("COLORTERM").as_deref(), Ok("truecolor") | Ok("24bit"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn every_shipped_theme_parses_with_known_roles_only() {
        for (name, _) in BUILTIN {
            let (theme, problems) = Theme::load(name, None, false);
            assert_eq!(problems, vec![], "{name}");
            assert_eq!(theme.name, *name);
        }
    }

    #[test]
    fn mono_uses_no_colour_and_still_marks_what_matters() {
        let mono = Theme::mono();
        for t in Token::ALL {
            let s = mono.style(*t);
            assert_eq!((s.fg, s.bg), (None, None), "{}", t.name());
        }
        for t in [
            Token::Selection,
            Token::TabActive,
            Token::TitleFocused,
            Token::BorderFocused,
            Token::StatusOffline,
            Token::SlaBreached,
            Token::Error,
            Token::HintKey,
        ] {
            assert_ne!(mono.style(t).add_modifier, Modifier::empty(), "{}", t.name());
        }
    }

    #[test]
    fn roles_fall_back_to_their_parent_and_patch_it() {
        let (theme, _) = Theme::load("default", None, false);
        // Not listed: the whole parent style.
        assert_eq!(theme.style(Token::StatusUser), theme.style(Token::Statusbar));
        // Listed: the parent's reverse plus its own colour and bold.
        let offline = theme.style(Token::StatusOffline);
        assert_eq!(offline.fg, Some(Color::Red));
        assert!(offline.add_modifier.contains(Modifier::REVERSED | Modifier::BOLD));
    }

    #[test]
    fn inheritance_merges_palette_and_replaces_roles() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("mine.toml"),
            "inherits = \"default\"\n\"ui.selection\" = { fg = \"#ff0000\" }\n[palette]\naccent = \"magenta\"\n",
        )
        .unwrap();
        let (theme, problems) = Theme::load("mine", Some(dir.path()), false);
        assert_eq!(problems, vec![]);
        // A parent role recoloured through the child's palette.
        assert_eq!(theme.style(Token::BorderFocused).fg, Some(Color::Magenta));
        // A replaced role loses the parent's modifiers; RGB falls back to ANSI.
        assert_eq!(theme.style(Token::Selection), Style::default().fg(Color::LightRed));
        let (tc, _) = Theme::load("mine", Some(dir.path()), true);
        assert_eq!(tc.style(Token::Selection).fg, Some(Color::Rgb(255, 0, 0)));
    }

    #[test]
    fn cycles_and_unknown_names_fall_back_to_default() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.toml"), "inherits = \"b\"\n").unwrap();
        std::fs::write(dir.path().join("b.toml"), "inherits = \"a\"\n").unwrap();
        let (_, problems) = Theme::load("a", Some(dir.path()), false);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("inherits itself (a → b → a)"), "{}", problems[0]);
        let (theme, problems) = Theme::load("nope", None, false);
        assert_eq!(problems[0].message, "unknown theme `nope`; built-in: default, light, high-contrast, mono");
        assert_eq!(theme.style(Token::Error).fg, Some(Color::Red));
    }
}
