use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use futures::Stream;
use serde::Deserialize;
use tokio::sync::broadcast;

use super::ApiQuery;
use crate::domain::status::Role;
use crate::protocol::ServerEvent;
use crate::protocol::stats::StatsPane;
use crate::server::AppState;
use crate::server::auth::AuthUser;
use crate::server::error::ApiError;
use crate::server::live::StreamGuard;
use crate::server::stats;

pub fn router() -> Router<AppState> {
    Router::new().route("/events", get(events))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EventParams {
    /// Resume after this change sequence (same as the Last-Event-ID header).
    #[serde(default)]
    pub since: Option<i64>,
}

enum Phase {
    /// Replaying stored changes after the cursor.
    Replay,
    Live,
}

struct Feed {
    state: AppState,
    user: AuthUser,
    rx: broadcast::Receiver<ServerEvent>,
    stopping: tokio::sync::watch::Receiver<bool>,
    last: Option<i64>,
    phase: Phase,
    queue: std::collections::VecDeque<ServerEvent>,
    /// Counts the device as signed in while the stream is open.
    _presence: StreamGuard,
}

/// Whether a `stats` event goes to this user: leads and admins get all;
/// unit representatives those about their units' panes.
fn wants_stats(user: &AuthUser, panes: &[StatsPane], units: &[String]) -> bool {
    match user.role() {
        Role::Lead | Role::Admin => true,
        Role::UnitRep => panes.iter().any(|p| p.for_units()) && stats::concerns(&user.user.units, units),
        Role::Agent => false,
    }
}

fn to_sse(e: &ServerEvent) -> Event {
    let data = serde_json::to_string(e).unwrap_or_else(|_| "{}".into());
    match e {
        ServerEvent::Change { seq, .. } => Event::default().id(seq.to_string()).event("change").data(data),
        ServerEvent::ScreenPop { .. } => Event::default().event("screen_pop").data(data),
        ServerEvent::Stats { .. } => Event::default().event("stats").data(data),
    }
}

/// Server-Sent Events: every change (id = change sequence), screen pops
/// for the caller's extension, and for wallboard readers `stats` events
/// (at most one per 500 ms, naming the panes and units to refetch). A
/// reconnecting console sends `Last-Event-ID` and first receives the
/// changes it missed.
#[utoipa::path(get, path = "/api/v1/events", tag = "sync", security(("bearer" = [])), params(EventParams),
    responses((status = 200, description = "text/event-stream of ServerEvent")))]
pub async fn events(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    ApiQuery(p): ApiQuery<EventParams>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let from_header = headers.get("last-event-id").and_then(|v| v.to_str().ok()).map(|s| {
        s.trim()
            .parse::<i64>()
            .map_err(|_| ApiError::invalid("Last-Event-ID", format!("'{s}' is not a change sequence")))
    });
    let last = match (from_header.transpose()?, p.since) {
        (Some(h), _) => Some(h),
        (None, s) => s,
    };
    // Subscribe before replaying, so nothing falls between the two.
    let rx = state.events.subscribe();
    let phase = if last.is_some() { Phase::Replay } else { Phase::Live };
    let stopping = state.stopping.subscribe();
    let presence = state.live.stream_opened(user.user.id, user.device_id, chrono::Utc::now());
    let feed = Feed { state, user, rx, stopping, last, phase, queue: Default::default(), _presence: presence };
    let stream = futures::stream::unfold(feed, |mut f| async move {
        loop {
            if let Some(e) = f.queue.pop_front() {
                return Some((Ok(to_sse(&e)), f));
            }
            match f.phase {
                Phase::Replay => {
                    let since = f.last.unwrap_or(0);
                    match f.state.store.pull(since, 200).await {
                        Ok((changes, next, has_more)) => {
                            f.queue.extend(
                                changes.into_iter().map(|c| ServerEvent::Change { seq: c.seq, entity: c.entity }),
                            );
                            f.last = Some(next);
                            if !has_more {
                                f.phase = Phase::Live;
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = ?e, "SSE replay failed");
                            return None;
                        }
                    }
                }
                Phase::Live => match tokio::select! {
                    biased;
                    _ = f.stopping.wait_for(|stop| *stop) => return None,
                    r = f.rx.recv() => r,
                } {
                    Ok(ServerEvent::Change { seq, entity }) => {
                        if f.last.is_none_or(|l| seq > l) {
                            f.last = Some(seq);
                            return Some((Ok(to_sse(&ServerEvent::Change { seq, entity })), f));
                        }
                    }
                    Ok(pop @ ServerEvent::ScreenPop { .. }) => {
                        let ServerEvent::ScreenPop { extension, .. } = &pop else { unreachable!() };
                        if f.user.user.extension.as_deref() == Some(extension.as_str()) {
                            return Some((Ok(to_sse(&pop)), f));
                        }
                    }
                    Ok(ServerEvent::Stats { panes, units }) => {
                        if wants_stats(&f.user, &panes, &units) {
                            return Some((Ok(to_sse(&ServerEvent::Stats { panes, units })), f));
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        // Too slow a reader: catch up from the store.
                        if f.last.is_none() {
                            f.last = f.state.store.current_seq().await.ok();
                        }
                        f.phase = Phase::Replay;
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
