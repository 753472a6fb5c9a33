//! Alerts from health checks, end to end: rules with durations and cooldowns
//! against the demo fleet, delivered to a real Alertmanager (Debian's) and a
//! webhook, listed with Prometheus' own alerts on `/api/alerts`, and marked
//! on the charts of the services they are about.

mod support;

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use fleet::{FleetOptions, ServiceMode};
use stack::{Stack, StackOptions};
use support::{get, serve};
use vantage::{config::Config, AppState};

/// A webhook receiver that refuses its first call (so the sender must retry)
/// and keeps every body it accepts; also counts every call.
async fn webhook() -> (String, Arc<Mutex<Vec<serde_json::Value>>>, Arc<Mutex<u32>>) {
    use axum::{extract::State, http::StatusCode, routing::post, Json, Router};
    type Kept = (Arc<Mutex<Vec<serde_json::Value>>>, Arc<Mutex<u32>>);
    let got: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let calls: Arc<Mutex<u32>> = Arc::default();
    let app = Router::new()
        .route(
            "/hook",
            post(
                |State((got, calls)): State<Kept>, Json(body): Json<serde_json::Value>| async move {
                    let n = {
                        let mut calls = calls.lock().unwrap();
                        *calls += 1;
                        *calls
                    };
                    if n == 1 {
                        return StatusCode::SERVICE_UNAVAILABLE;
                    }
                    got.lock().unwrap().push(body);
                    StatusCode::OK
                },
            ),
        )
        .with_state((Arc::clone(&got), Arc::clone(&calls)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), got, calls)
}

async fn alerts(state: &AppState, query: &str) -> serde_json::Value {
    let (status, body) = get(state, &format!("/api/alerts?{query}")).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

fn find<'a>(list: &'a serde_json::Value, name: &str, service: &str) -> Vec<&'a serde_json::Value> {
    list["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["name"] == name && a["service"] == service)
        .collect()
}

