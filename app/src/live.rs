//! The page's one live stream (`/api/stream`): panel updates pushed by the server.
//!
//! The context is provided once at the root; a page says which dashboard and range
//! it shows with [`LiveStream::follow`]. Only the browser connects: during server
//! rendering effects do not run, so nothing here touches the network on the server.

use std::collections::HashMap;

use leptos::prelude::*;

use crate::model::{Annotation, PanelData, PanelDelta, Refresh, ViewQuery};

pub mod clock;
pub mod health_feed;
pub mod time_zone;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamState {
    Connecting,
    Live,
    Offline,
    /// The viewer turned refreshing off: the page shows what it loaded.
    Paused,
}

#[derive(Clone, Copy)]
pub struct LiveStream {
    /// One cell per panel: a push re-runs its own panel's memo, not every
    /// panel's (a dashboard has dozens; a refresh changes a few).
    panels: StoredValue<HashMap<String, ArcRwSignal<Option<PanelData>>>>,
    /// What the page loaded for each panel: what a delta applies to until
    /// the stream sent the panel.
    loaded: StoredValue<HashMap<String, PanelData>>,
    /// The view's annotations, once the stream sent any.
    annotations: RwSignal<Option<Vec<Annotation>>>,
    state: RwSignal<StreamState>,
}

pub fn provide_live_stream() -> LiveStream {
    let stream = LiveStream {
        panels: StoredValue::new(HashMap::new()),
        loaded: StoredValue::new(HashMap::new()),
        annotations: RwSignal::new(None),
        state: RwSignal::new(StreamState::Connecting),
    };
    provide_context(stream);
    stream
}

pub fn use_live_stream() -> LiveStream {
    expect_context::<LiveStream>()
}

/// The annotations time-series charts mark: what [`provide_annotations`]
/// gave, or none (an embed, a page without them).
pub fn use_annotations() -> Signal<Vec<Annotation>> {
    use_context::<Annotations>()
        .map(|a| a.0)
        .unwrap_or_else(|| Signal::stored(Vec::new()))
}

/// Gives the charts below the view's annotations.
pub fn provide_annotations(annotations: Signal<Vec<Annotation>>) {
    provide_context(Annotations(annotations));
}

#[derive(Clone, Copy)]
struct Annotations(Signal<Vec<Annotation>>);

pub fn use_stream_state() -> Signal<StreamState> {
    let stream = use_live_stream();
    stream.state.into()
}

impl LiveStream {
    /// A panel's data: what the page loaded, replaced by newer pushed data.
    pub fn panel(&self, initial: PanelData) -> Signal<PanelData> {
        let pushed = self.cell(&initial.panel.panel);
        self.loaded.update_value(|loaded| {
            loaded.insert(initial.panel.panel.clone(), initial.clone());
        });
        // A memo, not a derived signal: a card must redraw only when its data
        // changed (a new tab's snapshot repeats what the page already shows).
        Memo::new(move |_| {
            pushed.with(|pushed| {
                pushed
                    .as_ref()
                    .filter(|pushed| pushed.updated_at_ms >= initial.updated_at_ms)
                    .cloned()
                    .unwrap_or_else(|| initial.clone())
            })
        })
        .into()
    }

    /// The cell of panel `id`, made when first asked for.
    fn cell(&self, id: &str) -> ArcRwSignal<Option<PanelData>> {
        self.panels
            .try_update_value(|cells| {
                cells
                    .entry(id.to_string())
                    .or_insert_with(|| ArcRwSignal::new(None))
                    .clone()
            })
            .unwrap_or_else(|| ArcRwSignal::new(None))
    }

    /// The view's annotations: what the page loaded, replaced by newer pushed ones.
    pub fn annotations(&self, initial: Vec<Annotation>) -> Signal<Vec<Annotation>> {
        let pushed = self.annotations;
        // A memo: the stream repeats the marks the page loaded with, and
        // every chart would draw them again.
        Memo::new(move |_| pushed.get().unwrap_or_else(|| initial.clone())).into()
    }

    /// Keeps the stream of `dashboard` and `query` open while the calling
    /// component lives: call it where that view's data is shown, so the
    /// stream changes with the data (never pushing one view's panels into
    /// another's cards). `since` is the event the data is, when the server
    /// started the stream with it: only what comes after is asked for.
    pub fn follow(&self, dashboard: &str, query: &ViewQuery, since: Option<String>) {
        let url = (query.refresh != Some(Refresh::Off)).then(|| stream_url(dashboard, query));
        self.follow_from(Signal::stored(url), since);
    }

    /// Keeps a stream open at `url` (`None`: nothing to keep live, such as
    /// refresh off) while the calling component lives, reconnecting when it
    /// changes.
    pub fn follow_url(&self, url: Signal<Option<String>>) {
        self.follow_from(url, None);
    }

