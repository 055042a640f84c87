//! Side effects `update` asks for. They run on tasks (see `runner`), and
//! their results come back as [`Msg`](super::action::Msg)s.

use std::fmt;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::call::ActPurpose;
use crate::protocol::{Action as Op, NewCitizen, NewRequest};

#[derive(Clone, PartialEq)]
pub enum Effect {
    /// Establish the session: start the embedded server and sign in as the
    /// demo user, or check the stored device token with a real server.
    Connect,
    /// Sign in with a user name and password (login screen).
    Login { username: String, password: String },
    /// Ask the server whether it is up.
    CheckHealth,
    /// Caller search over the offline cache.
    SearchCallers { seq: u64, query: String },
    /// Load a citizen's requests from the cache.
    LoadHistory { citizen_id: Uuid },
    /// Save a new citizen in the cache (and its outbox).
    CreateCitizen(NewCitizen),
    /// Save a new request in the cache (and its outbox).
    FileRequest(Box<NewRequest>),
    /// Apply an action to a request in the cache (and its outbox).
    Act { request_id: Uuid, op: Op, purpose: ActPurpose },
    /// Open requests of a category in a neighbourhood since a time.
    FindNearby { key: (String, String, String), since: DateTime<Utc> },
    /// Read the outbox.
    LoadOutbox,
    /// Drop a parked change (the record falls back to the server's state).
    Discard(Uuid),
    /// Send a parked change again.
    Retry(Uuid),
    /// The open requests of these units.
    LoadQueue { units: Vec<String> },
    /// One request with its citizen.
    LoadDetail(Uuid),
    /// Actions on requests (one or a bulk), each saved with its outbox row.
    QueueAct(Vec<(Uuid, Op)>),
    /// Fetch every wallboard pane from the server.
    LoadWallboard,
}

impl fmt::Debug for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Effect::Connect => f.write_str("Connect"),
            Effect::Login { username, .. } => {
                f.debug_struct("Login").field("username", username).field("password", &"…").finish()
            }
            Effect::CheckHealth => f.write_str("CheckHealth"),
            // Citizens' details stay out of logs (KVKK).
            Effect::SearchCallers { seq, .. } => f.debug_struct("SearchCallers").field("seq", seq).finish(),
            Effect::LoadHistory { citizen_id } => {
                f.debug_struct("LoadHistory").field("citizen_id", citizen_id).finish()
            }
            Effect::CreateCitizen(_) => f.write_str("CreateCitizen"),
            Effect::FileRequest(r) => f.debug_struct("FileRequest").field("category", &r.category).finish(),
            Effect::Act { request_id, purpose, .. } => {
                f.debug_struct("Act").field("request_id", request_id).field("purpose", purpose).finish()
            }
            Effect::FindNearby { key, .. } => f.debug_struct("FindNearby").field("category", &key.0).finish(),
            Effect::LoadOutbox => f.write_str("LoadOutbox"),
            Effect::Discard(id) => f.debug_tuple("Discard").field(id).finish(),
            Effect::Retry(id) => f.debug_tuple("Retry").field(id).finish(),
            Effect::LoadQueue { units } => f.debug_struct("LoadQueue").field("units", units).finish(),
            Effect::LoadDetail(id) => f.debug_tuple("LoadDetail").field(id).finish(),
            Effect::QueueAct(ops) => f.debug_tuple("QueueAct").field(&ops.len()).finish(),
            Effect::LoadWallboard => f.write_str("LoadWallboard"),
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
