use std::{convert::Infallible, time::Duration};

use axum::{
    extract::{RawQuery, State},
    http::{header, HeaderMap, HeaderValue},
    response::{
        sse::{Event, KeepAlive, Sse},
        IntoResponse,
    },
};
use futures::{future, stream, Stream, StreamExt};
use tokio_stream::wrappers::{BroadcastStream, ReceiverStream};

use crate::{
    edge::{stream_slots::Slot, Peer},
    error::Result,
    health::HealthEvent,
    hub::{EventId, StreamEvent, TopicKey},
    state::AppState,
    views::StreamRequest,
};

/// How long a browser waits before reconnecting.
pub(crate) const RETRY: Duration = Duration::from_secs(3);
/// Comment lines this often keep proxies from closing an idle stream.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// `GET /api/stream?dashboard=…&range=…&refresh=…&<variable>=…[&since=…]` (a
/// dashboard) or `?view=health|alerts`: the tab's one live stream.
///
/// It opens with `hello`, then the newest data of every panel at once, then live
/// events as refreshes land. A browser reconnecting with `Last-Event-ID` (or a
/// page with `since=`, the event its rendered data is) gets only the panels
/// that changed since that event (panel events replace each other); an id it
/// cannot place (another run of the server, garbage) gets the whole snapshot.
/// A client that stops reading is disconnected (see the hub).
pub async fn stream(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<impl IntoResponse> {
    let request = StreamRequest::parse(query.as_deref())?;
    let slot = state.stream_slots.claim(peer)?;
    let (dashboard, view, since) = match request {
        StreamRequest::Health => {
            return Ok(health_stream(&state, HealthView::Health, slot).into_response())
        }
        StreamRequest::Alerts => {
            return Ok(health_stream(&state, HealthView::Alerts, slot).into_response())
        }
        StreamRequest::Dashboard {
            dashboard,
            view,
            since,
        } => (dashboard, view, since),
    };
    let board = state.panels.dashboard(&dashboard)?;
    // Lenient like the pages it serves: a page's URL may carry keys of its own.
    let filter = view.filter(&board)?;
    // The browser's own reconnect says what it saw last; a page's first
    // connection says which event its server-rendered data is (`since=`).
    let seen = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .or(since.as_deref())
        .and_then(EventId::parse);
    let subscription = state.hub.subscribe(
        TopicKey {
            dashboard,
            range: view.range,
            filter,
            every: state.hub.every(view.refresh),
            panel: None,
        },
        seen,
    )?;

    let hello = stream::once(future::ready(
        Event::default().event("hello").retry(RETRY).data("{}"),
    ));
    let snapshot = stream::iter(subscription.snapshot).map(|e| to_sse(&e));
    let live = ReceiverStream::new(subscription.events).map(|e| to_sse(&e));
    let events: EventStream = Box::pin(
        hello
            .chain(snapshot)
            .chain(live)
            .take_until(state.shutdown.clone().cancelled_owned())
            .map(Ok),
    );

    Ok(sse(events, slot).into_response())
}

pub(crate) type EventStream =
    std::pin::Pin<Box<dyn Stream<Item = Result<Event, Infallible>> + Send>>;

/// The stream as an SSE answer; `slot` (the client's share of streams) is
/// held until the stream ends.
pub(crate) fn sse(events: EventStream, slot: Option<Slot>) -> impl IntoResponse {
    let events = events.inspect(move |_| {
        let _held = &slot;
    });
    (
        // Proxies such as nginx would otherwise hold events back.
        [(
            header::HeaderName::from_static("x-accel-buffering"),
            HeaderValue::from_static("no"),
        )],
        Sse::new(events).keep_alive(KeepAlive::new().interval(HEARTBEAT)),
    )
}

#[derive(Clone, Copy, PartialEq)]
enum HealthView {
    Health,
    Alerts,
}

/// The health page's stream: every committed check result (`check`) and
/// status change (`transition`); the alerts page's: every alert that fires or
/// resolves (`alert`). A result replaces the one before, so a reconnect needs
/// no replay: the next interval brings every check again. A client that falls
/// behind the bounded channel is disconnected and reconnects.
fn health_stream(state: &AppState, view: HealthView, slot: Option<Slot>) -> impl IntoResponse {
    let hello = stream::once(future::ready(
        Event::default().event("hello").retry(RETRY).data("{}"),
    ));
    // `None` for an event this view does not show; an error for a client
    // that fell behind either channel, which is cut off (and reconnects).
    let checks = BroadcastStream::new(state.checker.events()).map(move |e| {
        e.map(|e| match (view, e) {
            (HealthView::Health, HealthEvent::Result(r)) => {
                Event::default().event("check").json_data(&r).ok()
            }
            (HealthView::Health, HealthEvent::Transition(t)) => {
                Event::default().event("transition").json_data(&t).ok()
            }
            (HealthView::Alerts, _) => None,
        })
    });
    let alerts = BroadcastStream::new(state.alerts.alerting.events()).map(|e| {
        e.map(|change| {
            Event::default()
                .event("alert")
                .json_data(change.alert())
                .ok()
        })
    });
    let live = stream::select(checks, alerts)
        .take_while(|e| future::ready(e.is_ok()))
        .filter_map(|e| future::ready(e.ok().flatten()));
    let events: EventStream = Box::pin(
        hello
            .chain(live)
            .take_until(state.shutdown.clone().cancelled_owned())
            .map(Ok),
    );
    sse(events, slot)
}

pub(crate) fn to_sse(event: &StreamEvent) -> Event {
    Event::default()
        .id(event.id.to_string())
        .event(event.kind.as_str())
        .data(&event.json)
}