async fn eventually<T>(
    within: Duration,
    what: &str,
    mut probe: impl AsyncFnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(Instant::now() < deadline, "{what} within {within:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Waits for a first round of checks with every one up.
async fn every_check_up(state: &AppState) {
    eventually(Duration::from_secs(15), "every check up", async || {
        let (_, body) = get(state, "/api/checks").await;
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["latest"]["status"] == "up")
            .then_some(())
    })
    .await;
}

/// Alerts Alertmanager holds now (active ones: resolved ones are left out).
async fn in_alertmanager(url: &str) -> Vec<serde_json::Value> {
    reqwest::get(format!("{url}/api/v2/alerts"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn alerts_fire_after_their_durations_reach_alertmanager_resolve_and_cool_down() {
    let stack = Stack::start(StackOptions {
        alertmanager: true,
        node_exporter: false,
        process_exporter: false,
        fleet: Some(FleetOptions::default()),
        ..StackOptions::default()
    })
    .await
    .expect("the stack starts");
    let fleet = stack.fleet().unwrap();
    let services = fleet.services().await;
    let am = stack.alertmanager_url.clone().unwrap();
    let (hook, received, calls) = webhook().await;
    // Another sender's alert, held by Alertmanager: listed too.
    let other = serde_json::json!([{
        "labels": { "alertname": "DiskFull", "severity": "warning", "service": "billing" },
        "annotations": { "summary": "billing's disk is 95 % full" }
    }]);
    let posted = reqwest::Client::new()
        .post(format!("{am}/api/v2/alerts"))
        .json(&other)
        .send()
        .await
        .unwrap();
    assert!(posted.status().is_success());

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("checks.toml");
    let rules = "\n[[alerts]]\nname = \"ServiceDown\"\nwhen = \"down\"\nfor_seconds = 3\nseverity = \"critical\"\ncooldown_seconds = 60\n\n[[alerts]]\nname = \"ServiceDegraded\"\nwhen = \"degraded\"\nfor_seconds = 2\nseverity = \"warning\"\n";
    std::fs::write(&file, stack::fleet_checks_toml(&services, 1.0) + rules).unwrap();
    let state = AppState::new(Config {
        prometheus_url: stack.prometheus_url.parse().unwrap(),
        checks_file: Some(file),
        alertmanager_url: Some(am.parse().unwrap()),
        alert_webhook_url: Some(hook.parse().unwrap()),
        ..Config::default()
    })
    .unwrap();

    // Every service up first: no alert.
    every_check_up(&state).await;

    // Failing: DOWN at once, but the alert waits for its 3 s.
    let failed_at = Instant::now();
    fleet
        .set_mode("auth-service", ServiceMode::Fail)
        .await
        .unwrap();
    let fired = eventually(Duration::from_secs(15), "ServiceDown firing", async || {
        let list = alerts(&state, "").await;
        find(&list, "ServiceDown", "auth-service")
            .first()
            .filter(|a| a["state"] == "firing")
            .map(|a| (*a).clone())
    })
    .await;
    assert!(
        failed_at.elapsed() >= Duration::from_secs(3),
        "fired after {:?}, before its 3 s",
        failed_at.elapsed()
    );
    assert_eq!(fired["severity"], "critical");
    assert_eq!(fired["source"], "vantage");
    assert!(fired["summary"]
        .as_str()
        .unwrap()
        .contains("answered HTTP 503"));

    // Alertmanager has it, with the labels its routes match on.
    eventually(
        Duration::from_secs(15),
        "ServiceDown in Alertmanager",
        async || {
            in_alertmanager(&am).await.into_iter().find(|a| {
                a["labels"]["alertname"] == "ServiceDown"
                    && a["labels"]["service"] == "auth-service"
                    && a["labels"]["severity"] == "critical"
            })
        },
    )
    .await;

    // Prometheus' own rule on the same failure shows in the same list.
    eventually(
        Duration::from_secs(30),
        "Prometheus' ServiceFailing",
        async || {
            let list = alerts(&state, "severity=critical").await;
            list["alerts"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| {
                    a["source"] == "prometheus"
                        && a["name"] == "ServiceFailing"
                        && a["service"] == "auth-service"
                })
                .cloned()
        },
    )
    .await;

    // Alertmanager's own list adds what other senders raised, and what
    // reached it from Prometheus (or from Vantage) is listed once.
    eventually(
        Duration::from_secs(20),
        "ServiceFailing in Alertmanager too",
        async || {
            in_alertmanager(&am).await.into_iter().find(|a| {
                a["labels"]["alertname"] == "ServiceFailing"
                    && a["labels"]["service"] == "auth-service"
            })
        },
    )
    .await;
    let list = eventually(
        Duration::from_secs(15),
        "DiskFull from Alertmanager",
        async || {
            let list = alerts(&state, "").await;
            list["alerts"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["source"] == "alertmanager" && a["name"] == "DiskFull")
                .then_some(list)
        },
    )
    .await;
    let labels: Vec<&serde_json::Value> = list["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["labels"])
        .collect();
    for (i, l) in labels.iter().enumerate() {
        assert!(!labels[i + 1..].contains(l), "listed twice: {l}");
    }
    assert_eq!(find(&list, "ServiceDown", "auth-service").len(), 1);
    assert_eq!(find(&list, "ServiceFailing", "auth-service").len(), 1);

    // Recovery resolves it, everywhere.
    fleet
        .set_mode("auth-service", ServiceMode::Normal)
        .await
        .unwrap();
    eventually(
        Duration::from_secs(15),
        "ServiceDown resolved",
        async || {
            let list = alerts(&state, "").await;
            find(&list, "ServiceDown", "auth-service")
                .first()
                .filter(|a| a["state"] == "resolved" && a["ended_ms"].is_i64())
                .map(|_| ())
        },
    )
    .await;
    eventually(
        Duration::from_secs(15),
        "resolved in Alertmanager",
        async || {
            let active = in_alertmanager(&am).await;
            (!active.iter().any(|a| {
                a["labels"]["alertname"] == "ServiceDown"
                    && a["labels"]["service"] == "auth-service"
            }))
            .then_some(())
        },
    )
    .await;

    // Failing again within the cooldown: DOWN, but no second alert.
    fleet
        .set_mode("auth-service", ServiceMode::Fail)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(6)).await;
    let list = alerts(&state, "range=1h").await;
    assert_eq!(
        find(&list, "ServiceDown", "auth-service").len(),
        1,
        "the cooldown holds the repeat back: {list:#}"
    );
    fleet
        .set_mode("auth-service", ServiceMode::Normal)
        .await
        .unwrap();

    // Slow is DEGRADED, and its own (warning) rule fires.
    fleet
        .set_mode("user-service", ServiceMode::Slow)
        .await
        .unwrap();
    eventually(
        Duration::from_secs(20),
        "ServiceDegraded firing",
        async || {
            let list = alerts(&state, "severity=warning&service=user-service").await;
            find(&list, "ServiceDegraded", "user-service")
                .first()
                .filter(|a| a["state"] == "firing")
                .map(|_| ())
        },
    )
    .await;

    // The webhook heard each change once (fired, resolved, fired), the first
    // after a retry.
    assert!(*calls.lock().unwrap() >= 4, "a refused delivery is retried");
    let heard: Vec<(String, String)> = received
        .lock()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["status"].as_str().unwrap().to_string(),
                b["alert"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        heard,
        [
            ("firing".to_string(), "ServiceDown".to_string()),
            ("resolved".to_string(), "ServiceDown".to_string()),
            ("firing".to_string(), "ServiceDegraded".to_string()),
        ]
    );

    // Bad filters are clear errors.
    let (status, body) = get(&state, "/api/alerts?severity=loud").await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = get(&state, "/api/alerts?colour=red").await;
    assert_eq!(status, 400, "{body}");
    state.shutdown.cancel();
}

/// A service's health changes and its alert are marks on its dashboards'
/// charts: in the API, in the page's first HTML and on the stream; another
/// service's view has none of them, and an embed's stream none at all.
#[tokio::test]
async fn annotations_mark_the_filtered_services_alerts_and_health_changes() {
    let stack = Stack::start(StackOptions {
        node_exporter: false,
        process_exporter: false,
        fleet: Some(FleetOptions::default()),
        ..StackOptions::default()
    })
    .await
    .expect("the stack starts");
    let fleet = stack.fleet().unwrap();
    let services = fleet.services().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("checks.toml");
    let rules = "\n[[alerts]]\nname = \"ServiceDown\"\nwhen = \"down\"\nfor_seconds = 2\nseverity = \"critical\"\n";
    std::fs::write(&file, stack::fleet_checks_toml(&services, 1.0) + rules).unwrap();
    let state = AppState::new(Config {
        prometheus_url: stack.prometheus_url.parse().unwrap(),
        checks_file: Some(file),
        refresh_seconds: 1,
        ..Config::default()
    })
    .unwrap();
    let marks = async |query: &str| -> Vec<serde_json::Value> {
        let (status, body) = get(
            &state,
            &format!("/api/dashboards/overview/annotations?{query}"),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    };
    let titled = |list: &[serde_json::Value], text: &str| {
        list.iter()
            .filter(|m| m["title"].as_str().is_some_and(|t| t.contains(text)))
            .count()
    };
    every_check_up(&state).await;

    fleet
        .set_mode("auth-service", ServiceMode::Fail)
        .await
        .unwrap();
    let seen = eventually(
        Duration::from_secs(20),
        "the fall and the alert marked",
        async || {
            let list = marks("range=15m&service=auth-service").await;
            (titled(&list, "auth-service: up → down") > 0
                && titled(&list, "ServiceDown (auth-service)") > 0)
                .then_some(list)
        },
    )
    .await;
    // The overview's "Active alerts" and the navigation's badge are one count.
    let (_, attention) = get(&state, "/api/attention").await;
    let attention: serde_json::Value = serde_json::from_str(&attention).unwrap();
    let (_, panel) = get(&state, "/api/dashboards/overview/panels/active_alerts").await;
    let panel: serde_json::Value = serde_json::from_str(&panel).unwrap();
    let shown = panel["series"][0]["points"][0][1].as_f64().unwrap();
    assert!(
        attention["alerts_firing"].as_u64().unwrap() >= 1,
        "{attention}"
    );
    assert_eq!(
        shown,
        attention["alerts_firing"].as_f64().unwrap(),
        "{panel}"
    );
    let (_, narrowed) = get(
        &state,
        "/api/dashboards/overview/panels/active_alerts?service=frontend",
    )
    .await;
    assert!(narrowed.contains(r#""name":"firing""#), "{narrowed}");
    let alert = seen.iter().find(|m| m["kind"] == "alert").unwrap();
    assert_eq!(alert["level"], "critical");
    assert!(alert.get("end_ms").is_none(), "still firing: {alert}");
    let change = seen.iter().find(|m| m["kind"] == "health").unwrap();
    assert_eq!(change["level"], "critical");
    assert_eq!(change["service"], "auth-service");

    // Another service's view has none of them; the unfiltered view has both.
    let other = marks("range=15m&service=frontend").await;
    assert_eq!(titled(&other, "auth-service"), 0, "{other:?}");
    let all = marks("range=15m").await;
    assert!(titled(&all, "auth-service") >= 2, "{all:?}");
    // A dashboard about hosts (no service variable) marks none of them.
    let (status, body) = get(&state, "/api/dashboards/system/annotations?range=15m").await;
    assert_eq!((status, body.as_str()), (200, "[]"));
    // Like every API of a dashboard, keys that are not its variables are refused.
    let (status, body) = get(&state, "/api/dashboards/overview/annotations?nope=1").await;
    assert_eq!(status, 400, "{body}");

    // The first HTML draws them; the mark's detail is text.
    let (status, html) = get(&state, "/?range=15m&service=auth-service").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("data-testid=\"annotation\""),
        "no marks in the page"
    );
    assert!(html.contains("auth-service: up → down"));

    // The stream sends them; an embed's stream never does.
    let (addr, _server) = serve(state.clone()).await;
    let client = reqwest::Client::new();
    let mut body = client
        .get(format!(
            "http://{addr}/api/stream?dashboard=overview&range=15m&service=auth-service"
        ))
        .send()
        .await
        .unwrap()
        .bytes_stream();
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !text.contains("event: annotations") {
        let chunk = tokio::time::timeout_at(deadline, futures::StreamExt::next(&mut body))
            .await
            .unwrap_or_else(|_| panic!("an annotations event; got {text}"))
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.contains("ServiceDown (auth-service)"));

    // Recovery ends the alert's span and marks the change back.
    fleet
        .set_mode("auth-service", ServiceMode::Normal)
        .await
        .unwrap();
    eventually(Duration::from_secs(20), "the recovery marked", async || {
        let list = marks("range=15m&service=auth-service").await;
        let ended = list
            .iter()
            .any(|m| m["kind"] == "alert" && m["end_ms"].is_i64());
        (ended && titled(&list, "auth-service: down → up") > 0).then_some(())
    })
    .await;
}
