//! A typed HTTP client for the central API.

use std::time::Duration;

use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::protocol::{
    CitizenHit, Entity, ErrorBody, Health, LoginRequest, LoginResponse, PullResponse, PushRequest, PushResponse,
    Request, SerialBlock, SnapshotHeader, UserInfo,
};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The server could not be reached (or timed out): work offline.
    #[error("server unreachable: {0}")]
    Unreachable(String),
    /// The cursor is not valid for the server's epoch: re-download.
    #[error("resync needed: {0}")]
    Gone(String),
    #[error("not logged in or token revoked: {0}")]
    Unauthorized(String),
    /// The server answered with an error body.
    #[error("{message} ({status})")]
    Server { status: u16, code: String, message: String, field: Option<String> },
    #[error("unexpected response: {0}")]
    Protocol(String),
}

impl ApiError {
    /// Whether retrying later may succeed (network trouble or a 5xx).
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::Unreachable(_) => true,
            ApiError::Server { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}

/// The code, message and field of an error answer. A body that is not the
/// API's error shape (a proxy's HTML page, garbage) is not shown to the
/// user: it goes to the log, and the message says only that.
fn error_body(bytes: &[u8]) -> (String, String, Option<String>) {
    match serde_json::from_slice::<ErrorBody>(bytes) {
        Ok(b) => (b.error.code, b.error.message, b.error.field),
        Err(_) => {
            let start: String = String::from_utf8_lossy(bytes).chars().take(200).collect();
            tracing::debug!(body = %start.escape_debug(), "an error answer without an API error body");
            ("http".into(), "server error without details".into(), None)
        }
    }
}

#[derive(Clone)]
pub struct ApiClient {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
}

impl ApiClient {
    /// `base` is the server root, e.g. `http://127.0.0.1:8153`.
    pub fn new(base: &str) -> ApiClient {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(20))
            .build()
            .expect("reqwest client");
        ApiClient { base: base.trim_end_matches('/').to_string(), token: None, http }
    }

    pub fn with_token(mut self, token: impl Into<String>) -> ApiClient {
        self.token = Some(token.into());
        self
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    fn auth(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    async fn send<T: DeserializeOwned>(&self, rb: reqwest::RequestBuilder) -> Result<T, ApiError> {
        let res = self.auth(rb).send().await.map_err(|e| ApiError::Unreachable(e.to_string()))?;
        let status = res.status();
        let bytes = res.bytes().await.map_err(|e| ApiError::Unreachable(e.to_string()))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|e| ApiError::Protocol(e.to_string()));
        }
        let (code, message, field) = error_body(&bytes);
        Err(match status {
            StatusCode::GONE => ApiError::Gone(message),
            StatusCode::UNAUTHORIZED => ApiError::Unauthorized(message),
            s => ApiError::Server { status: s.as_u16(), code, message, field },
        })
    }

    pub async fn login(
        &self,
        username: &str,
        password: &str,
        device_name: &str,
        device_id: Option<Uuid>,
    ) -> Result<LoginResponse, ApiError> {
        let body = LoginRequest {
            username: username.into(),
            password: password.into(),
            device_name: device_name.into(),
            device_id,
        };
        self.send(self.http.post(self.url("/auth/login")).json(&body)).await
    }

    pub async fn me(&self) -> Result<UserInfo, ApiError> {
        self.send(self.http.get(self.url("/auth/me"))).await
    }

    /// Every wallboard pane at once (shift leads, admins).
    pub async fn wallboard(&self) -> Result<crate::protocol::stats::Wallboard, ApiError> {
        self.send(self.http.get(self.url("/stats/wallboard"))).await
    }

    pub async fn health(&self) -> Result<Health, ApiError> {
        self.send(self.http.get(self.url("/health")).timeout(Duration::from_secs(3))).await
    }

    pub async fn push(&self, body: &PushRequest) -> Result<PushResponse, ApiError> {
        self.send(self.http.post(self.url("/sync/push")).json(body)).await
    }

    pub async fn pull(&self, since: i64, limit: u32, epoch: Option<&str>) -> Result<PullResponse, ApiError> {
        let mut q = vec![("since", since.to_string()), ("limit", limit.to_string())];
        if let Some(e) = epoch {
            q.push(("epoch", e.to_string()));
        }
        self.send(self.http.get(self.url("/sync/pull")).query(&q)).await
    }

    pub async fn serials(&self, count: u32) -> Result<SerialBlock, ApiError> {
        self.send(self.http.post(self.url("/sync/serials")).json(&serde_json::json!({"count": count}))).await
    }

