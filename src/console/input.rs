//! A one-line text field: the palette query and the login form. Positions
//! are in characters, so Turkish letters edit like any other.

use super::key::{KeyChord, KeyCodeOrd};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineInput {
    text: String,
    /// Cursor position in characters.
    cursor: usize,
    /// Longest text taken; 0 means [`MAX_CHARS`].
    max: usize,
}

/// Longest text a field takes; a paste beyond this is cut.
const MAX_CHARS: usize = 200;

impl LineInput {
    /// An empty field that takes up to `max` characters (replies).
    pub fn with_max(max: usize) -> LineInput {
        LineInput { max, ..LineInput::default() }
    }

    /// Replaces the text, keeping the length limit.
    pub fn set_text(&mut self, text: &str) {
        self.text.clear();
        self.cursor = 0;
        self.insert_str(text);
    }

    pub fn with_text(text: &str) -> LineInput {
        let mut input = LineInput::default();
        input.insert_str(text);
        input
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.text.char_indices().nth(chars).map(|(i, _)| i).unwrap_or(self.text.len())
    }

    fn len(&self) -> usize {
        self.text.chars().count()
    }

    pub fn insert_str(&mut self, s: &str) {
        for c in s.chars().filter(|c| !c.is_control()) {
            if self.len() >= if self.max == 0 { MAX_CHARS } else { self.max } {
                break;
            }
            let at = self.byte_at(self.cursor);
            self.text.insert(at, c);
            self.cursor += 1;
        }
    }

    /// Applies an editing key; `false` if the key is not an editing key.
    pub fn handle(&mut self, key: KeyChord) -> bool {
        if let Some(c) = key.text_char() {
            self.insert_str(c.encode_utf8(&mut [0; 4]));
            return true;
        }
        let ctrl = key.has_ctrl_or_alt();
        match key.code {
            KeyCodeOrd::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
            }
            KeyCodeOrd::Delete if self.cursor < self.len() => {
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
            }
            KeyCodeOrd::Backspace | KeyCodeOrd::Delete => {}
            KeyCodeOrd::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCodeOrd::Right => self.cursor = (self.cursor + 1).min(self.len()),
            KeyCodeOrd::Home if !ctrl => self.cursor = 0,
            KeyCodeOrd::End if !ctrl => self.cursor = self.len(),
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> KeyChord {
        KeyChord::parse(s).unwrap()
    }

    #[test]
    fn edits_by_character() {
        let mut input = LineInput::with_text("Şahnbey");
        for _ in 0..4 {
            assert!(input.handle(key("left")));
        }
        assert!(input.handle(key("i")));
        assert_eq!(input.text(), "Şahinbey");
        assert!(input.handle(key("home")));
        assert!(input.handle(key("delete")));
        assert!(input.handle(key("end")));
        assert!(input.handle(key("backspace")));
        assert_eq!(input.text(), "ahinbe");
        assert!(!input.handle(key("ctrl-q")));
        assert!(!input.handle(key("enter")));
    }

    #[test]
    fn drops_control_characters_from_pastes() {
        let mut input = LineInput::default();
        input.insert_str("a\u{1b}[31mb\n");
        assert_eq!(input.text(), "a[31mb");
    }
}
