use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::{ApiQuery, outcome_entity, parse_id};
use crate::domain::search::CitizenQuery;
use crate::protocol::{Citizen, CitizenHit, Entity, MutationOp, NewCitizen, Request};
use crate::server::AppState;
use crate::server::auth::AuthUser;
use crate::server::error::{ApiError, ApiJson};
use crate::server::service;
use crate::server::store::{CITIZEN, RequestFilter};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/citizens", get(search).post(create))
        .route("/citizens/{id}", get(get_one))
        .route("/citizens/{id}/requests", get(history))
}

/// Creates a citizen. A client-supplied `id` makes it idempotent.
#[utoipa::path(post, path = "/api/v1/citizens", tag = "citizens", request_body = NewCitizen, security(("bearer" = [])),
    responses((status = 201, body = Citizen), (status = 422, body = crate::protocol::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<NewCitizen>,
) -> Result<(StatusCode, Json<Citizen>), ApiError> {
    let outcome = service::apply_once(&state, &user, MutationOp::CreateCitizen { citizen: body }).await?;
    match outcome_entity(outcome)? {
        Entity::Citizen(c) => Ok((StatusCode::CREATED, Json(*c))),
        Entity::Request(_) => Err(anyhow::anyhow!("create citizen returned a request").into()),
    }
}

#[utoipa::path(get, path = "/api/v1/citizens/{id}", tag = "citizens", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Citizen), (status = 404, body = crate::protocol::ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Citizen>, ApiError> {
    let id = parse_id("id", &id)?;
    let c = state.store.citizen(id).await?.ok_or_else(|| ApiError::NotFound(format!("citizen {id}")))?;
    state.audit.record(user.username(), "citizen.view", CITIZEN, id.to_string(), String::new());
    Ok(Json(c))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// Phone in any written form or its last digits, T.C. Kimlik No, name, or address.
    pub q: String,
    #[serde(default)]
    pub limit: Option<usize>,
}

/// Finds callers by phone, ID number, name (Turkish-folded, typo-tolerant) or address.
#[utoipa::path(get, path = "/api/v1/citizens", tag = "citizens", security(("bearer" = [])), params(SearchParams),
    responses((status = 200, body = [CitizenHit])))]
pub async fn search(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> Result<Json<Vec<CitizenHit>>, ApiError> {
    if p.q.chars().count() > 200 {
        return Err(ApiError::invalid("q", "search text is longer than 200 characters"));
    }
    let query = CitizenQuery::new(&p.q, &state.reference.gazetteer);
    let hits = state.store.search_citizens(&query, p.limit.unwrap_or(20).clamp(1, 100)).await?;
    state.audit.record(user.username(), "citizen.search", CITIZEN, String::new(), format!("{} hits", hits.len()));
    Ok(Json(hits))
}

/// The citizen's requests, newest first, with timelines.
#[utoipa::path(get, path = "/api/v1/citizens/{id}/requests", tag = "citizens", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = [Request])))]
pub async fn history(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<Request>>, ApiError> {
    let id = parse_id("id", &id)?;
    if state.store.citizen(id).await?.is_none() {
        return Err(ApiError::NotFound(format!("citizen {id}")));
    }
    // With timelines: the agent reads out the last note and answer.
    let filter = RequestFilter { citizen_id: Some(id), limit: 200, with_timeline: true, ..Default::default() };
    let page = state.store.list_requests(&filter).await?;
    state.audit.record(user.username(), "citizen.history", CITIZEN, id.to_string(), String::new());
    Ok(Json(page.items))
}
