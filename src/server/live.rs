//! What the wallboard knows that is not in the database: who is signed in,
//! who is on a call, and the throttled `stats` event.
//!
//! - **Signed in** ("logged in"): the store has tokens but no sessions, and
//!   a token lives until revoked, so a token alone says nothing. A device
//!   counts as signed in while its event stream (`GET /events`) is open, or
//!   for [`PRESENCE_WINDOW`] after its last authenticated request. A
//!   running console keeps its stream open and syncs every 15–30 s, so it
//!   never drops out; a closed console drops out when its stream ends, a
//!   crashed one within the window; a revoked token cannot authenticate, so
//!   its device drops out too.
//! - **Calls**: the phone system's `ringing`/`answered`/`hangup` events
//!   (`POST /cti/calls`) drive one call state per extension. A finished
//!   call is kept in the database (extension, user, times; never the
//!   caller's number) for the day's tallies; the call in progress is only
//!   in memory.
//!
//! Both are per server process: a restart forgets them until consoles sync
//! again (seconds) and the next call starts. With SQLite there is one
//! server process per database anyway.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{broadcast, mpsc};
use uuid::Uuid;

use super::EventHub;
use crate::protocol::stats::{CallState, StatsPane};
use crate::protocol::{CallEvent, Entity, EventKind, Request, ServerEvent};

/// How long after its last request a device without an open event stream
/// still counts as signed in.
pub const PRESENCE_WINDOW: Duration = Duration::from_secs(120);

fn presence_window() -> chrono::Duration {
    chrono::Duration::from_std(PRESENCE_WINDOW).unwrap_or(chrono::Duration::MAX)
}

/// At most one `stats` event per this interval.
pub const STATS_THROTTLE: Duration = Duration::from_millis(500);

/// One device of a user, as last seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub user_id: Uuid,
    pub device_id: Uuid,
    pub last_seen: DateTime<Utc>,
    /// Event streams open now.
    pub streams: u32,
}

impl Seen {
    pub fn present(&self, now: DateTime<Utc>) -> bool {
        self.streams > 0 || now.signed_duration_since(self.last_seen) <= presence_window()
    }
}

/// The call at an extension now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveCall {
    pub ringing_at: Option<DateTime<Utc>>,
    pub answered_at: Option<DateTime<Utc>>,
}

impl LiveCall {
    pub fn state(&self) -> (CallState, DateTime<Utc>) {
        match (self.answered_at, self.ringing_at) {
            (Some(a), _) => (CallState::Talking, a),
            (None, Some(r)) => (CallState::Ringing, r),
            // Never built without one of the two.
            (None, None) => (CallState::Ringing, DateTime::<Utc>::MIN_UTC),
        }
    }
}

/// A call that just ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndedCall {
    pub ringing_at: Option<DateTime<Utc>>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: DateTime<Utc>,
}

/// Per extension, one call at a time.
///
/// - `ringing` starts a call; while one is ringing, a new `ringing` starts
///   over (the first was lost without a hang-up); while one is answered it
///   is ignored (a second line waiting).
/// - `answered` answers the ringing call, or starts one answered now.
/// - `hangup` ends the call; without a call it is ignored.
#[derive(Debug, Default)]
pub struct CallBoard {
    calls: HashMap<String, LiveCall>,
}

impl CallBoard {
    pub fn event(&mut self, extension: &str, event: CallEvent, now: DateTime<Utc>) -> Option<EndedCall> {
        let current = self.calls.get(extension).copied();
        match (event, current) {
            (CallEvent::Ringing, Some(LiveCall { answered_at: Some(_), .. })) => None,
            (CallEvent::Ringing, _) => {
                self.calls.insert(extension.to_string(), LiveCall { ringing_at: Some(now), answered_at: None });
                None
            }
            (CallEvent::Answered, Some(LiveCall { answered_at: Some(_), .. })) => None,
            (CallEvent::Answered, Some(c)) => {
                self.calls.insert(extension.to_string(), LiveCall { answered_at: Some(now), ..c });
                None
            }
            (CallEvent::Answered, None) => {
                self.calls.insert(extension.to_string(), LiveCall { ringing_at: None, answered_at: Some(now) });
                None
            }
            (CallEvent::Hangup, Some(c)) => {
                self.calls.remove(extension);
                Some(EndedCall { ringing_at: c.ringing_at, answered_at: c.answered_at, ended_at: now })
            }
            (CallEvent::Hangup, None) => None,
        }
    }

