//! Which exporter or library provides a metric, by its name: what an empty
//! panel tells its viewer to install (docs/metrics.md has the same table).

use super::HttpConvention;

/// Metric-name prefixes (ending in `_`) or whole names, and what exposes them.
const SOURCES: &[(&str, &str)] = &[
    (
        "node_",
        "the node exporter (Debian: prometheus-node-exporter)",
    ),
    (
        "namedprocess_",
        "the process exporter (Debian: prometheus-process-exporter)",
    ),
    (
        "pg_",
        "the PostgreSQL exporter (Debian: prometheus-postgres-exporter)",
    ),
    (
        "redis_",
        "the Redis exporter (Debian: prometheus-redis-exporter)",
    ),
    (
        "container_",
        "cAdvisor (or the kubelet's cAdvisor endpoint)",
    ),
    (
        "process_",
        "any Prometheus client library's process collector",
    ),
    ("ALERTS", "Prometheus alerting rules (rule_files)"),
    ("up", "Prometheus' scrape of any target"),
    (
        "db_pool_",
        "your services' connection-pool metrics (as in the demo fleet)",
    ),
    (
        "cache_",
        "your services' cache metrics (as in the demo fleet)",
    ),
    (
        "queue_",
        "your services' queue metrics (as in the demo fleet)",
    ),
    (
        "service_dependency_",
        "your services' dependency checks (as in the demo fleet)",
    ),
];

/// What provides `metric`, in words.
pub fn provider_of(metric: &str) -> String {
    for convention in HttpConvention::ALL {
        let spec = convention.spec();
        if metric == spec.requests || metric == spec.duration_bucket {
            return format!("an HTTP server instrumented with {}", spec.title);
        }
    }
    SOURCES
        .iter()
        .find(|(name, _)| match name.ends_with('_') {
            true => metric.starts_with(name),
            false => metric == *name,
        })
        .map(|(_, source)| source.to_string())
        .unwrap_or_else(|| "an exporter or service that exposes it".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exporters_and_conventions_are_named() {
        assert!(provider_of("node_load1").contains("node exporter"));
        assert!(provider_of("pg_locks_count").contains("PostgreSQL"));
        assert!(provider_of("http_server_requests_seconds_bucket").contains("Micrometer"));
        assert!(provider_of("up").contains("scrape"));
        assert!(!provider_of("uptime_seconds").contains("scrape"));
        assert!(provider_of("something_else").contains("exposes it"));
    }
}
