//! Key bindings: which key sequence runs which [`Action`] in which context.
//!
//! The shipped keymaps are embedded; `keymap = "vim"` lays `vim.toml` over
//! `default.toml`, and the user's `keymap.toml` is laid over that, key by
//! key and context by context (`"none"` unbinds). Lookup goes modal, then
//! the focused pane, then global.

use std::collections::BTreeMap;
use std::path::Path;

use toml::de::{DeTable, DeValue};

use super::action::Action;
use super::diag::{self, Problem, Source};
use super::key::{KeyChord, KeySeq};
use super::nav::{ModalKind, Pane, Screen};

pub const DEFAULT_TOML: &str = include_str!("../../keymaps/default.toml");
pub const VIM_TOML: &str = include_str!("../../keymaps/vim.toml");

/// Shipped keymaps by name. Each is laid over `default`.
pub const BUILTIN: &[(&str, &str)] = &[("default", DEFAULT_TOML), ("vim", VIM_TOML)];

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    Global,
    /// Every pane of a screen (`[screen.call]`), below the pane's own.
    Screen(Screen),
    Pane(Pane),
    Modal(ModalKind),
}

impl Context {
    /// The section name in keymap files.
    pub fn name(self) -> String {
        match self {
            Context::Global => "global".into(),
            Context::Screen(s) => format!("screen.{}", s.name()),
            Context::Pane(p) => format!("pane.{}", p.name()),
            Context::Modal(m) => format!("modal.{}", m.name()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub keys: KeySeq,
    pub action: Action,
}

/// What a key (after any pending keys) means in a context chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    Action(Action),
    /// A prefix of a longer sequence: wait for the next key.
    Pending,
    Unbound,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Keymap {
    contexts: BTreeMap<Context, Vec<Binding>>,
}

impl Keymap {
    /// The embedded default keymap. Its validity is a unit test.
    pub fn builtin_default() -> Keymap {
        let mut map = Keymap::default();
        let problems = map.overlay(&Source::new(Path::new("keymaps/default.toml"), DEFAULT_TOML));
        debug_assert!(problems.is_empty(), "{problems:?}");
        map
    }

    /// The named shipped keymap (laid over the default) and then the user's
    /// file, if it exists. Problems are returned, never fatal: whatever
    /// parsed is kept and the rest stays at its default.
    pub fn load(name: &str, user_file: &Path) -> (Keymap, Vec<Problem>) {
        let mut map = Keymap::builtin_default();
        let mut problems = Vec::new();
        if name != "default" {
            match BUILTIN.iter().find(|(n, _)| *n == name) {
                Some((n, text)) => {
                    let path = format!("keymaps/{n}.toml");
                    problems.extend(map.overlay(&Source::new(Path::new(&path), text)));
                }
                None => problems.push(Problem {
                    file: user_file.with_file_name("config.toml"),
                    line: None,
                    message: format!("unknown keymap `{name}`; known: default, vim"),
                }),
            }
        }
        match diag::read_optional(user_file) {
            Ok(Some(text)) => problems.extend(map.overlay(&Source::new(user_file, &text))),
            Ok(None) => {}
            Err(p) => problems.push(p),
        }
        (map, problems)
    }

    pub fn bindings(&self, ctx: Context) -> &[Binding] {
        self.contexts.get(&ctx).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn contexts(&self) -> impl Iterator<Item = (Context, &[Binding])> {
        self.contexts.iter().map(|(c, b)| (*c, b.as_slice()))
    }

    /// Binds `keys` in `ctx` to `action`, replacing any binding of the same
    /// keys there; `None` unbinds.
    pub fn bind(&mut self, ctx: Context, keys: KeySeq, action: Option<Action>) {
        let list = self.contexts.entry(ctx).or_default();
        list.retain(|b| b.keys != keys);
        if let Some(action) = action {
            list.push(Binding { keys, action });
        }
    }

    /// Resolves `key`, typed after `pending`, through `chain` (most specific
    /// context first). The first context that has the sequence, or a longer
    /// sequence starting with it, decides.
    pub fn resolve(&self, chain: &[Context], pending: &[KeyChord], key: KeyChord) -> Resolution {
        let mut seq = pending.to_vec();
        seq.push(key);
        for ctx in chain {
            let list = self.bindings(*ctx);
            if let Some(b) = list.iter().find(|b| b.keys.0 == seq) {
                return Resolution::Action(b.action);
            }
            if list.iter().any(|b| b.keys.starts_with(&seq)) {
                return Resolution::Pending;
            }
        }
        Resolution::Unbound
    }

    /// The first key sequence that really runs `action` in `chain` (one not
    /// shadowed by a more specific context), for hints and the palette.
    pub fn keys_for(&self, chain: &[Context], action: Action) -> Option<&KeySeq> {
        chain
            .iter()
            .flat_map(|ctx| self.bindings(*ctx))
            .filter(|b| b.action == action)
            .map(|b| &b.keys)
            .find(|keys| self.resolve_seq(chain, keys) == Some(action))
    }

    fn resolve_seq(&self, chain: &[Context], keys: &KeySeq) -> Option<Action> {
        let (last, prefix) = keys.0.split_last()?;
        match self.resolve(chain, prefix, *last) {
            Resolution::Action(a) => Some(a),
            _ => None,
        }
    }

    /// The bindings that can follow `pending` in `chain`, as (rest of the
    /// sequence, action): the which-key hint while a sequence is half typed.
    pub fn continuations(&self, chain: &[Context], pending: &[KeyChord]) -> Vec<(KeySeq, Action)> {
        for ctx in chain {
            let found: Vec<_> = self
                .bindings(*ctx)
                .iter()
                .filter(|b| b.keys.starts_with(pending))
                .map(|b| (KeySeq(b.keys.0[pending.len()..].to_vec()), b.action))
                .collect();
            if !found.is_empty() {
                return found;
            }
        }
        Vec::new()
    }

    /// Lays a keymap file over this map, collecting problems with lines.
    pub fn overlay(&mut self, src: &Source<'_>) -> Vec<Problem> {
        let mut problems = Vec::new();
        let doc = match src.parse() {
            Ok(doc) => doc,
            Err(p) => return vec![p],
        };
        for (key, value) in diag::entries_in_order(doc.get_ref()) {
            let span = Some(key.span());
            let DeValue::Table(table) = value.get_ref() else {
                problems.push(src.problem(span, format!("`{}` must be a table", key.get_ref())));
                continue;
            };
            match key.get_ref().as_ref() {
                "global" => self.overlay_bindings(src, Context::Global, table, &mut problems),
                "pane" => self.overlay_panes(src, table, &mut problems),
                "screen" => {
                    for (name, value) in diag::entries_in_order(table) {
                        let span = Some(name.span());
                        match (Screen::parse(name.get_ref()), value.get_ref()) {
                            (Some(sc), DeValue::Table(t)) => {
                                self.overlay_bindings(src, Context::Screen(sc), t, &mut problems)
                            }
                            (Some(_), _) => problems.push(src.problem(span, "expected a table of bindings")),
                            (None, _) => problems.push(src.problem(
                                span,
                                format!(
                                    "unknown screen `{}`; known: {}",
                                    name.get_ref(),
                                    Screen::ALL.map(|s| s.name()).join(", ")
                                ),
                            )),
                        }
                    }
                }
                "modal" => {
                    for (name, value) in diag::entries_in_order(table) {
                        let span = Some(name.span());
                        match (ModalKind::parse(name.get_ref()), value.get_ref()) {
                            (Some(m), DeValue::Table(t)) => {
                                self.overlay_bindings(src, Context::Modal(m), t, &mut problems)
                            }
                            (Some(_), _) => problems.push(src.problem(span, "expected a table of bindings")),
                            (None, _) => problems.push(src.problem(
                                span,
                                format!(
                                    "unknown modal `{}`; known: {}",
                                    name.get_ref(),
                                    ModalKind::ALL.map(|m| m.name()).join(", ")
                                ),
                            )),
                        }
                    }
                }
                other => problems.push(
                    src.problem(span, format!("unknown section `{other}`; expected global, screen, pane or modal")),
                ),
            }
        }
        problems
    }

    fn overlay_panes(&mut self, src: &Source<'_>, table: &DeTable<'_>, problems: &mut Vec<Problem>) {
        for (name, value) in diag::entries_in_order(table) {
            let span = Some(name.span());
            let DeValue::Table(inner) = value.get_ref() else {
                problems.push(src.problem(span, "expected a table of bindings"));
                continue;
            };
            if let Some(pane) = Pane::parse(name.get_ref()) {
                self.overlay_bindings(src, Context::Pane(pane), inner, problems);
                continue;
            }
            // `[pane.queue] list = { … }` or `[pane.queue.list]`.
            let is_screen = Pane::ALL.iter().any(|p| p.name().split('.').next() == Some(name.get_ref()));
            if !is_screen {
                problems.push(src.problem(span, unknown_pane(name.get_ref())));
                continue;
            }
            for (sub, value) in diag::entries_in_order(inner) {
                let full = format!("{}.{}", name.get_ref(), sub.get_ref());
                match (Pane::parse(&full), value.get_ref()) {
                    (Some(p), DeValue::Table(t)) => self.overlay_bindings(src, Context::Pane(p), t, problems),
                    (Some(_), _) => problems.push(src.problem(Some(sub.span()), "expected a table of bindings")),
                    (None, _) => problems.push(src.problem(Some(sub.span()), unknown_pane(&full))),
                }
            }
        }
    }

    fn overlay_bindings(&mut self, src: &Source<'_>, ctx: Context, table: &DeTable<'_>, problems: &mut Vec<Problem>) {
        for (key, value) in diag::entries_in_order(table) {
            let span = Some(key.span());
            let keys = match KeySeq::parse(key.get_ref()) {
                Ok(k) => k,
                Err(e) => {
                    problems.push(src.problem(span, format!("in [{}]: {e}", ctx.name())));
                    continue;
                }
            };
            let action = match value.get_ref() {
                DeValue::String(s) if s == "none" || s.is_empty() => None,
                DeValue::String(s) => match Action::parse(s) {
                    Some(a) => Some(a),
                    None => {
                        problems.push(src.problem(
                            Some(value.span()),
                            format!("in [{}]: unknown action `{s}` for `{keys}`", ctx.name()),
                        ));
                        continue;
                    }
                },
                other => {
                    problems.push(src.problem(
                        Some(value.span()),
                        format!("in [{}]: `{keys}` must name an action, found {}", ctx.name(), diag::kind(other)),
                    ));
                    continue;
                }
            };
            let clash = self
                .bindings(ctx)
                .iter()
                .find(|b| b.keys != keys && (b.keys.starts_with(&keys.0) || keys.starts_with(&b.keys.0)));
            if let (Some(_), Some(clash)) = (action, clash) {
                problems.push(src.problem(
                    span,
                    format!(
                        "in [{}]: `{keys}` and `{}` overlap, so the longer one can never be typed",
                        ctx.name(),
                        clash.keys
                    ),
                ));
                continue;
            }
            self.bind(ctx, keys, action);
        }
    }
}

fn unknown_pane(name: &str) -> String {
    format!("unknown pane `{name}`; known: {}", Pane::ALL.iter().map(|p| p.name()).collect::<Vec<_>>().join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn k(s: &str) -> KeyChord {
        KeyChord::parse(s).unwrap()
    }

    fn overlay(map: &mut Keymap, text: &str) -> Vec<String> {
        map.overlay(&Source::new(Path::new("keymap.toml"), text)).into_iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn every_shipped_keymap_parses_cleanly() {
        for (name, text) in BUILTIN {
            let mut map = Keymap::builtin_default();
            let path = format!("keymaps/{name}.toml");
            let problems = map.overlay(&Source::new(Path::new(&path), text));
            assert_eq!(problems, vec![], "{name}");
        }
    }

    #[test]
    fn every_screen_and_quit_have_a_global_key() {
        let map = Keymap::builtin_default();
        for action in [
            Action::GotoCall,
            Action::GotoQueue,
            Action::GotoWallboard,
            Action::GotoIntake,
            Action::GotoHelp,
            Action::OpenPalette,
            Action::Quit,
        ] {
            assert!(map.keys_for(&[Context::Global], action).is_some(), "{action:?}");
        }
    }

    #[test]
    fn resolution_goes_modal_then_pane_then_global() {
        let mut map = Keymap::default();
        overlay(
            &mut map,
            r#"
            [global]
            "x" = "quit"
            "y" = "goto_call"
            "z" = "goto_queue"
            [pane.queue.list]
            "x" = "down"
            "y" = "up"
            [modal.palette]
            "x" = "cancel"
            "#,
        );
        let pane = Context::Pane(Pane::QueueList);
        let modal = Context::Modal(ModalKind::Palette);
        let chain = [modal, pane, Context::Global];
        assert_eq!(map.resolve(&chain, &[], k("x")), Resolution::Action(Action::Cancel));
        assert_eq!(map.resolve(&chain, &[], k("y")), Resolution::Action(Action::Up));
        assert_eq!(map.resolve(&chain, &[], k("z")), Resolution::Action(Action::GotoQueue));
        assert_eq!(map.resolve(&chain, &[], k("w")), Resolution::Unbound);
        assert_eq!(map.resolve(&[Context::Global], &[], k("x")), Resolution::Action(Action::Quit));
        // The shadowed global `x` is not offered as the key for quit here.
        assert_eq!(map.keys_for(&chain, Action::Quit), None);
        assert_eq!(map.keys_for(&chain, Action::Down), None);
        assert_eq!(map.keys_for(&[pane, Context::Global], Action::Down).unwrap().to_string(), "x");
    }

    #[test]
    fn sequences_wait_for_the_next_key() {
        let mut map = Keymap::default();
        overlay(&mut map, "[pane.help.keys]\n\"g g\" = \"top\"\n[global]\n\"g\" = \"quit\"\n");
        let chain = [Context::Pane(Pane::HelpKeys), Context::Global];
        assert_eq!(map.resolve(&chain, &[], k("g")), Resolution::Pending);
        assert_eq!(map.resolve(&chain, &[k("g")], k("g")), Resolution::Action(Action::Top));
        assert_eq!(map.resolve(&chain, &[k("g")], k("x")), Resolution::Unbound);
        let cont = map.continuations(&chain, &[k("g")]);
        assert_eq!(cont, vec![(KeySeq(vec![k("g")]), Action::Top)]);
    }

    #[test]
    fn user_file_overrides_per_key_and_unbinds() {
        let mut map = Keymap::builtin_default();
        let problems = overlay(&mut map, "[global]\n\"F2\" = \"none\"\n\"F9\" = \"goto_call\"\n");
        assert_eq!(problems, Vec::<String>::new());
        let g = [Context::Global];
        assert_eq!(map.resolve(&g, &[], k("F2")), Resolution::Unbound);
        assert_eq!(map.keys_for(&g, Action::GotoCall).unwrap().to_string(), "F9");
        // Untouched bindings stay.
        assert_eq!(map.resolve(&g, &[], k("F3")), Resolution::Action(Action::GotoQueue));
    }

    #[test]
    fn overlapping_sequences_are_refused() {
        let mut map = Keymap::default();
        let problems = overlay(&mut map, "[global]\n\"g\" = \"quit\"\n\"g g\" = \"top\"\n");
        assert_eq!(
            problems,
            vec!["keymap.toml:3: in [global]: `g g` and `g` overlap, so the longer one can never be typed"]
        );
    }

    #[test]
    fn vim_adds_letters_only_in_panes_without_text() {
        let (map, problems) = Keymap::load("vim", Path::new("/nonexistent/keymap.toml"));
        assert_eq!(problems, vec![]);
        assert_eq!(map.resolve(&[Context::Global], &[], k("j")), Resolution::Unbound);
        let chain = [Context::Pane(Pane::QueueList), Context::Global];
        assert_eq!(map.resolve(&chain, &[], k("j")), Resolution::Action(Action::Down));
        assert_eq!(map.resolve(&chain, &[], k("g")), Resolution::Pending);
        let chain = [Context::Pane(Pane::CallSearch), Context::Global];
        assert_eq!(map.resolve(&chain, &[], k("j")), Resolution::Unbound);
    }
}
