use axum::{extract::State, Json};
use serde_json::{json, Value};

use crate::{
    error::{Error, Result},
    state::AppState,
};

/// `GET /api/services`: every value of the `service` label Prometheus knows,
/// sorted: what the service filter offers.
pub async fn list(State(state): State<AppState>) -> Result<Json<Value>> {
    let answer = state
        .prometheus
        .label_values("service", &[])
        .await
        .map_err(|e| Error::unavailable(e.to_string()))?;
    let mut services = answer.data;
    services.sort();
    Ok(Json(
        json!({ "services": services, "warnings": answer.warnings }),
    ))
}
