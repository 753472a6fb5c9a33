use std::{convert::Infallible, time::Duration};

use axum::{
    extract::{RawQuery, State},
    http::{header, HeaderValue},
    response::{
        sse::{Event, KeepAlive, Sse},
        IntoResponse,
    },
};
use futures::{future, stream, Stream, StreamExt};
use tokio_stream::wrappers::BroadcastStream;

use super::query_string::ViewParams;
use crate::{
    error::{ApiError, ApiResult},
    hub::{StreamEvent, TopicKey},
    AppState,
};

/// How long a browser waits before reconnecting.
const RETRY: Duration = Duration::from_secs(3);
/// Comment lines this often keep proxies from closing an idle stream.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// `GET /api/stream?dashboard=…&range=…&<variable>=…`: the tab's one live stream.
///
/// It opens with `hello`, then the newest data of every panel at once (a fresh
/// snapshot: also what a reconnecting browser gets, whatever its `Last-Event-ID`,
/// since panel events replace each other), then live events as refreshes land.
pub async fn stream(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult<impl IntoResponse> {
    let params = ViewParams::parse(query.as_deref())?;
    let dashboard = params
        .dashboard
        .clone()
        .ok_or_else(|| ApiError::BadRequest("dashboard= is required".into()))?;
    let board = state.panels.dashboard(&dashboard)?;
    // Lenient like the pages it serves: a page's URL may carry keys of its own.
    let filter = params.filter(&board, false)?;
    let subscription = state.hub.subscribe(TopicKey {
        dashboard,
        range: params.range,
        filter,
    });

    let hello = stream::once(future::ready(
        Event::default().event("hello").retry(RETRY).data("{}"),
    ));
    let snapshot = stream::iter(subscription.snapshot).map(|e| to_sse(&e));
    // A subscriber that lagged behind the bounded channel has lost events: end its
    // stream so the browser reconnects and starts again from a snapshot.
    let live = BroadcastStream::new(subscription.events)
        .take_while(|item| future::ready(item.is_ok()))
        .filter_map(|item| future::ready(item.ok().map(|e| to_sse(&e))));
    let events: std::pin::Pin<Box<dyn Stream<Item = Result<Event, Infallible>> + Send>> = Box::pin(
        hello
            .chain(snapshot)
            .chain(live)
            .take_until(state.shutdown.clone().cancelled_owned())
            .map(Ok),
    );

    Ok((
        // Proxies such as nginx would otherwise hold events back.
        [(
            header::HeaderName::from_static("x-accel-buffering"),
            HeaderValue::from_static("no"),
        )],
        Sse::new(events).keep_alive(KeepAlive::new().interval(HEARTBEAT)),
    ))
}

fn to_sse(event: &StreamEvent) -> Event {
    Event::default()
        .id(event.id.to_string())
        .event(event.kind)
        .data(&event.json)
}
