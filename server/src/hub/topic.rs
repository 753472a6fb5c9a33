//! A topic: what a stream shows (its key), its subscribers' channel and the
//! newest event of each slot; the hub's shared state; and what a seeded
//! topic starts from.

use std::{
    collections::{HashMap, VecDeque},
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use app::model::{DashboardView, PanelData, TimeRange};
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
/// The bytes one client may have waiting (the events are shared, but a
/// client that holds on to old ones keeps them alive): a few whole refreshes
/// of a large dashboard, or minutes of its deltas.
pub const CLIENT_QUEUE_BYTES: usize = 2 << 20;
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
    /// Whether dashboards' refreshes send deltas (off: whole panels, as
    /// before deltas; for benchmarks and for comparing).
    pub(super) deltas: AtomicBool,
}

/// How many events a topic holds for its subscribers' queue-fillers, which
/// take them at once; only a stuck runtime would lag this.
pub(super) const TOPIC_CAPACITY: usize = 128;
/// What a topic keeps of the events it sent, for reconnects to resume from:
/// a minute or two of a dashboard's deltas. A client further behind gets a
/// snapshot instead.
const RECENT_EVENTS: usize = 512;
const RECENT_BYTES: usize = 1 << 20;

pub(super) struct Topic {
    pub(super) tx: broadcast::Sender<Arc<StreamEvent>>,
    /// Changed together with sending, under one lock, so that a subscriber
    /// gets each event once: in what it is sent first, or live.
    sent: Mutex<Sent>,
}

struct Sent {
    /// The newest whole event of each panel (and of the dashboard itself,
    /// once it changed): what a new subscriber gets first.
    latest: HashMap<String, Arc<StreamEvent>>,
    /// The events sent, oldest first, as they were sent (deltas too).
    recent: VecDeque<Arc<StreamEvent>>,
    recent_bytes: usize,
    /// Every event of this topic after this one is in `recent`.
    complete_after: u64,
}

impl Topic {
    pub(super) fn new(inner: &Inner) -> Arc<Topic> {
        let (tx, _) = broadcast::channel(TOPIC_CAPACITY);
        Arc::new(Topic {
            tx,
            sent: Mutex::new(Sent {
                latest: HashMap::new(),
                recent: VecDeque::new(),
                recent_bytes: 0,
                // Events before this topic began are another topic's.
                complete_after: inner.next_seq.load(Ordering::Relaxed).saturating_sub(1),
            }),
        })
    }

    fn sent(&self) -> std::sync::MutexGuard<'_, Sent> {
        self.sent.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Each slot's newest whole event and the newest event sent, read
    /// together: the state a stream joining after that event builds on.
    pub(super) fn current(&self) -> (HashMap<String, Arc<StreamEvent>>, Option<EventId>) {
        let sent = self.sent();
        (sent.latest.clone(), sent.recent.back().map(|e| e.id))
    }

    /// Joins the topic: a receiver of its live events, and what the client
    /// lacks before them. With `seen` (its last event) among this topic's
    /// recent events, that is what came after it, deltas and all, unless it
    /// is a queue's worth (a client cut off for being slow) or a snapshot is
    /// less; otherwise the newest
    /// whole event of each panel after `seen` (panel events replace each
    /// other); without `seen`, that of every panel.
    pub(super) fn join(
        &self,
        run: u64,
        seen: Option<EventId>,
    ) -> (broadcast::Receiver<Arc<StreamEvent>>, Vec<Arc<StreamEvent>>) {
        let sent = self.sent();
        let live = self.tx.subscribe();
        if let Some(seen) = seen.filter(|s| s.run == run && s.seq >= sent.complete_after) {
            let missed: Vec<_> = sent
                .recent
                .iter()
                .filter(|e| e.id.is_after(&seen))
                .cloned()
                .collect();
            let bytes = |events: &mut dyn Iterator<Item = &Arc<StreamEvent>>| {
                events.map(|e| e.wire_len()).sum::<usize>()
            };
            // One who missed a full queue's worth was cut off for reading
            // too slowly (its queue was dropped with it): a snapshot, so it
            // need not catch up event by event.
            let missed_bytes = bytes(&mut missed.iter());
            if missed.len() <= CLIENT_QUEUE
                && missed_bytes <= CLIENT_QUEUE_BYTES
                && missed_bytes <= bytes(&mut sent.latest.values())
            {
                return (live, missed);
            }
        }
        let mut first: Vec<_> = sent
            .latest
            .values()
            .filter(|e| match &seen {
                Some(seen) => e.id.is_after(seen),
                // A fresh page already shows the current dashboard;
                // its data (panels, annotations) is news to it.
                None => e.kind != EventKind::Dashboard,
            })
            .cloned()
            .collect();
        first.sort_by_key(|e| e.id.seq);
        (live, first)
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

/// What a refresh sends for one slot: its whole state (kept for
/// newcomers), and what goes live when that is less (a panel's delta).
pub(super) struct Publish {
    pub(super) kind: EventKind,
    pub(super) whole: String,
    pub(super) live: Option<(EventKind, String)>,
}

impl Publish {
    pub(super) fn whole(kind: EventKind, json: String) -> Self {
        Self {
            kind,
            whole: json,
            live: None,
        }
    }
}

/// Sends an event to every watcher and keeps it, as the newest of its `slot`
/// (a panel id, or the dashboard itself), for newcomers, and among the
/// recent ones for reconnects.
pub(super) fn publish(inner: &Inner, topic: &Topic, slot: &str, event: Publish) -> EventId {
    let id = EventId {
        run: inner.run,
        seq: inner.next_seq.fetch_add(1, Ordering::Relaxed),
    };
    let whole = Arc::new(StreamEvent::new(id, event.kind, &event.whole));
    let live = match event.live {
        Some((kind, json)) => Arc::new(StreamEvent::new(id, kind, &json)),
        None => Arc::clone(&whole),
    };
    let mut sent = topic.sent();
    sent.latest.insert(slot.to_string(), whole);
    sent.recent_bytes += live.wire_len();
    sent.recent.push_back(Arc::clone(&live));
    while sent.recent.len() > RECENT_EVENTS || sent.recent_bytes > RECENT_BYTES {
        let Some(old) = sent.recent.pop_front() else {
            break;
        };
        sent.recent_bytes -= old.wire_len();
        sent.complete_after = old.id.seq;
    }
    // No receivers is fine: the next tick's check ends the refresher.
    let _ = topic.tx.send(live);
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
    /// The panels, by id, as sent.
    pub(super) panels: HashMap<String, PanelData>,
    pub(super) first_refresh: tokio::time::Instant,
}
