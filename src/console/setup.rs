//! Reading everything the console starts from: command line, config file,
//! keymap and theme. Problems never stop the console; they are collected
//! for `--check-config` and for one notice on screen.

use std::sync::Arc;

use super::ConsoleArgs;
use super::config::Config;
use super::diag::Problem;
use super::i18n::{Lang, Text};
use super::keymap::Keymap;
use super::nav::Screen;
use super::paths::Paths;
use super::state::{Mode, Notice, NoticeLevel, StateInit};
use super::theme::Theme;
use crate::domain::status::Role;

pub struct Setup {
    pub config: Config,
    pub lang: Lang,
    pub keymap: Arc<Keymap>,
    pub theme: Theme,
    pub mode: Mode,
    pub pinned_screen: Option<Screen>,
    pub problems: Vec<Problem>,
    pub paths: Paths,
}

impl Setup {
    pub fn load(args: &ConsoleArgs, paths: &Paths) -> anyhow::Result<Setup> {
        let (config, mut problems) = Config::load(&paths.config_file());
        let lang = args.lang.unwrap_or(config.lang);
        let keymap_name = args.keymap.as_deref().unwrap_or(&config.keymap);
        let (keymap, keymap_problems) = Keymap::load(keymap_name, &paths.keymap_file());
        problems.extend(keymap_problems);
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let theme_name = match (&args.theme, no_color) {
            (Some(t), _) => t.as_str(),
            (None, true) => "mono",
            (None, false) => config.theme.as_str(),
        };
        let (theme, theme_problems) =
            Theme::load(theme_name, Some(&paths.themes_dir()), super::theme::truecolor_from_env());
        problems.extend(theme_problems);
        let server = match &args.server {
            Some(s) if !(s.starts_with("http://") || s.starts_with("https://")) => {
                anyhow::bail!("--server must be an http:// or https:// URL, not `{s}`")
            }
            Some(s) => Some(s.trim_end_matches('/').to_string()),
            None => config.server.clone(),
        };
        let mode = match server {
            Some(server) => Mode::Remote { server },
            None => Mode::Embedded { role: args.as_role.map(Role::from).unwrap_or(Role::Agent) },
        };
        Ok(Setup {
            config,
            lang,
            keymap: Arc::new(keymap),
            theme,
            mode,
            pinned_screen: args.wallboard.then_some(Screen::Wallboard),
            problems,
            paths: paths.clone(),
        })
    }

    /// Every user theme file is checked too, not just the one in use.
    pub fn check_all(&self) -> Vec<Problem> {
        let mut problems = self.problems.clone();
        if let Ok(entries) = std::fs::read_dir(self.paths.themes_dir()) {
            let mut names: Vec<String> = entries
                .flatten()
                .filter_map(|e| e.file_name().to_str()?.strip_suffix(".toml").map(str::to_string))
                .collect();
            names.sort();
            for name in names {
                for p in Theme::load(&name, Some(&self.paths.themes_dir()), false).1 {
                    if !problems.contains(&p) {
                        problems.push(p);
                    }
                }
            }
        }
        problems
    }

    /// The one on-screen message for configuration problems.
    pub fn notice(&self) -> Option<Notice> {
        let first = self.problems.first()?;
        let mut text = self.lang.f(Text::ConfigProblems, &[&first.to_string()]);
        if self.problems.len() > 1 {
            text.push_str(&format!(" (+{})", self.problems.len() - 1));
        }
        text.push_str(" · beyazmasa --check-config");
        Some(Notice { level: NoticeLevel::Warning, text })
    }

    pub fn state_init(&self, now: chrono::DateTime<chrono::FixedOffset>) -> StateInit {
        StateInit {
            lang: self.lang,
            keymap: self.keymap.clone(),
            keymap_file: self.paths.keymap_file(),
            mode: self.mode.clone(),
            pinned_screen: self.pinned_screen,
            now,
            notice: self.notice(),
        }
    }
}
