//! `/metrics`: Vantage's own numbers in the Prometheus (OpenMetrics) text
//! format, so Prometheus keeps the health checks' history and charts can use it.

use std::{
    collections::HashSet,
    sync::{atomic::AtomicU64, Arc, Mutex},
    time::Duration,
};

use app::model::{CheckResult, HealthStatus};
use prometheus_client::{
    collector::Collector,
    encoding::{text::encode, DescriptorEncoder, EncodeLabelSet, EncodeMetric},
    metrics::{
        counter::{ConstCounter, Counter},
        family::Family,
        gauge::{ConstGauge, Gauge},
        histogram::Histogram,
    },
    registry::Registry,
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CheckLabels {
    check: String,
    service: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CheckStatusLabels {
    check: String,
    service: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LimitLabels {
    limit: &'static str,
}

/// The limits whose refusals are counted, by the name `/metrics` gives them.
pub const LIMITS: [&str; 6] = [
    "streams_per_client",
    "watched_views",
    "prometheus_queue",
    "rate",
    "mint_rate",
    "login_rate",
];

/// What `/metrics` reads from the running server at each scrape.
#[derive(Debug, Clone, Copy, Default)]
pub struct Live {
    pub topics: usize,
    pub slow_clients_dropped: u64,
    pub prometheus: crate::prometheus::QueueLoad,
    /// Refusals since start, in the order of [`LIMITS`].
    pub refused: [u64; LIMITS.len()],
}

/// Everything `/metrics` shows.
pub struct Metrics {
    registry: Registry,
    pub health: HealthMetrics,
    stream_topics: Gauge,
    stream_slow_clients: Counter,
    stream_slow_seen: AtomicU64,
    prometheus_in_flight: Gauge,
    prometheus_waiting: Gauge,
    prometheus_limit: Gauge,
    refused: Family<LimitLabels, Counter>,
    refused_seen: [AtomicU64; LIMITS.len()],
}

/// The health checks' metrics, cheap to clone into every check task.
#[derive(Clone)]
pub struct HealthMetrics {
    status: Family<CheckStatusLabels, Gauge>,
    response: Family<CheckLabels, Gauge<f64, AtomicU64>>,
    runs: Family<CheckStatusLabels, Counter>,
    schedule_delay: Histogram,
    stored: Counter,
    /// Label sets in use, so removed checks can be dropped from the families.
    known: Arc<Mutex<HashSet<CheckLabels>>>,
}

const STATUSES: [HealthStatus; 3] = [HealthStatus::Up, HealthStatus::Degraded, HealthStatus::Down];

impl Default for Metrics {
    fn default() -> Self {
        let health = HealthMetrics {
            status: Family::default(),
            response: Family::default(),
            runs: Family::default(),
            schedule_delay: Histogram::new([0.001, 0.005, 0.01, 0.05, 0.1, 0.2, 0.5, 1.0, 5.0]),
            stored: Counter::default(),
            known: Arc::default(),
        };
        let mut registry = Registry::default();
        registry.register(
            "vantage_check_status",
            "1 for the check's current status (up, degraded or down), 0 for the others",
            health.status.clone(),
        );
        registry.register(
            "vantage_check_response_seconds",
            "How long the check's newest run took",
            health.response.clone(),
        );
        registry.register(
            "vantage_check_runs",
            "Check runs by the status they gave",
            health.runs.clone(),
        );
        registry.register(
            "vantage_check_schedule_delay_seconds",
            "How late check runs started after they were due",
            health.schedule_delay.clone(),
        );
        registry.register(
            "vantage_health_results_stored",
            "Check results committed to the health store since start",
            health.stored.clone(),
        );
        let stream_topics = Gauge::default();
        registry.register(
            "vantage_stream_topics",
            "Distinct views being refreshed for open streams",
            stream_topics.clone(),
        );
        let stream_slow_clients = Counter::default();
        registry.register(
            "vantage_stream_slow_clients_dropped",
            "Stream clients disconnected for not reading",
            stream_slow_clients.clone(),
        );
        let prometheus_in_flight = Gauge::default();
        registry.register(
            "vantage_prometheus_queries_in_flight",
            "Requests to Prometheus being answered now",
            prometheus_in_flight.clone(),
        );
        let prometheus_waiting = Gauge::default();
        registry.register(
            "vantage_prometheus_queries_waiting",
            "Requests to Prometheus waiting for a turn (prometheus_max_concurrency)",
            prometheus_waiting.clone(),
        );
        let prometheus_limit = Gauge::default();
        registry.register(
            "vantage_prometheus_max_concurrency",
            "Most requests to Prometheus in flight at once",
            prometheus_limit.clone(),
        );
        let refused = Family::<LimitLabels, Counter>::default();
        registry.register(
            "vantage_limit_refusals",
            "Requests refused or given up for a limit: streams_per_client, rate, mint_rate, login_rate (429), watched_views (503), prometheus_queue (a query that waited too long)",
            refused.clone(),
        );
        registry.register_collector(Box::new(ProcessFigures));
        Self {
            registry,
            health,
            stream_topics,
            stream_slow_clients,
            stream_slow_seen: AtomicU64::new(0),
            prometheus_in_flight,
            prometheus_waiting,
            prometheus_limit,
            refused,
            refused_seen: Default::default(),
        }
    }
}

impl Metrics {
    /// The text for a scrape, with the running server's numbers read now.
    pub fn render(&self, live: Live) -> String {
        self.stream_topics.set(live.topics as i64);
        catch_up(
            &self.stream_slow_clients,
            &self.stream_slow_seen,
            live.slow_clients_dropped,
        );
        self.prometheus_in_flight
            .set(live.prometheus.in_flight as i64);
        self.prometheus_waiting.set(live.prometheus.waiting as i64);
        self.prometheus_limit.set(live.prometheus.limit as i64);
        for ((limit, seen), now) in LIMITS.iter().zip(&self.refused_seen).zip(live.refused) {
            catch_up(
                &self.refused.get_or_create(&LimitLabels { limit }),
                seen,
                now,
            );
        }
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

/// Brings a counter up to a total kept elsewhere (`seen`: what it counted).
fn catch_up(counter: &Counter, seen: &AtomicU64, now: u64) {
    let before = seen.swap(now, std::sync::atomic::Ordering::Relaxed);
    counter.inc_by(now.saturating_sub(before));
}

/// The process' own figures under the names every Prometheus client library
/// uses (`process_resident_memory_bytes`, `process_cpu_seconds_total`, …), read
/// from the system at each scrape.
#[derive(Debug)]
struct ProcessFigures;

impl Collector for ProcessFigures {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let now = metrics_process::collector::collect();
        if let Some(seconds) = now.cpu_seconds_total {
            let counter = ConstCounter::new(seconds);
            counter.encode(encoder.encode_descriptor(
                "process_cpu_seconds",
                "Total user and system CPU time spent in seconds.",
                None,
                counter.metric_type(),
            )?)?;
        }
        let gauges = [
            (
                "process_open_fds",
                "Number of open file descriptors.",
                now.open_fds,
            ),
            (
                "process_max_fds",
                "Maximum number of open file descriptors.",
                now.max_fds,
            ),
            (
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes.",
                now.virtual_memory_bytes,
            ),
            (
                "process_resident_memory_bytes",
                "Resident memory size in bytes.",
                now.resident_memory_bytes,
            ),
            (
                "process_start_time_seconds",
                "Start time of the process since unix epoch in seconds.",
                now.start_time_seconds,
            ),
            (
                "process_threads",
                "Number of OS threads in the process.",
                now.threads,
            ),
        ];
        for (name, help, value) in gauges {
            let Some(value) = value.and_then(|v| i64::try_from(v).ok()) else {
                continue;
            };
            let gauge = ConstGauge::new(value);
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)?;
        }
        Ok(())
    }
}

impl HealthMetrics {
    pub fn record(&self, check: &str, service: &str, r: &CheckResult) {
        let labels = CheckLabels {
            check: check.to_string(),
            service: service.to_string(),
        };
        for s in STATUSES {
            self.status
                .get_or_create(&with_status(&labels, s))
                .set(i64::from(s == r.status));
        }
        self.response
            .get_or_create(&labels)
            .set(r.response_ms / 1000.0);
        self.runs
            .get_or_create(&with_status(&labels, r.status))
            .inc();
        self.stored.inc();
        self.known
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(labels);
    }

    pub fn schedule_delay(&self, late: Duration) {
        self.schedule_delay.observe(late.as_secs_f64());
    }

    /// Drops the series of checks that are no longer configured: `checks`
    /// are the (check, service) pairs that are.
    pub fn keep_only<'a>(&self, checks: impl IntoIterator<Item = (&'a str, &'a str)>) {
        let keep: HashSet<CheckLabels> = checks
            .into_iter()
            .map(|(check, service)| CheckLabels {
                check: check.to_string(),
                service: service.to_string(),
            })
            .collect();
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        for gone in known.difference(&keep) {
            self.response.remove(gone);
            for s in STATUSES {
                self.status.remove(&with_status(gone, s));
                self.runs.remove(&with_status(gone, s));
            }
        }
        known.retain(|l| keep.contains(l));
    }
}

fn with_status(labels: &CheckLabels, status: HealthStatus) -> CheckStatusLabels {
    CheckStatusLabels {
        check: labels.check.clone(),
        service: labels.service.clone(),
        status: status.as_str().to_string(),
    }
}
