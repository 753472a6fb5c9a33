//! Alerts from health checks: rules (in the checks file), the engine that
//! fires and resolves them with cooldowns, and the notifier that hands them to
//! Alertmanager and webhooks. Replaces the hand-written alert script.

pub mod engine;
pub mod notify;
pub mod rules;

pub use engine::{AlertChange, Engine};
pub use notify::Notifier;
pub use rules::{AlertRule, RuleCondition};

use std::collections::BTreeMap;

use app::model::{Alert, AlertSource, AlertState, AlertsView, Severity};

use crate::{
    health::{store::StoreError, Checker},
    prometheus::{Alert as PrometheusAlert, PrometheusClient},
};

/// Vantage's alerts active at some time in `range` (Unix ms) and the firing and
/// pending alerts of Prometheus' rules, narrowed to `severities` and
/// `services` (empty: all); firing first, worst first, newest first. If
/// Prometheus does not answer, `problems` says so and the rest is there.
pub async fn view(
    checker: &Checker,
    prometheus: &PrometheusClient,
    (from_ms, to_ms): (i64, i64),
    severities: &[Severity],
    services: &[String],
) -> Result<AlertsView, StoreError> {
    let (own, theirs) = tokio::join!(checker.alerts_between(from_ms, to_ms), prometheus.alerts());
    let mut alerts = own?;
    let mut problems = Vec::new();
    match theirs {
        Ok(answer) => alerts.extend(answer.data.alerts.iter().filter_map(from_prometheus)),
        Err(e) => problems.push(format!("Prometheus' alerts are missing: {e}")),
    }
    alerts.retain(|a| {
        (severities.is_empty() || severities.contains(&a.severity))
            && (services.is_empty() || a.service.as_ref().is_some_and(|s| services.contains(s)))
    });
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
    Ok(AlertsView { alerts, problems })
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
