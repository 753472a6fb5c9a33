//! The HTTP API's error: a status and `{"error": "..."}`. Internal details are
//! logged, never sent.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    /// The data source failed; the message is its own (no URLs or internals).
    #[error("{0}")]
    Upstream(String),
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Upstream(_) => StatusCode::BAD_GATEWAY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let body = serde_json::json!({ "error": self.to_string() });
        (self.status(), Json(body)).into_response()
    }
}

impl From<crate::panels::LoadError> for ApiError {
    fn from(e: crate::panels::LoadError) -> Self {
        use crate::panels::LoadError;
        match e {
            LoadError::Upstream(message) => Self::Upstream(message),
            LoadError::NoDashboard | LoadError::NoPanel | LoadError::NoVariable => {
                Self::NotFound(e.to_string())
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
