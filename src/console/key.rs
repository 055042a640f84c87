//! Key chords and sequences as keymap files write them: `ctrl-q`, `F2`,
//! `shift-tab`, `G`, `g g`.

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// One key with its modifiers, normalised so that what the terminal sends
/// and what a keymap file says compare equal: a character carries its own
/// case and never the SHIFT flag, `shift-tab` is `BackTab`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyChord {
    pub code: KeyCodeOrd,
    pub mods: u8,
}

/// `KeyCode` with an order, so chords can key ordered maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeOrd {
    Char(char),
    F(u8),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Insert,
    Home,
    End,
    PageUp,
    PageDown,
    Up,
    Down,
    Left,
    Right,
}

const CTRL: u8 = 1;
const ALT: u8 = 2;
const SHIFT: u8 = 4;

const NAMED: &[(&str, KeyCodeOrd)] = &[
    ("enter", KeyCodeOrd::Enter),
    ("esc", KeyCodeOrd::Esc),
    ("tab", KeyCodeOrd::Tab),
    ("backtab", KeyCodeOrd::BackTab),
    ("backspace", KeyCodeOrd::Backspace),
    ("delete", KeyCodeOrd::Delete),
    ("insert", KeyCodeOrd::Insert),
    ("home", KeyCodeOrd::Home),
    ("end", KeyCodeOrd::End),
    ("pageup", KeyCodeOrd::PageUp),
    ("pagedown", KeyCodeOrd::PageDown),
    ("up", KeyCodeOrd::Up),
    ("down", KeyCodeOrd::Down),
    ("left", KeyCodeOrd::Left),
    ("right", KeyCodeOrd::Right),
    ("space", KeyCodeOrd::Char(' ')),
    ("minus", KeyCodeOrd::Char('-')),
];

impl KeyChord {
    pub const fn plain(code: KeyCodeOrd) -> KeyChord {
        KeyChord { code, mods: 0 }
    }

    pub fn ctrl(c: char) -> KeyChord {
        KeyChord { code: KeyCodeOrd::Char(c), mods: CTRL }
    }

    pub fn has_ctrl_or_alt(&self) -> bool {
        self.mods & (CTRL | ALT) != 0
    }

    /// The character a text field should insert for this chord, if any.
    pub fn text_char(&self) -> Option<char> {
        match self.code {
            KeyCodeOrd::Char(c) if !self.has_ctrl_or_alt() => Some(c),
            _ => None,
        }
    }

    /// Converts a terminal key event; releases and unknown keys give `None`.
    pub fn from_event(ev: &KeyEvent) -> Option<KeyChord> {
        if ev.kind == KeyEventKind::Release {
            return None;
        }
        let mut mods = 0;
        if ev.modifiers.contains(KeyModifiers::CONTROL) {
            mods |= CTRL;
        }
        if ev.modifiers.contains(KeyModifiers::ALT) {
            mods |= ALT;
        }
        if ev.modifiers.contains(KeyModifiers::SHIFT) {
            mods |= SHIFT;
        }
        let code = match ev.code {
            KeyCode::Char(c) => KeyCodeOrd::Char(c),
            KeyCode::F(n) => KeyCodeOrd::F(n),
            KeyCode::Enter => KeyCodeOrd::Enter,
            KeyCode::Esc => KeyCodeOrd::Esc,
            KeyCode::Tab if mods & SHIFT != 0 => KeyCodeOrd::BackTab,
            KeyCode::Tab => KeyCodeOrd::Tab,
            KeyCode::BackTab => KeyCodeOrd::BackTab,
            KeyCode::Backspace => KeyCodeOrd::Backspace,
            KeyCode::Delete => KeyCodeOrd::Delete,
            KeyCode::Insert => KeyCodeOrd::Insert,
            KeyCode::Home => KeyCodeOrd::Home,
            KeyCode::End => KeyCodeOrd::End,
            KeyCode::PageUp => KeyCodeOrd::PageUp,
            KeyCode::PageDown => KeyCodeOrd::PageDown,
            KeyCode::Up => KeyCodeOrd::Up,
            KeyCode::Down => KeyCodeOrd::Down,
            KeyCode::Left => KeyCodeOrd::Left,
            KeyCode::Right => KeyCodeOrd::Right,
            _ => return None,
        };
        Some(KeyChord { code, mods }.normalised())
    }

    fn normalised(mut self) -> KeyChord {
        match self.code {
            KeyCodeOrd::Char(c) => {
                if self.mods & SHIFT != 0 {
                    self.code = KeyCodeOrd::Char(upper(c));
                }
                self.mods &= !SHIFT;
            }
            KeyCodeOrd::BackTab => self.mods &= !SHIFT,
            _ => {}
        }
        self
    }

    /// Parses `ctrl-q`, `alt-x`, `shift-f5`, `F2`, `G`, `space`, `-`.
    pub fn parse(s: &str) -> Result<KeyChord, String> {
        if s.is_empty() {
            return Err("empty key".into());
        }
        let mut mods = 0;
        let mut rest = s;
        while let Some((head, tail)) = rest.split_once('-') {
            if tail.is_empty() {
                break; // "ctrl--" or "-": the dash itself is the key
            }
            mods |= match head.to_ascii_lowercase().as_str() {
                "ctrl" | "c" => CTRL,
                "alt" | "a" | "m" => ALT,
                "shift" | "s" => SHIFT,
                _ => return Err(format!("unknown modifier `{head}` in `{s}`")),
            };
            rest = tail;
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCodeOrd::Char(c),
            _ => {
                let lower = rest.to_ascii_lowercase();
                if let Some(n) = lower.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
                    if !(1..=24).contains(&n) {
                        return Err(format!("no such function key `{rest}`"));
                    }
                    KeyCodeOrd::F(n)
                } else if let Some((_, code)) = NAMED.iter().find(|(n, _)| *n == lower) {
                    *code
                } else {
                    return Err(format!("unknown key `{rest}`"));
                }
            }
        };
        let code = match code {
            KeyCodeOrd::Tab if mods & SHIFT != 0 => KeyCodeOrd::BackTab,
            c => c,
        };
        Ok(KeyChord { code, mods }.normalised())
    }
}

