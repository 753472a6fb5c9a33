//! The hub: one refresher per thing being watched, however many tabs watch it.
//!
//! Subscriptions are keyed by what they show (dashboard, range and filter). The
//! first subscriber starts a refresher; each refresh loads every panel once
//! (panels in parallel, each sent as soon as it is ready, so a slow one delays
//! no other) and fans the result out to every subscriber; when the last one leaves, the
//! refresher stops. A dashboard's refresh also sends the annotations of its
//! view (alerts and health changes), when they changed.
//!
//! A page that was just rendered seeds its view's topic with the data it
//! shows ([`Hub::seed`]), so the tab's stream starts from there: Prometheus is
//! asked once per page load, not again when the stream connects, and the tab
//! has nothing to draw again until the next refresh brings news.
//!
//! Each subscriber has its own bounded queue, filled by a small task that also
//! notices when the client stops reading (a stalled socket stops the response
//! body from being polled at all): a full queue ends that subscription, so a
//! slow reader never grows memory and never keeps a refresher alive; its
//! browser reconnects and resyncs from a snapshot.

use std::{
    collections::{HashMap, HashSet},
    fmt,
    future::Future,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use app::model::{Annotation, DashboardView, PanelData, PanelRef, Refresh, TimeRange};
use futures::{future::BoxFuture, stream::FuturesUnordered, FutureExt, StreamExt};
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

use crate::{
    annotations::Annotator,
    clock::now_ms,
    dashboards::Dashboard,
    panels::{LoadError, PanelService},
    query::Filter,
};

/// What a stream shows.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TopicKey {
    pub dashboard: String,
    pub range: TimeRange,
    pub filter: Filter,
    /// How often panels reload; `None` loads them once (refresh off). Made by
    /// [`Hub::every`], so choices that come to the same period share a topic.
    pub every: Option<Duration>,
    /// One panel only (an embed); `None` is every panel of the dashboard.
    pub panel: Option<String>,
}

/// One event for the stream, serialised once and shared by every subscriber.
#[derive(Debug)]
pub struct StreamEvent {
    pub id: EventId,
    pub kind: EventKind,
    pub json: String,
}

/// What a topic's event carries; its name is the SSE `event:` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// One panel's data.
    Panel,
    /// The view's alert and health-change marks.
    Annotations,
    /// The dashboard's file changed: the page loads it again.
    Dashboard,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Panel => "panel",
            EventKind::Annotations => "annotations",
            EventKind::Dashboard => "dashboard",
        }
    }
}

/// A server-made event id, increasing within one run of the server. The run
/// is part of it so that a `Last-Event-ID` from before a restart (when the
/// sequence began again) is recognised as foreign instead of as "seen it all".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventId {
    run: u64,
    seq: u64,
}

impl EventId {
    /// Reads an id this server wrote (`<run in hex>-<seq>`); anything else is `None`.
    pub fn parse(text: &str) -> Option<EventId> {
        let (run, seq) = text.trim().split_once('-')?;
        Some(EventId {
            run: u64::from_str_radix(run, 16).ok()?,
            seq: seq.parse().ok()?,
        })
    }

    /// Whether this event came after `seen` (in the same run of the server).
    fn is_after(&self, seen: &EventId) -> bool {
        self.run != seen.run || self.seq > seen.seq
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:x}-{}", self.run, self.seq)
    }
}

/// How many events a topic holds for its subscribers' queue-fillers, which
/// take them at once; only a stuck runtime would lag this.
const TOPIC_CAPACITY: usize = 128;
/// Events one client may have waiting: several refreshes of a large dashboard.
/// A client further behind than this is not reading; it is disconnected.
pub const CLIENT_QUEUE: usize = 64;
/// The longest a seeded topic waits for its page's stream: it ends at its
/// first refresh if nobody came by then, or after this if its period is
/// longer. A page whose stream comes later (a slow phone) starts the topic
/// again, and its `since=` still leaves out only what it shows.
const CLAIM_WITHIN: Duration = Duration::from_secs(30);
/// Seeding stops when this many topics are being refreshed: every page
/// render could otherwise leave a topic (and its data, up to a few hundred
/// KB) behind for a while: a crawler, a browser with scripts off. Pages work
/// without a seed; their streams then load the data again.
const MAX_TOPICS_TO_SEED: usize = 128;

