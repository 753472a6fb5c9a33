use axum::{extract::State, Json};
use serde_json::{json, Value};

use crate::{
    error::{Error, Result},
    state::AppState,
};

/// `GET /api/services`: every value of the label that names a service
/// (`service_label`, or the one found), sorted: what the service filter
/// offers; with the label and the HTTP conventions found (docs/metrics.md).
pub async fn list(State(state): State<AppState>) -> Result<Json<Value>> {
    let discovered = state.panels.discovered().await;
    let answer = state
        .prometheus
        .label_values(&discovered.service_label, &[])
        .await
        .map_err(|e| Error::unavailable(e.to_string()))?;
    let mut services = answer.data;
    services.sort();
    Ok(Json(json!({
        "services": services,
        "service_label": discovered.service_label,
        "http_conventions": discovered.http,
        "warnings": answer.warnings,
    })))
}
