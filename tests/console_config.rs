//! Invalid configuration files: each fixture in tests/fixtures/invalid_configs
//! is installed into a fresh config dir and must produce exactly the problems
//! listed here (file, line and message), while the console still gets a
//! usable setup with defaults.

use std::path::Path;

use beyazmasa::console::ConsoleArgs;
use beyazmasa::console::paths::Paths;
use beyazmasa::console::setup::Setup;
use pretty_assertions::assert_eq;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/invalid_configs");

/// Fixture file → the problems it must produce, as `file:line: message`
/// with the file relative to the config dir.
const CASES: &[(&str, &[&str])] = &[
    ("config_bad_toml.toml", &["config.toml:3: not valid TOML: string values must be quoted, expected literal string"]),
    (
        "config_unknown_setting.toml",
        &["config.toml:3: unknown setting `colour`; known: server, lang, theme, keymap, extension, device_name"],
    ),
    ("config_bad_lang.toml", &["config.toml:1: unknown language `de`; use tr or en"]),
    (
        "config_bad_server.toml",
        &["config.toml:1: `server` must be an http:// or https:// URL, not `alo153.gaziantep.bel.tr`"],
    ),
    ("config_wrong_type.toml", &["config.toml:1: `extension` must be a string, found an integer"]),
    ("config_bad_extension.toml", &["config.toml:1: `extension` must be 1 to 10 digits, not `10a1`"]),
    ("keymap_unknown_action.toml", &["keymap.toml:3: in [global]: unknown action `open_the_pod_bay_doors` for `F7`"]),
    (
        "keymap_bad_key.toml",
        &[
            "keymap.toml:2: in [global]: unknown modifier `hyper` in `hyper-x`",
            "keymap.toml:3: in [global]: unknown key `nope`",
        ],
    ),
    (
        "keymap_unknown_pane.toml",
        &[
            "keymap.toml:3: unknown pane `queue.details`; known: call.search, call.history, call.form, call.nearby, queue.list, queue.detail, queue.timeline, wallboard.units, wallboard.sla, wallboard.intake, wallboard.aging, wallboard.agents, wallboard.hotspots, wallboard.escalations, intake.list, intake.preview, help.keys",
        ],
    ),
    (
        "keymap_unknown_section.toml",
        &["keymap.toml:1: unknown section `globals`; expected global, screen, pane or modal"],
    ),
    (
        "keymap_overlap.toml",
        &["keymap.toml:3: in [pane.help.keys]: `g g` and `g` overlap, so the longer one can never be typed"],
    ),
    ("keymap_wrong_type.toml", &["keymap.toml:2: in [global]: `F2` must name an action, found an integer"]),
    ("theme_unknown_role.toml", &["themes/custom.toml:3: unknown role `ui.sparkles`"]),
    (
        "theme_bad_colour.toml",
        &[
            "themes/custom.toml:2: `ui.border`: unknown colour `chartreuse`; use an ANSI name, a palette name, #rrggbb or 0-255",
            "themes/custom.toml:3: `ui.title`: `#12345` is not a #rrggbb colour",
        ],
    ),
    ("theme_bad_modifier.toml", &["themes/custom.toml:1: unknown modifier `blinking` in `ui.selection`"]),
    (
        "theme_role_in_palette.toml",
        &["themes/custom.toml:5: role `ui.selection` is inside [palette]; put roles above the [palette] section"],
    ),
    (
        "theme_unknown_parent.toml",
        &["themes/solarized.toml: unknown theme `solarized`; built-in: default, light, high-contrast, mono"],
    ),
    (
        "theme_unknown_field.toml",
        &["themes/custom.toml:1: unknown field `shade` in `ui.border`; expected fg, bg, modifiers"],
    ),
];

/// Installs a fixture where its kind of file lives.
fn install(fixture: &str, paths: &Paths) {
    let text = std::fs::read_to_string(Path::new(FIXTURES).join(fixture)).unwrap();
    std::fs::create_dir_all(paths.themes_dir()).unwrap();
    if fixture.starts_with("config_") {
        std::fs::write(paths.config_file(), text).unwrap();
    } else if fixture.starts_with("keymap_") {
        std::fs::write(paths.keymap_file(), text).unwrap();
    } else {
        std::fs::write(paths.themes_dir().join("custom.toml"), text).unwrap();
        std::fs::write(paths.config_file(), "theme = \"custom\"\n").unwrap();
    }
}

#[test]
fn every_fixture_has_a_case() {
    let mut files: Vec<String> =
        std::fs::read_dir(FIXTURES).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    files.sort();
    let mut cases: Vec<String> = CASES.iter().map(|(f, _)| f.to_string()).collect();
    cases.sort();
    assert_eq!(files, cases);
}

#[test]
fn each_invalid_config_reports_file_line_and_problem() {
    for (fixture, expected) in CASES {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::in_dir(dir.path());
        install(fixture, &paths);
        let setup = Setup::load(&ConsoleArgs::default(), &paths).expect("problems never stop the console");
        let prefix = format!("{}/", paths.config_dir.display());
        let got: Vec<String> = setup.check_all().iter().map(|p| p.to_string().replace(&prefix, "")).collect();
        assert_eq!(got, *expected, "{fixture}");
        // The console still starts, with a notice naming the first problem.
        let notice = setup.notice().expect("a notice").text;
        assert!(notice.contains(expected[0]), "{fixture}: {notice}");
    }
}

#[test]
fn check_config_command_lists_problems_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::in_dir(dir.path());
    install("keymap_bad_key.toml", &paths);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_beyazmasa"))
        .arg("--check-config")
        .env("BEYAZMASA_CONFIG_DIR", &paths.config_dir)
        .env("BEYAZMASA_DATA_DIR", &paths.data_dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let keymap = paths.keymap_file().display().to_string();
    assert!(stdout.contains(&format!("{keymap}:2: in [global]: unknown modifier `hyper` in `hyper-x`")), "{stdout}");
    assert!(stdout.contains(&format!("{keymap}:3: in [global]: unknown key `nope`")), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("2 sorun bulundu."));

    std::fs::remove_file(paths.keymap_file()).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_beyazmasa"))
        .args(["--check-config", "--lang", "en"])
        .env("BEYAZMASA_CONFIG_DIR", &paths.config_dir)
        .env("BEYAZMASA_DATA_DIR", &paths.data_dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("Configuration is valid"));
}
