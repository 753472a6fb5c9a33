//! Traffic of the fleet as a deterministic simulation: counters advance with
//! time, following a daily load curve, per-endpoint rates and latencies, and error
//! bursts. The same simulation writes history (for backfill) and then goes on
//! live, so counters continue without a reset where history meets the present.

mod exposition;
mod math;

use rand::{rngs::StdRng, Rng, SeedableRng};
use serde::{Deserialize, Serialize};

pub use exposition::{Family, Kind, MetricSample};

use crate::catalog::{ServiceSpec, SERVICES};

/// What a service has been told to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Normal,
    /// Health answers after ~2.5 s (DEGRADED by the usual 1 s / 5 s thresholds);
    /// request latency ×8.
    Slow,
    /// Health answers 503; most requests fail with 5xx.
    Fail,
    /// The service stops listening.
    Down,
}

impl std::str::FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "normal" => Ok(Self::Normal),
            "slow" => Ok(Self::Slow),
            "fail" => Ok(Self::Fail),
            "down" => Ok(Self::Down),
            _ => Err("mode must be one of normal, slow, fail, down".into()),
        }
    }
}

/// Latency histogram bucket bounds, in seconds.
pub const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Status codes each endpoint answers with; the first is its success code.
const STATUSES: [&str; 5] = ["200", "400", "404", "500", "503"];
/// Spread of latencies around the median (log-normal sigma).
const LATENCY_SIGMA: f64 = 0.6;

struct EndpointState {
    by_status: [f64; STATUSES.len()],
    buckets: [f64; BUCKETS.len()],
    sum: f64,
}

pub struct ServiceState {
    pub spec: &'static ServiceSpec,
    pub mode: Mode,
    endpoints: Vec<EndpointState>,
    cache_hits: f64,
    cache_misses: f64,
    db_active: f64,
    db_max: f64,
    queue_length: f64,
    queue_workers: f64,
    business: Vec<f64>,
    burst_until: f64,
    load_jitter: f64,
    cpu_seconds: f64,
    memory_bytes: f64,
}

pub struct Simulation {
    pub services: Vec<ServiceState>,
    rng: StdRng,
    started_at: f64,
    /// The time the simulation has reached.
    clock: f64,
}

impl Simulation {
    pub fn new(seed: u64, now: f64) -> Self {
        let services = SERVICES
            .iter()
            .map(|spec| ServiceState {
                spec,
                mode: Mode::Normal,
                endpoints: spec
                    .endpoints
                    .iter()
                    .map(|_| EndpointState {
                        by_status: [0.0; STATUSES.len()],
                        buckets: [0.0; BUCKETS.len()],
                        sum: 0.0,
                    })
                    .collect(),
                cache_hits: 0.0,
                cache_misses: 0.0,
                db_active: 3.0,
                db_max: 20.0,
                queue_length: 0.0,
                queue_workers: 4.0,
                business: vec![0.0; spec.business.map(|b| b.3.len()).unwrap_or(0)],
                burst_until: f64::MIN,
                load_jitter: 1.0,
                cpu_seconds: 0.0,
                memory_bytes: 90e6,
            })
            .collect();
        Self {
            services,
            rng: StdRng::seed_from_u64(seed),
            started_at: now,
            clock: now,
        }
    }

    pub fn service_mut(&mut self, name: &str) -> Option<&mut ServiceState> {
        self.services.iter_mut().find(|s| s.spec.name == name)
    }

    /// Moves the simulation on to `now` from wherever it was, so no stretch of time
    /// is ever skipped (history and live ticks join without a dent in the rates).
    pub fn advance_to(&mut self, now: f64) {
        let dt = now - self.clock;
        if dt > 0.0 {
            self.advance(now, dt);
        }
    }