    pub fn calls(&self) -> impl Iterator<Item = (&str, &LiveCall)> {
        self.calls.iter().map(|(e, c)| (e.as_str(), c))
    }
}

/// A copy of the live state for one wallboard read.
#[derive(Debug, Clone, Default)]
pub struct LiveSnapshot {
    pub devices: Vec<Seen>,
    pub calls: HashMap<String, LiveCall>,
}

#[derive(Default)]
struct Inner {
    presence: HashMap<(Uuid, Uuid), Seen>,
    calls: CallBoard,
}

/// Presence and calls, shared by the handlers of one server.
pub struct LiveBoard {
    inner: Mutex<Inner>,
    pokes: mpsc::UnboundedSender<Dirty>,
}

impl LiveBoard {
    /// Also starts the task that turns changes into throttled `stats`
    /// events on `events`.
    pub fn start(events: EventHub) -> Arc<LiveBoard> {
        let (pokes, rx) = mpsc::unbounded_channel();
        tokio::spawn(notify_stats(events.subscribe(), rx, events.downgrade()));
        Arc::new(LiveBoard { inner: Mutex::new(Inner::default()), pokes })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Nothing here can be left half-updated by a panic.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An authenticated request from a device.
    pub fn seen(&self, user_id: Uuid, device_id: Uuid, now: DateTime<Utc>) {
        let arrived = {
            let mut inner = self.lock();
            match inner.presence.get_mut(&(user_id, device_id)) {
                Some(s) => {
                    let arrived = !s.present(now);
                    s.last_seen = s.last_seen.max(now);
                    arrived
                }
                None => {
                    inner
                        .presence
                        .insert((user_id, device_id), Seen { user_id, device_id, last_seen: now, streams: 0 });
                    true
                }
            }
        };
        if arrived {
            self.poke(Dirty::agents());
        }
    }

    /// An event stream opened; it counts until the guard is dropped.
    pub fn stream_opened(self: &Arc<Self>, user_id: Uuid, device_id: Uuid, now: DateTime<Utc>) -> StreamGuard {
        self.seen(user_id, device_id, now);
        if let Some(s) = self.lock().presence.get_mut(&(user_id, device_id)) {
            s.streams += 1;
        }
        StreamGuard { board: self.clone(), key: (user_id, device_id) }
    }

    /// A phone-system event; returns the call it ended, if any. Call
    /// [`LiveBoard::agents_changed`] once the ended call is stored.
    pub fn call_event(&self, extension: &str, event: CallEvent, now: DateTime<Utc>) -> Option<EndedCall> {
        self.lock().calls.event(extension, event, now)
    }

    /// The agents pane changed (a call started or ended).
    pub fn agents_changed(&self) {
        self.poke(Dirty::agents());
    }

    /// The state now. Forgets devices not seen for a day.
    pub fn snapshot(&self, now: DateTime<Utc>) -> LiveSnapshot {
        let mut inner = self.lock();
        let cutoff = now - chrono::Duration::days(1);
        inner.presence.retain(|_, s| s.streams > 0 || s.last_seen >= cutoff);
        LiveSnapshot {
            devices: inner.presence.values().cloned().collect(),
            calls: inner.calls.calls().map(|(e, c)| (e.to_string(), *c)).collect(),
        }
    }

    fn poke(&self, dirty: Dirty) {
        let _ = self.pokes.send(dirty);
    }
}

/// Holds an event stream's place in the presence table.
pub struct StreamGuard {
    board: Arc<LiveBoard>,
    key: (Uuid, Uuid),
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        // The open stream was the device's sign of life until now; it stays
        // signed in for the presence window, as after any request.
        if let Some(s) = self.board.lock().presence.get_mut(&self.key) {
            s.streams = s.streams.saturating_sub(1);
            s.last_seen = s.last_seen.max(Utc::now());
        }
    }
}

/// What changed since the last `stats` event.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Dirty {
    pub panes: BTreeSet<StatsPane>,
    pub units: BTreeSet<String>,
}

impl Dirty {
    fn agents() -> Dirty {
        Dirty { panes: [StatsPane::Agents].into(), units: BTreeSet::new() }
    }

    fn everything() -> Dirty {
        Dirty { panes: StatsPane::ALL.into(), units: BTreeSet::new() }
    }

    fn is_empty(&self) -> bool {
        self.panes.is_empty()
    }

    fn merge(&mut self, other: Dirty) {
        self.panes.extend(other.panes);
        self.units.extend(other.units);
    }