    fn follow_from(&self, url: Signal<Option<String>>, since: Option<String>) {
        let stream = *self;
        let current = StoredValue::new(None::<futures::future::AbortHandle>);
        Effect::new(move |_| {
            if let Some(handle) = current.get_value() {
                handle.abort();
            }
            let url = url.get();
            stream
                .panels
                .with_value(|cells| cells.values().for_each(|cell| cell.set(None)));
            stream.annotations.set(None);
            let Some(url) = url else {
                stream.state.set(StreamState::Paused);
                current.set_value(None);
                return;
            };
            current.set_value(open(stream, url, since.clone()));
        });
        // Leaving the page closes its stream (another page may open its own).
        on_cleanup(move || {
            if let Some(handle) = current.try_get_value().flatten() {
                handle.abort();
            }
        });
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn go_live(&self) {
        if self.state.get_untracked() != StreamState::Live {
            crate::timing::mark(crate::timing::LIVE);
            self.state.set(StreamState::Live);
        }
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn accept(&self, data: PanelData) {
        self.go_live();
        self.cell(&data.panel.panel).set(Some(data));
    }

    /// Applies a panel's delta to what the tab shows of it. `false` when
    /// the tab has nothing it applies to: the stream must start again from
    /// a snapshot.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn apply(&self, delta: PanelDelta) -> bool {
        let cell = self.cell(&delta.panel);
        let loaded = self
            .loaded
            .with_value(|loaded| loaded.get(&delta.panel).cloned());
        let pushed = cell.get_untracked();
        // What the panel's memo shows (see `panel`).
        let base = match (pushed, loaded) {
            (Some(pushed), Some(loaded)) if pushed.updated_at_ms < loaded.updated_at_ms => {
                Some(loaded)
            }
            (Some(pushed), _) => Some(pushed),
            (None, loaded) => loaded,
        };
        let Some(base) = base else {
            return false;
        };
        self.go_live();
        cell.set(Some(delta.applied_to(&base)));
        true
    }
}

/// A dashboard's stream: the page's whole view; like the page, the stream
/// ignores keys that are not this dashboard's variables.
fn stream_url(dashboard: &str, query: &ViewQuery) -> String {
    let start = "/api/stream?";
    let mut url = form_urlencoded::Serializer::for_suffix(start.to_string(), start.len());
    url.append_pair("dashboard", dashboard);
    let mut url = url.finish();
    let rest = query.to_query();
    if !rest.is_empty() {
        url.push('&');
        url.push_str(&rest);
    }
    url
}

/// `url` asking for what came after event `since`.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn url_since(url: &str, since: Option<&str>) -> String {
    match since {
        None => url.to_string(),
        Some(since) => {
            let join = if url.contains('?') { '&' } else { '?' };
            let since: String = form_urlencoded::byte_serialize(since.as_bytes()).collect();
            format!("{url}{join}since={since}")
        }
    }
}

#[cfg(feature = "hydrate")]
fn open(
    stream: LiveStream,
    url: String,
    mut since: Option<String>,
) -> Option<futures::future::AbortHandle> {
    use futures::{future::Abortable, StreamExt};
    use gloo_net::eventsource::futures::EventSource;

    let (handle, registration) = futures::future::AbortHandle::new_pair();
    let task = async move {
        loop {
            stream.state.set(StreamState::Connecting);
            let Ok(mut source) = EventSource::new(&url_since(&url, since.as_deref())) else {
                stream.state.set(StreamState::Offline);
                return;
            };
            let (Ok(hello), Ok(panels), Ok(deltas), Ok(changed), Ok(marks)) = (
                source.subscribe("hello"),
                source.subscribe("panel"),
                source.subscribe("delta"),
                source.subscribe("dashboard"),
                source.subscribe("annotations"),
            ) else {
                stream.state.set(StreamState::Offline);
                return;
            };
            // The browser reconnects by itself after a dropped connection; an error
            // that reaches us means the source is closed for good, so we reopen it.
            let mut events = futures::stream::select(
                futures::stream::select(hello, futures::stream::select(panels, deltas)),
                futures::stream::select(changed, marks),
            );
            let mut resync = false;
            while let Some(event) = events.next().await {
                let id = match &event {
                    Ok((_, message)) => Some(message.last_event_id()).filter(|id| !id.is_empty()),
                    Err(_) => None,
                };
                match event {
                    // The dashboard's file changed its layout: the whole view is
                    // in the URL, so loading it again shows the new one as is.
                    Ok((kind, _)) if kind == "dashboard" => {
                        if let Some(window) = web_sys::window() {
                            let _ = window.location().reload();
                        }
                        return;
                    }
                    Ok((kind, message)) if kind == "panel" => {
                        let parsed = message
                            .data()
                            .as_string()
                            .and_then(|text| serde_json::from_str::<PanelData>(&text).ok());
                        if let Some(data) = parsed {
                            stream.accept(data);
                        }
                    }
                    Ok((kind, message)) if kind == "delta" => {
                        let parsed = message
                            .data()
                            .as_string()
                            .and_then(|text| serde_json::from_str::<PanelDelta>(&text).ok());
                        // A delta the tab cannot place: start again from a snapshot.
                        if !parsed.is_some_and(|delta| stream.apply(delta)) {
                            resync = true;
                            break;
                        }
                    }
                    Ok((kind, message)) if kind == "annotations" => {
                        let parsed = message
                            .data()
                            .as_string()
                            .and_then(|text| serde_json::from_str::<Vec<Annotation>>(&text).ok());
                        if let Some(marks) = parsed {
                            stream.annotations.set(Some(marks));
                        }
                    }
                    Ok(_) => stream.go_live(),
                    Err(_) => break,
                }
                // Taken: a reconnect of ours asks for what came after it.
                if let Some(id) = id {
                    mark_event(&id);
                    since = Some(id);
                }
            }
            drop(events);
            source.close();
            if resync {
                since = None;
                sleep_ms(250).await;
                continue;
            }
            stream.state.set(StreamState::Offline);
            sleep_ms(3000).await;
        }
    };
    leptos::task::spawn_local(async move {
        let _ = Abortable::new(task, registration).await;
    });
    Some(handle)
}

/// The newest event the tab has taken, on the page's root element
/// (`data-stream-event`): tests compare two tabs at the same event by it.
#[cfg(feature = "hydrate")]
fn mark_event(id: &str) {
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("data-stream-event", id);
    }
}

#[cfg(feature = "hydrate")]
async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

#[cfg(not(feature = "hydrate"))]
fn open(_: LiveStream, _: String, _: Option<String>) -> Option<futures::future::AbortHandle> {
    None
}
