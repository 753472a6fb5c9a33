use axum::{extract::State, Json};
use serde_json::{json, Value};

use crate::{
    error::{ApiError, ApiResult},
    AppState,
};

/// `GET /api/services`: every value of the `service` label Prometheus knows,
/// sorted: what the service filter offers.
pub async fn list(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let answer = state
        .prometheus
        .label_values("service", &[])
        .await
        .map_err(|e| ApiError::Upstream(e.to_string()))?;
    let mut services = answer.data;
    services.sort();
    Ok(Json(
        json!({ "services": services, "warnings": answer.warnings }),
    ))
}
