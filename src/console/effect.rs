//! Side effects `update` asks for. They run on tasks (see `runner`), and
//! their results come back as [`Msg`](super::action::Msg)s.

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub enum Effect {
    /// Establish the session: start the embedded server and sign in as the
    /// demo user, or check the stored device token with a real server.
    Connect,
    /// Sign in with a user name and password (login screen).
    Login { username: String, password: String },
    /// Ask the server whether it is up.
    CheckHealth,
}

impl fmt::Debug for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Effect::Connect => f.write_str("Connect"),
            Effect::Login { username, .. } => {
                f.debug_struct("Login").field("username", username).field("password", &"…").finish()
            }
            Effect::CheckHealth => f.write_str("CheckHealth"),
        }
    }
}

/// Runs effects. The real one spawns tasks; tests record them.
pub trait EffectRunner {
    fn run(&mut self, effect: Effect);
}

/// Keeps the effects it is given, for tests and benchmarks.
#[derive(Debug, Default)]
pub struct RecordingRunner {
    pub effects: Vec<Effect>,
}

impl EffectRunner for RecordingRunner {
    fn run(&mut self, effect: Effect) {
        self.effects.push(effect);
    }
}
