//! Problems found in configuration files, each naming the file and line.
//! Config, keymap and theme loaders collect every problem they can find
//! instead of stopping at the first, so `--check-config` lists them all.

use std::fmt;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// One thing wrong in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    /// 1-based; `None` when the whole file is at fault (unreadable).
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file.display(), self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

/// The text of a file being checked, for turning byte spans into lines.
pub struct Source<'a> {
    pub path: &'a Path,
    pub text: &'a str,
}

impl<'a> Source<'a> {
    pub fn new(path: &'a Path, text: &'a str) -> Source<'a> {
        Source { path, text }
    }

    pub fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end].iter().filter(|b| **b == b'\n').count() + 1
    }

    pub fn problem(&self, span: Option<std::ops::Range<usize>>, message: impl Into<String>) -> Problem {
        Problem { file: self.path.to_path_buf(), line: span.map(|s| self.line_of(s.start)), message: message.into() }
    }

    /// Parses the file as a TOML document with spans. A syntax error is a
    /// problem; the caller then uses defaults for the whole file.
    pub fn parse(&self) -> Result<Spanned<DeTable<'a>>, Problem> {
        DeTable::parse(self.text).map_err(|e| {
            let message = format!("not valid TOML: {}", e.message().trim());
            self.problem(e.span(), message)
        })
    }
}

/// A TOML value's kind, for "expected a string, found a table" messages.
pub fn kind(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a number",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// The entries of a table in file order (the parsed map is sorted by key).
pub fn entries_in_order<'t, 'i>(
    table: &'t DeTable<'i>,
) -> Vec<(&'t Spanned<std::borrow::Cow<'i, str>>, &'t Spanned<DeValue<'i>>)> {
    let mut v: Vec<_> = table.iter().collect();
    v.sort_by_key(|(k, _)| k.span().start);
    v
}

/// Reads a file the user may or may not have written. Missing is fine
/// (`Ok(None)`); unreadable is a problem.
pub fn read_optional(path: &Path) -> Result<Option<String>, Problem> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Problem { file: path.to_path_buf(), line: None, message: format!("cannot read the file: {e}") }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_one_based() {
        let src = Source::new(Path::new("x.toml"), "a = 1\nb = 2\n");
        assert_eq!(src.line_of(0), 1);
        assert_eq!(src.line_of(6), 2);
        let p = src.problem(Some(6..7), "bad");
        assert_eq!(p.to_string(), "x.toml:2: bad");
    }

    #[test]
    fn syntax_errors_carry_a_line() {
        let src = Source::new(Path::new("x.toml"), "a = 1\nb = \n");
        let p = src.parse().unwrap_err();
        assert_eq!(p.line, Some(2));
        assert!(p.message.starts_with("not valid TOML"), "{}", p.message);
    }
}
