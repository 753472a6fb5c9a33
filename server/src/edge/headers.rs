//! The headers every response carries out. A page may run only its own
//! scripts: those the server wrote this time carry a fresh nonce (the
//! hydration data, the theme and the boot scripts; Leptos adds it to its own),
//! files come from Vantage's origin, and the wasm may compile. Nothing may be
//! embedded as a plugin or rebase the page's links. Embeds keep their
//! referrer to themselves (their token is in the URL) and are never cached.

use axum::{
    body::Body,
    http::{header, HeaderMap, HeaderValue, Request},
    middleware::Next,
    response::Response,
};
use leptos::nonce::Nonce;

/// Makes the page's nonce, hands it to the renderer (see [`provide_nonce`])
/// and writes the policy that names it.
pub async fn security(mut request: Request<Body>, next: Next) -> Response {
    let nonce = Nonce::new();
    request.extensions_mut().insert(nonce.clone());
    let embed = request.uri().path().starts_with("/embed/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let policy = policy_for(headers, &nonce);
    if let Ok(value) = HeaderValue::from_str(&policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static(if embed { "no-referrer" } else { "same-origin" }),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if embed && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The policy for a response: a page's scripts by nonce; a route's own
/// policy (an embed's `frame-ancestors`, an image's `default-src 'none'`)
/// kept; nothing may frame what did not say it may be framed.
fn policy_for(headers: &HeaderMap, nonce: &Nonce) -> String {
    let own = headers
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    let mut parts = Vec::new();
    if html {
        parts.push(format!(
            "script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'"
        ));
        parts.push("object-src 'none'".to_string());
        parts.push("base-uri 'none'".to_string());
    }
    match own {
        Some(own) => {
            let framed = own.contains("frame-ancestors");
            parts.push(own);
            if !framed {
                parts.push("frame-ancestors 'none'".to_string());
            }
        }
        None => parts.push("frame-ancestors 'none'".to_string()),
    }
    parts.join("; ")
}

/// For the renderer's context: the nonce [`security`] made for this request,
/// in place of the one Leptos makes (which no header would name).
pub fn provide_nonce() {
    use leptos::prelude::{provide_context, use_context};
    let nonce = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Nonce>().cloned());
    if let Some(nonce) = nonce {
        provide_context(nonce);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(content_type: &str, csp: Option<&'static str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(content_type).unwrap(),
        );
        if let Some(csp) = csp {
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(csp),
            );
        }
        h
    }

    #[test]
    fn pages_run_their_nonce_and_keep_a_routes_own_frame_rule() {
        let nonce = Nonce::from_value("abc");
        let page = policy_for(&headers("text/html; charset=utf-8", None), &nonce);
        assert_eq!(
            page,
            "script-src 'self' 'nonce-abc' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
        );
        let embed = policy_for(
            &headers("text/html", Some("frame-ancestors https://portal.example")),
            &nonce,
        );
        assert!(
            embed.ends_with("; frame-ancestors https://portal.example"),
            "{embed}"
        );
        assert!(!embed.contains("'none'; frame-ancestors 'none'"), "{embed}");
        let json = policy_for(&headers("application/json", None), &nonce);
        assert_eq!(json, "frame-ancestors 'none'");
        let svg = policy_for(
            &headers(
                "image/svg+xml",
                Some("default-src 'none'; style-src 'unsafe-inline'"),
            ),
            &nonce,
        );
        assert_eq!(
            svg,
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
        );
    }
}