    /// Downloads the server's prebuilt cache image for this user into
    /// `dest` (synced to disk), reporting bytes so far to `progress`.
    /// `None` when the server has none ready: load [`ApiClient::snapshot`].
    pub async fn snapshot_image(
        &self,
        months: u32,
        dest: &std::path::Path,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<Option<SnapshotHeader>, ApiError> {
        use futures::StreamExt;
        use tokio::io::AsyncWriteExt;
        let res = self
            .auth(
                self.http
                    .get(self.url("/sync/snapshot/image"))
                    .query(&[("months", months)])
                    .timeout(Duration::from_secs(600)),
            )
            .send()
            .await
            .map_err(|e| ApiError::Unreachable(e.to_string()))?;
        if res.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !res.status().is_success() {
            let status = res.status().as_u16();
            let (code, message, field) = error_body(&res.bytes().await.unwrap_or_default());
            return Err(ApiError::Server { status, code, message, field });
        }
        let header = |name: &str| res.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let bad = |what: &str| ApiError::Protocol(format!("snapshot image: {what}"));
        let seq: i64 = header("x-snapshot-seq").and_then(|s| s.parse().ok()).ok_or_else(|| bad("no sequence"))?;
        let epoch = header("x-snapshot-epoch").ok_or_else(|| bad("no epoch"))?;
        let total = res.content_length().ok_or_else(|| bad("no length"))?;
        let local = |e: std::io::Error| ApiError::Protocol(format!("snapshot image {}: {e}", dest.display()));
        let mut file = tokio::fs::File::create(dest).await.map_err(local)?;
        let mut got = 0u64;
        let mut stream = res.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| ApiError::Unreachable(e.to_string()))?;
            file.write_all(&chunk).await.map_err(local)?;
            got += chunk.len() as u64;
            progress(got, total);
        }
        if got != total {
            return Err(bad(&format!("cut short at {got} of {total} bytes")));
        }
        file.sync_all().await.map_err(local)?;
        Ok(Some(SnapshotHeader { epoch, seq, citizens: 0, requests: 0 }))
    }

    /// Streams a snapshot: the header to `on_header`, then every entity
    /// into `entities` (closed when done).
    pub async fn snapshot(
        &self,
        months: u32,
        mut on_header: impl FnMut(&SnapshotHeader),
        entities: tokio::sync::mpsc::Sender<Entity>,
    ) -> Result<SnapshotHeader, ApiError> {
        use futures::StreamExt;
        let res = self
            .auth(
                self.http
                    .get(self.url("/sync/snapshot"))
                    .query(&[("months", months)])
                    .timeout(Duration::from_secs(600)),
            )
            .send()
            .await
            .map_err(|e| ApiError::Unreachable(e.to_string()))?;
        if !res.status().is_success() {
            let status = res.status().as_u16();
            let (code, message, field) = error_body(&res.bytes().await.unwrap_or_default());
            return Err(ApiError::Server { status, code, message, field });
        }
        let mut stream = res.bytes_stream();
        let mut buf: Vec<u8> = Vec::new();
        let mut header: Option<SnapshotHeader> = None;
        while let Some(chunk) = stream.next().await {
            buf.extend_from_slice(&chunk.map_err(|e| ApiError::Unreachable(e.to_string()))?);
            // Every whole line of the buffer, then the rest is kept for the next chunk.
            let mut start = 0;
            while let Some(pos) = buf[start..].iter().position(|b| *b == b'\n') {
                let line = &buf[start..start + pos];
                start += pos + 1;
                if line.is_empty() {
                    continue;
                }
                if header.is_none() {
                    let h: SnapshotHeader =
                        serde_json::from_slice(line).map_err(|e| ApiError::Protocol(e.to_string()))?;
                    on_header(&h);
                    header = Some(h);
                } else {
                    let e = serde_json::from_slice(line).map_err(|e| ApiError::Protocol(e.to_string()))?;
                    entities.send(e).await.map_err(|_| ApiError::Protocol("snapshot aborted".into()))?;
                }
            }
            buf.drain(..start);
        }
        header.ok_or_else(|| ApiError::Protocol("empty snapshot".into()))
    }

    /// Opens the server's event stream (SSE) after `last_event_id`; the
    /// response body is read by [`next_events`].
    pub async fn events(&self, last_event_id: Option<i64>) -> Result<reqwest::Response, ApiError> {
        let mut rb = self.http.get(self.url("/events")).timeout(Duration::from_secs(24 * 3600));
        if let Some(id) = last_event_id {
            rb = rb.header("Last-Event-ID", id.to_string());
        }
        let res = self.auth(rb).send().await.map_err(|e| ApiError::Unreachable(e.to_string()))?;
        let sse = res
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        match res.status() {
            s if s.is_success() && sse => Ok(res),
            s if s.is_success() => Err(ApiError::Protocol("the event stream is not an event stream".into())),
            StatusCode::UNAUTHORIZED => Err(ApiError::Unauthorized("event stream".into())),
            s => Err(ApiError::Server {
                status: s.as_u16(),
                code: "http".into(),
                message: "event stream".into(),
                field: None,
            }),
        }
    }

    pub async fn search_citizens(&self, q: &str) -> Result<Vec<CitizenHit>, ApiError> {
        self.send(self.http.get(self.url("/citizens")).query(&[("q", q)])).await
    }

    pub async fn citizen_requests(&self, id: Uuid) -> Result<Vec<Request>, ApiError> {
        self.send(self.http.get(self.url(&format!("/citizens/{id}/requests")))).await
    }
}
