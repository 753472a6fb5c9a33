//! Alerts from health checks: the engine that fires and resolves the checks
//! file's rules with cooldowns, fed every committed result by the checker (see
//! [`Alerting`]), and the notifier that hands alerts to Alertmanager and
//! webhooks. Replaces the hand-written alert script.

pub mod alerting;
pub mod alertmanager;
pub mod engine;
pub mod notify;

pub use crate::health::rules::{AlertRule, RuleCondition};
pub use alerting::{AlertTargets, Alerting};
pub use engine::{AlertChange, Engine};
pub use notify::Notifier;

use std::collections::BTreeMap;

use app::model::{Alert, AlertSource, AlertState, AlertsView, Severity};

use crate::{
    health::{store::StoreError, Checker},
    prometheus::{Alert as PrometheusAlert, PrometheusClient},
};

/// Where alerts come from: Vantage's own, Prometheus' rules, Alertmanager.
#[derive(Clone)]
pub struct AlertSources {
    pub alerting: Alerting,
    /// For the services a filter offers.
    pub checker: Checker,
    pub prometheus: PrometheusClient,
    /// Set when `alertmanager_url` is: its alerts are listed with ours.
    pub alertmanager: Option<alertmanager::AlertmanagerClient>,
}

/// Vantage's alerts active at some time in `range` (Unix ms), the firing and
/// pending alerts of Prometheus' rules and those Alertmanager holds from other
/// senders, narrowed to `severities` and
/// `services` (empty: all); firing first, worst first, newest first. If
/// Prometheus does not answer, `problems` says so and the rest is there.
pub async fn view(
    sources: &AlertSources,
    (from_ms, to_ms): (i64, i64),
    severities: &[Severity],
    services: &[String],
) -> Result<AlertsView, StoreError> {
    let held = async {
        match &sources.alertmanager {
            Some(am) => Some(am.alerts().await),
            None => None,
        }
    };
    let (own, theirs, held) = tokio::join!(
        sources.alerting.alerts_between(from_ms, to_ms),
        sources.prometheus.alerts(),
        held
    );
    let mut alerts = own?;
    let mut problems = Vec::new();
    match theirs {
        Ok(answer) => alerts.extend(answer.data.alerts.iter().filter_map(from_prometheus)),
        Err(e) => problems.push(format!("Prometheus' alerts are missing: {e}")),
    }
    match held {
        // Prometheus' alerts reach Alertmanager too: each is listed once.
        Some(Ok(held)) => {
            let known: Vec<BTreeMap<String, String>> =
                alerts.iter().map(|a| a.labels.clone()).collect();
            alerts.extend(held.into_iter().filter(|a| !known.contains(&a.labels)));
        }
        Some(Err(e)) => problems.push(format!("Alertmanager's alerts are missing: {e}")),
        None => {}
    }
    let mut choices: Vec<String> = alerts
        .iter()
        .filter_map(|a| a.service.clone())
        .chain(sources.checker.summaries().into_iter().map(|c| c.service))
        .collect();
    choices.sort();
    choices.dedup();
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
    Ok(AlertsView {
        alerts,
        services: choices,
        problems,
    })
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

/// What is red now: checks down or degraded (from memory) and alerts firing
/// (Vantage's, Prometheus' and Alertmanager's, each counted once). A source
/// that does not answer counts nothing rather than failing the page.
/// How many alerts fire now about `services` (empty: all), as the Alerts
/// page lists them: the navigation's badge and `source = "alerts"` panels.
pub async fn firing_now(
    sources: &AlertSources,
    now_ms: i64,
    services: &[String],
) -> Result<usize, StoreError> {
    let alerts = view(sources, (now_ms, now_ms), &[], services).await?;
    Ok(alerts
        .alerts
        .iter()
        .filter(|a| a.state == AlertState::Firing)
        .count())
}

pub async fn attention(sources: &AlertSources, now_ms: i64) -> app::model::Attention {
    let mut attention = app::model::Attention::default();
    for check in sources.checker.summaries() {
        match check.latest.map(|r| r.status) {
            Some(app::model::HealthStatus::Down) => attention.checks_down += 1,
            Some(app::model::HealthStatus::Degraded) => attention.checks_degraded += 1,
            _ => {}
        }
    }
    if let Ok(firing) = firing_now(sources, now_ms, &[]).await {
        attention.alerts_firing = firing;
    }
    attention
}
