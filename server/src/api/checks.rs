//! `GET /api/checks` and `GET /api/checks/{check}/history`.

use app::model::{CheckHistory, HealthView};
use axum::{
    extract::{Path, RawQuery, State},
    Json,
};

use super::query_string::ViewParams;
use crate::{
    error::{ApiError, ApiResult},
    health::probe::unix_ms,
    AppState,
};

/// Every check with its newest result, uptime, response times and latest
/// changes over `range=` (or `from=`/`to=`), optionally only those of some
/// services (`service=`, repeatable), plus the checks file's mistake if the
/// last edit had one (the last good version keeps running meanwhile).
pub async fn list(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<HealthView>> {
    let params = ViewParams::parse(query.as_deref())?;
    let services = services_of(&params, true)?;
    let (from_ms, to_ms) = params.window_ms(unix_ms());
    crate::health::view(&state.checker, from_ms, to_ms, &services)
        .await
        .map(Json)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// `service=` values; strict (the API) refuses other keys.
pub fn services_of(params: &ViewParams, strict: bool) -> Result<Vec<String>, ApiError> {
    let mut services = Vec::new();
    for (key, value) in &params.others {
        match key.as_str() {
            "service" => services.push(value.clone()),
            other if strict => {
                let other: String = other.chars().take(40).collect();
                return Err(ApiError::BadRequest(format!(
                    "unknown parameter {other:?}: checks take range=, from=, to= and service="
                )));
            }
            _ => {}
        }
    }
    Ok(services)
}

/// One check's history over `range=` or `from=`/`to=`, as the dashboards take them.
pub async fn history(
    State(state): State<AppState>,
    Path(check): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<CheckHistory>> {
    let params = ViewParams::parse(query.as_deref())?;
    if let Some((key, _)) = params.others.first() {
        let key: String = key.chars().take(40).collect();
        return Err(ApiError::BadRequest(format!(
            "unknown parameter {key:?}: history takes range= or from= and to="
        )));
    }
    if !state
        .checker
        .config()
        .checks
        .iter()
        .any(|c| c.name == check)
    {
        return Err(ApiError::NotFound("no such check".into()));
    }
    let (from_ms, to_ms) = params.window_ms(unix_ms());
    let store = state.checker.store();
    let history = tokio::task::spawn_blocking(move || store.history(&check, from_ms, to_ms))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(history))
}
