use std::time::Duration;

use axum::{
    extract::State,
    http::{header, StatusCode},
    response::IntoResponse,
    Json,
};
use serde_json::{json, Value};

use crate::state::AppState;

/// `GET /healthz`: the process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// How long `/readyz` waits for Prometheus: under the one second that load
/// balancers and orchestrators commonly give a readiness probe.
const READY_WITHIN: Duration = Duration::from_millis(900);

/// `GET /readyz`: ready only while Prometheus answers, said within a second
/// whatever Prometheus does (a stalled one is not ready).
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let not_ready = |reason: String| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "ready": false, "error": reason })),
        )
    };
    match tokio::time::timeout(READY_WITHIN, state.prometheus.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, Json(json!({ "ready": true }))),
        Ok(Err(e)) => not_ready(e.to_string()),
        Err(_) => not_ready(format!(
            "Prometheus did not answer within {} ms",
            READY_WITHIN.as_millis()
        )),
    }
}

/// `GET /metrics`: health checks and the stream, in the OpenMetrics text format.
pub async fn metrics(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    if let Some(token) = &state.metrics_token {
        if !token.allows(&headers) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "this /metrics needs its bearer token (metrics_token_file)",
            )
                .into_response();
        }
    }
    let prometheus = state.prometheus.queue_load();
    let (rate, mint_rate, login_rate) = state.rates.refused();
    let text = state.metrics.render(crate::metrics::Live {
        topics: state.hub.active_topics(),
        slow_clients_dropped: state.hub.slow_clients_dropped(),
        prometheus,
        refused: [
            state.stream_slots.refused(),
            state.hub.topics_refused(),
            prometheus.waited_out,
            rate,
            mint_rate,
            login_rate,
        ],
    });
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}
