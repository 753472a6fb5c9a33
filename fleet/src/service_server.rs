//! The HTTP face of one simulated service: `/metrics` and its health paths.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde_json::json;

use crate::simulation::{Mode, Simulation};

#[derive(Clone)]
pub struct ServiceContext {
    pub sim: Arc<Mutex<Simulation>>,
    pub index: usize,
}

impl ServiceContext {
    fn mode(&self) -> Mode {
        self.sim
            .lock()
            .map(|s| s.services[self.index].mode)
            .unwrap_or_default()
    }
}

pub fn router(ctx: ServiceContext, health_paths: &[&str]) -> Router {
    let mut router = Router::new().route("/metrics", get(metrics));
    for path in health_paths {
        let handler = if path.ends_with("/detailed") {
            get(health_detailed)
        } else {
            get(health)
        };
        router = router.route(path, handler);
    }
    router.with_state(ctx)
}

async fn metrics(State(ctx): State<ServiceContext>) -> Response {
    let body = match ctx.sim.lock() {
        Ok(sim) => sim.exposition(ctx.index),
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// Slow mode answers after this long: DEGRADED under the usual 1 s / 5 s thresholds.
const SLOW_HEALTH: Duration = Duration::from_millis(2500);

async fn health(State(ctx): State<ServiceContext>) -> Response {
    let name = ctx
        .sim
        .lock()
        .map(|s| s.services[ctx.index].spec.name)
        .unwrap_or("unknown");
    match ctx.mode() {
        Mode::Fail => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unhealthy", "service": name, "error": "dependency failure" })),
        )
            .into_response(),
        Mode::Slow => {
            tokio::time::sleep(SLOW_HEALTH).await;
            Json(json!({ "status": "healthy", "service": name })).into_response()
        }
        _ => Json(json!({ "status": "healthy", "service": name })).into_response(),
    }
}

/// Components of the service: the database and how fresh its data is.
async fn health_detailed(State(ctx): State<ServiceContext>) -> Response {
    let name = ctx
        .sim
        .lock()
        .map(|s| s.services[ctx.index].spec.name)
        .unwrap_or("unknown");
    let mode = ctx.mode();
    if mode == Mode::Slow {
        tokio::time::sleep(SLOW_HEALTH).await;
    }
    let (status, db, freshness, code) = match mode {
        Mode::Fail => (
            "unhealthy",
            "unhealthy",
            "stale",
            StatusCode::SERVICE_UNAVAILABLE,
        ),
        Mode::Slow => ("degraded", "healthy", "healthy", StatusCode::OK),
        _ => ("healthy", "healthy", "healthy", StatusCode::OK),
    };
    let body = json!({
        "status": status,
        "service": name,
        "components": {
            "database": { "status": db, "latency_ms": if mode == Mode::Fail { 5000 } else { 3 } },
            "cache": { "status": "healthy" },
            "data_freshness": { "status": freshness, "age_seconds": if freshness == "stale" { 7200 } else { 42 } }
        }
    });
    (code, Json(body)).into_response()
}

/// A running listener that can be stopped ("down") and started again on the same address.
pub struct Listener {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Listener {
    pub async fn bind(addr: SocketAddr, router: Router) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Self {
            addr,
            stop: Some(stop),
            task: Some(task),
        })
    }

    pub fn is_running(&self) -> bool {
        self.stop.is_some()
    }

    /// Stops accepting connections. Open requests are abandoned, as when a
    /// process dies: a health check in flight sees its connection drop.
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}
