//! Seeding: a page that was just rendered starts its view's topic with the
//! data it shows, so its stream begins from there (see the hub's docs).

use std::{collections::HashMap, sync::Arc, time::Duration};

use app::model::{Annotation, DashboardView, PanelData};

use super::{
    fan_out::{publish, Topic, ANNOTATIONS_SLOT},
    refresh::refresh_while_watched,
    EventId, EventKind, Hub, TopicKey,
};

/// The longest a seeded topic waits for its page's stream: it ends at its
/// first refresh if nobody came by then, or after this if its period is
/// longer. A page whose stream comes later (a slow phone) starts the topic
/// again, and its `since=` still leaves out only what it shows.
pub(super) const CLAIM_WITHIN: Duration = Duration::from_secs(30);
/// Seeding stops when this many topics are being refreshed: every page
/// render could otherwise leave a topic (and its data, up to a few hundred
/// KB) behind for a while: a crawler, a browser with scripts off. Pages work
/// without a seed; their streams then load the data again.
pub(super) const MAX_TOPICS_TO_SEED: usize = 128;

/// What a page already loaded for a topic it started.
pub(super) struct Seeded {
    pub(super) view: DashboardView,
    /// The annotations' JSON, as sent.
    pub(super) marks: String,
    pub(super) first_refresh: tokio::time::Instant,
}

impl Hub {
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
}
