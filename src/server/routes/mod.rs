//! HTTP routes under `/api/v1`. Each resource module has its own router.

pub mod auth;
pub mod citizens;
pub mod cti;
pub mod events;
pub mod reference;
pub mod requests;
pub mod stats;
pub mod sync;

use axum::extract::{DefaultBodyLimit, FromRequestParts, State};
use axum::http::request::Parts;
use axum::routing::get;
use axum::{Json, Router};
use uuid::Uuid;

use super::AppState;
use super::error::ApiError;
use crate::protocol::{Entity, Health, Outcome};

/// Request bodies above this are refused with 413 before parsing.
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(openapi))
        .merge(auth::router())
        .merge(citizens::router())
        .merge(requests::router())
        .merge(reference::router())
        .merge(sync::router())
        .merge(events::router())
        .merge(cti::router())
        .merge(stats::router());
    Router::new()
        .nest("/api/v1", api)
        .fallback(|| async { ApiError::NotFound("route".into()) })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

#[utoipa::path(get, path = "/api/v1/health", tag = "system",
    responses((status = 200, description = "Server and database are up", body = Health)))]
pub async fn health(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    let seq = state.store.current_seq().await?;
    Ok(Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        db: state.store.backend().into(),
        seq,
    }))
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(super::openapi::document())
}

/// Query-string extractor with the API's error shape.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(e) => {
                let text = e.body_text();
                let msg = text.split_once(": ").map(|(_, m)| m).unwrap_or(&text).to_string();
                let field = msg.split('`').nth(1).map(str::to_string);
                Err(ApiError::Invalid { field, message: format!("bad query string: {msg}") })
            }
        }
    }
}

pub fn parse_id(field: &str, s: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(s.trim()).map_err(|_| ApiError::invalid(field, format!("'{s}' is not a valid id")))
}

/// Turns a mutation outcome into an HTTP result for the plain REST routes.
pub fn outcome_entity(outcome: Outcome) -> Result<Entity, ApiError> {
    match outcome {
        Outcome::Applied { entity, .. } => Ok(entity),
        Outcome::Duplicate { original } => outcome_entity(*original),
        Outcome::Conflict { message, current } => Err(ApiError::Conflict { message, current: Some(Box::new(current)) }),
        Outcome::Rejected { code, message, field } => Err(match code.as_str() {
            "forbidden" => ApiError::Forbidden(message),
            "not_found" => ApiError::NotFound(message.trim_end_matches(" not found").to_string()),
            "invalid_transition" => ApiError::InvalidTransition(message),
            "conflict" => ApiError::Conflict { message, current: None },
            "unauthorized" => ApiError::Unauthorized(message),
            _ => ApiError::Invalid { field, message },
        }),
    }
}