    /// Moves the simulation from `now - dt` to `now`.
    fn advance(&mut self, now: f64, dt: f64) {
        if dt <= 0.0 {
            return;
        }
        self.clock = now;
        let daily = daily_load(now);
        for svc in &mut self.services {
            // Load wanders a little around the daily curve.
            svc.load_jitter =
                (svc.load_jitter + self.rng.random_range(-0.04..0.04) * dt.sqrt()).clamp(0.8, 1.2);
            // Errors come in bursts: about one every half hour per service.
            if now > svc.burst_until && self.rng.random_bool((dt / 1800.0).min(1.0)) {
                svc.burst_until = now + self.rng.random_range(60.0..180.0);
            }
            let in_burst = now <= svc.burst_until;
            let (latency_factor, error_ratio) = match svc.mode {
                Mode::Normal if in_burst => (1.6, 0.15),
                Mode::Normal => (1.0, 0.004),
                Mode::Slow => (8.0, 0.01),
                Mode::Fail => (1.2, 0.6),
                Mode::Down => (1.0, 0.0),
            };
            let load = if svc.mode == Mode::Down {
                0.0
            } else {
                daily * svc.load_jitter
            };
            let mut total = 0.0;
            for (spec, state) in svc.spec.endpoints.iter().zip(&mut svc.endpoints) {
                let n = spec.rate * load * dt;
                total += n;
                let errors = n * error_ratio;
                let client_errors = n * 0.02;
                let ok = n - errors - client_errors;
                state.by_status[0] += ok;
                state.by_status[1] += client_errors * 0.6;
                state.by_status[2] += client_errors * 0.4;
                state.by_status[3] += errors * 0.7;
                state.by_status[4] += errors * 0.3;
                let median = spec.median_latency * latency_factor;
                for (bucket, le) in state.buckets.iter_mut().zip(BUCKETS) {
                    *bucket += n * math::lognormal_cdf(le, median, LATENCY_SIGMA);
                }
                state.sum += n * median * (LATENCY_SIGMA * LATENCY_SIGMA / 2.0).exp();
            }
            // Work costs CPU; memory follows the load slowly, as heaps do.
            if svc.mode != Mode::Down {
                svc.cpu_seconds += dt * 0.02 + total * 0.002 * latency_factor.sqrt();
                let rate = total / dt.max(1.0);
                let target = 90e6 + rate * 2.5e6;
                svc.memory_bytes += (target - svc.memory_bytes) * (dt / 300.0).min(1.0);
            }
            if svc.spec.cache.is_some() {
                let hit_ratio = if in_burst { 0.7 } else { 0.93 };
                svc.cache_hits += total * hit_ratio;
                svc.cache_misses += total * (1.0 - hit_ratio);
            }
            if svc.spec.database {
                let target = (2.0 + total / dt.max(1.0) * 0.12 * latency_factor).min(svc.db_max);
                svc.db_active += (target - svc.db_active) * 0.3 + self.rng.random_range(-0.5..0.5);
                svc.db_active = svc.db_active.clamp(0.0, svc.db_max);
            }
            if svc.spec.queue.is_some() {
                let arrivals = total * 0.2;
                let capacity = svc.queue_workers * 6.0 * dt / latency_factor;
                svc.queue_length = (svc.queue_length + arrivals - capacity).max(0.0)
                    + self.rng.random_range(0.0..2.0);
                svc.queue_workers = if svc.queue_length > 50.0 { 8.0 } else { 4.0 };
            }
            if let Some((family, ..)) = svc.spec.business {
                let per_request = match family {
                    "llm_tokens" => 350.0,
                    "user_registrations" => 0.02,
                    _ => 0.5,
                };
                let n = svc.business.len() as f64;
                for (i, v) in svc.business.iter_mut().enumerate() {
                    let share = if i == 0 {
                        0.75
                    } else {
                        0.25 / (n - 1.0).max(1.0)
                    };
                    *v += total * per_request * share;
                }
            }
        }
    }

