//! `GET /api/checks` and `GET /api/checks/{check}/history`.

use app::model::{CheckHistory, TimeRange};
use axum::{
    extract::{Path, RawQuery, State},
    Json,
};
use serde_json::{json, Value};

use super::query_string::ViewParams;
use crate::{
    error::{ApiError, ApiResult},
    health::probe::unix_ms,
    AppState,
};

/// Every check with its newest result, optionally only those of some
/// services (`service=`, repeatable), plus the checks file's mistake if the
/// last edit had one (the last good version keeps running meanwhile).
pub async fn list(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Value>> {
    let mut services = Vec::new();
    for (key, value) in form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes()) {
        match key.as_ref() {
            "service" => services.push(value.into_owned()),
            other => {
                let other: String = other.chars().take(40).collect();
                return Err(ApiError::BadRequest(format!(
                    "unknown parameter {other:?}: checks take service="
                )));
            }
        }
    }
    let checks: Vec<_> = state
        .checker
        .summaries()
        .into_iter()
        .filter(|c| services.is_empty() || services.contains(&c.service))
        .collect();
    let problems: Vec<Value> = state
        .checker
        .problem()
        .map(|p| json!({ "file": p.file, "field": p.field, "reason": p.reason }))
        .into_iter()
        .collect();
    Ok(Json(json!({ "checks": checks, "problems": problems })))
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
    let (from_ms, to_ms) = match params.range {
        TimeRange::Relative(r) => {
            let now = unix_ms();
            (now - r.seconds() * 1000, now)
        }
        TimeRange::Absolute { from, to } => (from * 1000, to * 1000),
    };
    let store = state.checker.store();
    let history = tokio::task::spawn_blocking(move || store.history(&check, from_ms, to_ms))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(history))
}
