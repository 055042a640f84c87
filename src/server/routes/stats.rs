//! The shift lead's wallboard: `GET /stats/*`, one endpoint per pane and
//! `/stats/wallboard` for all of them. Leads and admins read everything;
//! unit representatives read the request panes (units, aging, SLA, hot
//! spots, escalations) for their own units; agents read none. "Now" is the
//! server's clock; there is no way to ask for another instant.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;

use super::ApiQuery;
use crate::domain::status::Role;
use crate::protocol::stats::{
    AgentsPane, AgingPane, EscalationsPane, HotspotsPane, IntakePane, SlaPane, UnitsPane, Wallboard,
};
use crate::server::AppState;
use crate::server::auth::AuthUser;
use crate::server::error::ApiError;
use crate::server::stats::{self, DEFAULT_HOTSPOTS, DEFAULT_LIMIT, MAX_LIMIT, Scope};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/stats/units", get(units))
        .route("/stats/aging", get(aging))
        .route("/stats/sla", get(sla))
        .route("/stats/intake", get(intake))
        .route("/stats/agents", get(agents))
        .route("/stats/hotspots", get(hotspots))
        .route("/stats/escalations", get(escalations))
        .route("/stats/wallboard", get(wallboard))
}

/// A caller who may read the unit-scoped panes: a lead, an admin or a unit
/// representative. Checked before the query string, so an agent gets 403
/// whatever it asks.
pub struct StatsUser(pub AuthUser);

impl FromRequestParts<AppState> for StatsUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        match user.role() {
            Role::Lead | Role::Admin | Role::UnitRep => Ok(StatsUser(user)),
            Role::Agent => Err(ApiError::Forbidden("the wallboard is for shift leads and unit representatives".into())),
        }
    }
}

/// A lead or an admin: the centre-wide panes (intake, agents, wallboard).
pub struct LeadUser(pub AuthUser);

impl FromRequestParts<AppState> for LeadUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        match user.role() {
            Role::Lead | Role::Admin => Ok(LeadUser(user)),
            r => {
                Err(ApiError::Forbidden(format!("role '{}' may not read this pane; it is for shift leads", r.as_str())))
            }
        }
    }
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UnitParams {
    /// Unit code(s), comma-separated. Default: every unit (a unit
    /// representative: their own units).
    pub unit: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Unit code(s), comma-separated. Default: every unit (a unit
    /// representative: their own units).
    pub unit: Option<String>,
    /// Longest list returned, 1–1000.
    pub limit: Option<u32>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LimitParams {
    /// Longest list returned, 1–1000 (hot spots: at most 10).
    pub limit: Option<u32>,
}

/// The units a request covers: checked against the taxonomy and the
/// caller's own units.
fn scope(state: &AppState, user: &AuthUser, unit: Option<&str>) -> Result<Scope, ApiError> {
    let asked: Vec<String> =
        unit.unwrap_or("").split(',').map(str::trim).filter(|u| !u.is_empty()).map(String::from).collect();
    if let Some(u) = asked.iter().find(|u| state.reference.taxonomy.unit(u).is_none()) {
        return Err(ApiError::invalid("unit", format!("unknown unit '{u}'")));
    }
    if unit.is_some() && asked.is_empty() {
        return Err(ApiError::invalid("unit", "name at least one unit, or leave unit out"));
    }
    match user.role() {
        Role::Lead | Role::Admin if asked.is_empty() => Ok(Scope::All),
        Role::Lead | Role::Admin => Ok(Scope::Units(asked)),
        Role::UnitRep if asked.is_empty() => Ok(Scope::Units(user.user.units.clone())),
        Role::UnitRep => match asked.iter().find(|u| !user.user.units.contains(u)) {
            Some(u) => Err(ApiError::Forbidden(format!("unit {u} is not one of yours"))),
            None => Ok(Scope::Units(asked)),
        },
        Role::Agent => Err(ApiError::Forbidden("the wallboard is for shift leads and unit representatives".into())),
    }
}

fn limit(asked: Option<u32>, default: u32) -> Result<u32, ApiError> {
    match asked {
        None => Ok(default),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::invalid("limit", format!("limit is {n}; it must be between 1 and {MAX_LIMIT}"))),
    }
}

/// Open requests per unit: new, in progress, waiting, overdue, due within 2 hours.
#[utoipa::path(get, path = "/api/v1/stats/units", tag = "stats", security(("bearer" = [])), params(UnitParams),
    responses((status = 200, body = UnitsPane), (status = 403, body = crate::protocol::ErrorBody),
        (status = 422, body = crate::protocol::ErrorBody)))]
pub async fn units(
    State(state): State<AppState>,
    StatsUser(user): StatsUser,
    ApiQuery(p): ApiQuery<UnitParams>,
) -> Result<Json<UnitsPane>, ApiError> {
    let scope = scope(&state, &user, p.unit.as_deref())?;
    let mut r = state.store.stats_reader().await?;
    Ok(Json(stats::units(r.as_mut(), &scope, Utc::now()).await?))
}

/// Open requests by age since filing: under 4 h, 1 d, 3 d, 7 d, 15 d, older; overall and per unit.
#[utoipa::path(get, path = "/api/v1/stats/aging", tag = "stats", security(("bearer" = [])), params(UnitParams),
    responses((status = 200, body = AgingPane), (status = 403, body = crate::protocol::ErrorBody),
        (status = 422, body = crate::protocol::ErrorBody)))]
