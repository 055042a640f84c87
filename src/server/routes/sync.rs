use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::ApiQuery;
use crate::protocol::{MutationResult, PullResponse, PushRequest, PushResponse, SerialBlock};
use crate::server::AppState;
use crate::server::auth::AuthUser;
use crate::server::error::{ApiError, ApiJson};
use crate::server::service;

/// Most mutations one push may carry.
pub const MAX_PUSH: usize = 500;

pub fn router() -> Router<AppState> {
    Router::new().route("/sync/push", post(push)).route("/sync/pull", get(pull)).route("/sync/serials", post(serials))
}

/// Applies a console's outbox. Each mutation is applied on its own and gets
/// its own result; a retried batch is harmless.
#[utoipa::path(post, path = "/api/v1/sync/push", tag = "sync", request_body = PushRequest, security(("bearer" = [])),
    responses((status = 200, body = PushResponse), (status = 403, body = crate::protocol::ErrorBody)))]
pub async fn push(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<PushRequest>,
) -> Result<Json<PushResponse>, ApiError> {
    if body.device_id != user.device_id {
        return Err(ApiError::Forbidden("device_id does not match this device's token".into()));
    }
    if body.mutations.len() > MAX_PUSH {
        return Err(ApiError::invalid("mutations", format!("at most {MAX_PUSH} mutations per push")));
    }
    let mut results = Vec::with_capacity(body.mutations.len());
    for m in body.mutations {
        let mutation_id = m.mutation_id;
        let outcome = service::apply(&state, &user, m).await?;
        results.push(MutationResult { mutation_id, outcome });
    }
    Ok(Json(PushResponse { results }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PullParams {
    /// The `next` of the previous pull; 0 for everything.
    pub since: i64,
    #[serde(default)]
    pub limit: Option<u32>,
    /// The epoch the cursor belongs to; a different one gives 410.
    #[serde(default)]
    pub epoch: Option<String>,
}

/// Changes after `since`, in commit order. 410 means: re-download a
/// snapshot (keeping the outbox), because the cursor is not from this
/// database.
#[utoipa::path(get, path = "/api/v1/sync/pull", tag = "sync", security(("bearer" = [])), params(PullParams),
    responses((status = 200, body = PullResponse), (status = 410, body = crate::protocol::ErrorBody)))]
pub async fn pull(
    State(state): State<AppState>,
    _user: AuthUser,
    ApiQuery(p): ApiQuery<PullParams>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let epoch = state.store.epoch().await?;
    let current = state.store.current_seq().await?;
    let gone = p.epoch.as_deref().is_some_and(|e| e != epoch) || p.since > current || p.since < 0;
    if gone {
        let body = crate::protocol::ErrorBody {
            error: crate::protocol::ErrorDetail {
                code: "resync".into(),
                message: format!("cursor {} is not valid for epoch {epoch}; download a snapshot", p.since),
                field: Some("since".into()),
            },
        };
        return Ok((axum::http::StatusCode::GONE, Json(body)).into_response());
    }
    let (changes, next, has_more) = state.store.pull(p.since, p.limit.unwrap_or(500)).await?;
    Ok(Json(PullResponse { changes, next, has_more, epoch }).into_response())
}

#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SerialRequest {
    /// How many serials (default 200, at most 1000).
    #[serde(default)]
    pub count: Option<u32>,
}

/// Reserves a block of tracking-number serials for this device, so it can
/// issue tracking numbers while offline.
#[utoipa::path(post, path = "/api/v1/sync/serials", tag = "sync", request_body = SerialRequest, security(("bearer" = [])),
    responses((status = 200, body = SerialBlock)))]
pub async fn serials(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<SerialRequest>,
) -> Result<Json<SerialBlock>, ApiError> {
    let n = body.count.unwrap_or(200);
    if !(1..=1000).contains(&n) {
        return Err(ApiError::invalid("count", "count must be between 1 and 1000"));
    }
    let mut tx = state.store.begin().await?;
    let start = tx.allocate_serials(n).await?;
    let end = start + n - 1;
    tx.record_serial_block(user.device_id, start, end).await?;
    tx.commit().await?;
    Ok(Json(SerialBlock { start, end }))
}
