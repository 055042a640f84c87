//! The OpenAPI document served at `/api/v1/openapi.json`.

use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use super::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "Beyaz Masa central API", description = "Citizen requests, caller search, sync and live events for the ALO 153 call centre."),
    paths(
        routes::health,
        routes::auth::login,
        routes::auth::me,
        routes::citizens::create,
        routes::citizens::get_one,
        routes::citizens::search,
        routes::citizens::history,
        routes::requests::create,
        routes::requests::get_one,
        routes::requests::list,
        routes::requests::act,
        routes::reference::units,
        routes::reference::categories,
        routes::reference::suggest,
        routes::reference::districts,
        routes::reference::holidays,
        routes::sync::push,
        routes::sync::pull,
        routes::sync::serials,
        routes::sync::snapshot,
        routes::sync::snapshot_image,
        routes::events::events,
        routes::cti::call,
        routes::stats::units,
        routes::stats::aging,
        routes::stats::sla,
        routes::stats::intake,
        routes::stats::agents,
        routes::stats::hotspots,
        routes::stats::escalations,
        routes::stats::wallboard,
    ),
    components(schemas(crate::protocol::ErrorBody, crate::protocol::SnapshotHeader, crate::protocol::ServerEvent, crate::protocol::Mutation)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
