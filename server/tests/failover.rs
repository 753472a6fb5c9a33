//! Two Vantage replicas (real processes) on one PostgreSQL behind nginx, as
//! `vantage-stack --replicas 2` runs them: one is killed with SIGKILL while a
//! service goes down. Every check runs again within two intervals, the down
//! service raises exactly one alert at the real Alertmanager, the balancer
//! keeps serving, and the survivor's health stream shows every check.

mod support;

use std::{
    collections::HashSet,
    time::{Duration, Instant},
};

use eventsource_stream::Eventsource;
use fleet::FleetOptions;
use futures::StreamExt;
use stack::{Stack, StackOptions, VantageOptions};
use vantage::health::store::{HealthStore, PostgresStore};

/// The stack's fleet checks run every 10 s.
const INTERVAL_MS: i64 = 10_000;

#[tokio::test]
async fn a_replica_killed_while_a_service_goes_down_leaves_no_gap_and_one_alert() {
    let mut stack = Stack::start(StackOptions {
        databases: true,
        fleet: Some(FleetOptions::default()),
        ..StackOptions::default()
    })
    .await
    .expect("the stack starts");
    let started = stack
        .start_vantage(&VantageOptions {
            binary: env!("CARGO_BIN_EXE_vantage").into(),
            port: stack::free_port().unwrap(),
            site_root: None,
            refresh_seconds: 5,
            replicas: 2,
        })
        .await
        .expect("two replicas behind nginx");
    assert_eq!(started.replicas.len(), 2);
    let pg = stack.postgres.clone().unwrap();
    let store = PostgresStore::open(&pg.url).unwrap();
    let services: Vec<String> = stack
        .fleet()
        .unwrap()
        .services()
        .await
        .into_iter()
        .map(|s| s.name)
        .collect();
    let client = reqwest::Client::new();
    let checks_of = |base: String| {
        let client = client.clone();
        async move {
            let v: serde_json::Value = client
                .get(format!("{base}/api/checks"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["checks"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["latest"].is_object())
                .count()
        }
    };
    // Both replicas show every check (each runs some, takes in the rest).
    let deadline = Instant::now() + Duration::from_secs(40);
    for r in &started.replicas {
        while checks_of(r.url.clone()).await < services.len() {
            assert!(
                Instant::now() < deadline,
                "{} does not show every check",
                r.url
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    // Kill one with SIGKILL, and a service goes down meanwhile. First, what
    // each replica says it has committed: none of it may be lost.
    let mut committed = 0.0;
    for r in &started.replicas {
        let metrics = client
            .get(format!("{}/metrics", r.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        committed += metrics
            .lines()
            .find_map(|l| l.strip_prefix("vantage_health_results_stored_total "))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .expect("the results-stored counter");
    }
    let (dead, alive) = (&started.replicas[0], &started.replicas[1]);
    let killed_at = vantage::clock::now_ms();
    // SAFETY: kill(2) on a pid this test's stack started.
    assert_eq!(unsafe { libc::kill(dead.pid as i32, libc::SIGKILL) }, 0);
    let down = "auth-service";
    let control = stack.fleet().unwrap().control_url();
    let answer = client
        .post(format!("{control}/services/{down}/down"))
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success());

    // The balancer keeps serving pages through the survivor.
    for _ in 0..6 {
        let page = client
            .get(format!("{}/d/overview?range=15m", started.url))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
    }

    // The survivor's health stream brings every check.
    let mut events = client
        .get(format!("{}/api/stream?view=health", alive.url))
        .send()
        .await
        .unwrap()
        .bytes_stream()
        .eventsource();
    let mut seen = HashSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while seen.len() < services.len() {
        let event = tokio::time::timeout_at(deadline, events.next())
            .await
            .unwrap_or_else(|_| panic!("only {seen:?} in the survivor's stream"))
            .unwrap()
            .unwrap();
        if event.event == "check" {
            let result: serde_json::Value = serde_json::from_str(&event.data).unwrap();
            seen.insert(result["check"].as_str().unwrap().to_string());
        }
    }

    // One alert for the down service, at Alertmanager and in the store
    // (its rule holds for 30 s).
    let alertmanager = stack.alertmanager_url.clone().unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    let alerts = loop {
        let listed: serde_json::Value = client
            .get(format!(
                "{alertmanager}/api/v2/alerts?filter=service%3D%22{down}%22&filter=source%3D%22vantage%22"
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let listed = listed.as_array().unwrap().clone();
        if !listed.is_empty() {
            break listed;
        }
        assert!(Instant::now() < deadline, "no alert for {down}");
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    // A little longer: a second sender would have sent by now too.
    tokio::time::sleep(Duration::from_secs(12)).await;
    let kept: Vec<_> = store
        .alerts_between(killed_at, vantage::clock::now_ms())
        .unwrap()
        .into_iter()
        .filter(|a| a.service.as_deref() == Some(down))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(alerts.len(), 1, "{alerts:?}");

    // Nothing committed was lost, and the store opens clean after the kill.
    let reopened = PostgresStore::open(&pg.url).expect("the store opens after the kill");
    assert!(
        reopened.result_count().unwrap() as f64 >= committed,
        "{} results kept, {committed} committed before the kill",
        reopened.result_count().unwrap()
    );

    // No check went unrun for more than two intervals across the kill.
    let now = vantage::clock::now_ms();
    for name in &services {
        let history = store.history(name, killed_at - INTERVAL_MS, now).unwrap();
        let mut times: Vec<i64> = history.points.iter().map(|p| p.at_ms).collect();
        times.push(now);
        times.insert(0, killed_at - INTERVAL_MS);
        let gap = times.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
        assert!(
            gap <= 2 * INTERVAL_MS,
            "{name}: {gap} ms without a run around the kill: {times:?}"
        );
    }
    stack.stop();
}