    /// A changed request touches every pane (a filing counts for the
    /// intake and the agent's tally too) and its unit, plus the unit it
    /// just left when the change moved it.
    fn request(&mut self, r: &Request) {
        self.panes.extend(StatsPane::ALL);
        self.units.insert(r.unit.clone());
        let moves: Vec<_> = r
            .timeline
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Created | EventKind::Forwarded | EventKind::Rerouted))
            .filter_map(|e| e.unit.as_deref().map(|u| (u, e.at)))
            .collect();
        if let [.., (before, _), (now, at)] = moves.as_slice()
            && *at == r.updated_at
            && before != now
        {
            self.units.insert(before.to_string());
        }
    }

    fn take_event(&mut self) -> ServerEvent {
        let d = std::mem::take(self);
        ServerEvent::Stats { panes: d.panes.into_iter().collect(), units: d.units.into_iter().collect() }
    }
}

/// Turns request changes and live-state pokes into `stats` events: the
/// first change after a quiet spell goes out at once, later ones are
/// gathered and sent at most once per [`STATS_THROTTLE`].
async fn notify_stats(
    mut changes: broadcast::Receiver<ServerEvent>,
    mut pokes: mpsc::UnboundedReceiver<Dirty>,
    events: broadcast::WeakSender<ServerEvent>,
) {
    let mut dirty = Dirty::default();
    let mut next = tokio::time::Instant::now();
    loop {
        let waiting = !dirty.is_empty();
        tokio::select! {
            ev = changes.recv() => match ev {
                Ok(ServerEvent::Change { entity: Entity::Request(r), .. }) => dirty.request(&r),
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(_)) => dirty.merge(Dirty::everything()),
                Err(broadcast::error::RecvError::Closed) => return,
            },
            Some(d) = pokes.recv() => dirty.merge(d),
            _ = tokio::time::sleep_until(next), if waiting => {}
        }
        let now = tokio::time::Instant::now();
        if !dirty.is_empty() && now >= next {
            // The server is gone once nobody holds the hub.
            let Some(hub) = events.upgrade() else { return };
            // No subscribers is fine.
            let _ = hub.send(dirty.take_event());
            next = now + STATS_THROTTLE;
        }
    }
}

/// The next moment the wallboard's SLA figures change with nothing
/// written: a running request becoming overdue, or coming within
/// [`super::stats::SOON_MINUTES`] of its due time. With its unit.
async fn next_sla_edge(
    store: &dyn super::store::Store,
    units: &[String],
    now: DateTime<Utc>,
) -> anyhow::Result<Option<(DateTime<Utc>, String)>> {
    let soon = chrono::Duration::minutes(i64::from(super::stats::SOON_MINUTES));
    let horizon = now + chrono::Duration::days(7);
    let mut r = store.stats_reader().await?;
    let breach = r.running_due_list(units, Some(now), horizon, 1).await?.into_iter().next();
    let nearing = r.running_due_list(units, Some(now + soon), horizon, 1).await?.into_iter().next();
    let edges = [breach.map(|b| (b.sla_due_at, b.unit)), nearing.map(|n| (n.sla_due_at - soon, n.unit))];
    Ok(edges.into_iter().flatten().min_by_key(|(t, _)| *t))
}

