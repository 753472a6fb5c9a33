//! Faults a real Prometheus cannot produce on demand, put in front of a real one.

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::State,
    http::{header, StatusCode, Uri},
    response::{IntoResponse, Response},
    Router,
};
use tokio::task::JoinHandle;

use crate::StackError;

/// A proxy to a real upstream that never answers requests whose decoded query
/// string contains a given text, and forwards every other GET unchanged: one
/// stalled query among many good ones.
pub struct StallingProxy {
    pub url: String,
    task: JoinHandle<()>,
}

struct Upstream {
    base: String,
    stall_when: String,
    client: reqwest::Client,
}

impl StallingProxy {
    pub async fn start(upstream: &str, stall_when: &str) -> Result<Self, StackError> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| StackError::io("bind the stalling proxy", e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| StackError::io("bind the stalling proxy", e))?;
        let state = Arc::new(Upstream {
            base: upstream.trim_end_matches('/').to_string(),
            stall_when: stall_when.to_string(),
            client: reqwest::Client::new(),
        });
        let app = Router::new().fallback(forward).with_state(state);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            url: format!("http://{addr}"),
            task,
        })
    }
}

impl Drop for StallingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn forward(State(upstream): State<Arc<Upstream>>, uri: Uri) -> Response {
    let target = format!(
        "{}{}",
        upstream.base,
        uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
    );
    let Ok(parsed) = reqwest::Url::parse(&target) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    if parsed
        .query_pairs()
        .any(|(_, v)| v.contains(&upstream.stall_when))
    {
        // Holds the connection open and says nothing, like a wedged upstream.
        std::future::pending::<()>().await;
    }
    match upstream.client.get(parsed).send().await {
        Ok(answer) => {
            let status =
                StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            let content_type = answer
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/octet-stream")
                .to_string();
            let body: Bytes = answer.bytes().await.unwrap_or_default();
            (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
        }
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}
