//! What a view can fail with, said once: a kind, a message fit for anyone to
//! read, and (for Vantage's own failures) a detail that is logged, never sent.
//! The JSON API answers it as it is; embeds add `no-store` (see `api::embed`);
//! pages show it as the app's [`DataError`].

use app::data::DataError;
pub use app::data::ErrorKind;
use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};

#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    kind: ErrorKind,
    message: String,
    /// What went wrong inside, for the log.
    detail: Option<String>,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            detail: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    /// The data source failed; the message must be fit to show (no URLs or
    /// internals of the data source).
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unavailable, message)
    }

    /// This client is past a limit (`limit` names it in the log); 429 with
    /// a `Retry-After`.
    pub fn too_many(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::TooMany, message)
    }

    /// The server is at a limit of its own; 503 with a `Retry-After`.
    pub fn busy(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Busy, message)
    }

    /// Vantage itself failed: viewers read "internal error", the log the detail.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self {
            kind: ErrorKind::Internal,
            message: "internal error".into(),
            detail: Some(detail.to_string()),
        }
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn status(&self) -> StatusCode {
        match self.kind {
            ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
            ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Unavailable => StatusCode::BAD_GATEWAY,
            ErrorKind::TooMany => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::Busy => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What a page may show of it.
    pub fn public(&self) -> DataError {
        DataError::new(self.kind, self.message.clone())
    }

    fn log(&self) {
        if let Some(detail) = &self.detail {
            tracing::error!(%detail, "internal error");
        }
    }
}

impl From<Error> for DataError {
    fn from(e: Error) -> Self {
        e.log();
        e.public()
    }
}

/// When a client past a limit may ask again, in seconds.
pub const RETRY_AFTER_SECONDS: u64 = 5;

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        self.log();
        let mut response = (self.status(), Json(self.public())).into_response();
        if matches!(self.kind, ErrorKind::TooMany | ErrorKind::Busy) {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(RETRY_AFTER_SECONDS),
            );
        }
        response
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_details_stay_in_the_log() {
        let e = Error::internal("disk /var/lib/vantage is full");
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_value(e.public()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"error": "internal error", "kind": "internal"})
        );
    }

    #[test]
    fn the_body_says_the_kind() {
        let body = serde_json::to_value(Error::not_found("no such check").public()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"error": "no such check", "kind": "not_found"})
        );
        let back: DataError = serde_json::from_value(body).unwrap();
        assert_eq!(back.kind, ErrorKind::NotFound);
    }
}
