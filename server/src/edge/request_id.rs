//! Whose request id, and whose word on the client's address, is believed.
//! The id ties a viewer's error to the log's detail, so a client may not
//! choose it (it could forge lines in the log or collide with another's); a
//! reverse proxy in `trusted_proxies` may, so one id follows a request
//! through both. Any other `X-Request-Id` is dropped here and the server
//! makes its own (`SetRequestIdLayer`, outside this). Likewise the client's
//! address: behind a trusted proxy, limits per client count the client the
//! proxy names in `X-Forwarded-For`, not the proxy.

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
const FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The proxies whose headers are believed (their addresses or networks).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Arc<Vec<IpNet>>);

impl TrustedProxies {
    pub fn new(nets: &[IpNet]) -> Self {
        Self(Arc::new(nets.to_vec()))
    }

    /// Whether `request` came straight from a trusted proxy.
    pub fn sent<B>(&self, request: &Request<B>) -> bool {
        super::socket_peer_of(request).is_some_and(|ip| self.trusts(ip))
    }

    fn trusts(&self, ip: std::net::IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client a trusted proxy forwarded `request` for: the last address
    /// in `X-Forwarded-For` that is not one of the trusted proxies (each
    /// proxy appends the address it was called from; what comes before the
    /// first trusted hop is whatever the client wrote, and is not believed).
    pub fn forwarded_client<B>(&self, request: &Request<B>) -> Option<std::net::IpAddr> {
        if !self.sent(request) {
            return None;
        }
        let mut hops: Vec<std::net::IpAddr> = Vec::new();
        for value in request.headers().get_all(FORWARDED_FOR) {
            for hop in value.to_str().ok()?.split(',') {
                hops.push(hop.trim().parse().ok()?);
            }
        }
        hops.into_iter().rev().find(|ip| !self.trusts(*ip))
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
    // Limits per client count the client behind a proxy, not the proxy.
    if let Some(client) = trusted.forwarded_client(&request) {
        request.extensions_mut().insert(super::ForwardedFor(client));
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forwarded_client_is_the_last_hop_no_trusted_proxy_added() {
        let trusted = TrustedProxies::new(&["10.0.0.0/8".parse().unwrap()]);
        let from =
            |peer: &str, xff: &[&str]| {
                let mut request = Request::get("/");
                for v in xff {
                    request = request.header("x-forwarded-for", *v);
                }
                let mut request = request.body(()).unwrap();
                request.extensions_mut().insert(axum::extract::ConnectInfo(
                    std::net::SocketAddr::new(peer.parse().unwrap(), 1),
                ));
                trusted.forwarded_client(&request).map(|ip| ip.to_string())
            };
        assert_eq!(
            from("10.0.0.7", &["203.0.113.9"]).as_deref(),
            Some("203.0.113.9")
        );
        // What the client wrote before the proxies' hops is not believed.
        assert_eq!(
            from("10.0.0.7", &["1.1.1.1, 203.0.113.9, 10.0.0.8"]).as_deref(),
            Some("203.0.113.9")
        );
        assert_eq!(
            from("10.0.0.7", &["1.1.1.1", "203.0.113.9"]).as_deref(),
            Some("203.0.113.9")
        );
        // Not from a trusted proxy, or nothing believable: the socket's peer counts.
        assert_eq!(from("192.0.2.1", &["203.0.113.9"]), None);
        assert_eq!(from("10.0.0.7", &["not an address"]), None);
        assert_eq!(from("10.0.0.7", &[]), None);
    }

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