#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    topics: Mutex<HashMap<TopicKey, Arc<Topic>>>,
    panels: Arc<PanelService>,
    annotator: Option<Arc<Annotator>>,
    interval: Duration,
    shutdown: CancellationToken,
    run: u64,
    next_seq: AtomicU64,
    slow_clients_dropped: AtomicU64,
}

struct Topic {
    tx: broadcast::Sender<Arc<StreamEvent>>,
    /// The newest event of each panel (and of the dashboard itself, once it
    /// changed): what a new subscriber gets first.
    latest: Mutex<HashMap<String, Arc<StreamEvent>>>,
}

impl Topic {
    fn new() -> Arc<Topic> {
        let (tx, _) = broadcast::channel(TOPIC_CAPACITY);
        Arc::new(Topic {
            tx,
            latest: Mutex::new(HashMap::new()),
        })
    }

    /// The id of the newest event sent, if any.
    fn newest(&self) -> Option<EventId> {
        let latest = self.latest.lock().ok()?;
        latest.values().map(|e| e.id).max_by_key(|id| id.seq)
    }
}

/// What a page already loaded for a topic it started.
struct Seeded {
    view: DashboardView,
    /// The annotations' JSON, as sent.
    marks: String,
    first_refresh: tokio::time::Instant,
}

pub struct Subscription {
    /// The newest event of each panel (newer than the client's `Last-Event-ID`).
    pub snapshot: Vec<Arc<StreamEvent>>,
    /// Live events; ends when the client fell too far behind or on shutdown.
    pub events: mpsc::Receiver<Arc<StreamEvent>>,
}

