//! `config.toml` in the config dir. Every field is optional; a file with
//! problems still yields a usable config (the bad fields keep their
//! defaults) and a list of problems with lines.

use std::path::Path;

use toml::de::DeValue;

use super::diag::{self, Problem, Source};
use super::i18n::Lang;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Central API; `None` runs the embedded local demo server.
    pub server: Option<String>,
    pub lang: Lang,
    pub theme: String,
    pub keymap: String,
    /// The phone extension this desk answers (for screen-pops).
    pub extension: Option<String>,
    /// The device label sent at login ("Masa 12"); never the host name.
    pub device_name: String,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            server: None,
            lang: Lang::Tr,
            theme: "default".into(),
            keymap: "default".into(),
            extension: None,
            device_name: "Beyaz Masa konsolu".into(),
        }
    }
}

const FIELDS: &str = "server, lang, theme, keymap, extension, device_name";

impl Config {
    /// Reads `path`; a missing file is the default config.
    pub fn load(path: &Path) -> (Config, Vec<Problem>) {
        match diag::read_optional(path) {
            Ok(Some(text)) => Config::parse(&Source::new(path, &text)),
            Ok(None) => (Config::default(), Vec::new()),
            Err(p) => (Config::default(), vec![p]),
        }
    }

    pub fn parse(src: &Source<'_>) -> (Config, Vec<Problem>) {
        let mut config = Config::default();
        let mut problems = Vec::new();
        let doc = match src.parse() {
            Ok(doc) => doc,
            Err(p) => return (config, vec![p]),
        };
        for (key, value) in diag::entries_in_order(doc.get_ref()) {
            let name = key.get_ref().as_ref();
            let at = Some(value.span());
            let DeValue::String(s) = value.get_ref() else {
                let message = if FIELDS.split(", ").any(|f| f == name) {
                    format!("`{name}` must be a string, found {}", diag::kind(value.get_ref()))
                } else {
                    format!("unknown setting `{name}`; known: {FIELDS}")
                };
                problems.push(src.problem(Some(key.span()), message));
                continue;
            };
            let s = s.trim();
            match name {
                "server" if s.starts_with("http://") || s.starts_with("https://") => {
                    config.server = Some(s.trim_end_matches('/').to_string())
                }
                "server" => {
                    problems.push(src.problem(at, format!("`server` must be an http:// or https:// URL, not `{s}`")))
                }
                "lang" => match Lang::parse(s) {
                    Some(l) => config.lang = l,
                    None => problems.push(src.problem(at, format!("unknown language `{s}`; use tr or en"))),
                },
                "theme" if !s.is_empty() => config.theme = s.to_string(),
                "keymap" if !s.is_empty() => config.keymap = s.to_string(),
                "extension" if !s.is_empty() && s.len() <= 10 && s.chars().all(|c| c.is_ascii_digit()) => {
                    config.extension = Some(s.to_string())
                }
                "extension" => problems.push(src.problem(at, format!("`extension` must be 1 to 10 digits, not `{s}`"))),
                "device_name" if !s.is_empty() && s.chars().count() <= 100 => config.device_name = s.to_string(),
                "theme" | "keymap" | "device_name" => problems
                    .push(src.problem(at, format!("`{name}` must not be empty (device_name: at most 100 characters)"))),
                _ => problems.push(src.problem(Some(key.span()), format!("unknown setting `{name}`; known: {FIELDS}"))),
            }
        }
        (config, problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn parse(text: &str) -> (Config, Vec<String>) {
        let (c, p) = Config::parse(&Source::new(Path::new("config.toml"), text));
        (c, p.into_iter().map(|p| p.to_string()).collect())
    }

    #[test]
    fn reads_every_field() {
        let (c, p) = parse(
            "server = \"https://api.example.org/\"\nlang = \"en\"\ntheme = \"light\"\nkeymap = \"vim\"\nextension = \"1001\"\ndevice_name = \"Masa 12\"\n",
        );
        assert_eq!(p, Vec::<String>::new());
        assert_eq!(
            c,
            Config {
                server: Some("https://api.example.org".into()),
                lang: Lang::En,
                theme: "light".into(),
                keymap: "vim".into(),
                extension: Some("1001".into()),
                device_name: "Masa 12".into(),
            }
        );
    }

    #[test]
    fn a_missing_file_is_the_default() {
        let (c, p) = Config::load(Path::new("/nonexistent/beyazmasa/config.toml"));
        assert_eq!((c, p), (Config::default(), vec![]));
    }

    #[test]
    fn bad_fields_keep_defaults_and_report_every_problem() {
        let (c, p) = parse("lang = \"de\"\ncolour = \"red\"\nextension = 1001\n");
        assert_eq!(c, Config::default());
        assert_eq!(
            p,
            vec![
                "config.toml:1: unknown language `de`; use tr or en",
                "config.toml:2: unknown setting `colour`; known: server, lang, theme, keymap, extension, device_name",
                "config.toml:3: `extension` must be a string, found an integer",
            ]
        );
    }
}