    /// Every metric family of one service, labelled with `service`.
    pub fn families(&self, index: usize) -> Vec<Family> {
        let svc = &self.services[index];
        let name = svc.spec.name;
        let mut out = Vec::new();

        let mut requests = Family::new(
            "http_requests_total",
            Kind::Counter,
            "HTTP requests by endpoint, method and status.",
        );
        let mut duration = Family::new(
            "http_request_duration_seconds",
            Kind::Histogram,
            "HTTP request latency by endpoint and method.",
        );
        for (spec, state) in svc.spec.endpoints.iter().zip(&svc.endpoints) {
            for (code, value) in STATUSES.iter().zip(state.by_status) {
                let code = if *code == "200" && spec.method == "POST" {
                    "201"
                } else {
                    code
                };
                requests.push(
                    "http_requests_total",
                    &[
                        ("service", name),
                        ("endpoint", spec.path),
                        ("method", spec.method),
                        ("status", code),
                    ],
                    value,
                );
            }
            let labels = [
                ("service", name),
                ("endpoint", spec.path),
                ("method", spec.method),
            ];
            for (le, value) in BUCKETS.iter().zip(state.buckets) {
                let le = le.to_string();
                duration.push_with(
                    "http_request_duration_seconds_bucket",
                    &labels,
                    Some(("le", &le)),
                    value,
                );
            }
            let count: f64 = state.by_status.iter().sum();
            duration.push_with(
                "http_request_duration_seconds_bucket",
                &labels,
                Some(("le", "+Inf")),
                count,
            );
            duration.push("http_request_duration_seconds_sum", &labels, state.sum);
            duration.push("http_request_duration_seconds_count", &labels, count);
        }
        out.push(requests);
        out.push(duration);

        if let Some(cache) = svc.spec.cache {
            let mut hits =
                Family::new("cache_hits_total", Kind::Counter, "Cache lookups that hit.");
            hits.push(
                "cache_hits_total",
                &[("service", name), ("cache", cache)],
                svc.cache_hits,
            );
            let mut misses = Family::new(
                "cache_misses_total",
                Kind::Counter,
                "Cache lookups that missed.",
            );
            misses.push(
                "cache_misses_total",
                &[("service", name), ("cache", cache)],
                svc.cache_misses,
            );
            out.push(hits);
            out.push(misses);
        }
        if svc.spec.database {
            let mut pool = Family::new(
                "db_pool_connections",
                Kind::Gauge,
                "Database pool connections by state.",
            );
            let active = svc.db_active.round();
            pool.push(
                "db_pool_connections",
                &[("service", name), ("state", "active")],
                active,
            );
            pool.push(
                "db_pool_connections",
                &[("service", name), ("state", "idle")],
                (svc.db_max - active).max(0.0),
            );
            let mut max = Family::new(
                "db_pool_max_connections",
                Kind::Gauge,
                "Size of the database pool.",
            );
            max.push("db_pool_max_connections", &[("service", name)], svc.db_max);
            out.push(pool);
            out.push(max);
        }
        if let Some(queue) = svc.spec.queue {
            let mut length = Family::new("queue_length", Kind::Gauge, "Jobs waiting in the queue.");
            length.push(
                "queue_length",
                &[("service", name), ("queue", queue)],
                svc.queue_length.round(),
            );
            let mut workers =
                Family::new("queue_workers", Kind::Gauge, "Workers consuming the queue.");
            workers.push(
                "queue_workers",
                &[("service", name), ("queue", queue)],
                svc.queue_workers,
            );
            out.push(length);
            out.push(workers);
        }
        if let Some((family, help, label, values)) = svc.spec.business {
            let metric = format!("{family}_total");
            let mut f = Family::new(&metric, Kind::Counter, help);
            for (value, count) in values.iter().zip(&svc.business) {
                f.push(&metric, &[("service", name), (label, value)], count.floor());
            }
            out.push(f);
        }
        let mut up = Family::new(
            "service_up",
            Kind::Gauge,
            "1 while the service considers itself healthy.",
        );
        up.push(
            "service_up",
            &[("service", name)],
            if svc.mode == Mode::Fail { 0.0 } else { 1.0 },
        );
        out.push(up);
        let mut deps = Family::new(
            "service_dependency_up",
            Kind::Gauge,
            "1 while a dependency answers the service's calls.",
        );
        for dep in crate::catalog::dependencies(name) {
            let answers = self
                .services
                .iter()
                .find(|s| s.spec.name == *dep)
                .is_some_and(|s| matches!(s.mode, Mode::Normal | Mode::Slow));
            deps.push(
                "service_dependency_up",
                &[("service", name), ("dependency", dep)],
                if answers { 1.0 } else { 0.0 },
            );
        }
        if !deps.samples.is_empty() {
            out.push(deps);
        }
        let mut cpu = Family::new(
            "process_cpu_seconds_total",
            Kind::Counter,
            "CPU time the process used, in seconds.",
        );
        cpu.push(
            "process_cpu_seconds_total",
            &[("service", name)],
            svc.cpu_seconds,
        );
        out.push(cpu);
        let mut memory = Family::new(
            "process_resident_memory_bytes",
            Kind::Gauge,
            "Resident memory of the process, in bytes.",
        );
        memory.push(
            "process_resident_memory_bytes",
            &[("service", name)],
            svc.memory_bytes.round(),
        );
        out.push(memory);
        let mut start = Family::new(
            "process_start_time_seconds",
            Kind::Gauge,
            "Start time of the process, Unix seconds.",
        );
        start.push(
            "process_start_time_seconds",
            &[("service", name)],
            self.started_at.floor(),
        );
        out.push(start);
        out
    }