impl Hub {
    /// Without an annotator, streams carry panels only.
    pub fn new(
        panels: Arc<PanelService>,
        annotator: Option<Arc<Annotator>>,
        interval: Duration,
        shutdown: CancellationToken,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                topics: Mutex::new(HashMap::new()),
                panels,
                annotator,
                interval,
                shutdown,
                // Start-up time: differs between runs, which is all an id needs.
                run: crate::clock::now_ms() as u64,
                next_seq: AtomicU64::new(1),
                slow_clients_dropped: AtomicU64::new(0),
            }),
        }
    }

    /// Starts watching `key`. The caller checked that the dashboard exists.
    /// With `seen` (the client's `Last-Event-ID`), the snapshot holds only what
    /// changed since: panel events replace each other, so the newest of each
    /// panel after `seen` is everything the client missed.
    pub fn subscribe(&self, key: TopicKey, seen: Option<EventId>) -> Subscription {
        let mut topics = self.inner.topics.lock().unwrap_or_else(|e| e.into_inner());
        let topic = topics
            .entry(key.clone())
            .or_insert_with(|| {
                let topic = Topic::new();
                tokio::spawn(refresh_while_watched(
                    Arc::clone(&self.inner),
                    key,
                    Arc::clone(&topic),
                    None,
                ));
                topic
            })
            .clone();
        let from_topic = topic.tx.subscribe();
        let mut snapshot: Vec<_> = topic
            .latest
            .lock()
            .map(|l| {
                l.values()
                    .filter(|e| match &seen {
                        Some(seen) => e.id.is_after(seen),
                        // A fresh page already shows the current dashboard;
                        // its data (panels, annotations) is news to it.
                        None => e.kind != EventKind::Dashboard,
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        snapshot.sort_by_key(|e| e.id.seq);
        drop(topics);

        let (to_client, events) = mpsc::channel(CLIENT_QUEUE);
        tokio::spawn(fill_client_queue(
            Arc::clone(&self.inner),
            from_topic,
            to_client,
        ));
        Subscription { snapshot, events }
    }

    /// Starts `key`'s topic with what a page just loaded for it. Its first
    /// refresh then comes a period later, as if it had loaded this itself. A
    /// topic nobody comes for ends at its first refresh, or [`CLAIM_WITHIN`]
    /// after it began if that is sooner.
    ///
    /// Returns the event the page's data is: its stream, connecting with it
    /// (`since=`), gets nothing it already shows. For a topic that is being
    /// refreshed already, that is the newest event it sent: the page's data
    /// was loaded after it.
    pub fn seed(
        &self,
        key: TopicKey,
        view: &DashboardView,
        panels: &[PanelData],
        annotations: &[Annotation],
    ) -> Option<EventId> {
        // Off needs no stream; an embed's panel is not a page's view.
        let period = key.every?;
        if key.panel.is_some() {
            return None;
        }
        // The answer without seeding, when there is one: the topic is being
        // refreshed (its newest event), or there is no room (none).
        let known = |topics: &HashMap<TopicKey, Arc<Topic>>| {
            topics
                .get(&key)
                .map(|topic| topic.newest())
                .or_else(|| (topics.len() >= MAX_TOPICS_TO_SEED).then_some(None))
        };
        if let Some(answer) = known(&self.inner.topics.lock().unwrap_or_else(|e| e.into_inner())) {
            return answer;
        }
        // Serialised outside the map's lock (a dashboard's data is a few
        // hundred KB): every stream and page goes through that lock.
        let marks = serde_json::to_string(annotations).ok()?;
        let events: Vec<(&str, String)> = panels
            .iter()
            .filter_map(|data| Some((data.panel.panel.as_str(), serde_json::to_string(data).ok()?)))
            .collect();
        let mut topics = self.inner.topics.lock().unwrap_or_else(|e| e.into_inner());
        // Another page or stream may have started it meanwhile.
        if let Some(answer) = known(&topics) {
            return answer;
        }
        let topic = Topic::new();
        for (slot, json) in events {
            publish(&self.inner, &topic, EventKind::Panel, slot, json);
        }
        let newest = publish(
            &self.inner,
            &topic,
            EventKind::Annotations,
            ANNOTATIONS_SLOT,
            marks.clone(),
        );
        topics.insert(key.clone(), Arc::clone(&topic));
        tokio::spawn(refresh_while_watched(
            Arc::clone(&self.inner),
            key,
            topic,
            Some(Seeded {
                view: view.clone(),
                marks,
                first_refresh: tokio::time::Instant::now() + period,
            }),
        ));
        Some(newest)
    }

    /// The period a viewer's refresh choice comes to: never shorter than the
    /// server's interval (which protects Prometheus), `None` for off; no choice
    /// is the server's interval.
    pub fn every(&self, choice: Option<Refresh>) -> Option<Duration> {
        match choice {
            Some(Refresh::Off) => None,
            Some(Refresh::Seconds(s)) => {
                Some(Duration::from_secs(u64::from(s)).max(self.inner.interval))
            }
            None => Some(self.inner.interval),
        }
    }

    /// How many keys are being refreshed now (for tests and `/metrics`).
    pub fn active_topics(&self) -> usize {
        self.inner.topics.lock().map(|t| t.len()).unwrap_or(0)
    }

    /// How many clients were disconnected for not reading their stream.
    pub fn slow_clients_dropped(&self) -> u64 {
        self.inner.slow_clients_dropped.load(Ordering::Relaxed)
    }
}

/// Moves a topic's events into one client's bounded queue until the client
/// leaves, falls behind, or the server shuts down. Returning drops both ends,
/// so the topic loses a watcher and the client's stream ends.
async fn fill_client_queue(
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

/// Refreshes every panel of `key` each period while someone watches. Each
/// panel runs on its own: one whose query is still running (a stalled
/// upstream, until its timeout) is skipped by the next ticks instead of holding
/// back the panels that are ready. When the dashboard's file changes what pages
/// show (panels, layout, variables), watchers are told to reload it.
async fn refresh_while_watched(
    inner: Arc<Inner>,
    key: TopicKey,
    topic: Arc<Topic>,
    seeded: Option<Seeded>,
) {
    // Refresh off still ticks at the server's interval: to notice that the
    // watchers left and that the dashboard's file changed.
    let period = key.every.unwrap_or(inner.interval);
    let start = tokio::time::Instant::now();
    let mut tick =
        tokio::time::interval_at(seeded.as_ref().map_or(start, |s| s.first_refresh), period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut in_flight: HashSet<String> = HashSet::new();
    let mut loads: FuturesUnordered<BoxFuture<'static, Loaded>> = FuturesUnordered::new();
    // A seeded topic shows the page's view and marks already.
    let (mut shown, mut marks_sent) = match seeded {
        Some(s) => (Some(Some(s.view)), Some(s.marks)),
        None => (None, None),
    };
    // Whether the page that seeded this still has to come for it.
    let claim = tokio::time::sleep_until(start + CLAIM_WITHIN);
    tokio::pin!(claim);
    let mut unclaimed = shown.is_some();
    // Embeds show one panel and nothing else: no annotations.
    let annotator = inner.annotator.clone().filter(|_| key.panel.is_none());
    loop {
        tokio::select! {
            () = &mut claim, if unclaimed => {
                unclaimed = false;
                if !is_watched(&inner, &key, &topic) {
                    return;
                }
            }
            _ = tick.tick() => {
                if shown.is_some() && !is_watched(&inner, &key, &topic) {
                    return;
                }
                let board = inner.panels.dashboard(&key.dashboard).ok();
                let view = board.as_ref().map(|b| b.view.clone());
                let changed = shown.as_ref().is_some_and(|seen| *seen != view);
                if changed {
                    publish(&inner, &topic, EventKind::Dashboard, DASHBOARD_SLOT, "{}".into());
                }
                // A fixed (absolute) range never changes, and refresh off asks
                // for no more: load once (and again if the dashboard changed),
                // then only wait for the watchers to leave.
                let reloads = key.range.is_relative() && key.every.is_some();
                if reloads || shown.is_none() || changed {
                    let only = key.panel.as_deref();
                    for panel in board.iter().flat_map(|b| panels_of(b, only)) {
                        if in_flight.insert(panel.panel.clone()) {
                            loads.push(load(Arc::clone(&inner.panels), panel, &key).boxed());
                        }
                    }
                    if let Some(annotator) = &annotator {
                        if in_flight.insert(ANNOTATIONS_SLOT.into()) {
                            loads.push(annotate(Arc::clone(annotator), &key).boxed());
                        }
                    }
                }
                shown = Some(view);
            }
            Some(loaded) = loads.next(), if !loads.is_empty() => match loaded {
                Loaded::Panel(panel, loaded) => {
                    in_flight.remove(&panel);
                    let Ok(data) = *loaded else { continue };
                    if let Ok(json) = serde_json::to_string(&data) {
                        publish(&inner, &topic, EventKind::Panel, &data.panel.panel, json);
                    }
                }
                Loaded::Annotations(json) => {
                    in_flight.remove(ANNOTATIONS_SLOT);
                    // Most refreshes change nothing here: send only news.
                    if marks_sent.as_ref() != Some(&json) {
                        publish(&inner, &topic, EventKind::Annotations, ANNOTATIONS_SLOT, json.clone());
                        marks_sent = Some(json);
                    }
                }
            },
            () = inner.shutdown.cancelled() => return,
        }
    }
}

/// What one of a refresh's loads brought.
enum Loaded {
    Panel(String, Box<Result<PanelData, LoadError>>),
    /// The view's annotations, as the JSON sent.
    Annotations(String),
}

/// Whether anyone still watches; if not, the topic is removed. Decided under
/// the map's lock, so a subscriber arriving now either finds this topic alive
/// or creates a fresh one.
fn is_watched(inner: &Inner, key: &TopicKey, topic: &Topic) -> bool {
    let mut topics = inner.topics.lock().unwrap_or_else(|e| e.into_inner());
    if topic.tx.receiver_count() == 0 {
        topics.remove(key);
        return false;
    }
    true
}

fn panels_of<'a>(
    board: &'a Dashboard,
    only: Option<&'a str>,
) -> impl Iterator<Item = PanelRef> + 'a {
    board
        .panels
        .iter()
        .filter(move |p| only.is_none_or(|id| p.view.id == id))
        .map(|p| PanelRef {
            dashboard: board.id().to_string(),
            panel: p.view.id.clone(),
        })
}

fn load(
    panels: Arc<PanelService>,
    panel: PanelRef,
    key: &TopicKey,
) -> impl Future<Output = Loaded> + Send + 'static {
    let (range, filter) = (key.range, key.filter.clone());
    async move {
        let loaded = panels.load(&panel, range, &filter).await;
        Loaded::Panel(panel.panel, Box::new(loaded))
    }
}

fn annotate(
    annotator: Arc<Annotator>,
    key: &TopicKey,
) -> impl Future<Output = Loaded> + Send + 'static {
    let (range, filter) = (key.range, key.filter.clone());
    async move {
        let marks = annotator.for_view(&filter, range.window_ms(now_ms())).await;
        Loaded::Annotations(serde_json::to_string(&marks).unwrap_or_else(|_| "[]".into()))
    }
}

/// Where the "dashboard changed" event is kept: not a possible panel id.
const DASHBOARD_SLOT: &str = "#dashboard";
/// Where the view's annotations are kept: not a possible panel id either.
const ANNOTATIONS_SLOT: &str = "#annotations";

/// Sends an event to every watcher and keeps it, as the newest of its `slot`
/// (a panel id, or the dashboard itself), for newcomers and reconnects.
fn publish(inner: &Inner, topic: &Topic, kind: EventKind, slot: &str, json: String) -> EventId {
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

#[cfg(test)]
mod tests {
    use app::model::RelativeRange;

    use super::*;
    use crate::{dashboards::Dashboards, prometheus::PrometheusClient};

    /// A hub whose Prometheus is nowhere: seeding never queries it.
    fn hub(interval: Duration) -> Hub {
        let prometheus = PrometheusClient::new(
            "http://127.0.0.1:9".parse().unwrap(),
            Duration::from_secs(1),
        )
        .unwrap();
        let panels = Arc::new(PanelService::new(
            prometheus,
            Dashboards::load(None).unwrap(),
        ));
        Hub::new(panels, None, interval, CancellationToken::new())
    }

    fn key(hub: &Hub, n: usize) -> TopicKey {
        let mut filter = Filter::default();
        let values = crate::query::FilterValues::new("service", vec![format!("s{n}")]).unwrap();
        filter.insert("service", values);
        TopicKey {
            dashboard: "overview".into(),
            range: TimeRange::Relative(RelativeRange::H1),
            filter,
            every: hub.every(None),
            panel: None,
        }
    }

    fn view() -> DashboardView {
        crate::dashboards::built_in()
            .unwrap()
            .into_iter()
            .find(|d| d.id() == "overview")
            .unwrap()
            .view
            .clone()
    }

    #[tokio::test]
    async fn seeding_stops_at_its_cap_and_topics_nobody_claims_end() {
        let hub = hub(Duration::from_millis(300));
        let view = view();
        for n in 0..MAX_TOPICS_TO_SEED {
            assert!(
                hub.seed(key(&hub, n), &view, &[], &[]).is_some(),
                "seed {n}"
            );
        }
        assert_eq!(hub.active_topics(), MAX_TOPICS_TO_SEED);
        let over = key(&hub, MAX_TOPICS_TO_SEED);
        assert_eq!(
            hub.seed(over.clone(), &view, &[], &[]),
            None,
            "over the cap"
        );
        assert_eq!(hub.active_topics(), MAX_TOPICS_TO_SEED);

        // Refresh off has no stream to seed; an existing topic gives its newest event.
        let off = TopicKey {
            every: hub.every(Some(Refresh::Off)),
            ..key(&hub, 0)
        };
        assert_eq!(hub.seed(off, &view, &[], &[]), None);
        let first = hub.seed(key(&hub, 0), &view, &[], &[]);
        assert!(first.is_some());
        assert_eq!(hub.seed(key(&hub, 0), &view, &[], &[]), first);

        // Nobody subscribed: every seeded topic ends at its first refresh.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while hub.active_topics() > 0 {
            assert!(tokio::time::Instant::now() < deadline, "topics linger");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(hub.seed(over, &view, &[], &[]).is_some(), "room again");
    }
}
