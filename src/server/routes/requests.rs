use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use uuid::Uuid;

use super::{ApiQuery, outcome_entity, parse_id};
use crate::domain::status::Status;
use crate::domain::tracking::TrackingNumber;
use crate::protocol::{ActionRequest, Entity, Mutation, MutationOp, NewRequest, Request, RequestPage};
use crate::server::AppState;
use crate::server::auth::AuthUser;
use crate::server::error::{ApiError, ApiJson};
use crate::server::service;
use crate::server::store::{REQUEST, RequestFilter};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/requests", get(list).post(create))
        .route("/requests/{id}", get(get_one))
        .route("/requests/{id}/actions", post(act))
}

fn into_request(e: Entity) -> Result<Request, ApiError> {
    match e {
        Entity::Request(r) => Ok(*r),
        Entity::Citizen(_) => Err(anyhow::anyhow!("expected a request entity").into()),
    }
}

/// Files a request. A client-supplied `id` (uuid v7) makes it idempotent; a
/// console may supply a tracking number from its offline block.
#[utoipa::path(post, path = "/api/v1/requests", tag = "requests", request_body = NewRequest, security(("bearer" = [])),
    responses((status = 201, body = Request), (status = 422, body = crate::protocol::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<NewRequest>,
) -> Result<(StatusCode, Json<Request>), ApiError> {
    let outcome = service::apply_once(&state, &user, MutationOp::CreateRequest { request: body }).await?;
    let r = into_request(outcome_entity(outcome)?)?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// One request with its timeline. `id` may also be a tracking number.
#[utoipa::path(get, path = "/api/v1/requests/{id}", tag = "requests", security(("bearer" = [])),
    params(("id" = String, Path, description = "uuid or tracking number")),
    responses((status = 200, body = Request), (status = 404, body = crate::protocol::ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Request>, ApiError> {
    let found = match Uuid::parse_str(id.trim()) {
        Ok(uuid) => state.store.request(uuid).await?,
        Err(_) => match TrackingNumber::parse(&id) {
            Ok(no) => state.store.request_by_tracking(&no.to_string()).await?,
            Err(_) => {
                return Err(ApiError::invalid("id", format!("'{id}' is neither an id nor a tracking number")));
            }
        },
    };
    let r = found.ok_or_else(|| ApiError::NotFound(format!("request {id}")))?;
    state.audit.record(user.username(), "request.view", REQUEST, r.id.to_string(), String::new());
    Ok(Json(r))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Unit code(s), comma-separated.
    pub unit: Option<String>,
    /// Status(es), comma-separated; `open` means every open status.
    pub status: Option<String>,
    pub category: Option<String>,
    /// District code or name.
    pub district: Option<String>,
    pub citizen: Option<Uuid>,
    /// Free text over tracking number and description.
    pub q: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

fn csv(s: &Option<String>) -> Vec<String> {
    s.as_deref()
        .map(|s| s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(String::from).collect())
        .unwrap_or_default()
}

/// Requests, newest first, a page at a time.
#[utoipa::path(get, path = "/api/v1/requests", tag = "requests", security(("bearer" = [])), params(ListParams),
    responses((status = 200, body = RequestPage), (status = 422, body = crate::protocol::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    _user: AuthUser,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<RequestPage>, ApiError> {
    let tax = &state.reference.taxonomy;
    let units = csv(&p.unit);
    if let Some(u) = units.iter().find(|u| tax.unit(u).is_none()) {
        return Err(ApiError::invalid("unit", format!("unknown unit '{u}'")));
    }
    let mut statuses = Vec::new();
    for s in csv(&p.status) {
        if s == "open" {
            statuses.extend(Status::ALL.iter().filter(|s| s.is_open()).map(|s| s.as_str().to_string()));
        } else if Status::parse(&s).is_some() {
            statuses.push(s);
        } else {
            return Err(ApiError::invalid("status", format!("unknown status '{s}'")));
        }
    }
    if let Some(c) = &p.category
        && tax.category(c).is_none()
    {
        return Err(ApiError::invalid("category", format!("unknown category '{c}'")));
    }
    let district = match &p.district {
        Some(d) => Some(
            state
                .reference
                .gazetteer
                .district(d)
                .map(|(code, _)| code.to_string())
                .ok_or_else(|| ApiError::invalid("district", format!("unknown district '{d}'")))?,
        ),
        None => None,
    };
    let before_id = p.cursor.as_deref().map(|c| parse_id("cursor", c)).transpose()?;
    if p.q.as_deref().is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::invalid("q", "search text is longer than 200 characters"));
    }
    let filter = RequestFilter {
        units,
        statuses,
        category: p.category,
        district,
        citizen_id: p.citizen,
        q: p.q,
        before_id,
        limit: p.limit.unwrap_or(50),
        ..Default::default()
    };
    Ok(Json(state.store.list_requests(&filter).await?))
}

/// Acts on a request: forward, accept, note, re-route, resolve, reopen, …
/// A stale `base_version` on a status change gives 409.
#[utoipa::path(post, path = "/api/v1/requests/{id}/actions", tag = "requests", request_body = ActionRequest,
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Request), (status = 403, body = crate::protocol::ErrorBody),
        (status = 409, body = crate::protocol::ErrorBody), (status = 422, body = crate::protocol::ErrorBody)))]
pub async fn act(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ActionRequest>,
) -> Result<Json<Request>, ApiError> {
    let id = parse_id("id", &id)?;
    let op = MutationOp::RequestAction { request_id: id, base_version: body.base_version, action: body.action };
    let outcome = match body.mutation_id {
        Some(mutation_id) => service::apply(&state, &user, Mutation { mutation_id, op }).await?,
        None => service::apply_once(&state, &user, op).await?,
    };
    Ok(Json(into_request(outcome_entity(outcome)?)?))
}
