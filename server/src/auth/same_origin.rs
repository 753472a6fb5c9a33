//! Requests that change something (`POST`: a login, a logout, minting a
//! token) come from Vantage's own pages only. The session cookie is
//! `SameSite=Lax`, so another site's form does not carry it; on top of that a
//! browser says where a request comes from (`Sec-Fetch-Site`, `Origin`), and
//! one that says "another site" is refused with 403. A client that is not a
//! browser sends neither, and carries no one else's cookie.

use std::sync::Arc;

use axum::{
    body::Body,
    extract::State,
    http::{header, Method, Request},
    middleware::Next,
    response::{IntoResponse, Response},
};
use reqwest::Url;

use crate::error::{Error, ErrorKind};

/// The origins Vantage is reached at (`public_url`), besides the request's own `Host`.
#[derive(Clone, Default)]
pub struct Origins(Arc<Vec<(String, Option<u16>)>>);

impl Origins {
    pub fn new(public: &[Url]) -> Self {
        Self(Arc::new(public.iter().filter_map(authority).collect()))
    }
}

/// An origin's host and port, for comparing (`Origin` has a scheme, `Host` none).
fn authority(url: &Url) -> Option<(String, Option<u16>)> {
    Some((
        url.host_str()?.to_ascii_lowercase(),
        url.port_or_known_default(),
    ))
}

/// Whether the browser says the request comes from a page of this server.
fn same_origin<B>(origins: &Origins, request: &Request<B>) -> bool {
    let headers = request.headers();
    if let Some(site) = headers.get("sec-fetch-site") {
        // "none": the user typed it or used a bookmark; "same-origin": a page of ours.
        if !matches!(site.as_bytes(), b"same-origin" | b"none") {
            return false;
        }
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Some(origin) = origin
        .to_str()
        .ok()
        .and_then(|o| Url::parse(o).ok())
        .and_then(|u| authority(&u).map(|a| (u.scheme().to_string(), a)))
    else {
        // "null" (a sandboxed frame, a redirect across sites) or garbage.
        return false;
    };
    let (scheme, origin) = origin;
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()))
        .and_then(|h| Url::parse(&format!("{scheme}://{h}")).ok())
        .and_then(|u| authority(&u));
    host.as_ref() == Some(&origin) || origins.0.contains(&origin)
}

/// Refuses a cross-site request that would change something.
pub async fn check(State(origins): State<Origins>, request: Request<Body>, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe && !same_origin(&origins, &request) {
        tracing::warn!(
            path = request.uri().path(),
            origin = ?request.headers().get(header::ORIGIN),
            "refused a request from another site"
        );
        return Error::new(
            ErrorKind::Forbidden,
            "this request must come from Vantage's own pages",
        )
        .into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(headers: &[(&str, &str)]) -> Request<()> {
        let mut request = Request::post("/api/embed-tokens");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(()).unwrap()
    }

    #[test]
    fn only_our_own_pages_may_post() {
        let origins = Origins::new(&[Url::parse("https://vantage.example.com").unwrap()]);
        let ok = |h: &[(&str, &str)]| same_origin(&origins, &post(h));
        assert!(ok(&[]), "not a browser");
        assert!(ok(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000")
        ]));
        assert!(ok(&[
            ("host", "127.0.0.1:3000"),
            ("sec-fetch-site", "same-origin")
        ]));
        // Behind a proxy that ends https: the public URL's origin.
        assert!(ok(&[
            ("host", "10.0.0.5:3000"),
            ("origin", "https://vantage.example.com")
        ]));
        assert!(ok(&[
            ("host", "vantage.example.com"),
            ("origin", "https://vantage.example.com:443")
        ]));

        assert!(!ok(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://evil.example")
        ]));
        assert!(!ok(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3001")
        ]));
        assert!(!ok(&[("host", "127.0.0.1:3000"), ("origin", "null")]));
        assert!(!ok(&[
            ("host", "127.0.0.1:3000"),
            ("sec-fetch-site", "cross-site")
        ]));
        assert!(!ok(&[
            ("host", "127.0.0.1:3000"),
            ("sec-fetch-site", "same-site")
        ]));
        assert!(!ok(&[
            ("host", "127.0.0.1:3000"),
            ("sec-fetch-site", "same-origin"),
            ("origin", "http://evil.example")
        ]));
    }
}