    /// The live `/metrics` text of one service (Prometheus text format 0.0.4).
    pub fn exposition(&self, index: usize) -> String {
        exposition::text_format(&self.families(index))
    }

    /// Runs the simulation from `from` to `to` in `step`s and returns the history
    /// as OpenMetrics for `promtool tsdb create-blocks-from openmetrics`. Series
    /// carry `job="fleet"` and `instance=<service>`, the labels the scrape
    /// configuration gives the live ones, so history and live data are one series.
    pub fn history(&mut self, from: f64, to: f64, step: f64) -> String {
        let mut writer = exposition::OpenMetricsWriter::default();
        self.clock = from - step;
        let mut t = from;
        while t <= to {
            self.advance_to(t);
            for i in 0..self.services.len() {
                let instance = self.services[i].spec.name;
                writer.add(
                    &self.families(i),
                    &[("job", "fleet"), ("instance", instance)],
                    t as i64,
                );
            }
            t += step;
        }
        writer.finish()
    }
}

/// Load over the day: a quiet night, a busy afternoon (UTC).
fn daily_load(now: f64) -> f64 {
    let hour = (now / 3600.0).rem_euclid(24.0);
    1.0 + 0.45 * ((hour - 9.0) / 24.0 * std::f64::consts::TAU).sin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_only_grow_and_histograms_stay_consistent() {
        let mut sim = Simulation::new(7, 1_000_000.0);
        let before: f64 = sim.services[0].endpoints[0].by_status.iter().sum();
        for i in 1..=100 {
            sim.advance_to(1_000_000.0 + i as f64);
        }
        let e = &sim.services[0].endpoints[0];
        let after: f64 = e.by_status.iter().sum();
        assert!(
            after > before + 1000.0,
            "api-gateway /users should see ~4200 requests, saw {after}"
        );
        for w in e.buckets.windows(2) {
            assert!(w[0] <= w[1], "buckets must be cumulative");
        }
        assert!(e.buckets[BUCKETS.len() - 1] <= after + 1e-6);
    }

    #[test]
    fn a_failing_service_fails_most_requests_and_a_down_one_serves_none() {
        let mut sim = Simulation::new(1, 0.0);
        sim.service_mut("auth-service").unwrap().mode = Mode::Fail;
        sim.service_mut("user-service").unwrap().mode = Mode::Down;
        sim.advance_to(10.0);
        let auth = &sim.services[1].endpoints[0];
        let errors = auth.by_status[3] + auth.by_status[4];
        assert!(errors / auth.by_status.iter().sum::<f64>() > 0.5);
        let users: f64 = sim.services[2]
            .endpoints
            .iter()
            .flat_map(|e| e.by_status)
            .sum();
        assert_eq!(users, 0.0);
    }

    #[test]
    fn history_is_valid_openmetrics_with_contiguous_families() {
        let mut sim = Simulation::new(3, 0.0);
        let text = sim.history(1000.0, 1060.0, 15.0);
        assert!(text.ends_with("# EOF\n"));
        assert!(text.contains("# TYPE http_requests counter\n"));
        assert!(text.contains("job=\"fleet\",instance=\"api-gateway\"} "));
        // Each family appears under exactly one TYPE line.
        assert_eq!(text.matches("# TYPE http_requests counter").count(), 1);
        let first = text.find("http_requests_total{").unwrap();
        let last = text.rfind("http_requests_total{").unwrap();
        assert!(
            !text[first..last].contains("# TYPE"),
            "family must be contiguous"
        );
    }
}
