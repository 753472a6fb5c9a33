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
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use app::model::{Annotation, DashboardView, PanelData, Refresh};
use tokio_util::sync::CancellationToken;

mod client_queue;
mod event;
mod fan_out;
mod refresh;
mod seed;
mod topic;

use client_queue::client_queue;
pub use client_queue::ClientEvents;
pub use event::{sse_frame, EventId, EventKind, StreamEvent};
use fan_out::fill_client_queue;
use refresh::refresh_while_watched;
pub use seed::WatchedView;
use topic::{Inner, Topic};
pub use topic::{TopicKey, CLIENT_QUEUE, CLIENT_QUEUE_BYTES};

use crate::{annotations::Annotator, panels::PanelService};

#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

/// A stream for one view more than the hub may refresh (see
/// [`Hub::limit_topics`]).
#[derive(Debug, thiserror::Error)]
#[error("Vantage is refreshing every view it allows ({0}) for open streams; try again shortly")]
pub struct AtCapacity(pub usize);

impl From<AtCapacity> for crate::error::Error {
    fn from(e: AtCapacity) -> Self {
        Self::busy(e.to_string())
    }
}

pub struct Subscription {
    /// What the client lacks before the live events: what it missed since
    /// its `Last-Event-ID`, or a snapshot (see [`Hub::subscribe`]).
    pub snapshot: Vec<Arc<StreamEvent>>,
    /// Live events; ends when the client fell too far behind or on shutdown.
    pub events: ClientEvents,
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
                max_topics: std::sync::atomic::AtomicUsize::new(usize::MAX),
                topics_refused: AtomicU64::new(0),
                deltas: AtomicBool::new(true),
            }),
        }
    }

    /// At most `max` distinct views refreshed for streams at once: each is
    /// a set of queries every refresh, so thirty viewers with thirty filters
    /// are thirty times the load of one. A stream for a view being refreshed
    /// already always joins it.
    pub fn limit_topics(&self, max: usize) {
        self.inner.max_topics.store(max, Ordering::Relaxed);
    }

    /// Dashboards' refreshes send whole panels, as before deltas (for
    /// benchmarks comparing the two).
    pub fn send_whole_panels(&self) {
        self.inner.deltas.store(false, Ordering::Relaxed);
    }

    /// Subscriptions refused for want of room, since start.
    pub fn topics_refused(&self) -> u64 {
        self.inner.topics_refused.load(Ordering::Relaxed)
    }

    /// Starts watching `key`. The caller checked that the dashboard exists.
    /// With `seen` (the client's `Last-Event-ID`) among the topic's recent
    /// events, the client first gets every event after it, deltas and all;
    /// further behind (or from another run), the newest whole event of each
    /// panel after it (panel events replace each other); without `seen`, the
    /// newest of every panel.
    pub fn subscribe(
        &self,
        key: TopicKey,
        seen: Option<EventId>,
    ) -> Result<Subscription, AtCapacity> {
        let mut topics = self.inner.topics.lock().unwrap_or_else(|e| e.into_inner());
        let max = self.inner.max_topics.load(Ordering::Relaxed);
        if topics.len() >= max && !topics.contains_key(&key) {
            drop(topics);
            self.inner.topics_refused.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                max,
                "refused a stream: every view the hub may refresh is taken"
            );
            return Err(AtCapacity(max));
        }
        let topic = topics
            .entry(key.clone())
            .or_insert_with(|| {
                let topic = Topic::new(&self.inner);
                tokio::spawn(refresh_while_watched(
                    Arc::clone(&self.inner),
                    key,
                    Arc::clone(&topic),
                    None,
                ));
                topic
            })
            .clone();
        let (from_topic, snapshot) = topic.join(self.inner.run, seen);
        drop(topics);

        let (to_client, events) = client_queue(CLIENT_QUEUE, CLIENT_QUEUE_BYTES);
        tokio::spawn(fill_client_queue(
            Arc::clone(&self.inner),
            from_topic,
            to_client,
        ));
        Ok(Subscription { snapshot, events })
    }

    /// What a page of `key`'s view shows when the view is being watched
    /// already: its topic's state, not a load of its own (see
    /// [`WatchedView`]). `None` when nobody watches it, or its topic lacks a
    /// panel of `view` (the file changed): the page loads its data then.
    pub fn watched(&self, key: &TopicKey, view: &DashboardView) -> Option<WatchedView> {
        seed::watched(&self.inner, key, view)
    }

    /// Starts `key`'s topic with what a page just loaded for it. Its first
    /// refresh then comes a period later, as if it had loaded this itself. A
    /// topic nobody comes for ends at its first refresh, or `CLAIM_WITHIN`
    /// after it began if that is sooner.
    ///
    /// Returns the event the page's data is: its stream, connecting with it
    /// (`since=`), gets nothing it already shows. `None` for a topic that is
    /// being refreshed already (a page of a watched view shows
    /// [`Hub::watched`] instead of loading; one that loaded anyway gets a
    /// snapshot on its stream) or when no more topics may be seeded.
    pub fn seed(
        &self,
        key: TopicKey,
        view: &DashboardView,
        panels: &[PanelData],
        annotations: &[Annotation],
    ) -> Option<EventId> {
        seed::seed(&self.inner, key, view, panels, annotations)
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

#[cfg(test)]
mod tests {
    use app::model::{RelativeRange, TimeRange};

    use crate::query::Filter;

    use super::{seed::MAX_TOPICS_TO_SEED, *};
    use crate::{dashboards::Dashboards, prometheus::PrometheusClient};
    use app::model::DashboardView;

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

    // Paused time: the refreshers' first ticks come when the test says.
    #[tokio::test(start_paused = true)]
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

        // Refresh off has no stream to seed; an existing topic is not seeded
        // again and gives no event: what a page loaded itself is not what its
        // deltas are of, so its stream starts from a snapshot.
        let off = TopicKey {
            every: hub.every(Some(Refresh::Off)),
            ..key(&hub, 0)
        };
        assert_eq!(hub.seed(off, &view, &[], &[]), None);
        assert_eq!(hub.seed(key(&hub, 0), &view, &[], &[]), None);
        assert_eq!(hub.active_topics(), MAX_TOPICS_TO_SEED, "not seeded twice");
        // What a page of it shows instead: the topic's state, and the event
        // it is (here the seed's annotations, the one slot of a view without
        // panels); a view with a panel the topic lacks loads its own.
        let bare = DashboardView {
            panels: Vec::new(),
            ..view.clone()
        };
        let watched = hub.watched(&key(&hub, 0), &bare).expect("a watched view");
        assert!(watched.panels.is_empty() && watched.annotations.is_empty());
        assert!(hub.watched(&key(&hub, 0), &view).is_none());
        assert!(hub.watched(&over, &bare).is_none(), "nobody watches it");

        // Nobody subscribed: every seeded topic lives until its first refresh,
        // a period after it was seeded, and ends then.
        tokio::time::sleep(Duration::from_millis(290)).await;
        assert_eq!(hub.active_topics(), MAX_TOPICS_TO_SEED, "ended early");
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(hub.active_topics(), 0, "topics linger");
        assert!(hub.seed(over, &view, &[], &[]).is_some(), "room again");
    }
}
