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
    Router::new()
        .route("/sync/push", post(push))
        .route("/sync/pull", get(pull))
        .route("/sync/serials", post(serials))
        .route("/sync/snapshot", get(snapshot))
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
    let ids: Vec<_> = body.mutations.iter().map(|m| m.mutation_id).collect();
    let outcomes = service::apply_all(&state, &user, body.mutations).await?;
    let results =
        ids.into_iter().zip(outcomes).map(|(mutation_id, outcome)| MutationResult { mutation_id, outcome }).collect();
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

/// Appends one NDJSON line.
fn line(out: &mut Vec<u8>, e: &crate::protocol::Entity) {
    let start = out.len();
    match serde_json::to_writer(&mut *out, e) {
        Ok(()) => out.push(b'\n'),
        Err(_) => out.truncate(start),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SnapshotParams {
    /// Requests created in the last this many months (default 6, at most 36);
    /// open requests of the caller's units are always included.
    #[serde(default)]
    pub months: Option<u32>,
}

/// The initial load of a new console, as NDJSON: a `SnapshotHeader` line,
/// then one entity per line. What is sent depends on the role: agents get
/// every citizen and the recent requests (for the call screen); unit
/// representatives their units' requests; leads every open request.
#[utoipa::path(get, path = "/api/v1/sync/snapshot", tag = "sync", security(("bearer" = [])), params(SnapshotParams),
    responses((status = 200, description = "application/x-ndjson: SnapshotHeader, then Entity lines")))]
pub async fn snapshot(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(p): ApiQuery<SnapshotParams>,
) -> Result<axum::response::Response, ApiError> {
    use crate::domain::status::{Role, Status};
    use crate::protocol::{Entity, SnapshotHeader};
    use crate::server::store::RequestFilter;
    let months = p.months.unwrap_or(6);
    if !(1..=36).contains(&months) {
        return Err(ApiError::invalid("months", "months must be between 1 and 36"));
    }
    // The cursor is read first: whatever changes while the snapshot streams
    // comes again in the next pull, and entities are whole states.
    let seq = state.store.current_seq().await?;
    let epoch = state.store.epoch().await?;
    let role = user.role();
    let with_citizens = matches!(role, Role::Agent | Role::Admin);
    let since = chrono::Utc::now() - chrono::Duration::days(30 * months as i64);
    let open: Vec<String> = Status::ALL.iter().filter(|s| s.is_open()).map(|s| s.as_str().to_string()).collect();
    let filters = match role {
        Role::UnitRep => vec![
            RequestFilter { units: user.user.units.clone(), statuses: open, ..Default::default() },
            RequestFilter { units: user.user.units.clone(), created_after: Some(since), ..Default::default() },
        ],
        Role::Lead => vec![RequestFilter { statuses: open, ..Default::default() }],
        Role::Agent | Role::Admin => vec![RequestFilter { created_after: Some(since), ..Default::default() }],
    };
    let citizens = if with_citizens { state.store.count_citizens().await? } else { 0 };
    let header = SnapshotHeader { epoch, seq, citizens, requests: 0 };
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(8);
    // Two tasks in a pipeline: one reads pages from the store while the
    // other turns the previous page into lines.
    let (pages_tx, mut pages) = tokio::sync::mpsc::channel::<Vec<Entity>>(2);
    let store = state.store.clone();
    tokio::spawn(async move {
        if with_citizens {
            let mut after = None;
            loop {
                let page = match store.citizens_page(after, 1000).await {
                    Ok(p) => p,
                    Err(e) => return tracing::error!(error = ?e, "snapshot citizens"),
                };
                let Some(last) = page.last() else { break };
                after = Some(last.id);
                let page = page.into_iter().map(|c| Entity::Citizen(Box::new(c))).collect();
                if pages_tx.send(page).await.is_err() {
                    return;
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        for mut f in filters {
            f.limit = 500;
            f.with_timeline = true;
            loop {
                let page = match store.list_requests(&f).await {
                    Ok(p) => p,
                    Err(e) => return tracing::error!(error = ?e, "snapshot requests"),
                };
                let next = page.next_cursor.and_then(|c| c.parse().ok());
                let items: Vec<Entity> = page
                    .items
                    .into_iter()
                    .filter(|r| seen.insert(r.id))
                    .map(|r| Entity::Request(Box::new(r)))
                    .collect();
                if !items.is_empty() && pages_tx.send(items).await.is_err() {
                    return;
                }
                match next {
                    Some(c) => f.before_id = Some(c),
                    None => break,
                }
            }
        }
    });
    tokio::spawn(async move {
        if tx.send(Ok((serde_json::to_string(&header).unwrap_or_default() + "\n").into_bytes())).await.is_err() {
            return;
        }
        while let Some(page) = pages.recv().await {
            let mut out = Vec::with_capacity(page.len() * 2048);
            for e in &page {
                line(&mut out, e);
            }
            if tx.send(Ok(out)).await.is_err() {
                return;
            }
        }
    });
    state.audit.record(
        user.username(),
        "sync.snapshot",
        "device",
        user.device_id.to_string(),
        format!("{months} months"),
    );
    let body = axum::body::Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx));
    axum::response::Response::builder()
        .header(axum::http::header::CONTENT_TYPE, "application/x-ndjson")
        .body(body)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))
}
