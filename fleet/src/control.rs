//! The fleet's control API, on its own port so a "down" service can be brought back:
//! `GET /services` lists services, `POST /services/{name}/{mode}` sets a mode.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    routing::{get, post},
    Json, Router,
};
use serde_json::json;

use crate::{simulation::Mode, FleetHandle};

pub fn router(fleet: FleetHandle) -> Router {
    Router::new()
        .route("/services", get(list))
        .route("/services/{name}/{mode}", post(set_mode))
        .with_state(fleet)
}

async fn list(State(fleet): State<FleetHandle>) -> Json<serde_json::Value> {
    Json(json!(fleet.services().await))
}

async fn set_mode(
    State(fleet): State<FleetHandle>,
    Path((name, mode)): Path<(String, String)>,
) -> (StatusCode, Json<serde_json::Value>) {
    let mode: Mode = match mode.parse() {
        Ok(m) => m,
        Err(e) => return (StatusCode::BAD_REQUEST, Json(json!({ "error": e }))),
    };
    match fleet.set_mode(&name, mode).await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({ "service": name, "mode": mode })),
        ),
        Err(e) => (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": e.to_string() })),
        ),
    }
}
