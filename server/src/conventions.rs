//! What this Prometheus holds, found from its own APIs: which label names a
//! service, which HTTP metric convention each service follows, and which
//! metrics exist at all. The built-in dashboards are written against
//! placeholders that this fills (docs/metrics.md), so they work on any team's
//! labels and libraries, and an empty panel can say which metric it lacks.

mod http;
mod sources;

use std::{
    collections::{BTreeSet, HashSet},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use app::model::MissingMetric;
use futures::future::join_all;
use serde::Serialize;

pub use http::{HttpConvention, HttpLabels};
pub use sources::provider_of;

use crate::prometheus::{PrometheusClient, PrometheusError};

/// Placeholders this module fills, besides `query::PLACEHOLDERS`.
pub const PLACEHOLDERS: &[&str] = &[
    "$service_label",
    "$http_requests",
    "$http_duration_bucket",
    "$http_duration_per_second",
    "$http_status",
    "$http_method",
    "$http_route",
];

/// A template that uses one of these is run once per HTTP convention present.
const HTTP_WORDS: &[&str] = &[
    "http_requests",
    "http_duration_bucket",
    "http_duration_per_second",
    "http_status",
    "http_method",
    "http_route",
];

/// Labels that name a service, in the order they are preferred when the
/// HTTP metrics carry them; `job` (Prometheus' own) when they carry neither.
const SERVICE_LABELS: &[&str] = &["service", "service_name"];
const FALLBACK_SERVICE_LABEL: &str = "job";

/// One HTTP convention as found here.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HttpFound {
    pub convention: HttpConvention,
    pub labels: HttpLabels,
    /// Services whose requests are counted under this convention.
    pub services: Vec<String>,
    /// Services that also have it but are counted under an earlier one.
    pub excluded: Vec<String>,
    /// Whether its duration histogram exists (Micrometer's needs enabling).
    pub has_buckets: bool,
}

/// What was found, as of one look.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Discovered {
    pub service_label: String,
    pub http: Vec<HttpFound>,
    /// Every metric name; `None` when Prometheus could not be asked.
    #[serde(skip)]
    pub metrics: Option<HashSet<String>>,
}

/// One way to fill a template: the names of its placeholders, the services to
/// leave out (counted under another convention), and which convention it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Expansion {
    pub names: Vec<(&'static str, String)>,
    pub exclude: Vec<String>,
    pub convention: Option<HttpConvention>,
}

