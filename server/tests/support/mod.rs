//! What the integration tests share: a stack with fleet history, the app state
//! pointed at it, and small readers for the API and the stream.
// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::time::Duration;

use axum::{body::Body, http::Request};
use fleet::{FleetOptions, History};
use futures::StreamExt;
use http_body_util::BodyExt;
use stack::{Stack, StackOptions};
use tower::ServiceExt;
use vantage::{config::Config, prometheus::PrometheusClient, router, AppState};

/// The fleet's service names (the fleet's own tests pin the list).
pub fn fleet_service_names() -> Vec<&'static str> {
    fleet::catalog::SERVICES.iter().map(|s| s.name).collect()
}

/// A stack whose fleet brings 20 minutes of history, so rates exist at once.
pub async fn stack() -> Stack {
    stack_with(false).await
}

/// The same, with PostgreSQL and Redis (and their exporters) when `databases`.
pub async fn stack_with(databases: bool) -> Stack {
    let stack = Stack::start(StackOptions {
        alertmanager: false,
        databases,
        fleet: Some(FleetOptions {
            history: Some(History {
                seconds: 1200,
                step_seconds: 15,
            }),
            ..FleetOptions::default()
        }),
        ..StackOptions::default()
    })
    .await
    .expect("the stack starts");
    stack
        .wait_for_data(
            "sum by (service) (rate(http_requests_total[1m]))",
            Duration::from_secs(30),
        )
        .await
        .expect("fleet data in Prometheus");
    stack
}

pub fn client(url: &str) -> PrometheusClient {
    PrometheusClient::new(url.parse().unwrap(), Duration::from_secs(5)).unwrap()
}

pub fn state_for(prometheus_url: &str) -> AppState {
    let config = Config {
        prometheus_url: prometheus_url.parse().unwrap(),
        refresh_seconds: 1,
        ..Config::default()
    };
    AppState::new(config).unwrap()
}

pub async fn get(state: &AppState, uri: &str) -> (u16, String) {
    let response = router(state.clone())
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// How many panels a dashboard has, as the API lists them.
pub async fn panel_count(state: &AppState, dashboard: &str) -> usize {
    let (_, view) = get(state, &format!("/api/dashboards/{dashboard}")).await;
    let view: serde_json::Value = serde_json::from_str(&view).unwrap();
    view["panels"].as_array().unwrap().len()
}

/// Serves the router on a free loopback port (for clients that need a socket:
/// streams); abort the handle to stop.
pub async fn serve(state: AppState) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router(state)).await;
    });
    (addr, server)
}

/// Reads SSE text from `body` until it holds `n` panel events.
pub async fn read_panels(
    body: &mut (impl futures::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin),
    n: usize,
    within: Duration,
) -> String {
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + within;
    while text.matches("event: panel").count() < n {
        let chunk = tokio::time::timeout_at(deadline, body.next())
            .await
            .unwrap_or_else(|_| panic!("{n} panel event(s) within {within:?}; got {text}"))
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    text
}

/// How many numbers a panel holds: points of its series and cells of its rows.
pub fn values_of(panel: &serde_json::Value) -> usize {
    let points = panel["series"]
        .as_array()
        .map(|s| {
            s.iter()
                .flat_map(|s| s["points"].as_array().cloned().unwrap_or_default())
                .filter(|p| p[1].is_number())
                .count()
        })
        .unwrap_or(0);
    let cells = panel["rows"]
        .as_array()
        .map(|r| {
            r.iter()
                .flat_map(|r| r["values"].as_array().cloned().unwrap_or_default())
                .filter(|v| v.is_number())
                .count()
        })
        .unwrap_or(0);
    points + cells
}
