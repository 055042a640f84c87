//! The event loop: terminal input, messages from tasks and a clock tick go
//! through `update`; effects go to the runner; a frame is drawn only when
//! something visible changed. Generic over the input stream and the
//! backend, so tests drive it headless with `TestBackend` and a channel.

use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};
use crossterm::event::Event;
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;

use super::action::Msg;
use super::effect::EffectRunner;
use super::state::State;
use super::theme::Theme;
use super::{ui, update};

/// Where the time comes from; tests and snapshots use a fixed one.
pub trait Clock {
    fn now(&self) -> DateTime<FixedOffset>;
}

/// The wall clock in Turkey's time (UTC+3 all year since 2016), whatever
/// the machine's own time zone: agents read times aloud to citizens.
pub struct SystemClock;

pub const TURKEY_OFFSET_SECS: i32 = 3 * 3600;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<FixedOffset> {
        let turkey = FixedOffset::east_opt(TURKEY_OFFSET_SECS).expect("valid offset");
        chrono::Utc::now().with_timezone(&turkey)
    }
}

pub struct FixedClock(pub DateTime<FixedOffset>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<FixedOffset> {
        self.0
    }
}

/// Turns a terminal event into a message; mouse and focus events are
/// ignored.
pub fn translate(event: Event) -> Option<Msg> {
    match event {
        Event::Key(key) => Some(Msg::Key(key)),
        Event::Paste(text) => Some(Msg::Paste(text)),
        Event::Resize(width, height) => Some(Msg::Resize { width, height }),
        _ => None,
    }
}

pub struct Loop<'a, R: EffectRunner> {
    pub theme: &'a Theme,
    pub runner: &'a mut R,
    pub clock: &'a dyn Clock,
    /// How often the clock ticks (the status bar shows minutes; the call
    /// timer seconds).
    pub tick: Duration,
    /// Process start, to log the time to the first frame.
    pub started: Option<Instant>,
}

impl<R: EffectRunner> Loop<'_, R> {
    fn dispatch(&mut self, state: &mut State, msg: Msg) {
        for effect in update::update(state, msg) {
            self.runner.run(effect);
        }
    }

    /// Runs until the state says quit or the input ends.
    pub async fn run<B, I>(
        &mut self,
        terminal: &mut Terminal<B>,
        mut input: I,
        mut messages: mpsc::UnboundedReceiver<Msg>,
        state: &mut State,
    ) -> anyhow::Result<()>
    where
        B: Backend,
        B::Error: std::error::Error + Send + Sync + 'static,
        I: Stream<Item = std::io::Result<Event>> + Unpin,
    {
        for effect in update::init(state) {
            self.runner.run(effect);
        }
        let mut ticker = tokio::time::interval(self.tick);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            if state.dirty {
                terminal.draw(|frame| ui::render(frame, state, self.theme))?;
                state.dirty = false;
                if let Some(started) = self.started.take() {
                    tracing::info!(ms = started.elapsed().as_secs_f64() * 1000.0, "first frame drawn");
                }
            }
            if state.quit {
                return Ok(());
            }
            let msg = tokio::select! {
                event = input.next() => match event {
                    Some(Ok(event)) => match translate(event) {
                        Some(msg) => msg,
                        None => continue,
                    },
                    Some(Err(e)) => return Err(e.into()),
                    None => Msg::Terminate,
                },
                Some(msg) = messages.recv() => msg,
                _ = ticker.tick() => Msg::Tick(self.clock.now()),
            };
            self.dispatch(state, msg);
            // Take everything already waiting before drawing once.
            while let Ok(msg) = messages.try_recv() {
                self.dispatch(state, msg);
            }
        }
    }
}
