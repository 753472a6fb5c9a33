//! Hands alerts to Alertmanager (its v2 API, so routing to e-mail, Slack or
//! PagerDuty stays where teams already configure it) and to a plain webhook,
//! with retries. Firing alerts are sent again every minute with an end a few
//! minutes ahead, as Prometheus does: Alertmanager resolves an alert that is
//! no longer repeated, so one left firing by a Vantage that died goes away.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use app::model::{Alert, AlertState};
use backon::{ExponentialBuilder, Retryable};
use chrono::{DateTime, SecondsFormat};
use reqwest::Url;
use serde_json::json;
use tokio::sync::{mpsc, Semaphore};
use tokio_util::sync::CancellationToken;

const RESEND: Duration = Duration::from_secs(60);
const ATTEMPTS: u32 = 5;
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Deliveries in flight at once, at most.
const IN_FLIGHT: usize = 16;

#[derive(Clone)]
pub struct Notifier {
    queue: mpsc::Sender<Alert>,
    delivered: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
}

struct Targets {
    client: reqwest::Client,
    alertmanager: Option<Url>,
    webhook: Option<Url>,
    delivered: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
}

impl Notifier {
    /// Starts delivering. `firing` says which alerts fire now, for the resends.
    pub fn start(
        alertmanager: Option<Url>,
        webhook: Option<Url>,
        firing: impl Fn() -> Vec<Alert> + Send + 'static,
        shutdown: CancellationToken,
    ) -> Self {
        let (queue, mut incoming) = mpsc::channel::<Alert>(1024);
        let delivered = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(AtomicU64::new(0));
        let targets = Arc::new(Targets {
            client: reqwest::Client::builder()
                .timeout(REQUEST_TIMEOUT)
                .build()
                .unwrap_or_default(),
            alertmanager,
            webhook,
            delivered: Arc::clone(&delivered),
            failed: Arc::clone(&failed),
        });
        tokio::spawn(async move {
            if targets.alertmanager.is_none() && targets.webhook.is_none() {
                return;
            }
            let permits = Arc::new(Semaphore::new(IN_FLIGHT));
            let mut resend = tokio::time::interval(RESEND);
            resend.tick().await;
            loop {
                let batch: Vec<(Alert, bool)> = tokio::select! {
                    Some(alert) = incoming.recv() => vec![(alert, true)],
                    _ = resend.tick() => firing().into_iter().map(|a| (a, false)).collect(),
                    () = shutdown.cancelled() => return,
                };
                for (alert, to_webhook) in batch {
                    let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
                        return;
                    };
                    let targets = Arc::clone(&targets);
                    tokio::spawn(async move {
                        targets.deliver(&alert, to_webhook).await;
                        drop(permit);
                    });
                }
            }
        });
        Self {
            queue,
            delivered,
            failed,
        }
    }

    /// Queues a fired or resolved alert for every target.
    pub fn send(&self, alert: Alert) {
        if self.queue.try_send(alert).is_err() {
            tracing::warn!("the alert queue is full; an alert notification was dropped");
        }
    }

    /// Deliveries that succeeded and that failed after every retry.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.delivered.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        )
    }
}

impl Targets {
    /// Sends to Alertmanager always, to the webhook only for changes (not the
    /// minutely repeats).
    async fn deliver(&self, alert: &Alert, to_webhook: bool) {
        if let Some(am) = &self.alertmanager {
            let url = super::alertmanager::api_url(am, "api/v2/alerts");
            let body = json!([alertmanager_alert(alert)]);
            self.post("Alertmanager", url, &body).await;
        }
        if let (Some(hook), true) = (&self.webhook, to_webhook) {
            let status = match alert.state {
                AlertState::Resolved => "resolved",
                _ => "firing",
            };
            let body = json!({ "status": status, "alert": alert });
            self.post("the alert webhook", hook.clone(), &body).await;
        }
    }

    async fn post(&self, target: &str, url: Url, body: &serde_json::Value) {
        // Doubling from FIRST_BACKOFF, with jitter so that senders that failed
        // together (a restarted Alertmanager) do not all come back in step.
        let policy = ExponentialBuilder::default()
            .with_min_delay(FIRST_BACKOFF)
            .with_max_times(ATTEMPTS as usize - 1)
            .with_jitter();
        let sent = (|| async {
            let response = self
                .client
                .post(url.clone())
                .json(body)
                .send()
                .await
                .map_err(|e| format!("is not reachable: {e}"))?;
            if response.status().is_success() {
                Ok(())
            } else {
                Err(format!("refused an alert ({})", response.status()))
            }
        })
        .retry(policy)
        .sleep(tokio::time::sleep)
        .notify(|reason: &String, after: Duration| {
            tracing::warn!(?after, "{target} {reason}; trying again");
        })
        .await;
        match sent {
            Ok(()) => {
                self.delivered.fetch_add(1, Ordering::Relaxed);
            }
            Err(reason) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                tracing::error!(
                    "an alert could not be delivered to {target} after {ATTEMPTS} attempts: it {reason}"
                );
            }
        }
    }
}

fn rfc3339(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// An alert as Alertmanager's `POST /api/v2/alerts` takes it.
fn alertmanager_alert(alert: &Alert) -> serde_json::Value {
    let ends = match alert.ended_ms {
        Some(ended) => ended,
        // Firing: ends by itself unless repeated.
        None => crate::clock::now_ms() + (RESEND * 4).as_millis() as i64,
    };
    json!({
        "labels": alert.labels,
        "annotations": alert.annotations,
        "startsAt": rfc3339(alert.since_ms),
        "endsAt": rfc3339(ends),
    })
}
