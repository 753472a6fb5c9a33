//! The edge: what every request meets before a route sees it, and what every
//! response carries out. Which names the server answers to ([`host`]), the
//! headers that hold a browser to the page's own scripts ([`headers`]), whose
//! request id is believed ([`request_id`]), and the listener's own limits on
//! connections and slow clients ([`listener`]).
//!
//! Routes stay free of these concerns: a route added tomorrow gets them all.

pub mod headers;
pub mod host;
pub mod listener;
pub mod rate;
pub mod request_id;
pub mod stream_slots;

use std::net::{IpAddr, SocketAddr};

use axum::{
    body::Body,
    extract::ConnectInfo,
    http::{Request, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

/// The address of the client, for handlers' limits: the socket's peer, or
/// behind a trusted proxy the address the proxy says it serves (see
/// [`request_id::believe_only_proxies`]); `None` when the server was not told
/// it (a test's `oneshot`).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub Option<IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(peer_in(&parts.extensions)))
    }
}

/// The client that sent `request`, for limits kept per client: the socket's
/// peer, or the client a trusted proxy forwarded (the listener says the
/// peer; a test's `oneshot` does not).
pub fn peer_of<B>(request: &Request<B>) -> Option<IpAddr> {
    peer_in(request.extensions())
}

/// The address at the socket's other end, whoever it says it speaks for:
/// what trust in a proxy is decided by.
pub fn socket_peer_of<B>(request: &Request<B>) -> Option<IpAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

/// The client a trusted proxy forwarded the request for.
#[derive(Debug, Clone, Copy)]
pub struct ForwardedFor(pub IpAddr);

/// The forwarded client, else the socket's peer (see `listener::serve`).
fn peer_in(extensions: &axum::http::Extensions) -> Option<IpAddr> {
    extensions
        .get::<ForwardedFor>()
        .map(|ForwardedFor(ip)| *ip)
        .or_else(|| {
            extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip())
        })
}

/// A page's query string is held to the API's limit: a page writes its
/// filters back into its links, so a 40 KB query would come back forty times.
pub async fn page_query_cap(request: Request<Body>, next: Next) -> Response {
    if request
        .uri()
        .query()
        .is_some_and(|q| q.len() > crate::views::query_string::MAX_QUERY_LEN)
    {
        return (StatusCode::URI_TOO_LONG, "query string too long").into_response();
    }
    next.run(request).await
}
