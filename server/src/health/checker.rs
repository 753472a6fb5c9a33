//! The checker: runs every check on its interval and hands results to the store.
//!
//! Each check has its own small task that sleeps until the check is due (the
//! first run at a random point of the first interval, so checks do not all fire
//! at once), waits for one of a bounded number of permits, and probes with a
//! deadline. A probe cannot outlive its timeout, so no task blocks forever and
//! a target that never answers holds one permit for one timeout at most.
//!
//! Results go through a bounded queue to one writer, which commits them in
//! batches; only then do they count (the API, `/metrics`, the stream, and the
//! [`CommitListener`]: the alerts), so whatever was shown survives a crash.
//!
//! Replicas on one shared store (PostgreSQL) share the checks out: every
//! second each renews its leases ([`HealthStore::claim_checks`]) and runs only
//! the checks it holds, so each check runs once however many replicas run,
//! and a replica that stops has its checks taken over once its leases
//! expire. What the others commit reaches this replica's state and stream
//! from the store within a lease beat.

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, RwLock,
    },
    time::Duration,
};

use app::model::{CheckResult, CheckSummary, Transition};
use rand::Rng;
use tokio::sync::{broadcast, mpsc, Semaphore};
use tokio_util::sync::CancellationToken;

use super::{
    config::{CheckSpec, ChecksConfig, FileProblem},
    probe::Prober,
    store::{HealthStore, Retention},
};
use crate::{file_watch::FileChanges, metrics::HealthMetrics};

/// Results waiting for the writer, at most; a full queue slows the checks down
/// instead of growing memory.
const RESULT_QUEUE: usize = 10_000;
/// Results committed in one transaction, at most.
const BATCH: usize = 1_000;
/// How often the checks file is looked at for changes, and old history dropped.
const FILE_POLL: Duration = Duration::from_secs(2);
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// How often a replica on a shared store renews its leases and reads what the
/// others committed.
const LEASE_BEAT: Duration = Duration::from_secs(1);
/// How long a lease lasts unrenewed: a replica that stopped has its checks
/// taken over after this.
const LEASE_TTL: Duration = Duration::from_secs(3);

/// Which checks this replica runs: all of them (a store of its own), or the
/// ones it holds leases on, until the leases' end unless renewed.
struct Ownership {
    leased: RwLock<Option<(std::collections::HashSet<String>, tokio::time::Instant)>>,
    shared: std::sync::atomic::AtomicBool,
}

impl Ownership {
    fn runs(&self, check: &str) -> bool {
        if !self.shared.load(Ordering::Relaxed) {
            return true;
        }
        let leased = self.leased.read().unwrap_or_else(|e| e.into_inner());
        leased.as_ref().is_some_and(|(checks, until)| {
            *until > tokio::time::Instant::now() && checks.contains(check)
        })
    }
}

/// What changed, for the live stream.
#[derive(Clone, Debug)]
pub enum HealthEvent {
    Result(CheckResult),
    Transition(Transition),
}

/// Who hears of every committed batch of results, in order, and of every
/// version of the checks file applied: the alerts. The narrow way from the
/// checker to what acts on its results; it must not block.
pub trait CommitListener: Send + Sync {
    /// Results just committed (of checks in `config`, which says their services).
    fn committed(&self, config: &ChecksConfig, results: &[CheckResult]);
    /// `config`'s checks and rules now run (at start, and after each edit).
    fn applied(&self, config: &ChecksConfig);
    /// On a shared store: this replica now runs `gained` (whose alerts still
    /// firing are `firing`) and no longer runs `lost`. Told before any result
    /// of a gained check is committed here.
    fn handed_over(&self, _gained: &[String], _lost: &[String], _firing: Vec<app::model::Alert>) {}
    /// On a shared store, every lease beat (off the async threads): take in
    /// what the other replicas changed.
    fn beat(&self) {}
}

