//! The built-in dashboards on a Prometheus that is not the demo's: Debian's
//! Prometheus scraping itself, the node, process, PostgreSQL and Redis
//! exporters under job names of their own, and a web app instrumented by the
//! real OpenTelemetry SDK (stack/otel-app) — no demo fleet, no `service` label.

mod support;

use std::{collections::HashSet, time::Duration};

use serde_json::Value;
use stack::{JobNames, Stack, StackOptions};
use support::{get, state_for, values_of};

async fn metric_names(prometheus_url: &str) -> HashSet<String> {
    let v: Value = reqwest::get(format!("{prometheus_url}/api/v1/label/__name__/values"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn every_built_in_panel_shows_data_or_names_the_metric_it_lacks() {
    let stack = Stack::start(StackOptions {
        fleet: None,
        alertmanager: false,
        databases: true,
        otel_app: true,
        jobs: JobNames::others(),
        ..StackOptions::default()
    })
    .await
    .expect("the stack starts (scripts/setup --tests makes the OpenTelemetry app's venv)");
    stack
        .wait_for_data(
            "rate(http_server_request_duration_seconds_count[1m]) > 0",
            Duration::from_secs(60),
        )
        .await
        .expect("the OpenTelemetry app's requests in Prometheus");
    let state = state_for(&stack.prometheus_url);

    // The label that names a service is found: the HTTP metrics carry neither
    // `service` nor `service_name`, so it is Prometheus' own `job`.
    let (status, body) = get(&state, "/api/services").await;
    assert_eq!(status, 200, "{body}");
    let services: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(services["service_label"], "job", "{body}");
    let listed: Vec<&str> = services["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    for job in [
        "shop",
        "node-exporter",
        "pg",
        "cache",
        "processes",
        "prometheus",
    ] {
        assert!(listed.contains(&job), "{job} in {listed:?}");
    }
    let http = services["http_conventions"].as_array().unwrap();
    assert_eq!(http.len(), 1, "{body}");
    assert_eq!(http[0]["convention"], "open_telemetry");
    assert_eq!(http[0]["services"], serde_json::json!(["shop"]));
    assert_eq!(http[0]["labels"]["route"], "http_route");
    assert_eq!(http[0]["labels"]["status"], "http_response_status_code");

    let (_, list) = get(&state, "/api/dashboards").await;
    let list: Value = serde_json::from_str(&list).unwrap();
    let ids: Vec<String> = list["dashboards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect();

    // Rates need a few scrapes: poll until every panel has data or says why not.
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    let (with_data, lacking) = loop {
        let known = metric_names(&stack.prometheus_url).await;
        let mut with_data: Vec<String> = Vec::new();
        let mut lacking: Vec<(String, Vec<String>)> = Vec::new();
        let mut unexplained: Vec<String> = Vec::new();
        for id in &ids {
            let (_, view) = get(&state, &format!("/api/dashboards/{id}")).await;
            let view: Value = serde_json::from_str(&view).unwrap();
            for panel in view["panels"].as_array().unwrap() {
                let p = panel["id"].as_str().unwrap();
                let at = format!("{id}/{p}");
                let (status, body) = get(
                    &state,
                    &format!("/api/dashboards/{id}/panels/{p}?range=15m"),
                )
                .await;
                assert_eq!(status, 200, "{at}: {body}");
                let data: Value = serde_json::from_str(&body).unwrap();
                assert_eq!(data["status"]["kind"], "live", "{at}: {body}");
                if values_of(&data) > 0 {
                    assert!(
                        data.get("missing").is_none(),
                        "{at}: data and missing: {body}"
                    );
                    with_data.push(at);
                    continue;
                }
                let missing: Vec<String> = data["missing"]
                    .as_array()
                    .map(|m| {
                        m.iter()
                            .map(|m| m["metric"].as_str().unwrap().to_string())
                            .collect()
                    })
                    .unwrap_or_default();
                // What it says it lacks is truly absent, and says who provides it.
                for m in data["missing"].as_array().into_iter().flatten() {
                    for name in m["metric"].as_str().unwrap().split(" or ") {
                        assert!(!known.contains(name), "{at} says {name} is missing");
                    }
                    assert!(!m["source"].as_str().unwrap().is_empty(), "{at}");
                }
                if missing.is_empty() {
                    unexplained.push(at);
                } else {
                    lacking.push((at, missing));
                }
            }
        }
        if unexplained.is_empty() {
            break (with_data, lacking);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "empty panels that do not say why: {unexplained:#?}"
        );
        tokio::time::sleep(Duration::from_secs(3)).await;
    };

    // The first page a new user opens, and every HTTP panel, from OpenTelemetry's
    // names; the system and infrastructure panels under other job names.
    for panel in [
        "overview/service_status",
        "overview/requests_now",
        "overview/errors_now",
        "overview/latency_now",
        "overview/request_rate",
        "overview/error_rate",
        "overview/latency",
        "api/summary",
        "api/rate_by_endpoint",
        "api/status_codes",
        "api/latency",
        "api/p95_by_endpoint",
        "system/cpu_now",
        "system/memory",
        "infrastructure/targets",
        "infrastructure/service_cpu",
        "infrastructure/pg_connections",
        "infrastructure/redis_keys",
        "infrastructure/process_cpu",
    ] {
        assert!(
            with_data.iter().any(|p| p == panel),
            "{panel} has no data; lacking: {lacking:#?}"
        );
    }
    // Only the demo fleet's own metrics are lacking here.
    let lacking_names: Vec<&str> = lacking.iter().map(|(p, _)| p.as_str()).collect();
    assert!(
        lacking_names.contains(&"overview/db_connections"),
        "{lacking:#?}"
    );
    for (panel, missing) in &lacking {
        for m in missing {
            assert!(
                ["db_pool_", "cache_", "queue_", "service_dependency_"]
                    .iter()
                    .any(|p| m.starts_with(p)),
                "{panel} lacks {m}, which this stack should have"
            );
        }
    }
    println!(
        "{} panels with data, {} naming what they lack",
        with_data.len(),
        lacking.len()
    );

    // The status grid: every scraped job, by its name.
    let (_, body) = get(&state, "/api/dashboards/overview/panels/service_status").await;
    let names = support::series_names(&body);
    for job in ["shop", "node-exporter", "pg", "cache", "prometheus"] {
        assert!(names.iter().any(|n| n == job), "{job} in {names:?}");
    }
    // By endpoint where the route label exists; the service filter narrows.
    let (_, body) = get(
        &state,
        "/api/dashboards/api/panels/rate_by_endpoint?service=shop&range=15m",
    )
    .await;
    let names = support::series_names(&body);
    assert!(names.contains(&"shop /checkout".to_string()), "{names:?}");
    assert!(names.contains(&"shop /products".to_string()), "{names:?}");
    let (_, body) = get(
        &state,
        "/api/dashboards/api/panels/rate_by_endpoint?endpoint=/checkout&range=15m",
    )
    .await;
    assert_eq!(support::series_names(&body), ["shop /checkout"], "{body}");
    let (_, body) = get(&state, "/api/dashboards/api/variables/endpoint/values").await;
    assert!(
        body.contains("/checkout") && body.contains("/products"),
        "{body}"
    );
    // The app fails about a third of its checkouts: the status classes show it.
    let (_, body) = get(&state, "/api/dashboards/api/panels/status_codes?range=15m").await;
    let names = support::series_names(&body);
    assert!(
        names.contains(&"5xx".to_string()) && names.contains(&"2xx".to_string()),
        "{names:?}"
    );

    // The page says it too, in words a viewer reads.
    let (_, html) = get(&state, "/d/overview?range=15m").await;
    assert!(
        html.contains("db_pool_connections"),
        "the empty panel names its metric"
    );
}
