//! `GET /api/alerts`: one list of Vantage's own health alerts and the alerts
//! Prometheus' rules raise, filterable by severity and service.

use app::model::AlertsView;
use axum::{
    extract::{RawQuery, State},
    Json,
};

use crate::{
    clock::now_ms,
    error::{Error, Result},
    state::AppState,
    views::{AlertsRequest, Api},
};

/// Firing and pending alerts now, and Vantage's alerts resolved within the
/// range (`range=`, or `from=`/`to=`; default the last hour). `severity=` and
/// `service=` narrow it (each repeatable). If Prometheus does not answer, its
/// alerts are missing and `problems` says why; Vantage's own are still there.
pub async fn list(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<AlertsView>> {
    let filter = AlertsRequest::<Api>::parse(query.as_deref())?;
    let view = crate::alerts::view(
        &state.alerts,
        filter.window_ms(now_ms()),
        &filter.severities,
        &filter.services,
    )
    .await
    .map_err(Error::internal)?;
    Ok(Json(view))
}

/// `GET /api/attention`: what is red now (checks down or degraded, alerts
/// firing), for the navigation.
pub async fn attention(State(state): State<AppState>) -> Json<app::model::Attention> {
    Json(crate::alerts::attention(&state.alerts, now_ms()).await)
}
