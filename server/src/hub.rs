//! The hub: one refresher per thing being watched, however many tabs watch it.
//!
//! Subscriptions are keyed by what they show (dashboard, range and filter). The
//! first subscriber starts a refresher; each refresh loads every panel once
//! (panels in parallel, each sent as soon as it is ready, so a slow one delays
//! no other) and fans the result out to every subscriber; when the last one leaves, the
//! refresher stops. Channels are bounded: a subscriber that falls behind is told
//! so (it lags) and the stream drops it, so memory never grows with a slow reader.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use app::model::TimeRange;
use futures::{stream::FuturesUnordered, StreamExt};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::{panels::PanelService, query::Filter};

/// What a stream shows.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TopicKey {
    pub dashboard: String,
    pub range: TimeRange,
    pub filter: Filter,
}

/// One event for the stream, serialised once and shared by every subscriber.
#[derive(Debug)]
pub struct StreamEvent {
    /// Server-made, increasing: safe as an SSE `id:`.
    pub id: u64,
    pub kind: &'static str,
    pub json: String,
}

/// Per-subscriber queue depth: a few refreshes' worth of panel events.
const CHANNEL_CAPACITY: usize = 128;

#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    topics: Mutex<HashMap<TopicKey, Arc<Topic>>>,
    panels: Arc<PanelService>,
    interval: Duration,
    shutdown: CancellationToken,
    next_id: AtomicU64,
}

struct Topic {
    tx: broadcast::Sender<Arc<StreamEvent>>,
    /// The newest event of each panel: what a new subscriber gets first.
    latest: Mutex<HashMap<String, Arc<StreamEvent>>>,
}

pub struct Subscription {
    pub snapshot: Vec<Arc<StreamEvent>>,
    pub events: broadcast::Receiver<Arc<StreamEvent>>,
}

impl Hub {
    pub fn new(panels: Arc<PanelService>, interval: Duration, shutdown: CancellationToken) -> Self {
        Self {
            inner: Arc::new(Inner {
                topics: Mutex::new(HashMap::new()),
                panels,
                interval,
                shutdown,
                next_id: AtomicU64::new(1),
            }),
        }
    }

    /// Starts watching `key`. The caller checked that the dashboard exists.
    pub fn subscribe(&self, key: TopicKey) -> Subscription {
        let mut topics = self.inner.topics.lock().unwrap_or_else(|e| e.into_inner());
        let topic = topics
            .entry(key.clone())
            .or_insert_with(|| {
                let (tx, _) = broadcast::channel(CHANNEL_CAPACITY);
                let topic = Arc::new(Topic {
                    tx,
                    latest: Mutex::new(HashMap::new()),
                });
                tokio::spawn(refresh_while_watched(
                    Arc::clone(&self.inner),
                    key,
                    Arc::clone(&topic),
                ));
                topic
            })
            .clone();
        let events = topic.tx.subscribe();
        let mut snapshot: Vec<_> = topic
            .latest
            .lock()
            .map(|l| l.values().cloned().collect())
            .unwrap_or_default();
        snapshot.sort_by_key(|e| e.id);
        Subscription { snapshot, events }
    }

    /// How many keys are being refreshed now (for tests and `/metrics`).
    pub fn active_topics(&self) -> usize {
        self.inner.topics.lock().map(|t| t.len()).unwrap_or(0)
    }
}

async fn refresh_while_watched(inner: Arc<Inner>, key: TopicKey, topic: Arc<Topic>) {
    let mut refreshed = false;
    loop {
        // A fixed (absolute) range never changes: load it once, then only wait
        // for the watchers to leave.
        if key.range.is_relative() || !refreshed {
            refresh(&inner, &key, &topic).await;
            refreshed = true;
        }
        tokio::select! {
            _ = tokio::time::sleep(inner.interval) => {}
            _ = inner.shutdown.cancelled() => return,
        }
        // Decide under the map's lock, so a subscriber arriving now either finds
        // this topic alive or creates a fresh one.
        let mut topics = inner.topics.lock().unwrap_or_else(|e| e.into_inner());
        if topic.tx.receiver_count() == 0 {
            topics.remove(&key);
            return;
        }
    }
}

/// Loads every panel of the dashboard (as it is now: files may have changed)
/// and sends each as soon as it is ready.
async fn refresh(inner: &Arc<Inner>, key: &TopicKey, topic: &Arc<Topic>) {
    let Ok(dashboard) = inner.panels.dashboard(&key.dashboard) else {
        return;
    };
    let mut loads: FuturesUnordered<_> = inner
        .panels
        .panel_loads(&dashboard, key.range, &key.filter)
        .into_iter()
        .collect();
    while let Some(loaded) = loads.next().await {
        let Ok(data) = loaded else { continue };
        let Ok(json) = serde_json::to_string(&data) else {
            continue;
        };
        let event = Arc::new(StreamEvent {
            id: inner.next_id.fetch_add(1, Ordering::Relaxed),
            kind: "panel",
            json,
        });
        if let Ok(mut latest) = topic.latest.lock() {
            latest.insert(data.panel.panel.clone(), Arc::clone(&event));
        }
        // No receivers is fine: the refresher's check ends it.
        let _ = topic.tx.send(event);
    }
}