#[derive(Clone)]
pub struct Checker {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn HealthStore>,
    file: Option<PathBuf>,
    config: RwLock<Arc<ChecksConfig>>,
    /// The newest committed result and since-when of every check.
    state: RwLock<HashMap<String, (CheckResult, i64)>>,
    /// The checks file's last mistake, while the last good version runs.
    problem: RwLock<Option<FileProblem>>,
    /// The store's last failure, until a write or lease succeeds again.
    store_problem: RwLock<Option<String>>,
    results: mpsc::Sender<CheckResult>,
    committed: AtomicU64,
    events: broadcast::Sender<HealthEvent>,
    metrics: HealthMetrics,
    listener: Option<Arc<dyn CommitListener>>,
    /// Cancels the running generation of check tasks (on reload).
    generation: RwLock<CancellationToken>,
    shutdown: CancellationToken,
    /// This replica's name among those sharing the store.
    replica: String,
    ownership: Arc<Ownership>,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckerError {
    #[error(transparent)]
    File(#[from] FileProblem),
    #[error(transparent)]
    Store(#[from] super::store::StoreError),
    #[error("cannot make the HTTP client for checks: {0}")]
    Client(String),
}

impl Checker {
    /// Reads the checks file (a mistake in it stops the start), loads the
    /// store's current state, and starts checking.
    pub fn start(
        file: Option<PathBuf>,
        store: Arc<dyn HealthStore>,
        metrics: HealthMetrics,
        listener: Option<Arc<dyn CommitListener>>,
        shutdown: CancellationToken,
    ) -> Result<Self, CheckerError> {
        // Stamped before reading: an edit made meanwhile is seen as a change.
        let stamp = file.as_ref().and_then(|p| file_stamp(p));
        let config = match &file {
            Some(path) => ChecksConfig::read(path)?,
            None => ChecksConfig::default(),
        };
        let state = store
            .current()?
            .into_iter()
            .map(|c| (c.latest.check.clone(), (c.latest, c.since_ms)))
            .collect();
        let shared = store.is_shared();
        let (results, queue) = mpsc::channel(RESULT_QUEUE);
        let (events, _) = broadcast::channel(1024);
        let checker = Checker {
            inner: Arc::new(Inner {
                store,
                file,
                config: RwLock::new(Arc::new(ChecksConfig::default())),
                state: RwLock::new(state),
                problem: RwLock::new(None),
                store_problem: RwLock::new(None),
                results,
                committed: AtomicU64::new(0),
                events,
                metrics,
                listener,
                generation: RwLock::new(shutdown.child_token()),
                shutdown,
                replica: replica_name(),
                // On a shared store nothing runs before the first lease.
                ownership: Arc::new(Ownership {
                    leased: RwLock::new(None),
                    shared: std::sync::atomic::AtomicBool::new(shared),
                }),
            }),
        };
        checker.apply(config)?;
        tokio::spawn(write_results(Arc::clone(&checker.inner), queue));
        tokio::spawn(checker.clone().share_checks());
        tokio::spawn(checker.clone().watch_file(stamp));
        tokio::spawn(checker.clone().prune_now_and_then());
        Ok(checker)
    }

    /// Replaces the running checks with `config`'s.
    fn apply(&self, config: ChecksConfig) -> Result<(), CheckerError> {
        let prober = Arc::new(
            Prober::new(&config.settings).map_err(|e| CheckerError::Client(e.to_string()))?,
        );
        let permits = Arc::new(Semaphore::new(config.settings.max_concurrent));
        let generation = self.inner.shutdown.child_token();
        let old = std::mem::replace(
            &mut *self
                .inner
                .generation
                .write()
                .unwrap_or_else(|e| e.into_inner()),
            generation.clone(),
        );
        old.cancel();
        {
            let mut state = self.inner.state.write().unwrap_or_else(|e| e.into_inner());
            state.retain(|name, _| config.check(name).is_some());
            self.inner.metrics.keep_only(
                config
                    .checks
                    .iter()
                    .map(|c| (c.name.as_str(), c.service.as_str())),
            );
        }
        // When a check's last run was, here or on another replica: a check
        // taken over runs an interval after it, not an interval after the
        // takeover.
        let last_run: LastRun = {
            let inner = Arc::downgrade(&self.inner);
            Arc::new(move |name: &str| {
                let inner = inner.upgrade()?;
                let state = inner.state.read().unwrap_or_else(|e| e.into_inner());
                state.get(name).map(|(r, _)| r.at_ms)
            })
        };
        for spec in &config.checks {
            tokio::spawn(run_check(
                Arc::new(spec.clone()),
                (Arc::clone(&self.inner.ownership), Arc::clone(&last_run)),
                Arc::clone(&prober),
                Arc::clone(&permits),
                self.inner.results.clone(),
                self.inner.metrics.clone(),
                generation.clone(),
            ));
        }
        tracing::info!(checks = config.checks.len(), "health checks running");
        if let Some(listener) = &self.inner.listener {
            listener.applied(&config);
        }
        *self.inner.config.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(config);
        Ok(())
    }

    /// Every check with its newest committed result, in the file's order.
    pub fn summaries(&self) -> Vec<CheckSummary> {
        let config = self.config();
        let state = self.inner.state.read().unwrap_or_else(|e| e.into_inner());
        config
            .checks
            .iter()
            .map(|c| {
                let now = state.get(&c.name);
                CheckSummary {
                    name: c.name.clone(),
                    service: c.service.clone(),
                    url: display_url(&c.url),
                    interval_seconds: c.interval.as_secs().max(1),
                    latest: now.map(|(r, _)| r.clone()),
                    since_ms: now.map(|(_, since)| *since),
                }
            })
            .collect()
    }

    pub fn config(&self) -> Arc<ChecksConfig> {
        Arc::clone(&self.inner.config.read().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn store(&self) -> Arc<dyn HealthStore> {
        Arc::clone(&self.inner.store)
    }

    /// The checks file's mistake, if the last edit had one.
    pub fn problem(&self) -> Option<FileProblem> {
        self.inner
            .problem
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Why the store failed last, while it has not worked since.
    pub fn store_problem(&self) -> Option<String> {
        self.inner
            .store_problem
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Results committed to the store since start.
    pub fn committed(&self) -> u64 {
        self.inner.committed.load(Ordering::Relaxed)
    }

    pub fn events(&self) -> broadcast::Receiver<HealthEvent> {
        self.inner.events.subscribe()
    }

    async fn watch_file(self, mut seen: Option<FileStamp>) {
        let Some(path) = self.inner.file.clone() else {
            return;
        };
        let mut changes = match FileChanges::watch(&path, FILE_POLL) {
            Ok(changes) => changes,
            Err(e) => {
                tracing::error!(file = %path.display(), "{e}; edits of the checks file are not followed");
                return;
            }
        };
        // The first round compares with the stamp taken before the start's read.
        while changes.next_round(&self.inner.shutdown).await {
            let now = file_stamp(&path);
            if now == seen {
                continue;
            }
            seen = now;
            let outcome = ChecksConfig::read(&path)
                .map_err(CheckerError::from)
                .and_then(|c| self.apply(c));
            let mut problem = self
                .inner
                .problem
                .write()
                .unwrap_or_else(|e| e.into_inner());
            match outcome {
                Ok(()) => *problem = None,
                Err(CheckerError::File(e)) => {
                    tracing::warn!("{e}; the last good checks keep running");
                    *problem = Some(e);
                }
                Err(e) => tracing::error!("{e}"),
            }
        }
    }

    /// This replica's name among those sharing its store.
    pub fn replica(&self) -> &str {
        &self.inner.replica
    }

    /// Whether this replica runs `check` now.
    pub fn runs(&self, check: &str) -> bool {
        self.inner.ownership.runs(check)
    }

    /// On a shared store: renews this replica's leases every beat, and takes
    /// in what the other replicas committed. Ends at once on a store of its own.
    async fn share_checks(self) {
        let mut seen: HashMap<String, i64> = HashMap::new();
        loop {
            let names: Vec<String> = self
                .config()
                .checks
                .iter()
                .map(|c| c.name.clone())
                .collect();
            let store = Arc::clone(&self.inner.store);
            let replica = self.inner.replica.clone();
            let asked = tokio::time::Instant::now();
            let ttl = LEASE_TTL.as_millis() as i64;
            let claimed =
                tokio::task::spawn_blocking(move || store.claim_checks(&replica, &names, ttl))
                    .await;
            match claimed {
                Ok(Ok(None)) => return,
                Ok(Ok(Some(owned))) => {
                    self.inner.ownership.shared.store(true, Ordering::Relaxed);
                    self.hand_over(&owned).await;
                    let count = owned.len();
                    let mut leased = self
                        .inner
                        .ownership
                        .leased
                        .write()
                        .unwrap_or_else(|e| e.into_inner());
                    // Counted from before the asking: never beyond the lease.
                    *leased = Some((owned.into_iter().collect(), asked + LEASE_TTL));
                    drop(leased);
                    self.inner.set_store_problem(None);
                    tracing::debug!(checks = count, "checks leased");
                }
                Ok(Err(e)) => {
                    // The leases run out unrenewed: this replica stops
                    // running checks rather than risk running them twice.
                    self.inner.ownership.shared.store(true, Ordering::Relaxed);
                    tracing::warn!("{e}; this replica's check leases are not renewed");
                    self.inner.set_store_problem(Some(e.to_string()));
                }
                Err(_) => {}
            }
            self.take_in_others(&mut seen).await;
            if let Some(listener) = self.inner.listener.clone() {
                let _ = tokio::task::spawn_blocking(move || listener.beat()).await;
            }
            tokio::select! {
                _ = tokio::time::sleep(LEASE_BEAT) => {}
                _ = self.inner.shutdown.cancelled() => return,
            }
        }
    }

    /// Tells the listener (the alerts) which checks came to this replica and
    /// which went, with the alerts of the gained ones still firing: before
    /// the new leases take effect, so no result of a gained check comes first.
    async fn hand_over(&self, owned: &[String]) {
        let Some(listener) = self.inner.listener.clone() else {
            return;
        };
        let held: std::collections::HashSet<String> = self
            .inner
            .ownership
            .leased
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|(checks, _)| checks.clone())
            .unwrap_or_default();
        let gained: Vec<String> = owned
            .iter()
            .filter(|c| !held.contains(*c))
            .cloned()
            .collect();
        let lost: Vec<String> = held
            .iter()
            .filter(|c| !owned.contains(c))
            .cloned()
            .collect();
        if gained.is_empty() && lost.is_empty() {
            return;
        }
        let store = Arc::clone(&self.inner.store);
        let firing = match tokio::task::spawn_blocking(move || store.firing_alerts()).await {
            Ok(Ok(firing)) => firing,
            Ok(Err(e)) => {
                tracing::warn!("{e}; alerts of checks taken over are not known");
                Vec::new()
            }
            Err(_) => Vec::new(),
        };
        let firing = firing
            .into_iter()
            .filter(|a| a.labels.get("check").is_some_and(|c| gained.contains(c)))
            .collect();
        tracing::info!(
            gained = gained.len(),
            lost = lost.len(),
            "checks handed over"
        );
        listener.handed_over(&gained, &lost, firing);
    }

    /// The newest results of checks another replica runs, into this one's
    /// state and stream.
    async fn take_in_others(&self, seen: &mut HashMap<String, i64>) {
        let store = Arc::clone(&self.inner.store);
        let Ok(Ok(current)) = tokio::task::spawn_blocking(move || store.current()).await else {
            return;
        };
        let config = self.config();
        let mut fresh = Vec::new();
        {
            let mut state = self.inner.state.write().unwrap_or_else(|e| e.into_inner());
            for c in current {
                let name = c.latest.check.clone();
                let Some(spec) = config.check(&name) else {
                    continue;
                };
                let newer = seen.get(&name).is_none_or(|at| *at < c.latest.at_ms);
                seen.insert(name.clone(), c.latest.at_ms);
                let ours = state
                    .get(&name)
                    .is_some_and(|(r, _)| r.at_ms >= c.latest.at_ms);
                if !newer || ours || self.runs(&name) {
                    continue;
                }
                let before = state.get(&name).map(|(r, _)| r.status);
                if before != Some(c.latest.status) {
                    fresh.push(HealthEvent::Transition(Transition {
                        check: name.clone(),
                        at_ms: c.since_ms,
                        from: before,
                        to: c.latest.status,
                    }));
                }
                self.inner
                    .metrics
                    .record(&spec.name, &spec.service, &c.latest);
                fresh.push(HealthEvent::Result(c.latest.clone()));
                state.insert(name, (c.latest, c.since_ms));
            }
        }
        for event in fresh {
            let _ = self.inner.events.send(event);
        }
    }

    async fn prune_now_and_then(self) {
        loop {
            let store = Arc::clone(&self.inner.store);
            let now = crate::clock::now_ms();
            match tokio::task::spawn_blocking(move || store.prune(now, Retention::default())).await
            {
                Ok(Ok(n)) if n > 0 => tracing::info!(removed = n, "old health history dropped"),
                Ok(Err(e)) => tracing::warn!("{e}"),
                _ => {}
            }
            tokio::select! {
                _ = tokio::time::sleep(PRUNE_EVERY) => {}
                _ = self.inner.shutdown.cancelled() => return,
            }
        }
    }
}

impl Inner {
    fn set_store_problem(&self, problem: Option<String>) {
        *self
            .store_problem
            .write()
            .unwrap_or_else(|e| e.into_inner()) = problem;
    }
}

/// What tells a file changed: its size and modification time.
type FileStamp = (u64, Option<std::time::SystemTime>);

fn file_stamp(path: &std::path::Path) -> Option<FileStamp> {
    std::fs::metadata(path)
        .ok()
        .map(|m| (m.len(), m.modified().ok()))
}

/// The URL as pages show it: no query string (it may hold a token).
fn display_url(url: &reqwest::Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

/// When a check last ran, by its name (Unix milliseconds).
type LastRun = Arc<dyn Fn(&str) -> Option<i64> + Send + Sync>;

/// This process's name among replicas: host, process id and a random part
/// (a restarted replica is a new one).
fn replica_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "host".into());
    format!(
        "{host}-{}-{:08x}",
        std::process::id(),
        rand::rng().random::<u32>()
    )
}

/// Runs one check on its interval until its generation ends (skipping the
/// rounds another replica holds its lease).
async fn run_check(
    spec: Arc<CheckSpec>,
    (ownership, last_run): (Arc<Ownership>, LastRun),
    prober: Arc<Prober>,
    permits: Arc<Semaphore>,
    results: mpsc::Sender<CheckResult>,
    metrics: HealthMetrics,
    generation: CancellationToken,
) {
    let jitter = spec.interval.mul_f64(rand::rng().random::<f64>());
    let mut due = tokio::time::Instant::now() + jitter;
    // Whether this replica ran it last round.
    let mut held = false;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(due) => {}
            _ = generation.cancelled() => return,
        }
        if !ownership.runs(&spec.name) {
            // Another replica runs it: look again at the next lease beat.
            held = false;
            due = tokio::time::Instant::now() + spec.interval.min(LEASE_BEAT);
            continue;
        }
        if !held {
            held = true;
            // Just taken over: an interval after its last run anywhere (a
            // check that never ran: somewhere in its first interval, so
            // checks leased together do not all fire at once).
            let wait = match last_run(&spec.name) {
                Some(at) => {
                    let left = spec.interval.as_millis() as i64 - (crate::clock::now_ms() - at);
                    Duration::from_millis(left.max(0) as u64)
                }
                None if ownership.shared.load(Ordering::Relaxed) => {
                    spec.interval.mul_f64(rand::rng().random::<f64>())
                }
                None => Duration::ZERO,
            };
            if !wait.is_zero() {
                due = tokio::time::Instant::now() + wait;
                continue;
            }
        }
        let permit = tokio::select! {
            p = Arc::clone(&permits).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => return,
            },
            _ = generation.cancelled() => return,
        };
        metrics.schedule_delay(due.elapsed());
        let result = tokio::select! {
            r = prober.probe(&spec) => r,
            _ = generation.cancelled() => return,
        };
        drop(permit);
        if results.send(result).await.is_err() {
            return;
        }
        // Fixed rate; after falling behind (a long pause), start again from now.
        due += spec.interval;
        let now = tokio::time::Instant::now();
        if due < now {
            due = now + spec.interval;
        }
    }
}

/// Commits results in batches, then makes them visible.
async fn write_results(inner: Arc<Inner>, mut queue: mpsc::Receiver<CheckResult>) {
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        let received = tokio::select! {
            n = queue.recv_many(&mut batch, BATCH) => n,
            _ = inner.shutdown.cancelled() => {
                // Whatever is queued still goes in.
                queue.close();
                queue.recv_many(&mut batch, RESULT_QUEUE).await
            }
        };
        if received == 0 {
            return;
        }
        let store = Arc::clone(&inner.store);
        let results = std::mem::take(&mut batch);
        let written =
            tokio::task::spawn_blocking(move || store.record(&results).map(|t| (results, t))).await;
        let (results, transitions) = match written {
            Ok(Ok(done)) => done,
            Ok(Err(e)) => {
                tracing::error!("{e}; these results are lost");
                inner.set_store_problem(Some(e.to_string()));
                continue;
            }
            Err(_) => continue,
        };
        inner.set_store_problem(None);
        inner
            .committed
            .fetch_add(results.len() as u64, Ordering::Relaxed);
        // One pass: the newest state and the metrics; then the listener.
        let config = Arc::clone(&inner.config.read().unwrap_or_else(|e| e.into_inner()));
        {
            let mut state = inner.state.write().unwrap_or_else(|e| e.into_inner());
            for r in &results {
                // A check removed while its result was being written.
                let Some(spec) = config.check(&r.check) else {
                    continue;
                };
                let since = match state.get(&r.check) {
                    Some((old, since)) if old.status == r.status => *since,
                    _ => r.at_ms,
                };
                inner.metrics.record(&spec.name, &spec.service, r);
                state.insert(r.check.clone(), (r.clone(), since));
            }
        }
        if let Some(listener) = &inner.listener {
            listener.committed(&config, &results);
        }
        for t in transitions {
            tracing::info!(check = %t.check, from = ?t.from, to = ?t.to, "health changed");
            let _ = inner.events.send(HealthEvent::Transition(t));
        }
        for r in results {
            let _ = inner.events.send(HealthEvent::Result(r));
        }
    }
}
