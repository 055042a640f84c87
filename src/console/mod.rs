//! The full-screen terminal console (DESIGN.md §6).
//!
//! Elm-style: [`state::State`] is changed only by [`update::update`], which
//! is pure and returns [`effect::Effect`]s; [`runner`] runs those on tasks
//! and feeds results back as [`action::Msg`]s; [`ui::render`] draws the
//! state; [`app::Loop`] ties them together.

pub mod action;
pub mod app;
pub mod call;
pub mod config;
pub mod credentials;
pub mod diag;
pub mod effect;
pub mod embedded;
pub mod i18n;
pub mod input;
pub mod key;
pub mod keymap;
mod logging;
pub mod nav;
pub mod paths;
pub mod queue;
pub mod runner;
pub mod setup;
pub mod state;
pub mod terminal;
pub mod theme;
pub mod ui;
pub mod update;
pub mod update_call;
pub mod update_queue;
pub mod wallboard;

use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};

use crate::domain::status::Role;
use app::{Clock, SystemClock};
use i18n::{Lang, Text};
use paths::Paths;
use setup::Setup;

#[derive(Debug, Clone, Default, Args)]
pub struct ConsoleArgs {
    /// Central API to connect to; without it an embedded local server runs.
    #[arg(long, env = "BEYAZMASA_SERVER", value_name = "URL")]
    pub server: Option<String>,
    /// Sign in to the embedded demo server as this role.
    #[arg(long = "as", value_enum, value_name = "ROLE", conflicts_with = "server")]
    pub as_role: Option<DemoRole>,
    /// Language of the console (default: config, else Turkish).
    #[arg(long, value_enum, value_name = "LANG")]
    pub lang: Option<Lang>,
    /// Theme: default, light, high-contrast, mono, or one in the config dir's themes/.
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,
    /// Keymap: default or vim (the user's keymap.toml is laid over it).
    #[arg(long, value_name = "NAME")]
    pub keymap: Option<String>,
    /// Check config.toml, keymap.toml and themes, print every problem, and exit.
    #[arg(long)]
    pub check_config: bool,
    /// Start on the wallboard (for a wall display).
    #[arg(long)]
    pub wallboard: bool,
}

/// The roles the embedded demo has users for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DemoRole {
    Agent,
    #[value(name = "unit_rep", alias = "unit-rep")]
    UnitRep,
    Lead,
}

impl From<DemoRole> for Role {
    fn from(r: DemoRole) -> Role {
        match r {
            DemoRole::Agent => Role::Agent,
            DemoRole::UnitRep => Role::UnitRep,
            DemoRole::Lead => Role::Lead,
        }
    }
}

pub fn run(args: ConsoleArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let paths = Paths::from_env()?;
    let setup = Setup::load(&args, &paths)?;
    if args.check_config {
        return check_config(&setup);
    }
    std::fs::create_dir_all(&paths.data_dir)?;
    let _log_guard = logging::init(&paths.log_dir());
    tracing::info!(version = env!("CARGO_PKG_VERSION"), mode = ?setup.mode, "console starting");
    for p in &setup.problems {
        tracing::warn!("config: {p}");
    }
    // We apply NO_COLOR ourselves (the mono theme); crossterm's own handling
    // would also drop bold and reverse.
    crossterm::style::force_color_output(true);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let result = runtime.block_on(run_console(setup, started));
    runtime.shutdown_timeout(Duration::from_millis(500));
    tracing::info!("console stopped");
    result
}

async fn run_console(setup: Setup, started: Instant) -> anyhow::Result<()> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    terminal::forward_signals(tx.clone());
    let mut state = state::State::new(setup.state_init(SystemClock.now()));
    let mut runner =
        runner::TaskRunner::new(tx, setup.mode.clone(), setup.paths.clone(), setup.config.device_name.clone());
    let mut screen = terminal::FullScreen::enter()?;
    let mut event_loop = app::Loop {
        theme: &setup.theme,
        runner: &mut runner,
        clock: &SystemClock,
        tick: Duration::from_secs(1),
        started: Some(started),
    };
    let input = crossterm::event::EventStream::new();
    let result = event_loop.run(&mut screen.terminal, input, rx, &mut state).await;
    drop(screen);
    runner.shutdown(Duration::from_secs(2)).await;
    result
}

fn check_config(setup: &Setup) -> anyhow::Result<()> {
    let problems = setup.check_all();
    if problems.is_empty() {
        let path = setup.paths.config_file();
        println!("{}", setup.lang.f(Text::CheckConfigOk, &[&path.display().to_string()]));
        return Ok(());
    }
    for p in &problems {
        println!("{p}");
    }
    anyhow::bail!(setup.lang.f(Text::CheckConfigProblems, &[&problems.len().to_string()]))
}
