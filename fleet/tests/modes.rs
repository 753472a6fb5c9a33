//! Services of the fleet do what they are told at run time, over HTTP.

use std::time::{Duration, Instant};

use fleet::{Fleet, FleetOptions};

async fn fleet() -> (Fleet, reqwest::Client) {
    let fleet = Fleet::start(FleetOptions::default()).await.unwrap();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    (fleet, client)
}

async fn set(client: &reqwest::Client, fleet: &Fleet, service: &str, mode: &str) -> u16 {
    client
        .post(format!("{}/services/{service}/{mode}", fleet.control_url()))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn slow_fail_down_and_back() {
    let (fleet, client) = fleet().await;
    let services = fleet.services().await;
    let auth = services.iter().find(|s| s.name == "auth-service").unwrap();
    let health = auth.health_urls[0].clone();

    let ok = client.get(&health).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(
        ok.json::<serde_json::Value>().await.unwrap()["status"],
        "healthy"
    );

    assert_eq!(set(&client, &fleet, "auth-service", "slow").await, 200);
    let started = Instant::now();
    assert_eq!(client.get(&health).send().await.unwrap().status(), 200);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(5),
        "slow health took {took:?}"
    );

    assert_eq!(set(&client, &fleet, "auth-service", "fail").await, 200);
    assert_eq!(client.get(&health).send().await.unwrap().status(), 503);

    assert_eq!(set(&client, &fleet, "auth-service", "down").await, 200);
    let err = client.get(&health).send().await.unwrap_err();
    assert!(
        err.is_connect(),
        "a down service refuses connections: {err}"
    );

    assert_eq!(set(&client, &fleet, "auth-service", "normal").await, 200);
    assert_eq!(
        client.get(&health).send().await.unwrap().status(),
        200,
        "back on the same port"
    );

    // Unknown services and modes are refused without harm.
    assert_eq!(set(&client, &fleet, "no-such-service", "down").await, 404);
    assert_eq!(set(&client, &fleet, "auth-service", "explode").await, 400);
}

#[tokio::test]
async fn metrics_and_detailed_health_have_the_conventional_shapes() {
    let (fleet, client) = fleet().await;
    let services = fleet.services().await;
    let users = services.iter().find(|s| s.name == "user-service").unwrap();
    let metrics = client
        .get(&users.metrics_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for needle in [
        "# TYPE http_requests_total counter",
        "http_requests_total{service=\"user-service\",endpoint=\"/users\",method=\"GET\",status=\"200\"}",
        "# TYPE http_request_duration_seconds histogram",
        "http_request_duration_seconds_bucket{service=\"user-service\",endpoint=\"/users\",method=\"GET\",le=\"+Inf\"}",
        "db_pool_connections{service=\"user-service\",state=\"active\"}",
        "cache_hits_total{service=\"user-service\",cache=\"profiles\"}",
        "user_registrations_total{service=\"user-service\",plan=\"free\"}",
    ] {
        assert!(metrics.contains(needle), "missing {needle}");
    }
    let detailed = users
        .health_urls
        .iter()
        .find(|u| u.ends_with("/health/detailed"))
        .unwrap();
    let body: serde_json::Value = client
        .get(detailed)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["components"]["database"]["status"], "healthy");
    assert_eq!(body["components"]["data_freshness"]["status"], "healthy");

    fleet
        .set_mode("user-service", fleet::ServiceMode::Fail)
        .await
        .unwrap();
    let response = client.get(detailed).send().await.unwrap();
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["components"]["database"]["status"], "unhealthy");
}
