//! Fan-out: a topic's events to every subscriber, each through its own
//! bounded queue, and the newest event of each slot kept for newcomers.

use std::{
    collections::HashMap,
    sync::{atomic::Ordering, Arc, Mutex},
};

use tokio::sync::{broadcast, mpsc};

use super::{EventId, EventKind, Inner, StreamEvent, TopicKey, CLIENT_QUEUE};

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

/// Moves a topic's events into one client's bounded queue until the client
/// leaves, falls behind, or the server shuts down. Returning drops both ends,
/// so the topic loses a watcher and the client's stream ends.
pub(super) async fn fill_client_queue(
    inner: Arc<Inner>,
    mut from_topic: broadcast::Receiver<Arc<StreamEvent>>,
    to_client: mpsc::Sender<Arc<StreamEvent>>,
) {
    loop {
        let received = tokio::select! {
            received = from_topic.recv() => received,
            () = to_client.closed() => return,
            () = inner.shutdown.cancelled() => return,
        };
        let behind = match received {
            Ok(event) => match to_client.try_send(event) {
                Ok(()) => continue,
                Err(mpsc::error::TrySendError::Closed(_)) => return,
                Err(mpsc::error::TrySendError::Full(_)) => CLIENT_QUEUE,
            },
            Err(broadcast::error::RecvError::Lagged(n)) => n as usize,
            Err(broadcast::error::RecvError::Closed) => return,
        };
        inner.slow_clients_dropped.fetch_add(1, Ordering::Relaxed);
        tracing::info!(
            behind,
            "a stream client stopped reading; disconnected so it resyncs"
        );
        return;
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
    let event = Arc::new(StreamEvent { id, kind, json });
    if let Ok(mut latest) = topic.latest.lock() {
        latest.insert(slot.to_string(), Arc::clone(&event));
    }
    // No receivers is fine: the next tick's check ends the refresher.
    let _ = topic.tx.send(event);
    id
}