/// Whether a template (or a legend, a variable's label) names an HTTP placeholder.
pub fn uses_http(text: &str) -> bool {
    HTTP_WORDS.iter().any(|w| {
        text.match_indices(&format!("${w}")).any(|(i, m)| {
            !text[i + m.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        })
    })
}

impl Discovered {
    /// Before anything is known (Prometheus not answering): the setting or
    /// `job`, and templates filled as for a Prometheus client library.
    pub fn unknown(setting: Option<&str>) -> Self {
        let convention = HttpConvention::PrometheusClient;
        Self {
            service_label: setting.unwrap_or(FALLBACK_SERVICE_LABEL).to_string(),
            http: vec![HttpFound {
                convention,
                labels: HttpLabels::of(convention, &[]),
                services: Vec::new(),
                excluded: Vec::new(),
                has_buckets: true,
            }],
            metrics: None,
        }
    }

    /// The label that names a service: the setting, else the first of
    /// `SERVICE_LABELS` the HTTP metrics carry, else `job`.
    pub fn service_label_for(setting: Option<&str>, http_label_names: &[String]) -> String {
        if let Some(label) = setting {
            return label.to_string();
        }
        SERVICE_LABELS
            .iter()
            .find(|l| http_label_names.iter().any(|n| n == *l))
            .unwrap_or(&FALLBACK_SERVICE_LABEL)
            .to_string()
    }

    /// Each service counted once: under the first convention (in preference
    /// order) it has. `found`: (convention, its label names, its services,
    /// whether its histogram exists).
    pub fn assign(
        mut found: Vec<(HttpConvention, Vec<String>, Vec<String>, bool)>,
    ) -> Vec<HttpFound> {
        found.sort_by_key(|(c, ..)| *c);
        let mut claimed: BTreeSet<String> = BTreeSet::new();
        found
            .into_iter()
            .map(|(convention, label_names, services, has_buckets)| {
                let (excluded, own): (Vec<String>, Vec<String>) =
                    services.into_iter().partition(|s| claimed.contains(s));
                claimed.extend(own.iter().cloned());
                HttpFound {
                    convention,
                    labels: HttpLabels::of(convention, &label_names),
                    services: own,
                    excluded,
                    has_buckets,
                }
            })
            .collect()
    }

    /// The ways to fill `template`: one per HTTP convention present when it
    /// names an HTTP placeholder (none when there is none, or when it needs a
    /// histogram a convention lacks), else one.
    pub fn expansions(&self, template: &str) -> Vec<Expansion> {
        let service = ("service_label", self.service_label.clone());
        if !uses_http(template) {
            let mut names = vec![service];
            if let Some(first) = self.http.first() {
                names.extend(http_names(first));
            }
            return vec![Expansion {
                names,
                exclude: Vec::new(),
                convention: None,
            }];
        }
        let needs_buckets = template.contains("$http_duration_bucket");
        self.http
            .iter()
            .filter(|found| found.has_buckets || !needs_buckets)
            .map(|found| {
                let mut names = vec![service.clone()];
                names.extend(http_names(found));
                Expansion {
                    names,
                    exclude: found.excluded.clone(),
                    convention: Some(found.convention),
                }
            })
            .collect()
    }

    /// What an empty panel lacks: those of `metrics` (the names its queries
    /// select) that Prometheus does not have, and for a template with no
    /// convention to fill it, the conventions themselves.
    pub fn missing(&self, templates: &[&str], metrics: &[String]) -> Vec<MissingMetric> {
        let Some(known) = &self.metrics else {
            return Vec::new();
        };
        let mut out: Vec<MissingMetric> = Vec::new();
        for template in templates {
            if self.expansions(template).is_empty() {
                let needs_buckets = template.contains("$http_duration_bucket");
                let names: Vec<&str> = HttpConvention::ALL
                    .iter()
                    .map(|c| match needs_buckets {
                        true => c.spec().duration_bucket,
                        false => c.spec().requests,
                    })
                    .collect();
                let item = MissingMetric {
                    metric: names.join(" or "),
                    source: "an HTTP server instrumented with OpenTelemetry, a Prometheus client library or Micrometer (docs/metrics.md)".into(),
                };
                if !out.contains(&item) {
                    out.push(item);
                }
            }
        }
        for metric in metrics {
            if !known.contains(metric) && !out.iter().any(|m| &m.metric == metric) {
                out.push(MissingMetric {
                    metric: metric.clone(),
                    source: provider_of(metric),
                });
            }
        }
        out
    }
}

fn http_names(found: &HttpFound) -> Vec<(&'static str, String)> {
    let spec = found.convention.spec();
    vec![
        ("http_requests", spec.requests.to_string()),
        ("http_duration_bucket", spec.duration_bucket.to_string()),
        ("http_duration_per_second", spec.per_second.to_string()),
        ("http_status", found.labels.status.clone()),
        ("http_method", found.labels.method.clone()),
        ("http_route", found.labels.route.clone()),
    ]
}

/// How long one look is trusted: services and libraries change rarely, and a
/// new one shows within this. After a failed look, or one that found no HTTP
/// metrics (Vantage started beside a Prometheus that has not scraped yet), the
/// next comes sooner.
const LOOK_AGAIN_AFTER: Duration = Duration::from_secs(60);
const LOOK_AGAIN_AFTER_FAILING: Duration = Duration::from_secs(5);

/// Looks at Prometheus now and then, and hands out the latest look at once:
/// only the very first look is waited for; after that an old look is handed
/// out while a new one is taken in the background, so a Prometheus that stalls
/// costs a page one timeout (its panels'), not two. (moka's caches wait for a
/// reload; this is stale-while-revalidate.)
#[derive(Clone)]
pub struct Discovery {
    inner: Arc<Inner>,
}

struct Inner {
    prometheus: PrometheusClient,
    setting: Option<String>,
    latest: Mutex<Option<Look>>,
    /// Held while looking: callers with no look yet wait for the one under way.
    looking: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Clone)]
struct Look {
    at: Instant,
    trusted_for: Duration,
    found: Arc<Discovered>,
}

impl Look {
    fn is_fresh(&self) -> bool {
        self.at.elapsed() < self.trusted_for
    }
}

impl Discovery {
    /// `setting`: `service_label` from the configuration, if given.
    pub fn new(prometheus: PrometheusClient, setting: Option<String>) -> Self {
        Self {
            inner: Arc::new(Inner {
                prometheus,
                setting,
                latest: Mutex::new(None),
                looking: Arc::new(tokio::sync::Mutex::new(())),
            }),
        }
    }

