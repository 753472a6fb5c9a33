//! Seeding: a page that was just rendered starts its view's topic with the
//! data it shows, so its stream begins from there (see the hub's docs).

use std::{collections::HashMap, sync::Arc};

use app::model::{Annotation, DashboardView, PanelData};

use super::{
    event::{EventId, EventKind},
    refresh::refresh_while_watched,
    topic::{publish, Inner, Publish, Seeded, Topic, TopicKey, ANNOTATIONS_SLOT},
};

/// Seeding stops when this many topics are being refreshed: every page
/// render could otherwise leave a topic (and its data, up to a few hundred
/// KB) behind for a while: a crawler, a browser with scripts off. Pages work
/// without a seed; their streams then load the data again.
pub(super) const MAX_TOPICS_TO_SEED: usize = 128;

/// What a page of a view being watched shows: what the view's topic last
/// sent of each panel and of its annotations, and the newest event, for the
/// page's stream to start after. The deltas that follow are of exactly this
/// state, so a page must show it rather than data it loads itself, which
/// the deltas are not of (a point the topic has since replaced would stay).
pub struct WatchedView {
    pub panels: Vec<PanelData>,
    pub annotations: Vec<Annotation>,
    pub since: EventId,
}

/// What `Hub::watched` does (see there).
pub(super) fn watched(inner: &Inner, key: &TopicKey, view: &DashboardView) -> Option<WatchedView> {
    let topic = inner
        .topics
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(key)
        .cloned()?;
    let (latest, since) = topic.current();
    let panels = view
        .panels
        .iter()
        .map(|p| serde_json::from_str(latest.get(&p.id)?.json()).ok())
        .collect::<Option<Vec<PanelData>>>()?;
    let annotations = latest
        .get(ANNOTATIONS_SLOT)
        .and_then(|e| serde_json::from_str(e.json()).ok())
        .unwrap_or_default();
    Some(WatchedView {
        panels,
        annotations,
        since: since?,
    })
}

/// What `Hub::seed` does (see there).
pub(super) fn seed(
    inner: &Arc<Inner>,
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
    // The answer without seeding, when there is one: none, whether the
    // topic is being refreshed already (its deltas are of its own state, not
    // of data this page loaded: the page's stream starts from a snapshot;
    // `watched` is the way to show its state) or there is no room.
    let known = |topics: &HashMap<TopicKey, Arc<Topic>>| {
        (topics.contains_key(&key) || topics.len() >= MAX_TOPICS_TO_SEED).then_some(None)
    };
    if let Some(answer) = known(&inner.topics.lock().unwrap_or_else(|e| e.into_inner())) {
        return answer;
    }
    // Serialised outside the map's lock (a dashboard's data is a few
    // hundred KB): every stream and page goes through that lock.
    let marks = serde_json::to_string(annotations).ok()?;
    let events: Vec<(&str, String)> = panels
        .iter()
        .filter_map(|data| Some((data.panel.panel.as_str(), serde_json::to_string(data).ok()?)))
        .collect();
    let mut topics = inner.topics.lock().unwrap_or_else(|e| e.into_inner());
    // Another page or stream may have started it meanwhile.
    if let Some(answer) = known(&topics) {
        return answer;
    }
    let topic = Topic::new(inner);
    for (slot, json) in events {
        publish(inner, &topic, slot, Publish::whole(EventKind::Panel, json));
    }
    let newest = publish(
        inner,
        &topic,
        ANNOTATIONS_SLOT,
        Publish::whole(EventKind::Annotations, marks.clone()),
    );
    topics.insert(key.clone(), Arc::clone(&topic));
    tokio::spawn(refresh_while_watched(
        Arc::clone(inner),
        key,
        topic,
        Some(Seeded {
            view: view.clone(),
            marks,
            // What the next refresh's deltas are from.
            panels: panels
                .iter()
                .map(|data| (data.panel.panel.clone(), data.clone()))
                .collect(),
            first_refresh: tokio::time::Instant::now() + period,
        }),
    ));
    Some(newest)
}