pub async fn aging(
    State(state): State<AppState>,
    StatsUser(user): StatsUser,
    ApiQuery(p): ApiQuery<UnitParams>,
) -> Result<Json<AgingPane>, ApiError> {
    let scope = scope(&state, &user, p.unit.as_deref())?;
    let mut r = state.store.stats_reader().await?;
    Ok(Json(stats::aging(r.as_mut(), &scope, Utc::now()).await?))
}

/// SLA breaches now (longest overdue first) and what breaches within 2 hours (soonest first).
/// Waiting requests are never listed: their clock is paused.
#[utoipa::path(get, path = "/api/v1/stats/sla", tag = "stats", security(("bearer" = [])), params(ListParams),
    responses((status = 200, body = SlaPane), (status = 403, body = crate::protocol::ErrorBody),
        (status = 422, body = crate::protocol::ErrorBody)))]
pub async fn sla(
    State(state): State<AppState>,
    StatsUser(user): StatsUser,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<SlaPane>, ApiError> {
    let scope = scope(&state, &user, p.unit.as_deref())?;
    let limit = limit(p.limit, DEFAULT_LIMIT)?;
    let mut r = state.store.stats_reader().await?;
    Ok(Json(stats::sla(r.as_mut(), &scope, Utc::now(), limit).await?))
}

/// Requests filed per hour today (Europe/Istanbul) beside the same weekday of the last 4 weeks, and per channel.
#[utoipa::path(get, path = "/api/v1/stats/intake", tag = "stats", security(("bearer" = [])),
    responses((status = 200, body = IntakePane), (status = 403, body = crate::protocol::ErrorBody)))]
pub async fn intake(
    State(state): State<AppState>,
    LeadUser(_user): LeadUser,
    ApiQuery(_p): ApiQuery<NoParams>,
) -> Result<Json<IntakePane>, ApiError> {
    let mut r = state.store.stats_reader().await?;
    Ok(Json(stats::intake(r.as_mut(), Utc::now()).await?))
}

/// Agents: who is signed in, who is on a call and for how long, calls handled and average handling time today.
#[utoipa::path(get, path = "/api/v1/stats/agents", tag = "stats", security(("bearer" = [])),
    responses((status = 200, body = AgentsPane), (status = 403, body = crate::protocol::ErrorBody)))]
pub async fn agents(
    State(state): State<AppState>,
    LeadUser(_user): LeadUser,
    ApiQuery(_p): ApiQuery<NoParams>,
) -> Result<Json<AgentsPane>, ApiError> {
    let now = Utc::now();
    let users = state.store.list_users().await?;
    let live = state.live.snapshot(now);
    let mut r = state.store.stats_reader().await?;
    Ok(Json(stats::agents(r.as_mut(), &users, &live, now).await?))
}

/// The category × neighbourhood pairs filed most in the last 24 hours, with the last hour's share.
#[utoipa::path(get, path = "/api/v1/stats/hotspots", tag = "stats", security(("bearer" = [])), params(ListParams),
    responses((status = 200, body = HotspotsPane), (status = 403, body = crate::protocol::ErrorBody),
        (status = 422, body = crate::protocol::ErrorBody)))]
pub async fn hotspots(
    State(state): State<AppState>,
    StatsUser(user): StatsUser,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<HotspotsPane>, ApiError> {
    let scope = scope(&state, &user, p.unit.as_deref())?;
    let limit = limit(p.limit, DEFAULT_HOTSPOTS)?;
    let mut r = state.store.stats_reader().await?;
    Ok(Json(stats::hotspots(r.as_mut(), &scope, Utc::now(), limit).await?))
}

/// Open requests bounced between units, reopened, or chased by the citizen 3 times or more.
#[utoipa::path(get, path = "/api/v1/stats/escalations", tag = "stats", security(("bearer" = [])), params(ListParams),
    responses((status = 200, body = EscalationsPane), (status = 403, body = crate::protocol::ErrorBody),
        (status = 422, body = crate::protocol::ErrorBody)))]
pub async fn escalations(
    State(state): State<AppState>,
    StatsUser(user): StatsUser,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<EscalationsPane>, ApiError> {
    let scope = scope(&state, &user, p.unit.as_deref())?;
    let limit = limit(p.limit, DEFAULT_LIMIT)?;
    let mut r = state.store.stats_reader().await?;
    Ok(Json(stats::escalations(r.as_mut(), &scope, Utc::now(), limit).await?))
}

/// Every pane at once, from one consistent snapshot (all units).
#[utoipa::path(get, path = "/api/v1/stats/wallboard", tag = "stats", security(("bearer" = [])), params(LimitParams),
    responses((status = 200, body = Wallboard), (status = 403, body = crate::protocol::ErrorBody),
        (status = 422, body = crate::protocol::ErrorBody)))]
pub async fn wallboard(
    State(state): State<AppState>,
    LeadUser(_user): LeadUser,
    ApiQuery(p): ApiQuery<LimitParams>,
) -> Result<Json<Wallboard>, ApiError> {
    let limit = limit(p.limit, DEFAULT_LIMIT)?;
    let now = Utc::now();
    let users = state.store.list_users().await?;
    let live = state.live.snapshot(now);
    let mut r = state.store.stats_reader().await?;
    Ok(Json(stats::wallboard(r.as_mut(), &users, &live, now, limit).await?))
}
