use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;

use crate::domain::phone::Phone;
use crate::domain::query::CallerQuery;
use crate::domain::search::CitizenQuery;
use crate::protocol::{CtiCall, ServerEvent};
use crate::server::AppState;
use crate::server::auth::AuthUser;
use crate::server::error::{ApiError, ApiJson};
use crate::server::service::clean_text;
use crate::server::store::CallRecord;

pub fn router() -> Router<AppState> {
    Router::new().route("/cti/calls", post(call))
}

/// The phone system reports a call; the console logged in at the extension
/// gets a screen pop with the matching citizen, if one is known. The events
/// also drive the wallboard's call state per extension (`GET /stats/agents`).
#[utoipa::path(post, path = "/api/v1/cti/calls", tag = "cti", request_body = CtiCall, security(("bearer" = [])),
    responses((status = 202, description = "Screen pop sent"), (status = 422, body = crate::protocol::ErrorBody)))]
pub async fn call(
    State(state): State<AppState>,
    _user: AuthUser,
    ApiJson(body): ApiJson<CtiCall>,
) -> Result<StatusCode, ApiError> {
    let extension = clean_text("extension", &body.extension, 20, false)?;
    let ani = clean_text("ani", &body.ani, 40, false)?;
    // A withheld or short-code ANI still pops, with no citizen.
    let citizen_id = match Phone::parse(&ani) {
        Ok(p) => {
            let q = CitizenQuery { parsed: CallerQuery::Phone(p), place: None };
            state.store.search_citizens(&q, 1).await?.first().map(|h| h.citizen.id)
        }
        Err(_) => None,
    };
    // The wallboard's call state: the call in progress in memory, a
    // finished one in the database (never the caller's number).
    // A failure here costs the day's tally one call, never the screen pop.
    if let Some(ended) = state.live.call_event(&extension, body.event, chrono::Utc::now()) {
        let stored = async {
            let username = state.store.user_by_extension(&extension).await?.map(|u| u.username);
            let call = CallRecord {
                extension: extension.clone(),
                username,
                ringing_at: ended.ringing_at,
                answered_at: ended.answered_at,
                ended_at: ended.ended_at,
            };
            state.store.record_call(&call).await
        };
        if let Err(e) = stored.await {
            tracing::error!(error = ?e, extension = %extension, "storing a finished call");
        }
    }
    state.live.agents_changed();
    state.events.publish(ServerEvent::ScreenPop { extension, ani, event: body.event, citizen_id, line: body.line });
    Ok(StatusCode::ACCEPTED)
}