/// Sends a `stats` event (units and SLA panes, the request's unit) when a
/// running request crosses its due time or comes within two hours of it,
/// so a wallboard's overdue counts move on a quiet night too. The next
/// such moment is looked up again after every change (at most once a
/// second) and at least every quarter of an hour.
pub async fn sla_clock(
    store: Arc<dyn super::store::Store>,
    units: Vec<String>,
    mut changes: broadcast::Receiver<ServerEvent>,
    events: broadcast::WeakSender<ServerEvent>,
) {
    const RECHECK: Duration = Duration::from_secs(15 * 60);
    loop {
        let now = Utc::now();
        let edge = match next_sla_edge(store.as_ref(), &units, now).await {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(error = ?e, "wallboard SLA clock");
                None
            }
        };
        let wait = edge.as_ref().and_then(|(t, _)| (*t - now).to_std().ok()).unwrap_or(RECHECK).min(RECHECK);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {
                if let Some((t, unit)) = edge && Utc::now() >= t {
                    let Some(hub) = events.upgrade() else { return };
                    let _ = hub.send(ServerEvent::Stats { panes: vec![StatsPane::Units, StatsPane::Sla], units: vec![unit] });
                }
            }
            ev = changes.recv() => {
                if let Err(broadcast::error::RecvError::Closed) = ev {
                    return;
                }
                // A change may bring an earlier edge: look again, calmly.
                tokio::time::sleep(Duration::from_secs(1)).await;
                while changes.try_recv().is_ok() {}
            }
        }
        if events.upgrade().is_none() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap()
    }

    #[test]
    fn a_call_rings_is_answered_and_ends() {
        let mut b = CallBoard::default();
        assert_eq!(b.event("1001", CallEvent::Ringing, t(0)), None);
        assert_eq!(b.calls().next().unwrap().1.state(), (CallState::Ringing, t(0)));
        assert_eq!(b.event("1001", CallEvent::Answered, t(5)), None);
        assert_eq!(b.calls().next().unwrap().1.state(), (CallState::Talking, t(5)));
        let ended = b.event("1001", CallEvent::Hangup, t(65)).unwrap();
        assert_eq!(ended, EndedCall { ringing_at: Some(t(0)), answered_at: Some(t(5)), ended_at: t(65) });
        assert_eq!(b.calls().count(), 0);
    }

    #[test]
    fn odd_event_orders() {
        let mut b = CallBoard::default();
        // Hang-up of a call never seen: nothing.
        assert_eq!(b.event("1", CallEvent::Hangup, t(0)), None);
        // Answered without ringing starts a call.
        b.event("1", CallEvent::Answered, t(1));
        // A second line ringing while talking is ignored, and so is a repeated answer.
        b.event("1", CallEvent::Ringing, t(2));
        b.event("1", CallEvent::Answered, t(3));
        assert_eq!(b.calls().next().unwrap().1.state(), (CallState::Talking, t(1)));
        let e = b.event("1", CallEvent::Hangup, t(10)).unwrap();
        assert_eq!((e.ringing_at, e.answered_at), (None, Some(t(1))));
        // Ringing twice: the second ring starts over; unanswered hang-up is a missed call.
        b.event("2", CallEvent::Ringing, t(20));
        b.event("2", CallEvent::Ringing, t(30));
        let e = b.event("2", CallEvent::Hangup, t(40)).unwrap();
        assert_eq!((e.ringing_at, e.answered_at), (Some(t(30)), None));
    }

    #[test]
    fn a_reroute_names_both_units() {
        use crate::domain::model::{Channel, Priority, RequestType};
        use crate::domain::status::Status;
        use crate::protocol::TimelineEvent;
        let ev = |kind, unit: &str, at| TimelineEvent {
            id: Uuid::now_v7(),
            at,
            actor: "lead".into(),
            kind,
            status: None,
            unit: Some(unit.into()),
            text: None,
            internal: false,
        };
        let mut r = Request {
            id: Uuid::now_v7(),
            tracking_no: "X".into(),
            kind: RequestType::Complaint,
            channel: Channel::Line153,
            category: "SU_ARIZA".into(),
            unit: "PARK_BAHCE".into(),
            status: Status::Forwarded,
            priority: Priority::Normal,
            location: None,
            description: String::new(),
            citizen_id: None,
            created_by: Uuid::nil(),
            assigned_to: None,
            duplicate_of: None,
            co_reporters: Vec::new(),
            sla_due_at: t(100),
            paused_at: None,
            contacts: 0,
            call_seconds: None,
            created_at: t(0),
            updated_at: t(50),
            version: 2,
            timeline: vec![
                ev(EventKind::Created, "GASKI", t(0)),
                ev(EventKind::Forwarded, "GASKI", t(0)),
                ev(EventKind::Rerouted, "PARK_BAHCE", t(50)),
            ],
        };
        let mut d = Dirty::default();
        d.request(&r);
        assert_eq!(d.units.iter().collect::<Vec<_>>(), ["GASKI", "PARK_BAHCE"]);
        assert_eq!(d.panes.len(), StatsPane::ALL.len());
        // A later note on the same request names only where it is now.
        r.updated_at = t(60);
        let mut d = Dirty::default();
        d.request(&r);
        assert_eq!(d.units.iter().collect::<Vec<_>>(), ["PARK_BAHCE"]);
    }

    #[test]
    fn presence_window() {
        let s = Seen { user_id: Uuid::nil(), device_id: Uuid::nil(), last_seen: t(0), streams: 0 };
        assert!(s.present(t(120)));
        assert!(!s.present(t(121)));
        assert!(Seen { streams: 1, ..s.clone() }.present(t(100_000)));
    }
}
