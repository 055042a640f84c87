use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use uuid::Uuid;

use crate::protocol::{LoginRequest, LoginResponse, UserInfo};
use crate::server::AppState;
use crate::server::auth::{AuthUser, new_token, token_hash, verify_password};
use crate::server::error::{ApiError, ApiJson};
use crate::server::service::clean_text;

/// A real argon2 hash of a random password, made once.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| crate::server::auth::hash_password(&new_token()).unwrap_or_default())
}

pub fn router() -> Router<AppState> {
    Router::new().route("/auth/login", post(login)).route("/auth/me", get(me))
}

/// Logs a user in on a device and issues that device's bearer token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = crate::protocol::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let device_name = clean_text("device_name", &body.device_name, 100, false)?;
    let user = state.store.user_by_username(body.username.trim()).await?;
    // Unknown users cost an argon2 run too, so timing does not tell which
    // user names exist; the message is the same either way.
    let verified = match &user {
        Some(u) => verify_password(&body.password, &u.password_hash) && !u.disabled,
        None => {
            verify_password(&body.password, dummy_hash());
            false
        }
    };
    let user = match user {
        Some(u) if verified => u,
        _ => return Err(ApiError::Unauthorized("wrong username or password".into())),
    };
    let token = new_token();
    let device_id = body.device_id.unwrap_or_else(Uuid::now_v7);
    state.store.insert_token(&token_hash(&token), user.info.id, device_id, &device_name).await?;
    state.audit.record(&user.info.username, "auth.login", "device", device_id.to_string(), device_name);
    Ok(Json(LoginResponse { token, device_id, user: user.info }))
}

/// The user behind the token.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = UserInfo), (status = 401, body = crate::protocol::ErrorBody)))]
pub async fn me(user: AuthUser) -> Json<UserInfo> {
    Json(user.user)
}
