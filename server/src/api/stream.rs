use std::{convert::Infallible, time::Duration};

use axum::{
    body::Body,
    extract::{RawQuery, State},
    http::{header, HeaderMap, HeaderValue},
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use futures::{future, stream, Stream, StreamExt};
use tokio_stream::wrappers::{BroadcastStream, IntervalStream};

use crate::{
    edge::{stream_slots::Slot, Peer},
    error::Result,
    health::HealthEvent,
    hub::{sse_frame, EventId, TopicKey},
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

    // The hub's events are their wire bytes already: every subscriber's
    // stream passes on references to the same bytes.
    let snapshot = stream::iter(subscription.snapshot).map(|e| e.frame());
    let live = subscription.events.map(|e| e.frame());
    let events: EventStream = Box::pin(
        stream::once(future::ready(hello()))
            .chain(snapshot)
            .chain(live)
            .take_until(state.shutdown.clone().cancelled_owned()),
    );

    Ok(sse(events, slot))
}

/// A stream's frames, each a whole server-sent event.
pub(crate) type EventStream = std::pin::Pin<Box<dyn Stream<Item = Bytes> + Send>>;

/// The first event of every stream: how long to wait before reconnecting.
pub(crate) fn hello() -> Bytes {
    Bytes::from(format!(
        "retry: {}\nevent: hello\ndata: {{}}\n\n",
        RETRY.as_millis()
    ))
}

/// What a stream sends when it has nothing to say, so proxies keep it open.
const HEARTBEAT_FRAME: &[u8] = b":\n\n";

/// The stream as an SSE answer, with a heartbeat comment every
/// [`HEARTBEAT`]; it ends when `events` does. `slot` (the client's share of
/// streams) is held until then.
pub(crate) fn sse(events: EventStream, slot: Option<Slot>) -> Response {
    enum Part {
        Frame(Bytes),
        Beat,
        End,
    }
    let mut beats = tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
    beats.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let frames = events
        .map(Part::Frame)
        .chain(stream::once(future::ready(Part::End)));
    let body = stream::select(frames, IntervalStream::new(beats).map(|_| Part::Beat))
        .take_while(|part| future::ready(!matches!(part, Part::End)))
        .map(move |part| {
            let _held = &slot;
            Ok::<_, Infallible>(match part {
                Part::Frame(frame) => frame,
                _ => Bytes::from_static(HEARTBEAT_FRAME),
            })
        });
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/event-stream"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            // Proxies such as nginx would otherwise hold events back.
            (
                header::HeaderName::from_static("x-accel-buffering"),
                HeaderValue::from_static("no"),
            ),
        ],
        Body::from_stream(body),
    )
        .into_response()
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
fn health_stream(state: &AppState, view: HealthView, slot: Option<Slot>) -> Response {
    // `None` for an event this view does not show; an error for a client
    // that fell behind either channel, which is cut off (and reconnects).
    let checks = BroadcastStream::new(state.checker.events()).map(move |e| {
        e.map(|e| match (view, e) {
            (HealthView::Health, HealthEvent::Result(r)) => json_frame("check", &r),
            (HealthView::Health, HealthEvent::Transition(t)) => json_frame("transition", &t),
            (HealthView::Alerts, _) => None,
        })
    });
    let alerts = BroadcastStream::new(state.alerts.alerting.events())
        .map(|e| e.map(|change| json_frame("alert", change.alert())));
    let live = stream::select(checks, alerts)
        .take_while(|e| future::ready(e.is_ok()))
        .filter_map(|e| future::ready(e.ok().flatten()));
    let events: EventStream = Box::pin(
        stream::once(future::ready(hello()))
            .chain(live)
            .take_until(state.shutdown.clone().cancelled_owned()),
    );
    sse(events, slot)
}

/// An event of `data` as JSON, encoded for the wire.
fn json_frame(event: &str, data: &impl serde::Serialize) -> Option<Bytes> {
    serde_json::to_string(data)
        .ok()
        .map(|json| sse_frame(None, event, &json).0)
}
