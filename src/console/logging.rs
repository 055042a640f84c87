//! Logs go to a daily rolling file in the data dir, never to the screen.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{Builder, Rotation};
use tracing_subscriber::EnvFilter;

/// Starts file logging; keep the guard alive until exit so the last lines
/// are written. `BEYAZMASA_LOG` sets the filter (default `info`).
pub fn init(dir: &Path) -> Option<WorkerGuard> {
    // The appender prints to stderr (onto the screen) if the directory is
    // missing when it prunes old files; make sure it exists.
    std::fs::create_dir_all(dir).ok()?;
    let appender = Builder::new()
        .rotation(Rotation::DAILY)
        .filename_prefix("console")
        .filename_suffix("log")
        .max_log_files(14)
        .build(dir)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_from_env("BEYAZMASA_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt().with_writer(writer).with_ansi(false).with_env_filter(filter).try_init().ok()?;
    Some(guard)
}
