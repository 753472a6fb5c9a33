//! The listener's own limits, which no route can set: how many connections are
//! open at once, and how long a client has to send a request's headers, which
//! is also how long an idle kept-alive connection lives (hyper starts that
//! clock when a connection waits for its next request). So a client that
//! opens sockets and sends nothing, half a request, or a byte a second, holds
//! them for seconds, not for ever; and once `max_connections` are open, new
//! ones wait in the kernel's queue until one closes.
//!
//! This is `axum::serve` with those two settings (it has neither), and the
//! peer's address for the routes ([`super::peer_of`]).

use std::{convert::Infallible, future::Future, net::SocketAddr, sync::Arc, time::Duration};

use axum::{body::Body, extract::ConnectInfo, http::Request, Router};
use hyper::body::Incoming;
use hyper::server::conn::http1;

/// The most a request's head may hold.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
};
use tokio::{net::TcpListener, sync::Semaphore};
use tower::ServiceExt;

/// What one listener allows.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
}

impl Limits {
    /// What the settings allow.
    pub fn of(config: &crate::config::Config) -> Self {
        Self {
            max_connections: config.max_connections,
            header_read_timeout: Duration::from_secs(config.header_read_timeout_seconds),
        }
    }
}

/// How long open requests may finish once shutdown is asked for (streams
/// end at once: they watch the same signal).
const DRAIN: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `shutdown` completes, then lets open
/// requests finish (up to [`DRAIN`]).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    // HTTP/1.1 only: browsers speak HTTP/2 only over TLS, which a reverse
    // proxy in front ends; and hyper's HTTP/2 sniffing would wait for a
    // silent client's first bytes with no clock running.
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        // A request's head (its line and headers) in at most this much;
        // past it, 431. A browser's heads are a few KiB, cookies included.
        .max_header_size(MAX_HEAD_BYTES);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut warned_full = false;
    loop {
        if permits.available_permits() == 0 && !warned_full {
            tracing::warn!(
                max_connections = limits.max_connections,
                "every connection this server allows is open; new ones wait"
            );
            warned_full = true;
        }
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, mostly: wait rather than spin.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        warned_full = false;
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(peer));
            let app = app.clone();
            async move {
                Ok::<_, Infallible>(
                    app.oneshot(request.map(Body::new))
                        .await
                        .unwrap_or_else(|e| match e {}),
                )
            }
        });
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // A client that went away or sent nonsense: its own business.
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some requests were still open after {DRAIN:?}; closing them");
    }
    Ok(())
}
