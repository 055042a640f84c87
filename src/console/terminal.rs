//! Entering and leaving the full-screen terminal, and making sure we leave
//! it on every way out: normal exit, error, panic and signals.

use std::io::{Stdout, stdout};
use std::sync::OnceLock;
use std::thread::ThreadId;

use crossterm::cursor::Show;
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

static UI_THREAD: OnceLock<ThreadId> = OnceLock::new();

/// The terminal in raw mode on the alternate screen. Dropping it restores
/// the terminal.
pub struct FullScreen {
    pub terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl FullScreen {
    pub fn enter() -> std::io::Result<FullScreen> {
        install_panic_hook();
        enable_raw_mode()?;
        let entered = execute!(stdout(), EnterAlternateScreen, EnableBracketedPaste)
            .and_then(|_| Terminal::new(CrosstermBackend::new(stdout())));
        match entered {
            Ok(terminal) => Ok(FullScreen { terminal }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }
}

impl Drop for FullScreen {
    fn drop(&mut self) {
        restore();
    }
}

/// Puts the terminal back as we found it. Safe to call more than once.
pub fn restore() {
    let _ = execute!(stdout(), DisableBracketedPaste, LeaveAlternateScreen, Show);
    let _ = disable_raw_mode();
}

/// A panic on the UI thread restores the terminal before the message is
/// printed. A panic on a worker thread (a failed task) is logged instead of
/// printed, so it cannot scribble over the screen; the loop carries on.
fn install_panic_hook() {
    let _ = UI_THREAD.set(std::thread::current().id());
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if UI_THREAD.get() == Some(&std::thread::current().id()) {
            restore();
            previous(info);
        } else {
            tracing::error!("task panicked: {info}");
        }
    }));
}

/// Sends `Msg::Terminate` on SIGTERM, SIGHUP or SIGINT.
pub fn forward_signals(tx: tokio::sync::mpsc::UnboundedSender<super::action::Msg>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut hup), Ok(mut int)) =
            (signal(SignalKind::terminate()), signal(SignalKind::hangup()), signal(SignalKind::interrupt()))
        else {
            tracing::warn!("cannot listen for signals");
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = hup.recv() => {}
            _ = int.recv() => {}
        }
        tracing::info!("signal received, leaving");
        let _ = tx.send(super::action::Msg::Terminate);
    });
}
