//! The health store: every check result, status transitions, and per-minute and
//! per-hour summaries, behind a trait so a shared PostgreSQL store can stand
//! beside the embedded one for several replicas.

pub mod conformance;
mod postgres;
mod sqlite;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

use app::model::{
    Alert, CheckHistory, CheckResult, ComponentResult, HealthStatus, HistoryPoint, Transition,
};

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 3_600_000;
/// Spans up to this use every run; up to `MINUTES_UP_TO` minutes; beyond, hours.
const RAW_UP_TO_MS: i64 = 6 * HOUR_MS;
const MINUTES_UP_TO_MS: i64 = 48 * HOUR_MS;

/// The step a history of `span` ms is read at: 0 (every run), a minute or
/// an hour.
fn step_for(span_ms: i64) -> i64 {
    if span_ms <= RAW_UP_TO_MS {
        0
    } else if span_ms <= MINUTES_UP_TO_MS {
        MINUTE_MS
    } else {
        HOUR_MS
    }
}

/// The share of runs that answered (up or degraded), in percent.
fn uptime(points: &[HistoryPoint]) -> Option<f64> {
    let (answered, runs) = points.iter().fold((0u64, 0u64), |(a, n), p| {
        (
            a + u64::from(p.up + p.degraded),
            n + u64::from(p.up + p.degraded + p.down),
        )
    });
    (runs > 0).then(|| answered as f64 * 100.0 / runs as f64)
}

/// A result's components as stored: JSON, or nothing when there are none.
fn components_text(r: &CheckResult) -> Option<String> {
    if r.components.is_empty() {
        None
    } else {
        serde_json::to_string(&r.components).ok()
    }
}

fn components_from(text: Option<String>) -> Vec<ComponentResult> {
    text.and_then(|c| serde_json::from_str(&c).ok())
        .unwrap_or_default()
}

/// How long each kind of history is kept.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Retention {
    pub raw_days: u32,
    pub minute_days: u32,
    pub hour_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            raw_days: 7,
            minute_days: 35,
            hour_days: 400,
        }
    }
}

/// A check's status now, as the store knows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Current {
    pub latest: CheckResult,
    /// Since when it has had this status.
    pub since_ms: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the health store at {path} cannot be opened: {reason}")]
    Open { path: String, reason: String },
    #[error("the health store failed: {0}")]
    Failed(String),
}

/// Calls block (they are file or network I/O); async callers run them on the
/// blocking pool.
pub trait HealthStore: Send + Sync + 'static {
    /// Writes `results` in one transaction and returns the status changes they
    /// made. When this returns `Ok`, the results survive a crash.
    fn record(&self, results: &[CheckResult]) -> Result<Vec<Transition>, StoreError>;

    /// The newest result and since-when of every check that has one.
    fn current(&self) -> Result<Vec<Current>, StoreError>;

    /// A check's history between two times, at a step that fits the span: each
    /// run up to 6 h, minutes up to 2 days, hours beyond.
    fn history(&self, check: &str, from_ms: i64, to_ms: i64) -> Result<CheckHistory, StoreError>;

    /// Every check's status changes between two times (at most `limit`, the
    /// newest), oldest first.
    fn transitions_between(
        &self,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<Transition>, StoreError>;

    /// Drops what is older than the retention allows; returns rows removed.
    fn prune(&self, now_ms: i64, retention: Retention) -> Result<u64, StoreError>;

    /// How many results the store holds.
    fn result_count(&self) -> Result<u64, StoreError>;

    /// Writes alerts (new, or a new state of one already kept, by id).
    fn save_alerts(&self, alerts: &[Alert]) -> Result<(), StoreError>;

    /// Alerts active at some time between the two: firing then, or since.
    fn alerts_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<Alert>, StoreError>;

    /// Alerts not resolved yet.
    fn firing_alerts(&self) -> Result<Vec<Alert>, StoreError>;

    /// Whether several replicas may share this store (and so share out the
    /// checks through [`HealthStore::claim_checks`]).
    fn is_shared(&self) -> bool {
        false
    }

    /// Which of `checks` replica `replica` runs for the next `ttl_ms`: `None`
    /// for a store only one Vantage uses (it runs them all). A shared store
    /// shares them out among the replicas that called within `ttl_ms`, each
    /// check leased to one of them at a time; calling again renews.
    fn claim_checks(
        &self,
        _replica: &str,
        _checks: &[String],
        _ttl_ms: i64,
    ) -> Result<Option<Vec<String>>, StoreError> {
        Ok(None)
    }
}

/// Which of `live` replicas should run `check`: the one that ranks it
/// highest (rendezvous hashing), so every replica computes the same owner
/// from the same set, and a replica's leaving moves only its own checks.
pub fn rendezvous_owner<'a>(check: &str, live: &'a [String]) -> Option<&'a str> {
    use std::hash::{Hash, Hasher};
    live.iter()
        .max_by_key(|replica| {
            // FNV-1a: the same on every replica and every build (the std
            // hasher's seed is per process).
            let mut h = Fnv(0xcbf2_9ce4_8422_2325);
            check.hash(&mut h);
            replica.hash(&mut h);
            h.finish()
        })
        .map(String::as_str)
}

struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

fn status_code(s: HealthStatus) -> i64 {
    match s {
        HealthStatus::Up => 0,
        HealthStatus::Degraded => 1,
        HealthStatus::Down => 2,
    }
}

fn status_from_code(c: i64) -> HealthStatus {
    match c {
        0 => HealthStatus::Up,
        1 => HealthStatus::Degraded,
        _ => HealthStatus::Down,
    }
}
