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

/// The address of the client (the socket's peer), for handlers: `None` when
/// the server was not told it (a test's `oneshot`).
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

/// The address of the peer that sent `request`, if the server was told it
/// (the listener is; a test's `oneshot` is not).
pub fn peer_of<B>(request: &Request<B>) -> Option<IpAddr> {
    peer_in(request.extensions())
}

/// Where the listener puts the peer's address (see `listener::serve`).
fn peer_in(extensions: &axum::http::Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
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
