//! Requests per client: the API (and the images and data of embeds) at a
//! steady rate with room for a page's burst, and minting embed tokens far
//! slower. Past it, 429 with `Retry-After` (the limiter knows when the next
//! request would pass). Keyed by the client's address: the socket's, or
//! behind a trusted proxy the client it forwarded (`edge::peer_of`).

use std::{
    net::IpAddr,
    num::NonZeroU32,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
};

use axum::{
    body::Body,
    extract::State,
    http::{HeaderValue, Method, Request},
    middleware::Next,
    response::{IntoResponse, Response},
};
use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota};

use crate::error::Error;

/// Keys kept before forgetting the ones whose quota is whole again.
const KEYS_BEFORE_SWEEP: usize = 10_000;

pub struct RateLimits {
    api: DefaultKeyedRateLimiter<IpAddr>,
    mint: DefaultKeyedRateLimiter<IpAddr>,
    login: DefaultKeyedRateLimiter<IpAddr>,
    refused_api: AtomicU64,
    refused_mint: AtomicU64,
    refused_login: AtomicU64,
}

impl RateLimits {
    /// `api_per_second` with bursts of four seconds' worth; `mint_per_minute`
    /// with bursts of a quarter of it (at least one); `login_per_minute`
    /// attempts to log in with a password, all of them at once if need be.
    pub fn new(api_per_second: u32, mint_per_minute: u32, login_per_minute: u32) -> Arc<Self> {
        let nz = |n: u32| NonZeroU32::new(n.max(1)).expect("at least one");
        Arc::new(Self {
            api: DefaultKeyedRateLimiter::keyed(
                Quota::per_second(nz(api_per_second)).allow_burst(nz(api_per_second * 4)),
            ),
            mint: DefaultKeyedRateLimiter::keyed(
                Quota::per_minute(nz(mint_per_minute)).allow_burst(nz(mint_per_minute / 4)),
            ),
            login: DefaultKeyedRateLimiter::keyed(
                Quota::per_minute(nz(login_per_minute)).allow_burst(nz(login_per_minute)),
            ),
            refused_api: AtomicU64::new(0),
            refused_mint: AtomicU64::new(0),
            refused_login: AtomicU64::new(0),
        })
    }

    /// (API and embed data, minting, password logins) requests refused since start.
    pub fn refused(&self) -> (u64, u64, u64) {
        (
            self.refused_api.load(Ordering::Relaxed),
            self.refused_mint.load(Ordering::Relaxed),
            self.refused_login.load(Ordering::Relaxed),
        )
    }

    /// One attempt to log in from `client`, or how long until it may try
    /// again. Every attempt counts, so guessing is slow from any address.
    pub fn login_attempt(&self, client: Option<IpAddr>) -> Result<(), std::time::Duration> {
        let Some(client) = client else {
            return Ok(());
        };
        self.login.check_key(&client).map_err(|not_until| {
            self.refused_login.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%client, "refused a login: too many attempts from this address");
            not_until.wait_time_from(governor::clock::DefaultClock::default().now())
        })?;
        if self.login.len() > KEYS_BEFORE_SWEEP {
            self.login.retain_recent();
        }
        Ok(())
    }
}

/// Which limiter a request answers to, if any: streams have their own
/// limit, pages and static files none (they cost no query).
fn limiter_for<'a>(
    limits: &'a RateLimits,
    request: &Request<Body>,
) -> Option<(&'a DefaultKeyedRateLimiter<IpAddr>, &'a AtomicU64)> {
    let path = request.uri().path();
    if path == "/api/embed-tokens" && request.method() == Method::POST {
        return Some((&limits.mint, &limits.refused_mint));
    }
    let embed_data = path.starts_with("/embed/")
        && (path.ends_with(".svg")
            || path.ends_with(".png")
            || path.ends_with("/data")
            || path.ends_with("/data.csv"));
    let api = path.starts_with("/api/") && path != "/api/stream";
    (api || embed_data).then_some((&limits.api, &limits.refused_api))
}

pub async fn limit(
    State(limits): State<Arc<RateLimits>>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let (Some(client), Some((limiter, refused))) =
        (super::peer_of(&request), limiter_for(&limits, &request))
    else {
        return next.run(request).await;
    };
    if let Err(not_until) = limiter.check_key(&client) {
        refused.fetch_add(1, Ordering::Relaxed);
        let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
        tracing::warn!(%client, path = request.uri().path(), "refused a request: the client is past its rate");
        let mut response =
            Error::too_many("too many requests from this address; slow down").into_response();
        response.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            HeaderValue::from(wait.as_secs().max(1)),
        );
        return response;
    }
    if limiter.len() > KEYS_BEFORE_SWEEP {
        limiter.retain_recent();
    }
    next.run(request).await
}
