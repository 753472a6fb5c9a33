//! Marks for time-series charts: the alerts and the health-check changes a
//! dashboard says it marks (by its service variable, by alert labels, all or
//! none), over its window. Pages get them with the dashboard; the stream sends them again on
//! every refresh.

use std::sync::Arc;

use app::model::{Alert, AlertState, Annotation, AnnotationKind, HealthStatus, Level, Severity};

use crate::{alerts::AlertSources, dashboards::AnnotationRule, query::Filter};

/// A chart cannot show more than this legibly; the newest are kept.
const MAX_ANNOTATIONS: usize = 200;

/// Where annotations come from: the health store and every alert source.
#[derive(Clone)]
pub struct Annotator {
    sources: AlertSources,
}

impl Annotator {
    pub fn new(sources: AlertSources) -> Arc<Self> {
        Arc::new(Self { sources })
    }

    /// The annotations of a dashboard's view: its filter's services, its window
    /// (Unix ms). A source that fails adds nothing; the charts still draw.
    pub async fn for_view(
        &self,
        rule: &AnnotationRule,
        filter: &Filter,
        window_ms: (i64, i64),
    ) -> Vec<Annotation> {
        match rule {
            AnnotationRule::None => Vec::new(),
            AnnotationRule::All => self.between(&[], window_ms).await,
            AnnotationRule::ByService { label } => {
                let services = filter
                    .get(label)
                    .map(|v| v.values().to_vec())
                    .unwrap_or_default();
                self.between(&services, window_ms).await
            }
            AnnotationRule::Labels(labels) => {
                let mut marks = self.alerts_between(&[], window_ms).await;
                marks.retain(|(alert, _)| {
                    labels.iter().all(|(k, v)| alert.labels.get(k) == Some(v))
                });
                marks.into_iter().map(|(_, mark)| mark).collect()
            }
        }
    }

    /// The alerts active in the window about `services` (empty: all), each
    /// with its mark.
    async fn alerts_between(
        &self,
        services: &[String],
        (from_ms, to_ms): (i64, i64),
    ) -> Vec<(Alert, Annotation)> {
        crate::alerts::view(&self.sources, (from_ms, to_ms), &[], services)
            .await
            .map(|v| v.alerts)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|a| from_alert(&a).map(|mark| (a, mark)))
            .collect()
    }

    /// Alerts active in the window and check changes within it, about
    /// `services` (empty: all), oldest first.
    pub async fn between(
        &self,
        services: &[String],
        (from_ms, to_ms): (i64, i64),
    ) -> Vec<Annotation> {
        let store = self.sources.checker.store();
        let changes = tokio::task::spawn_blocking(move || {
            store.transitions_between(from_ms, to_ms, MAX_ANNOTATIONS)
        });
        let (alerts, changes) = tokio::join!(
            crate::alerts::view(&self.sources, (from_ms, to_ms), &[], services),
            changes
        );
        let service_of: std::collections::HashMap<String, String> = self
            .sources
            .checker
            .summaries()
            .into_iter()
            .map(|c| (c.name, c.service))
            .collect();
        let mut marks: Vec<Annotation> = alerts
            .map(|v| v.alerts)
            .unwrap_or_default()
            .iter()
            .filter_map(from_alert)
            .collect();
        for change in changes.ok().and_then(Result::ok).unwrap_or_default() {
            // A check's first result starts its history: only worth a mark
            // when it starts in trouble.
            let title = match change.from {
                Some(from) => format!(
                    "{}: {} → {}",
                    change.check,
                    from.as_str(),
                    change.to.as_str()
                ),
                None if change.to == HealthStatus::Up => continue,
                None => format!(
                    "{}: {} at its first check",
                    change.check,
                    change.to.as_str()
                ),
            };
            let service = service_of.get(&change.check).cloned();
            let wanted =
                services.is_empty() || service.as_ref().is_some_and(|s| services.contains(s));
            if wanted {
                marks.push(Annotation {
                    kind: AnnotationKind::Health,
                    at_ms: change.at_ms,
                    end_ms: None,
                    level: level_of_status(change.to),
                    title,
                    detail: match &service {
                        Some(s) if *s != change.check => format!("health check of {s}"),
                        _ => "health check".into(),
                    },
                    service,
                });
            }
        }
        marks.sort_by_key(|m| m.at_ms);
        if marks.len() > MAX_ANNOTATIONS {
            marks.drain(..marks.len() - MAX_ANNOTATIONS);
        }
        marks
    }
}

/// Firing and resolved alerts mark the chart; pending ones have not fired yet.
fn from_alert(alert: &Alert) -> Option<Annotation> {
    if alert.state == AlertState::Pending || alert.since_ms <= 0 {
        return None;
    }
    Some(Annotation {
        kind: AnnotationKind::Alert,
        at_ms: alert.since_ms,
        end_ms: alert.ended_ms,
        level: match alert.severity {
            Severity::Critical => Level::Critical,
            Severity::Warning => Level::Warning,
            Severity::Info => Level::Unknown,
        },
        service: alert.service.clone(),
        title: match &alert.service {
            Some(service) => format!("{} ({service})", alert.name),
            None => alert.name.clone(),
        },
        detail: alert.summary.clone(),
    })
}

fn level_of_status(status: HealthStatus) -> Level {
    match status {
        HealthStatus::Up => Level::Ok,
        HealthStatus::Degraded => Level::Warning,
        HealthStatus::Down => Level::Critical,
    }
}
