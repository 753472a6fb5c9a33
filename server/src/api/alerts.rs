//! `GET /api/alerts`: one list of Vantage's own health alerts and the alerts
//! Prometheus' rules raise, filterable by severity and service.

use app::model::{AlertsView, Severity};
use axum::{
    extract::{RawQuery, State},
    Json,
};

use super::query_string::ViewParams;
use crate::{
    error::{ApiError, ApiResult},
    health::probe::unix_ms,
    AppState,
};

/// Firing and pending alerts now, and Vantage's alerts resolved within the
/// range (`range=`, or `from=`/`to=`; default the last hour). `severity=` and
/// `service=` narrow it (each repeatable). If Prometheus does not answer, its
/// alerts are missing and `problems` says why; Vantage's own are still there.
pub async fn list(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<AlertsView>> {
    let params = ViewParams::parse(query.as_deref())?;
    let filter = AlertFilter::from_params(&params, true)?;
    let sources = crate::alerts::AlertSources {
        checker: &state.checker,
        prometheus: &state.prometheus,
        alertmanager: state.alertmanager.as_ref(),
    };
    let view = crate::alerts::view(
        &sources,
        params.window_ms(unix_ms()),
        &filter.severities,
        &filter.services,
    )
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(view))
}

/// `GET /api/attention`: what is red now (checks down or degraded, alerts
/// firing), for the navigation.
pub async fn attention(State(state): State<AppState>) -> Json<app::model::Attention> {
    let sources = crate::alerts::AlertSources {
        checker: &state.checker,
        prometheus: &state.prometheus,
        alertmanager: state.alertmanager.as_ref(),
    };
    Json(crate::alerts::attention(&sources, unix_ms()).await)
}

/// Which alerts to show: `severity=` and `service=`, each repeatable.
#[derive(Debug, Default)]
pub struct AlertFilter {
    pub severities: Vec<Severity>,
    pub services: Vec<String>,
}

impl AlertFilter {
    /// Strict (the API) refuses other keys; lenient (the page) ignores them.
    pub fn from_params(params: &ViewParams, strict: bool) -> Result<Self, ApiError> {
        let mut filter = AlertFilter::default();
        for (key, value) in &params.others {
            match key.as_str() {
                "severity" => filter.severities.push(match value.as_str() {
                    "critical" => Severity::Critical,
                    "warning" => Severity::Warning,
                    "info" => Severity::Info,
                    _ => {
                        return Err(ApiError::BadRequest(
                            "severity= is critical, warning or info".into(),
                        ))
                    }
                }),
                "service" if !value.is_empty() && value.len() <= 200 => {
                    filter.services.push(value.clone())
                }
                // The page's "all services" choice.
                "service" if value.is_empty() && !strict => {}
                "service" => {
                    return Err(ApiError::BadRequest(
                        "a service= value is empty or longer than 200 bytes".into(),
                    ))
                }
                other if strict => {
                    let other: String = other.chars().take(40).collect();
                    return Err(ApiError::BadRequest(format!(
                        "unknown parameter {other:?}: alerts take range=, from=, to=, severity= and service="
                    )));
                }
                _ => {}
            }
        }
        Ok(filter)
    }
}