    /// The latest look (`Discovered::unknown` until one works).
    pub async fn current(&self) -> Arc<Discovered> {
        let latest = self.inner.latest();
        match latest {
            Some(look) if look.is_fresh() => look.found,
            Some(look) => {
                // Old: hand it out, and look again unless a look is under way.
                if let Ok(guard) = Arc::clone(&self.inner.looking).try_lock_owned() {
                    let inner = Arc::clone(&self.inner);
                    tokio::spawn(async move {
                        inner.look().await;
                        drop(guard);
                    });
                }
                look.found
            }
            None => {
                let _guard = self.inner.looking.lock().await;
                match self.inner.latest() {
                    Some(look) => look.found,
                    None => self.inner.look().await,
                }
            }
        }
    }
}

impl Inner {
    fn latest(&self) -> Option<Look> {
        self.latest
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// One look, kept; a failed one keeps the last that worked (or `unknown`)
    /// a little while.
    async fn look(&self) -> Arc<Discovered> {
        let (found, trusted_for) = match discover(&self.prometheus, self.setting.as_deref()).await {
            Ok(found) if found.http.is_empty() => (Arc::new(found), LOOK_AGAIN_AFTER_FAILING),
            Ok(found) => (Arc::new(found), LOOK_AGAIN_AFTER),
            Err(error) => {
                tracing::debug!(%error, "cannot look at what Prometheus holds");
                let kept = self
                    .latest()
                    .map(|l| l.found)
                    .unwrap_or_else(|| Arc::new(Discovered::unknown(self.setting.as_deref())));
                (kept, LOOK_AGAIN_AFTER_FAILING)
            }
        };
        *self.latest.lock().unwrap_or_else(|e| e.into_inner()) = Some(Look {
            at: Instant::now(),
            trusted_for,
            found: Arc::clone(&found),
        });
        found
    }
}

/// One look: metric names, then each present convention's labels, then each
/// one's services.
async fn discover(
    prometheus: &PrometheusClient,
    setting: Option<&str>,
) -> Result<Discovered, PrometheusError> {
    let metrics: HashSet<String> = prometheus
        .label_values("__name__", &[])
        .await?
        .data
        .into_iter()
        .collect();
    let present: Vec<HttpConvention> = HttpConvention::ALL
        .into_iter()
        .filter(|c| metrics.contains(c.spec().requests))
        .collect();
    let label_names = join_all(
        present
            .iter()
            .map(|c| async move { prometheus.labels(&[c.spec().requests]).await }),
    )
    .await
    .into_iter()
    .map(|a| a.map(|a| a.data))
    .collect::<Result<Vec<Vec<String>>, _>>()?;
    let all_names: Vec<String> = label_names.iter().flatten().cloned().collect();
    let service_label = Discovered::service_label_for(setting, &all_names);
    let services = join_all(present.iter().map(|c| {
        let label = &service_label;
        async move { prometheus.label_values(label, &[c.spec().requests]).await }
    }))
    .await
    .into_iter()
    .map(|a| a.map(|a| a.data))
    .collect::<Result<Vec<Vec<String>>, _>>()?;
    let found = present
        .into_iter()
        .zip(label_names)
        .zip(services)
        .map(|((c, names), services)| {
            let buckets = metrics.contains(c.spec().duration_bucket);
            (c, names, services, buckets)
        })
        .collect();
    Ok(Discovered {
        service_label,
        http: Discovered::assign(found),
        metrics: Some(metrics),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn found(
        c: HttpConvention,
        labels: &[&str],
        services: &[&str],
    ) -> (HttpConvention, Vec<String>, Vec<String>, bool) {
        (c, strings(labels), strings(services), true)
    }

    #[test]
    fn each_convention_is_found_with_its_own_labels() {
        let all = Discovered::assign(vec![
            found(
                HttpConvention::PrometheusClient,
                &["__name__", "job", "code", "method", "handler"],
                &["api"],
            ),
            found(
                HttpConvention::OpenTelemetry,
                &[
                    "http_response_status_code",
                    "http_request_method",
                    "http_route",
                ],
                &["shop"],
            ),
            found(
                HttpConvention::Micrometer,
                &["status", "method", "uri"],
                &["billing"],
            ),
            found(
                HttpConvention::OpenTelemetryLegacy,
                &["http_status_code", "http_method"],
                &["old"],
            ),
        ]);
        let by = |c| all.iter().find(|f| f.convention == c).unwrap();
        let prom = by(HttpConvention::PrometheusClient);
        assert_eq!(
            (prom.labels.status.as_str(), prom.labels.route.as_str()),
            ("code", "handler")
        );
        let otel = by(HttpConvention::OpenTelemetry);
        assert_eq!(otel.labels.route, "http_route");
        assert_eq!(otel.labels.status, "http_response_status_code");
        assert_eq!(by(HttpConvention::Micrometer).labels.route, "uri");
        let legacy = by(HttpConvention::OpenTelemetryLegacy);
        assert_eq!(legacy.labels.status, "http_status_code");
        // No route label: the usual name, which only makes groupings coarser.
        assert_eq!(legacy.labels.route, "http_route");
        // The demo's names.
        let demo = HttpLabels::of(
            HttpConvention::PrometheusClient,
            &strings(&["service", "endpoint", "method", "status"]),
        );
        assert_eq!(
            (demo.status.as_str(), demo.route.as_str()),
            ("status", "endpoint")
        );
    }

    #[test]
    fn a_service_with_two_conventions_is_counted_under_the_first() {
        let all = Discovered::assign(vec![
            found(HttpConvention::PrometheusClient, &[], &["api", "both"]),
            found(HttpConvention::OpenTelemetry, &[], &["both", "shop"]),
        ]);
        assert_eq!(all[0].convention, HttpConvention::OpenTelemetry);
        assert_eq!(all[0].services, strings(&["both", "shop"]));
        assert!(all[0].excluded.is_empty());
        assert_eq!(all[1].services, strings(&["api"]));
        assert_eq!(all[1].excluded, strings(&["both"]));

        let discovered = Discovered {
            service_label: "job".into(),
            http: all,
            metrics: None,
        };
        let ways = discovered.expansions("sum(rate($http_requests{$filter}[1m]))");
        assert_eq!(ways.len(), 2);
        assert_eq!(ways[1].exclude, strings(&["both"]));
        assert!(ways[1]
            .names
            .contains(&("http_requests", "http_requests_total".to_string())));
    }

    #[test]
    fn the_service_label_is_the_setting_else_what_the_http_metrics_carry_else_job() {
        let names = strings(&["job", "service_name", "service"]);
        assert_eq!(Discovered::service_label_for(Some("app"), &names), "app");
        assert_eq!(Discovered::service_label_for(None, &names), "service");
        assert_eq!(
            Discovered::service_label_for(None, &strings(&["job", "service_name"])),
            "service_name"
        );
        assert_eq!(
            Discovered::service_label_for(None, &strings(&["job"])),
            "job"
        );
        assert_eq!(Discovered::service_label_for(None, &[]), "job");
    }

    #[test]
    fn templates_without_http_placeholders_run_once_and_missing_metrics_are_named() {
        let discovered = Discovered {
            service_label: "job".into(),
            http: Vec::new(),
            metrics: Some(["up".to_string()].into_iter().collect()),
        };
        assert_eq!(
            discovered.expansions("max by ($service_label) (up)").len(),
            1
        );
        assert!(discovered
            .expansions("sum(rate($http_requests[1m]))")
            .is_empty());
        assert!(!uses_http("$http_requestsx"));

        let missing = discovered.missing(
            &["sum(rate($http_requests[1m]))", "node_load1"],
            &strings(&["up", "node_load1"]),
        );
        assert_eq!(missing.len(), 2, "{missing:?}");
        assert!(missing[0]
            .metric
            .contains("http_server_request_duration_seconds_count"));
        assert_eq!(missing[1].metric, "node_load1");
        assert!(missing[1].source.contains("node exporter"));
    }

    #[test]
    fn a_convention_without_its_histogram_fills_no_latency_panel() {
        let mut micrometer = found(HttpConvention::Micrometer, &[], &["billing"]);
        micrometer.3 = false;
        let discovered = Discovered {
            service_label: "job".into(),
            http: Discovered::assign(vec![micrometer]),
            metrics: None,
        };
        assert_eq!(
            discovered.expansions("sum(rate($http_requests[1m]))").len(),
            1
        );
        assert!(discovered
            .expansions("histogram_quantile(0.9, rate($http_duration_bucket[1m]))")
            .is_empty());
    }
}
