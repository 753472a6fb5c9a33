//! The names Vantage answers to. A hostile web page can point a name of its
//! own at 127.0.0.1 (DNS rebinding) and read whatever the server says to that
//! name; the browser sends the hostile name as `Host`, so a server that
//! answers only its own names is out of reach. Loopback names always pass
//! (no page can make a browser send them for another site); the others are
//! the hosts of `public_url`. Everything else gets 421.

use std::{net::IpAddr, sync::Arc};

use axum::{
    body::Body,
    extract::State,
    http::{header, Request, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

/// The hosts (with their ports) that may be named.
#[derive(Debug, Clone, Default)]
pub struct AllowedHosts {
    /// `host` or `host:port`, lower case, as `public_url` names them.
    public: Arc<Vec<String>>,
}

impl AllowedHosts {
    pub fn new(public_urls: &[url::Url]) -> Self {
        let public = public_urls
            .iter()
            .filter_map(|u| {
                let host = u.host_str()?.to_ascii_lowercase();
                Some(match u.port() {
                    Some(port) => format!("{host}:{port}"),
                    None => host,
                })
            })
            .collect();
        Self {
            public: Arc::new(public),
        }
    }

    /// Whether a request naming `authority` (a `Host` value) is answered.
    pub fn allows(&self, authority: &str) -> bool {
        let authority = authority.trim().to_ascii_lowercase();
        if is_loopback_name(host_part(&authority)) {
            return true;
        }
        self.public.iter().any(|p| {
            // A URL without a port names its scheme's default, which a
            // browser leaves out of `Host` too.
            *p == authority || (!p.contains(':') && default_port_of(&authority, p))
        })
    }
}

/// `host` alone, or `host:80` / `host:443` (the defaults a browser omits but
/// a client may still write).
fn default_port_of(authority: &str, host: &str) -> bool {
    authority
        .strip_prefix(host)
        .is_some_and(|rest| rest.is_empty() || rest == ":80" || rest == ":443")
}

/// The host of an authority: `[::1]:3000` → `[::1]`, `a.b:80` → `a.b`.
fn host_part(authority: &str) -> &str {
    if authority.starts_with('[') {
        return authority
            .find(']')
            .map_or(authority, |end| &authority[..=end]);
    }
    authority.rsplit_once(':').map_or(authority, |(h, _)| h)
}

/// `localhost` (and names under it, which resolvers keep on the machine),
/// `127.x.y.z` and `[::1]`.
fn is_loopback_name(host: &str) -> bool {
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Paths a machine asks for by address, whatever `Host` it sends (a
/// Kubernetes probe names the pod's IP, Prometheus the target's): they hold
/// nothing a rebound page could use.
const ANY_HOST: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// Answers 421 to a request that names a host Vantage is not reached by.
pub async fn check(
    State(allowed): State<AllowedHosts>,
    request: Request<Body>,
    next: Next,
) -> Response {
    // Two hosts, which a proxy and this server could read differently, are
    // a bad request (RFC 9112 3.2).
    if request.headers().get_all(header::HOST).iter().count() > 1 {
        return (
            StatusCode::BAD_REQUEST,
            "a request names exactly one host (Host)",
        )
            .into_response();
    }
    // HTTP/2 names the host in the URI's authority, HTTP/1.1 in `Host`; a
    // request with neither (HTTP/1.0) cannot be a rebound browser's.
    let named = request
        .uri()
        .authority()
        .map(|a| a.as_str().to_string())
        .or_else(|| {
            request
                .headers()
                .get(header::HOST)
                .map(|v| v.to_str().unwrap_or("\u{0}").to_string())
        });
    match named {
        Some(name) if !allowed.allows(&name) && !ANY_HOST.contains(&request.uri().path()) => {
            tracing::warn!("refused a request for a host this server is not reached by");
            (
                StatusCode::MISDIRECTED_REQUEST,
                "This server is not reached by that name. If it is, add the URL to public_url.",
            )
                .into_response()
        }
        _ => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_always_pass_and_others_only_when_public() {
        let none = AllowedHosts::new(&[]);
        for ok in [
            "localhost:3000",
            "LOCALHOST",
            "127.0.0.1:3000",
            "127.8.9.1",
            "[::1]:3000",
            "app.localhost:80",
        ] {
            assert!(none.allows(ok), "{ok}");
        }
        for bad in [
            "rebind.attacker.example:3000",
            "localhost.attacker.example",
            "127.0.0.1.nip.io:3000",
            "10.0.0.5:3000",
            "[::2]:3000",
            "",
        ] {
            assert!(!none.allows(bad), "{bad}");
        }
        let public = AllowedHosts::new(&[
            "https://Vantage.Example.com".parse().unwrap(),
            "http://10.0.0.5:3000/".parse().unwrap(),
        ]);
        assert!(public.allows("vantage.example.com"));
        assert!(public.allows("vantage.example.com:443"));
        assert!(public.allows("10.0.0.5:3000"));
        assert!(!public.allows("10.0.0.5:3001"));
        assert!(!public.allows("10.0.0.5"));
        assert!(!public.allows("vantage.example.com.attacker.example"));
        assert!(!public.allows("evil-vantage.example.com"));
    }
}
