//! `GET /api/checks` and `GET /api/checks/{check}/history`.

use app::model::{CheckHistory, HealthView};
use axum::{
    extract::{Path, RawQuery, State},
    Json,
};

use crate::{
    clock::now_ms,
    error::{Error, Result},
    state::AppState,
    views::{Api, HealthRequest, HistoryRequest},
};

/// Every check with its newest result, uptime, response times and latest
/// changes over `range=` (or `from=`/`to=`), optionally only those of some
/// services (`service=`, repeatable), plus the checks file's mistake if the
/// last edit had one (the last good version keeps running meanwhile).
pub async fn list(
    State(state): State<AppState>,
    user: crate::auth::CurrentUser,
    RawQuery(query): RawQuery,
) -> Result<Json<HealthView>> {
    let request = HealthRequest::<Api>::parse(query.as_deref())?;
    let (from_ms, to_ms) = request.window_ms(now_ms());
    let mut view = crate::health::view(&state.checker, from_ms, to_ms, &request.services)
        .await
        .map_err(Error::internal)?;
    let role = user.role();
    view.problems = view.problems.iter().map(|p| p.seen_by(role)).collect();
    Ok(Json(view))
}

/// One check's history over `range=` or `from=`/`to=`, as the dashboards take them.
pub async fn history(
    State(state): State<AppState>,
    Path(check): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<CheckHistory>> {
    let params = HistoryRequest::parse(query.as_deref())?;
    if !state
        .checker
        .config()
        .checks
        .iter()
        .any(|c| c.name == check)
    {
        return Err(Error::not_found("no such check"));
    }
    let (from_ms, to_ms) = params.range.window_ms(now_ms());
    let store = state.checker.store();
    let history = tokio::task::spawn_blocking(move || store.history(&check, from_ms, to_ms))
        .await
        .map_err(Error::internal)?
        .map_err(Error::internal)?;
    Ok(Json(history))
}
