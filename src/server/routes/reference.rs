use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::ApiQuery;
use crate::domain::reference::{Category, District, HolidayCalendar, Unit};
use crate::protocol::SuggestedCategory;
use crate::server::AppState;
use crate::server::auth::AuthUser;
use crate::server::error::ApiError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/units", get(units))
        .route("/categories", get(categories))
        .route("/categories/suggest", get(suggest))
        .route("/districts", get(districts))
        .route("/holidays", get(holidays))
}

#[utoipa::path(get, path = "/api/v1/units", tag = "reference", security(("bearer" = [])), responses((status = 200, body = [Unit])))]
pub async fn units(State(state): State<AppState>, _u: AuthUser) -> Json<Vec<Unit>> {
    Json(state.reference.taxonomy.units.clone())
}

#[utoipa::path(get, path = "/api/v1/categories", tag = "reference", security(("bearer" = [])), responses((status = 200, body = [Category])))]
pub async fn categories(State(state): State<AppState>, _u: AuthUser) -> Json<Vec<Category>> {
    Json(state.reference.taxonomy.categories.clone())
}

#[utoipa::path(get, path = "/api/v1/districts", tag = "reference", security(("bearer" = [])), responses((status = 200, body = [District])))]
pub async fn districts(_u: AuthUser) -> Json<Vec<District>> {
    Json(crate::domain::reference::shipped_places().districts)
}

#[utoipa::path(get, path = "/api/v1/holidays", tag = "reference", security(("bearer" = [])), responses((status = 200, body = HolidayCalendar)))]
pub async fn holidays(_u: AuthUser) -> Json<HolidayCalendar> {
    Json(crate::domain::reference::shipped_holidays())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SuggestParams {
    /// What the agent typed about the problem.
    pub q: String,
    #[serde(default)]
    pub limit: Option<usize>,
}

/// Ranked category suggestions for a description typed during a call.
#[utoipa::path(get, path = "/api/v1/categories/suggest", tag = "reference", security(("bearer" = [])), params(SuggestParams),
    responses((status = 200, body = [SuggestedCategory])))]
pub async fn suggest(
    State(state): State<AppState>,
    _u: AuthUser,
    ApiQuery(p): ApiQuery<SuggestParams>,
) -> Result<Json<Vec<SuggestedCategory>>, ApiError> {
    if p.q.chars().count() > crate::protocol::MAX_TEXT_CHARS {
        return Err(ApiError::invalid("q", "text is too long"));
    }
    let tax = &state.reference.taxonomy;
    let out = state
        .reference
        .suggester
        .suggest(&p.q, p.limit.unwrap_or(3).clamp(1, 20))
        .into_iter()
        .filter_map(|s| {
            let c = tax.category(&s.code)?;
            Some(SuggestedCategory {
                code: s.code,
                unit: s.unit,
                name_tr: c.name_tr.clone(),
                name_en: c.name_en.clone(),
                score: s.score,
                emergency: c.emergency,
            })
        })
        .collect();
    Ok(Json(out))
}
