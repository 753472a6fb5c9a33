//! One topic's refresher: every panel of the view each period while someone
//! watches, each panel on its own.

use std::{
    collections::{HashMap, HashSet},
    future::Future,
    sync::{atomic::Ordering, Arc},
};

use app::model::{PanelData, PanelDelta, PanelRef};
use futures::{future::BoxFuture, stream::FuturesUnordered, FutureExt, StreamExt};

use super::{
    event::EventKind,
    topic::{
        is_watched, publish, Inner, Publish, Seeded, Topic, TopicKey, ANNOTATIONS_SLOT,
        CLAIM_WITHIN, DASHBOARD_SLOT,
    },
};
use crate::{
    annotations::Annotator,
    clock::now_ms,
    dashboards::{AnnotationRule, Dashboard},
    panels::{LoadError, PanelService},
};

/// Refreshes every panel of `key` each period while someone watches. Each
/// panel runs on its own: one whose query is still running (a stalled
/// upstream, until its timeout) is skipped by the next ticks instead of holding
/// back the panels that are ready. When the dashboard's file changes what pages
/// show (panels, layout, variables), watchers are told to reload it.
pub(super) async fn refresh_while_watched(
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
    // A seeded topic shows the page's view, panels and marks already.
    let (mut shown, mut marks_sent, mut panels_sent) = match seeded {
        Some(s) => (Some(Some(s.view)), Some(s.marks), s.panels),
        None => (None, None, HashMap::new()),
    };
    // An embed's stream stays whole panels: its page redacts each one.
    let deltas = inner.deltas.load(Ordering::Relaxed) && key.panel.is_none();
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
                    let changed = Publish::whole(EventKind::Dashboard, "{}".into());
                    publish(&inner, &topic, DASHBOARD_SLOT, changed);
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
                            let rule = board.as_ref().map(|b| b.annotations.clone()).unwrap_or_default();
                            loads.push(annotate(Arc::clone(annotator), rule, &key).boxed());
                        }
                    }
                }
                shown = Some(view);
            }
            Some(loaded) = loads.next(), if !loads.is_empty() => match loaded {
                Loaded::Panel(panel, loaded) => {
                    in_flight.remove(&panel);
                    let Ok(data) = *loaded else { continue };
                    let before = panels_sent.get(&panel).filter(|_| deltas);
                    if let Some(event) = panel_event(before, &data) {
                        publish(&inner, &topic, &panel, event);
                    }
                    if deltas {
                        panels_sent.insert(panel, data);
                    }
                }
                Loaded::Annotations(json) => {
                    in_flight.remove(ANNOTATIONS_SLOT);
                    // Most refreshes change nothing here: send only news.
                    if marks_sent.as_ref() != Some(&json) {
                        let marks = Publish::whole(EventKind::Annotations, json.clone());
                        publish(&inner, &topic, ANNOTATIONS_SLOT, marks);
                        marks_sent = Some(json);
                    }
                }
            },
            () = inner.shutdown.cancelled() => return,
        }
    }
}

/// A panel's new data as an event: whole, and as what changed since
/// `before` (the panel as its watchers have it) when that is less.
fn panel_event(before: Option<&PanelData>, data: &PanelData) -> Option<Publish> {
    let whole = serde_json::to_string(data).ok()?;
    let live = before
        .and_then(|before| PanelDelta::between(before, data))
        .and_then(|delta| serde_json::to_string(&delta).ok())
        .filter(|delta| delta.len() < whole.len())
        .map(|delta| (EventKind::Delta, delta));
    Some(Publish {
        kind: EventKind::Panel,
        whole,
        live,
    })
}

/// What one of a refresh's loads brought.
pub(super) enum Loaded {
    Panel(String, Box<Result<PanelData, LoadError>>),
    /// The view's annotations, as the JSON sent.
    Annotations(String),
}

pub(super) fn panels_of<'a>(
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

pub(super) fn load(
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

pub(super) fn annotate(
    annotator: Arc<Annotator>,
    rule: AnnotationRule,
    key: &TopicKey,
) -> impl Future<Output = Loaded> + Send + 'static {
    let (range, filter) = (key.range, key.filter.clone());
    async move {
        let marks = annotator
            .for_view(&rule, &filter, range.window_ms(now_ms()))
            .await;
        Loaded::Annotations(serde_json::to_string(&marks).unwrap_or_else(|_| "[]".into()))
    }
}
