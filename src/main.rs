//! `beyazmasa`: the console (default), the central API and admin tools.

use beyazmasa::{client, console, server};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "beyazmasa", version, about = "Beyaz Masa / ALO 153 citizen desk")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Console options, when no subcommand is given.
    #[command(flatten)]
    console: console::ConsoleArgs,
}

#[derive(Subcommand)]
enum Command {
    /// The full-screen console (the default).
    Console(console::ConsoleArgs),
    /// Run the central API.
    Serve(server::ServeArgs),
    /// Users and tokens.
    Admin(server::admin::AdminArgs),
    /// Generate a deterministic synthetic data set.
    DemoData(server::demo::DemoArgs),
    /// Headless filing loop through the offline cache (crash-safety drills).
    #[command(hide = true)]
    SyncDrill(client::drill::DrillArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => console::run(cli.console),
        Some(Command::Console(args)) => console::run(args),
        Some(Command::Serve(args)) => server::run_serve(args),
        Some(Command::Admin(args)) => server::admin::run(args),
        Some(Command::DemoData(args)) => server::demo::run(args),
        Some(Command::SyncDrill(args)) => client::drill::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("beyazmasa: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
