//! The typed Prometheus client and the services list, against a real
//! Prometheus (Debian's package) scraping the demo fleet; one stack for all.

mod support;

use std::time::Duration;

use support::*;
use vantage::prometheus::{PrometheusError, QueryData, RangeQuery};

#[tokio::test]
async fn the_typed_client_reads_the_fleet_through_every_endpoint() {
    let stack = shared_stack().await;
    let prom = client(&stack.prometheus_url);

    let instant = prom
        .query("sum by (service) (rate(http_requests_total[1m]))", None)
        .await
        .unwrap();
    let QueryData::Vector(samples) = instant.data else {
        panic!("expected a vector")
    };
    let mut services: Vec<&str> = samples
        .iter()
        .map(|s| s.metric["service"].as_str())
        .collect();
    services.sort();
    let mut expected = fleet_service_names();
    expected.sort();
    assert_eq!(services, expected);
    assert!(samples.iter().all(|s| s.value.value > 0.0));

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let range = prom
        .query_range(&RangeQuery {
            query: "sum by (service) (rate(http_requests_total{service=\"api-gateway\"}[1m]))"
                .into(),
            start: now - 900,
            end: now,
            step: 15,
        })
        .await
        .unwrap();
    let QueryData::Matrix(series) = range.data else {
        panic!("expected a matrix")
    };
    assert_eq!(series.len(), 1);
    assert!(
        series[0].values.len() > 40,
        "backfilled history gives a full 15 min: {}",
        series[0].values.len()
    );

    let labels = prom.labels(&[]).await.unwrap().data;
    for l in ["service", "endpoint", "method", "status", "le"] {
        assert!(
            labels.iter().any(|x| x == l),
            "label {l} missing from {labels:?}"
        );
    }
    let values = prom
        .label_values("service", &["http_requests_total"])
        .await
        .unwrap()
        .data;
    assert_eq!(values.len(), fleet_service_names().len());

    let series = prom
        .series(&["queue_length"], None, None)
        .await
        .unwrap()
        .data;
    assert!(series.iter().any(|s| s["service"] == "saga-orchestrator"));

    // Prometheus hands new targets to its scrapers in batches every few seconds.
    let mut fleet_up = 0;
    for _ in 0..100 {
        let targets = prom.targets().await.unwrap().data;
        fleet_up = targets
            .active_targets
            .iter()
            .filter(|t| {
                t.labels.get("job").map(String::as_str) == Some("fleet") && t.health == "up"
            })
            .count();
        if fleet_up == fleet_service_names().len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(fleet_up, fleet_service_names().len());

    prom.alerts().await.unwrap();
    let metadata = prom
        .metadata(Some("http_request_duration_seconds"))
        .await
        .unwrap()
        .data;
    assert_eq!(
        metadata["http_request_duration_seconds"][0].kind,
        "histogram"
    );

    // Prometheus' own error envelope comes back typed, with its message.
    match prom.query("sum(rate(http_requests_total[1m])", None).await {
        Err(PrometheusError::Api {
            status: 400,
            error_type,
            message,
        }) => {
            assert_eq!(error_type, "bad_data");
            assert!(message.contains("parse error"), "{message}");
        }
        other => panic!("expected bad_data, got {other:?}"),
    }
    assert!(prom.label_values("a/../../x", &[]).await.is_err());
}

#[tokio::test]
async fn unreachable_and_wrong_urls_give_clear_errors() {
    let nothing = client(&format!("http://127.0.0.1:{}", stack::free_port().unwrap()));
    let err = nothing.ping().await.unwrap_err();
    assert!(
        matches!(err, PrometheusError::Unreachable { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("not reachable"), "{err}");

    // Something that answers HTTP but is not Prometheus: a fleet service.
    let fleet = fleet::Fleet::start(fleet::FleetOptions::default())
        .await
        .unwrap();
    let service = &fleet.services().await[0];
    let wrong = client(&format!("http://{}", service.addr));
    let err = wrong.ping().await.unwrap_err();
    assert!(
        matches!(err, PrometheusError::NotPrometheus { status: 404, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("does not answer like the Prometheus HTTP API"),
        "{err}"
    );
}

#[tokio::test]
async fn the_services_list_comes_from_prometheus_label_values() {
    let stack = shared_stack().await;
    let (status, body) = get(&state_for(&stack.prometheus_url), "/api/services").await;
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let listed: Vec<&str> = v["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let mut expected = fleet_service_names();
    expected.sort();
    assert_eq!(listed, expected);

    let dead = state_for(&format!("http://127.0.0.1:{}", stack::free_port().unwrap()));
    let (status, body) = get(&dead, "/api/services").await;
    assert_eq!(status, 502);
    assert!(
        body.contains("not reachable") && !body.contains("127.0.0.1"),
        "clear, no internals: {body}"
    );
}

#[tokio::test]
async fn overlapping_identical_loads_share_one_query() {
    let stack = shared_stack_alone().await;
    let state = state_for(&stack.prometheus_url);
    let before = stack.requests_served("/api/v1/query_range").await;

    let loads = (0..20).map(|_| {
        let state = state.clone();
        tokio::spawn(async move {
            get(
                &state,
                "/api/dashboards/overview/panels/request_rate?range=1h",
            )
            .await
        })
    });
    for load in futures::future::join_all(loads).await {
        let (status, body) = load.unwrap();
        assert_eq!(status, 200);
        assert!(body.contains(r#""kind":"live""#), "{body}");
    }

    let served = stack.requests_served("/api/v1/query_range").await - before;
    assert!(served >= 1.0, "the panel was queried");
    assert!(
        served <= 2.0,
        "20 overlapping viewers cost {served} queries instead of one"
    );
}
