//! A topic: what a stream shows (its key), its subscribers' channel and the
//! newest event of each slot; the hub's shared state; and what a seeded
//! topic starts from.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use app::model::{DashboardView, TimeRange};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::event::{EventId, EventKind, StreamEvent};
use crate::{annotations::Annotator, panels::PanelService, query::Filter};

/// What a stream shows.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TopicKey {
    pub dashboard: String,
    pub range: TimeRange,
    pub filter: Filter,
    /// How often panels reload; `None` loads them once (refresh off). Made by
    /// `Hub::every`, so choices that come to the same period share a topic.
    pub every: Option<Duration>,
    /// One panel only (an embed); `None` is every panel of the dashboard.
    pub panel: Option<String>,
}

/// Events one client may have waiting: several refreshes of a large dashboard.
/// A client further behind than this is not reading; it is disconnected.
pub const CLIENT_QUEUE: usize = 64;
pub(super) struct Inner {
    pub(super) topics: Mutex<HashMap<TopicKey, Arc<Topic>>>,
    pub(super) panels: Arc<PanelService>,
    pub(super) annotator: Option<Arc<Annotator>>,
    pub(super) interval: Duration,
    pub(super) shutdown: CancellationToken,
    pub(super) run: u64,
    pub(super) next_seq: AtomicU64,
    pub(super) slow_clients_dropped: AtomicU64,
    /// Most topics streams may keep refreshing; a subscription for one more
    /// is refused (`Hub::limit_topics`).
    pub(super) max_topics: std::sync::atomic::AtomicUsize,
    pub(super) topics_refused: AtomicU64,
}

/// How many events a topic holds for its subscribers' queue-fillers, which
/// take them at once; only a stuck runtime would lag this.
pub(super) const TOPIC_CAPACITY: usize = 128;
pub(super) struct Topic {
    pub(super) tx: broadcast::Sender<Arc<StreamEvent>>,
    /// The newest event of each panel (and of the dashboard itself, once it
    /// changed): what a new subscriber gets first.
    pub(super) latest: Mutex<HashMap<String, Arc<StreamEvent>>>,
}

impl Topic {
    pub(super) fn new() -> Arc<Topic> {
        let (tx, _) = broadcast::channel(TOPIC_CAPACITY);
        Arc::new(Topic {
            tx,
            latest: Mutex::new(HashMap::new()),
        })
    }

    /// The id of the newest event sent, if any.
    pub(super) fn newest(&self) -> Option<EventId> {
        let latest = self.latest.lock().ok()?;
        latest.values().map(|e| e.id).max_by_key(|id| id.seq)
    }
}

/// Whether anyone still watches; if not, the topic is removed. Decided under
/// the map's lock, so a subscriber arriving now either finds this topic alive
/// or creates a fresh one.
pub(super) fn is_watched(inner: &Inner, key: &TopicKey, topic: &Topic) -> bool {
    let mut topics = inner.topics.lock().unwrap_or_else(|e| e.into_inner());
    if topic.tx.receiver_count() == 0 {
        topics.remove(key);
        return false;
    }
    true
}

/// Where the "dashboard changed" event is kept: not a possible panel id.
pub(super) const DASHBOARD_SLOT: &str = "#dashboard";
/// Where the view's annotations are kept: not a possible panel id either.
pub(super) const ANNOTATIONS_SLOT: &str = "#annotations";

/// Sends an event to every watcher and keeps it, as the newest of its `slot`
/// (a panel id, or the dashboard itself), for newcomers and reconnects.
pub(super) fn publish(
    inner: &Inner,
    topic: &Topic,
    kind: EventKind,
    slot: &str,
    json: String,
) -> EventId {
    let id = EventId {
        run: inner.run,
        seq: inner.next_seq.fetch_add(1, Ordering::Relaxed),
    };
    let event = Arc::new(StreamEvent::new(id, kind, &json));
    if let Ok(mut latest) = topic.latest.lock() {
        latest.insert(slot.to_string(), Arc::clone(&event));
    }
    // No receivers is fine: the next tick's check ends the refresher.
    let _ = topic.tx.send(event);
    id
}
/// The longest a seeded topic waits for its page's stream: it ends at its
/// first refresh if nobody came by then, or after this if its period is
/// longer. A page whose stream comes later (a slow phone) starts the topic
/// again, and its `since=` still leaves out only what it shows.
pub(super) const CLAIM_WITHIN: Duration = Duration::from_secs(30);
/// What a page already loaded for a topic it started.
pub(super) struct Seeded {
    pub(super) view: DashboardView,
    /// The annotations' JSON, as sent.
    pub(super) marks: String,
    pub(super) first_refresh: tokio::time::Instant,
}
