//! Whose request id is believed. The id ties a viewer's error to the log's
//! detail, so a client may not choose it (it could forge lines in the log or
//! collide with another's); a reverse proxy in `trusted_proxies` may, so one
//! id follows a request through both. Any other `X-Request-Id` is dropped
//! here and the server makes its own (`SetRequestIdLayer`, outside this).

use std::sync::Arc;

use axum::{
    body::Body,
    extract::State,
    http::{HeaderName, Request},
    middleware::Next,
    response::Response,
};
use ipnet::IpNet;

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The proxies whose headers are believed (their addresses or networks).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Arc<Vec<IpNet>>);

impl TrustedProxies {
    pub fn new(nets: &[IpNet]) -> Self {
        Self(Arc::new(nets.to_vec()))
    }

    /// Whether `request` came straight from a trusted proxy.
    pub fn sent<B>(&self, request: &Request<B>) -> bool {
        super::peer_of(request).is_some_and(|ip| self.0.iter().any(|net| net.contains(&ip)))
    }
}

/// An id as a proxy may pass it: short, and only the characters ids are
/// written in (no spaces, quotes or line breaks for a log to misread).
fn well_formed(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Drops a request id the server does not believe.
pub async fn believe_only_proxies(
    State(trusted): State<TrustedProxies>,
    mut request: Request<Body>,
    next: Next,
) -> Response {
    let keep = trusted.sent(&request)
        && request
            .headers()
            .get(&HEADER)
            .and_then(|v| v.to_str().ok())
            .is_some_and(well_formed);
    if !keep {
        request.headers_mut().remove(&HEADER);
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_short_and_plain() {
        assert!(well_formed("3f2c0a9e-1b7d-4c1e-9a55-0d6f1f3c2b10"));
        assert!(well_formed("req.abc_12:3"));
        assert!(!well_formed(""));
        assert!(!well_formed("a b"));
        assert!(!well_formed("id\nforged=line"));
        assert!(!well_formed(&"a".repeat(129)));
    }
}