fn upper(c: char) -> char {
    // Turkish keyboards: shift-i is İ, not I.
    match c {
        'i' => 'İ',
        'ı' => 'I',
        c => c.to_uppercase().next().unwrap_or(c),
    }
}

impl fmt::Display for KeyChord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods & CTRL != 0 {
            f.write_str("Ctrl-")?;
        }
        if self.mods & ALT != 0 {
            f.write_str("Alt-")?;
        }
        if self.mods & SHIFT != 0 {
            f.write_str("Shift-")?;
        }
        match self.code {
            KeyCodeOrd::Char(' ') => f.write_str("Space"),
            KeyCodeOrd::Char(c) if self.has_ctrl_or_alt() => {
                write!(f, "{}", c.to_uppercase())
            }
            KeyCodeOrd::Char(c) => write!(f, "{c}"),
            KeyCodeOrd::F(n) => write!(f, "F{n}"),
            KeyCodeOrd::BackTab => f.write_str("Shift-Tab"),
            KeyCodeOrd::PageUp => f.write_str("PgUp"),
            KeyCodeOrd::PageDown => f.write_str("PgDn"),
            KeyCodeOrd::Up => f.write_str("↑"),
            KeyCodeOrd::Down => f.write_str("↓"),
            KeyCodeOrd::Left => f.write_str("←"),
            KeyCodeOrd::Right => f.write_str("→"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// A sequence of chords typed one after the other (`g g`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeySeq(pub Vec<KeyChord>);

impl KeySeq {
    pub fn parse(s: &str) -> Result<KeySeq, String> {
        let chords = s.split_whitespace().map(KeyChord::parse).collect::<Result<Vec<_>, _>>()?;
        if chords.is_empty() {
            // A lone space is written `space`; an empty string is a mistake.
            return Err("empty key".into());
        }
        Ok(KeySeq(chords))
    }

    pub fn starts_with(&self, prefix: &[KeyChord]) -> bool {
        self.0.len() > prefix.len() && self.0.starts_with(prefix)
    }
}

impl fmt::Display for KeySeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEventState;

    fn ev(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent { code, modifiers, kind: KeyEventKind::Press, state: KeyEventState::NONE }
    }

    #[test]
    fn parses_modifiers_and_names() {
        assert_eq!(KeyChord::parse("ctrl-q").unwrap(), KeyChord::ctrl('q'));
        assert_eq!(KeyChord::parse("Ctrl-Q").unwrap().to_string(), "Ctrl-Q");
        assert_eq!(KeyChord::parse("F2").unwrap(), KeyChord::plain(KeyCodeOrd::F(2)));
        assert_eq!(KeyChord::parse("f12").unwrap(), KeyChord::plain(KeyCodeOrd::F(12)));
        assert_eq!(KeyChord::parse("shift-tab").unwrap(), KeyChord::plain(KeyCodeOrd::BackTab));
        assert_eq!(KeyChord::parse("-").unwrap(), KeyChord::plain(KeyCodeOrd::Char('-')));
        assert_eq!(KeyChord::parse("ctrl--").unwrap(), KeyChord { code: KeyCodeOrd::Char('-'), mods: CTRL });
        assert_eq!(KeyChord::parse("space").unwrap().text_char(), Some(' '));
        assert_eq!(KeyChord::parse("shift-g").unwrap(), KeyChord::parse("G").unwrap());
        assert_eq!(KeyChord::parse("shift-i").unwrap(), KeyChord::parse("İ").unwrap());
    }

    #[test]
    fn rejects_nonsense_with_a_reason() {
        assert_eq!(KeyChord::parse("hyper-x").unwrap_err(), "unknown modifier `hyper` in `hyper-x`");
        assert_eq!(KeyChord::parse("ctrl-foo").unwrap_err(), "unknown key `foo`");
        assert_eq!(KeyChord::parse("F99").unwrap_err(), "no such function key `F99`");
        assert_eq!(KeySeq::parse("  ").unwrap_err(), "empty key");
    }

    #[test]
    fn terminal_events_match_parsed_chords() {
        let shift_g = ev(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(KeyChord::from_event(&shift_g), KeyChord::parse("G").ok());
        let backtab = ev(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(KeyChord::from_event(&backtab), KeyChord::parse("shift-tab").ok());
        let ctrl_p = ev(KeyCode::Char('p'), KeyModifiers::CONTROL);
        assert_eq!(KeyChord::from_event(&ctrl_p), KeyChord::parse("ctrl-p").ok());
        let mut release = ctrl_p;
        release.kind = KeyEventKind::Release;
        assert_eq!(KeyChord::from_event(&release), None);
    }

    #[test]
    fn sequences_parse_and_print() {
        let seq = KeySeq::parse("g g").unwrap();
        assert_eq!(seq.0.len(), 2);
        assert_eq!(seq.to_string(), "g g");
        assert!(seq.starts_with(&[KeyChord::parse("g").unwrap()]));
        assert!(!seq.starts_with(&seq.0));
    }
}
