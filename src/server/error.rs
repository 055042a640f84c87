//! The one error type of the API. Every handler returns `Result<_, ApiError>`;
//! the body always has the shape `{"error":{"code","message","field"?}}`.
//! Server faults are logged with their detail and shown as a bare 500.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::protocol::{Entity, ErrorBody, ErrorDetail};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Malformed or semantically invalid input, naming the field.
    #[error("{message}")]
    Invalid { field: Option<String>, message: String },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    /// A status change that does not apply in the current state.
    #[error("{0}")]
    InvalidTransition(String),
    /// A stale `base_version` or a true edit conflict.
    #[error("{message}")]
    Conflict { message: String, current: Option<Box<Entity>> },
    #[error("request body too large")]
    TooLarge,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError::Invalid { field: Some(field.to_string()), message: message.into() }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::InvalidTransition(_) | ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Invalid { .. } => "invalid_field",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::InvalidTransition(_) => "invalid_transition",
            ApiError::Conflict { .. } => "conflict",
            ApiError::TooLarge => "too_large",
            ApiError::Internal(_) => "internal",
        }
    }

    pub fn field(&self) -> Option<String> {
        match self {
            ApiError::Invalid { field, .. } => field.clone(),
            _ => None,
        }
    }

    /// The message safe to show a client: internal details stay in the log.
    pub fn public_message(&self) -> String {
        match self {
            ApiError::Internal(_) => "internal server error".to_string(),
            other => other.to_string(),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::Internal(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(e) = &self {
            tracing::error!(error = ?e, "internal error");
        }
        let body = ErrorBody {
            error: ErrorDetail { code: self.code().to_string(), message: self.public_message(), field: self.field() },
        };
        (self.status(), Json(body)).into_response()
    }
}

/// A JSON body extractor whose rejections use the API's error shape and name
/// the offending field where serde tells it.
pub struct ApiJson<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::rejection::JsonRejection;
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::JsonDataError(e)) => Err(data_error(&e.body_text())),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(ApiError::Invalid {
                field: None,
                message: format!("malformed JSON: {}", strip_prefix(&e.body_text())),
            }),
            Err(JsonRejection::MissingJsonContentType(_)) => {
                Err(ApiError::Invalid { field: None, message: "expected Content-Type: application/json".into() })
            }
            Err(JsonRejection::BytesRejection(e)) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::TooLarge)
            }
            Err(e) => Err(ApiError::Invalid { field: None, message: e.body_text() }),
        }
    }
}

fn strip_prefix(s: &str) -> &str {
    s.split_once(": ").map(|(_, rest)| rest).unwrap_or(s)
}

/// Turns serde's "path: message" text into an error naming the field.
fn data_error(text: &str) -> ApiError {
    // axum: "Failed to deserialize the JSON body into the target type: <path>: <msg> at line ..."
    let detail = strip_prefix(text);
    let (path, msg) = match detail.split_once(": ") {
        Some((p, m)) if !p.contains(' ') => (Some(p.to_string()), m.to_string()),
        _ => (None, detail.to_string()),
    };
    // serde names unknown and missing fields in backticks.
    let named = msg.split('`').nth(1).map(str::to_string);
    let field = if msg.starts_with("unknown field") || msg.starts_with("missing field") {
        match (&path, named) {
            (Some(p), Some(n)) if *p == n || p.ends_with(&format!(".{n}")) => Some(p.clone()),
            (Some(p), Some(n)) if p != "." => Some(format!("{p}.{n}")),
            (_, n) => n,
        }
    } else {
        path.filter(|p| p != ".")
    };
    ApiError::Invalid { field, message: msg }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_field_is_named() {
        let e = data_error(
            "Failed to deserialize the JSON body into the target type: unknown field `colour`, expected one of `a`, `b` at line 1 column 10",
        );
        assert_eq!(e.field().as_deref(), Some("colour"));
    }

    #[test]
    fn nested_path_is_named() {
        let e = data_error(
            "Failed to deserialize the JSON body into the target type: channel: unknown variant `pigeon`, expected one of `web` at line 1 column 20",
        );
        assert_eq!(e.field().as_deref(), Some("channel"));
    }
}
