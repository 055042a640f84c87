use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::ApiQuery;
use crate::protocol::{MutationResult, PullResponse, PushRequest, PushResponse, SerialBlock};
use crate::server::AppState;
use crate::server::auth::AuthUser;
use crate::server::error::{ApiError, ApiJson};
use crate::server::images::Scope;
use crate::server::service;

/// Most mutations one push may carry.
pub const MAX_PUSH: usize = 500;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sync/push", post(push))
        .route("/sync/pull", get(pull))
        .route("/sync/serials", post(serials))
        .route("/sync/snapshot", get(snapshot))
        .route("/sync/snapshot/image", get(snapshot_image))
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

fn months_param(p: &SnapshotParams) -> Result<u32, ApiError> {
    let months = p.months.unwrap_or(6);
    if !(1..=36).contains(&months) {
        return Err(ApiError::invalid("months", "months must be between 1 and 36"));
    }
    Ok(months)
}

/// The response headers naming where a snapshot image stands.
pub const IMAGE_SEQ: &str = "x-snapshot-seq";
pub const IMAGE_EPOCH: &str = "x-snapshot-epoch";

/// The same data as `/sync/snapshot`, as a prebuilt console cache file
/// (SQLite) at the sequence and epoch of its `x-snapshot-seq` and
/// `x-snapshot-epoch` headers; the console pulls from there. Images are
/// built in the background on first demand: `404 not_found` means none is
/// ready yet (or the database is too small to need one), so load the stream.
#[utoipa::path(get, path = "/api/v1/sync/snapshot/image", tag = "sync", security(("bearer" = [])), params(SnapshotParams),
    responses((status = 200, description = "application/vnd.sqlite3: a console cache file"),
        (status = 404, body = crate::protocol::ErrorBody)))]
pub async fn snapshot_image(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(p): ApiQuery<SnapshotParams>,
) -> Result<axum::response::Response, ApiError> {
    let months = months_param(&p)?;
    let scope = Scope::of(&user, months);
    let seq = state.store.current_seq().await?;
    let epoch = state.store.epoch().await?;
    let Some(image) = state.images.get(&scope, &state.store, seq, &epoch) else {
        return Err(ApiError::NotFound("a snapshot image (not built yet; load /sync/snapshot)".into()));
    };
    let file = tokio::fs::File::open(&image.path).await.map_err(|e| ApiError::Internal(e.into()))?;
    state.audit.record(
        user.username(),
        "sync.snapshot",
        "device",
        user.device_id.to_string(),
        format!("{months} months, image at {}", image.seq),
    );
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::with_capacity(file, 1 << 20));
    axum::response::Response::builder()
        .header(axum::http::header::CONTENT_TYPE, "application/vnd.sqlite3")
        .header(axum::http::header::CONTENT_LENGTH, image.bytes)
        .header(IMAGE_SEQ, image.seq)
        .header(IMAGE_EPOCH, image.epoch.as_str())
        .body(body)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))
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
    use crate::protocol::SnapshotHeader;
    let months = months_param(&p)?;
    // The cursor is read first: whatever changes while the snapshot streams
    // comes again in the next pull, and entities are whole states.
    let seq = state.store.current_seq().await?;
    let epoch = state.store.epoch().await?;
    let scope = Scope::of(&user, months);
    let citizens = if scope.with_citizens { state.store.count_citizens().await? } else { 0 };
    let header = SnapshotHeader { epoch, seq, citizens, requests: 0 };
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(8);
    // Two tasks in a pipeline: one reads pages from the store while the
    // other turns the previous page into lines.
    let mut pages = scope.pages(state.store.clone());
    tokio::spawn(async move {
        if tx.send(Ok((serde_json::to_string(&header).unwrap_or_default() + "\n").into_bytes())).await.is_err() {
            return;
        }
        while let Some(page) = pages.recv().await {
            let page = match page {
                Ok(p) => p,
                Err(e) => {
                    // The body ends in an error: the console sees a cut stream.
                    tracing::error!(error = ?e, "snapshot");
                    let _ = tx.send(Err(std::io::Error::other("snapshot failed"))).await;
                    return;
                }
            };
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
