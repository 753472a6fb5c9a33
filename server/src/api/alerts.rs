//! `GET /api/alerts`: one list of Vantage's own health alerts and the alerts
//! Prometheus' rules raise, filterable by severity and service.

use std::collections::BTreeMap;

use app::model::{Alert, AlertSource, AlertState, Severity, TimeRange};
use axum::{
    extract::{RawQuery, State},
    Json,
};
use serde_json::{json, Value};

use super::query_string::ViewParams;
use crate::{
    error::{ApiError, ApiResult},
    health::probe::unix_ms,
    prometheus::Alert as PrometheusAlert,
    AppState,
};

/// Firing and pending alerts now, and Vantage's alerts resolved within the
/// range (`range=`, or `from=`/`to=`; default the last hour). `severity=` and
/// `service=` narrow it (each repeatable). If Prometheus does not answer, its
/// alerts are missing and `problems` says why; Vantage's own are still there.
pub async fn list(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Value>> {
    let params = ViewParams::parse(query.as_deref())?;
    let (mut severities, mut services) = (Vec::new(), Vec::new());
    for (key, value) in &params.others {
        match key.as_str() {
            "severity" => severities.push(match value.as_str() {
                "critical" => Severity::Critical,
                "warning" => Severity::Warning,
                "info" => Severity::Info,
                _ => {
                    return Err(ApiError::BadRequest(
                        "severity= is critical, warning or info".into(),
                    ))
                }
            }),
            "service" if !value.is_empty() && value.len() <= 200 => services.push(value.clone()),
            "service" => {
                return Err(ApiError::BadRequest(
                    "a service= value is empty or longer than 200 bytes".into(),
                ))
            }
            other => {
                let other: String = other.chars().take(40).collect();
                return Err(ApiError::BadRequest(format!(
                    "unknown parameter {other:?}: alerts take range=, from=, to=, severity= and service="
                )));
            }
        }
    }
    let (from_ms, to_ms) = match params.range {
        TimeRange::Relative(r) => {
            let now = unix_ms();
            (now - r.seconds() * 1000, now)
        }
        TimeRange::Absolute { from, to } => (from * 1000, to * 1000),
    };

    let (own, prometheus) = tokio::join!(
        state.checker.alerts_between(from_ms, to_ms),
        state.prometheus.alerts()
    );
    let mut alerts = own.map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut problems = Vec::new();
    match prometheus {
        Ok(answer) => alerts.extend(answer.data.alerts.iter().filter_map(from_prometheus)),
        Err(e) => problems.push(format!("Prometheus' alerts are missing: {e}")),
    }
    alerts.retain(|a| {
        (severities.is_empty() || severities.contains(&a.severity))
            && (services.is_empty() || a.service.as_ref().is_some_and(|s| services.contains(s)))
    });
    // What needs attention first: firing, then pending, then resolved; worst
    // first; newest first.
    let rank = |s: AlertState| match s {
        AlertState::Firing => 0,
        AlertState::Pending => 1,
        AlertState::Resolved => 2,
    };
    alerts.sort_by(|a, b| {
        rank(a.state)
            .cmp(&rank(b.state))
            .then(b.severity.cmp(&a.severity))
            .then(b.since_ms.cmp(&a.since_ms))
    });
    Ok(Json(json!({ "alerts": alerts, "problems": problems })))
}

fn from_prometheus(p: &PrometheusAlert) -> Option<Alert> {
    let state = match p.state.as_str() {
        "firing" => AlertState::Firing,
        "pending" => AlertState::Pending,
        _ => return None,
    };
    let name = p.labels.get("alertname").cloned().unwrap_or_default();
    let since_ms = p
        .active_at
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp_millis())
        .unwrap_or(0);
    let labels: BTreeMap<String, String> = p.labels.clone();
    let id = format!(
        "prometheus:{}",
        labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let summary = p
        .annotations
        .get("summary")
        .or_else(|| p.annotations.get("description"))
        .cloned()
        .unwrap_or_else(|| name.clone());
    Some(Alert {
        id,
        source: AlertSource::Prometheus,
        severity: Severity::from_label(labels.get("severity").map_or("", String::as_str)),
        state,
        since_ms,
        ended_ms: None,
        service: labels.get("service").cloned(),
        summary,
        annotations: p.annotations.clone(),
        labels,
        name,
    })
}
