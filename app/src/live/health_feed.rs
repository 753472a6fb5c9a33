//! The health and alerts pages' live feed (`/api/stream?view=health|alerts`):
//! check results, status changes and alerts as the server commits them.
//! Only the browser connects; on the server the feed stays empty.

use std::collections::HashMap;

use leptos::prelude::*;

use crate::model::{Alert, CheckResult, Transition};

#[derive(Clone, Copy)]
pub struct HealthFeed {
    /// The newest result of each check that arrived since the page opened.
    pub results: RwSignal<HashMap<String, CheckResult>>,
    /// Since when each check has had its status, from changes seen live.
    pub since: RwSignal<HashMap<String, i64>>,
    /// How many alerts fired or resolved since the page opened.
    pub alert_changes: RwSignal<u64>,
    pub latest_alert: RwSignal<Option<Alert>>,
}

/// Opens the feed of `view` (`health` or `alerts`) while the calling component lives.
pub fn use_health_feed(view: &'static str) -> HealthFeed {
    let feed = HealthFeed {
        results: RwSignal::new(HashMap::new()),
        since: RwSignal::new(HashMap::new()),
        alert_changes: RwSignal::new(0),
        latest_alert: RwSignal::new(None),
    };
    let handle = StoredValue::new(None::<futures::future::AbortHandle>);
    Effect::new(move |_| {
        if handle.get_value().is_none() {
            handle.set_value(open(feed, view));
        }
    });
    on_cleanup(move || {
        if let Some(h) = handle.try_get_value().flatten() {
            h.abort();
        }
    });
    feed
}

impl HealthFeed {
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn accept(&self, kind: &str, data: &str) {
        match kind {
            "check" => {
                if let Ok(r) = serde_json::from_str::<CheckResult>(data) {
                    self.results.update(|m| {
                        m.insert(r.check.clone(), r);
                    });
                }
            }
            "transition" => {
                if let Ok(t) = serde_json::from_str::<Transition>(data) {
                    self.since.update(|m| {
                        m.insert(t.check, t.at_ms);
                    });
                }
            }
            "alert" => {
                if let Ok(a) = serde_json::from_str::<Alert>(data) {
                    self.latest_alert.set(Some(a));
                    self.alert_changes.update(|n| *n += 1);
                }
            }
            _ => {}
        }
    }
}

#[cfg(feature = "hydrate")]
fn open(feed: HealthFeed, view: &'static str) -> Option<futures::future::AbortHandle> {
    use futures::{future::Abortable, StreamExt};
    use gloo_net::eventsource::futures::EventSource;

    let url = format!("/api/stream?view={view}");
    let (handle, registration) = futures::future::AbortHandle::new_pair();
    let task = async move {
        loop {
            let Ok(mut source) = EventSource::new(&url) else {
                return;
            };
            let subscriptions = ["check", "transition", "alert"].map(|k| source.subscribe(k));
            let mut events = futures::stream::select_all(subscriptions.into_iter().flatten());
            // The browser reconnects by itself; an error that reaches us means
            // the source is closed for good, so we open it again.
            while let Some(Ok((kind, message))) = events.next().await {
                if let Some(text) = message.data().as_string() {
                    feed.accept(&kind, &text);
                }
            }
            drop(events);
            source.close();
            super::sleep_ms(3000).await;
        }
    };
    leptos::task::spawn_local(async move {
        let _ = Abortable::new(task, registration).await;
    });
    Some(handle)
}

#[cfg(not(feature = "hydrate"))]
fn open(_: HealthFeed, _: &'static str) -> Option<futures::future::AbortHandle> {
    None
}
