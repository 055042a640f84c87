//! Passwords (argon2), device tokens (256-bit random, stored as SHA-256) and
//! the `AuthUser` extractor.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::AppState;
use super::error::ApiError;
use crate::domain::status::Role;
use crate::protocol::UserInfo;

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// A fresh bearer token: 32 random bytes, hex.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Tokens are stored only as their SHA-256: a leaked database leaks no token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user: UserInfo,
    pub device_id: Uuid,
}

impl AuthUser {
    pub fn role(&self) -> Role {
        self.user.role
    }

    pub fn username(&self) -> &str {
        &self.user.username
    }

    /// Whether the user may act for `unit`: unit representatives only for
    /// their own units; leads and admins for all.
    pub fn acts_for_unit(&self, unit: &str) -> bool {
        match self.user.role {
            Role::UnitRep => self.user.units.iter().any(|u| u == unit),
            Role::Lead | Role::Admin => true,
            Role::Agent => false,
        }
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| ApiError::Unauthorized("missing bearer token".into()))?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or_else(|| ApiError::Unauthorized("expected 'Authorization: Bearer <token>'".into()))?
            .trim();
        if token.is_empty() || token.len() > 256 {
            return Err(ApiError::Unauthorized("invalid token".into()));
        }
        let user = state
            .store
            .authenticate(&token_hash(token))
            .await?
            .ok_or_else(|| ApiError::Unauthorized("invalid or revoked token".into()))?;
        // Presence for the wallboard: a sign of life from this device.
        state.live.seen(user.user.id, user.device_id, chrono::Utc::now());
        Ok(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_round_trip() {
        let h = hash_password("gizli-parola").unwrap();
        assert!(verify_password("gizli-parola", &h));
        assert!(!verify_password("yanlis", &h));
        assert!(!verify_password("gizli-parola", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}
