//! The HTTP server metric conventions teams actually have, and which labels
//! each one uses (docs/metrics.md).

use serde::Serialize;

/// One way an HTTP server's requests are counted and timed. In order of
/// preference: a service that has two (an app migrating, or OpenTelemetry's
/// `http/dup` mode) is counted under the first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HttpConvention {
    /// OpenTelemetry's stable semantic conventions.
    OpenTelemetry,
    /// Prometheus client libraries' customary names.
    PrometheusClient,
    /// Spring Boot's Micrometer.
    Micrometer,
    /// OpenTelemetry's conventions before 1.21, in milliseconds.
    OpenTelemetryLegacy,
}

/// What a convention calls things.
pub struct Spec {
    pub title: &'static str,
    /// A legend's suffix where two conventions give series of the same name.
    pub short: &'static str,
    /// The counter of requests (a histogram's `_count` where there is no counter).
    pub requests: &'static str,
    /// The duration histogram's buckets.
    pub duration_bucket: &'static str,
    /// Units of the duration histogram per second (1000 for milliseconds).
    pub per_second: u32,
    /// Label names, most usual first; the first one a Prometheus has is used.
    pub status: &'static [&'static str],
    pub method: &'static [&'static str],
    pub route: &'static [&'static str],
}

impl HttpConvention {
    pub const ALL: [HttpConvention; 4] = [
        Self::OpenTelemetry,
        Self::PrometheusClient,
        Self::Micrometer,
        Self::OpenTelemetryLegacy,
    ];

    pub fn spec(self) -> &'static Spec {
        match self {
            Self::OpenTelemetry => &Spec {
                title: "OpenTelemetry (http.server.request.duration)",
                short: "OpenTelemetry",
                requests: "http_server_request_duration_seconds_count",
                duration_bucket: "http_server_request_duration_seconds_bucket",
                per_second: 1,
                status: &["http_response_status_code"],
                method: &["http_request_method"],
                route: &["http_route"],
            },
            Self::PrometheusClient => &Spec {
                title: "Prometheus client library (http_requests_total)",
                short: "Prometheus client",
                requests: "http_requests_total",
                duration_bucket: "http_request_duration_seconds_bucket",
                per_second: 1,
                // promhttp (Go) says `code`; most others `status`.
                status: &["status", "code", "status_code"],
                method: &["method"],
                route: &["endpoint", "route", "handler", "path"],
            },
            Self::Micrometer => &Spec {
                title: "Micrometer (http.server.requests)",
                short: "Micrometer",
                requests: "http_server_requests_seconds_count",
                duration_bucket: "http_server_requests_seconds_bucket",
                per_second: 1,
                status: &["status"],
                method: &["method"],
                route: &["uri"],
            },
            Self::OpenTelemetryLegacy => &Spec {
                title: "OpenTelemetry before 1.21 (http.server.duration)",
                short: "OpenTelemetry, old",
                requests: "http_server_duration_milliseconds_count",
                duration_bucket: "http_server_duration_milliseconds_bucket",
                per_second: 1000,
                status: &["http_status_code"],
                method: &["http_method"],
                route: &["http_route", "http_target"],
            },
        }
    }
}

/// The labels one convention's series carry here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HttpLabels {
    pub status: String,
    pub method: String,
    pub route: String,
}

impl HttpLabels {
    /// The first candidate of each kind that `present` has (else the usual
    /// one: a missing label only makes a grouping coarser).
    pub fn of(convention: HttpConvention, present: &[String]) -> Self {
        let pick = |candidates: &[&str]| {
            candidates
                .iter()
                .find(|c| present.iter().any(|p| p == *c))
                .unwrap_or(&candidates[0])
                .to_string()
        };
        let spec = convention.spec();
        Self {
            status: pick(spec.status),
            method: pick(spec.method),
            route: pick(spec.route),
        }
    }
}
