//! The alerts of health checks, run: the checker hands every committed batch
//! of results to [`Alerting`] (it is the checker's [`CommitListener`]), the
//! engine judges them by the checks file's rules, and what fires or resolves
//! is kept in the store, then sent to Alertmanager, the webhook and the stream.

use std::sync::{Arc, Mutex};

use app::model::{Alert, CheckResult};
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

use super::{AlertChange, Engine, Notifier};
use crate::{
    clock::now_ms,
    health::{
        config::ChecksConfig,
        store::{HealthStore, StoreError},
        CommitListener,
    },
};

/// Where alerts go besides the store.
#[derive(Clone, Debug, Default)]
pub struct AlertTargets {
    pub alertmanager: Option<reqwest::Url>,
    pub webhook: Option<reqwest::Url>,
}

#[derive(Clone)]
pub struct Alerting {
    inner: Arc<Inner>,
}

struct Inner {
    /// Every alert's id and whether it had ended, as this replica last told
    /// its stream: so the other replicas' changes reach it once each.
    told: Mutex<std::collections::HashMap<String, bool>>,
    engine: Arc<Mutex<Engine>>,
    store: Arc<dyn HealthStore>,
    notifier: Notifier,
    /// Changes in the order the engine made them, to the one publisher.
    changes: mpsc::UnboundedSender<Vec<AlertChange>>,
    events: broadcast::Sender<AlertChange>,
}

impl Alerting {
    /// Knows the alerts still firing from before a restart (so they resolve,
    /// and do not fire twice); the rules come with the first checks applied.
    /// On a shared store, those of each check come when it is handed over.
    pub fn start(
        store: Arc<dyn HealthStore>,
        targets: AlertTargets,
        shutdown: CancellationToken,
    ) -> Result<Self, StoreError> {
        // On a shared store a replica knows only the alerts of the checks it
        // runs: they come with each check handed over to it.
        let firing = match store.is_shared() {
            true => Vec::new(),
            false => store.firing_alerts()?,
        };
        let engine = Arc::new(Mutex::new(Engine::new(Vec::new(), firing)));
        let notifier = {
            let engine = Arc::clone(&engine);
            Notifier::start(
                targets.alertmanager,
                targets.webhook,
                move || engine.lock().map(|e| e.firing()).unwrap_or_default(),
                shutdown.clone(),
            )
        };
        let (changes, queue) = mpsc::unbounded_channel();
        let (events, _) = broadcast::channel(1024);
        let alerting = Self {
            inner: Arc::new(Inner {
                told: Mutex::new(Default::default()),
                engine,
                store,
                notifier,
                changes,
                events,
            }),
        };
        tokio::spawn(publish(queue, Arc::clone(&alerting.inner)));
        Ok(alerting)
    }

    /// Every alert that fires or resolves, as it is kept.
    pub fn events(&self) -> broadcast::Receiver<AlertChange> {
        self.inner.events.subscribe()
    }

    /// Alerts of health checks active at some time in the range, newest first.
    pub async fn alerts_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<Alert>, StoreError> {
        let store = Arc::clone(&self.inner.store);
        tokio::task::spawn_blocking(move || store.alerts_between(from_ms, to_ms))
            .await
            .map_err(|e| StoreError::Failed(e.to_string()))?
    }

    /// Alert notifications delivered, and given up on after every retry.
    pub fn notifications(&self) -> (u64, u64) {
        self.inner.notifier.counts()
    }

    fn engine(&self) -> std::sync::MutexGuard<'_, Engine> {
        self.inner.engine.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn publish_later(&self, changes: Vec<AlertChange>) {
        if !changes.is_empty() {
            // Fails only once the publisher has stopped, at shutdown.
            let _ = self.inner.changes.send(changes);
        }
    }
}

impl CommitListener for Alerting {
    fn committed(&self, config: &ChecksConfig, results: &[CheckResult]) {
        let changes = {
            let mut engine = self.engine();
            results
                .iter()
                .filter_map(|r| Some((config.check(&r.check)?, r)))
                .flat_map(|(spec, r)| engine.observe(&spec.service, r))
                .collect()
        };
        self.publish_later(changes);
    }

    fn handed_over(&self, gained: &[String], lost: &[String], firing: Vec<Alert>) {
        let mut engine = self.engine();
        engine.forget_checks(lost);
        // What fired before this replica ran the check (or while it ran it
        // before) is known again from the store: it resolves once, here.
        engine.forget_checks(gained);
        engine.adopt(firing);
    }

    fn beat(&self) {
        // The alerts other replicas fired or resolved lately: to this
        // replica's stream once each (their notifications are theirs).
        let now = now_ms();
        let Ok(recent) = self.inner.store.alerts_between(now - 120_000, now) else {
            return;
        };
        let mut told = self.inner.told.lock().unwrap_or_else(|e| e.into_inner());
        // What left the window will not come back: forgotten.
        told.retain(|id, _| recent.iter().any(|a| &a.id == id));
        for alert in recent {
            let ended = alert.ended_ms.is_some();
            if told.get(&alert.id) == Some(&ended) {
                continue;
            }
            told.insert(alert.id.clone(), ended);
            let change = match ended {
                true => AlertChange::Resolved(alert),
                false => AlertChange::Fired(alert),
            };
            let _ = self.inner.events.send(change);
        }
    }

    fn applied(&self, config: &ChecksConfig) {
        let changes = self.engine().set_rules(
            config.alerts.clone(),
            |name| config.check(name).is_some(),
            now_ms(),
        );
        self.publish_later(changes);
    }
}

/// Keeps alert changes in the store, then tells Alertmanager, the webhook and
/// the stream; one batch at a time, in order. It ends when every [`Alerting`]
/// is gone, after the last change queued (so none is lost at shutdown).
async fn publish(mut queue: mpsc::UnboundedReceiver<Vec<AlertChange>>, inner: Arc<Inner>) {
    while let Some(changes) = queue.recv().await {
        let to_save = Arc::clone(&inner.store);
        let alerts: Vec<_> = changes.iter().map(|c| c.alert().clone()).collect();
        match tokio::task::spawn_blocking(move || to_save.save_alerts(&alerts)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!("{e}; alert history misses a change"),
            Err(_) => {}
        }
        for change in changes {
            let alert = change.alert();
            match &change {
                AlertChange::Fired(_) => {
                    tracing::warn!(alert = %alert.name, severity = alert.severity.as_str(), "{}", alert.summary)
                }
                AlertChange::Resolved(_) => {
                    tracing::info!(alert = %alert.name, "resolved: {}", alert.summary)
                }
            }
            inner.notifier.send(alert.clone());
            if inner.store.is_shared() {
                // Told already: the beat does not tell it again.
                inner
                    .told
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(alert.id.clone(), alert.ended_ms.is_some());
            }
            let _ = inner.events.send(change);
        }
    }
}
