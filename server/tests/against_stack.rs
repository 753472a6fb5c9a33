//! The server against a real Prometheus (Debian's package) scraping the demo fleet.

mod support;

use std::time::Duration;

use fleet::{FleetOptions, History};
use futures::StreamExt;
use stack::{Stack, StackOptions};
use support::*;
use vantage::{
    config::Config,
    prometheus::{PrometheusError, QueryData, RangeQuery},
    router, AppState,
};

#[tokio::test]
async fn the_typed_client_reads_the_fleet_through_every_endpoint() {
    let stack = stack().await;
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
async fn the_overview_is_server_rendered_with_the_real_chart() {
    let stack = stack().await;
    let state = state_for(&stack.prometheus_url);
    let (status, html) = get(&state, "/").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(r#"data-testid="chart-request_rate""#),
        "no chart in the first HTML"
    );
    for service in fleet_service_names() {
        assert!(
            html.contains(&format!(">{service}<")),
            "legend lacks {service}"
        );
    }
    // One line per service (a gap would add more), each with many points.
    let lines: Vec<&str> = html.split(r#"class="chart__series""#).skip(1).collect();
    assert!(
        lines.len() >= fleet_service_names().len(),
        "{} series lines",
        lines.len()
    );
    let longest = html
        .split("<polyline points=\"")
        .skip(1)
        .map(|p| p.split('"').next().unwrap_or("").split(' ').count())
        .max()
        .unwrap_or(0);
    assert!(longest > 100, "the longest line has {longest} points");
    assert!(html.contains("badge--live"));
    assert!(
        !html.contains("panel-loading"),
        "no spinner in the first HTML"
    );

    let (status, ready) = get(&state, "/readyz").await;
    assert_eq!(status, 200, "{ready}");
}

#[tokio::test]
async fn the_stream_pushes_fresh_panel_data() {
    let stack = stack().await;
    let state = state_for(&stack.prometheus_url);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = state.shutdown.clone();
    let hub = state.hub.clone();
    let server = tokio::spawn(async move { axum::serve(listener, router(state)).await });

    let response = reqwest::get(format!(
        "http://{addr}/api/stream?dashboard=overview&range=15m"
    ))
    .await
    .unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    assert_eq!(response.headers()["x-accel-buffering"], "no");
    let mut body = response.bytes_stream();
    let mut text = String::new();
    // Every panel comes once per refresh: wait for one panel's second event.
    let updated = |text: &str| -> Vec<i64> {
        text.lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .filter_map(|d| serde_json::from_str::<serde_json::Value>(d).ok())
            .filter(|v| v["panel"]["panel"] == "request_rate")
            .map(|v| v["updated_at_ms"].as_i64().unwrap())
            .collect()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while updated(&text).len() < 2 {
        let chunk = tokio::time::timeout_at(deadline, body.next())
            .await
            .expect("two request_rate events within 20 s")
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(
        text.starts_with("event: hello\n") || text.contains("event: hello"),
        "{text}"
    );
    assert!(text.contains("retry: 3000"));
    let updated = updated(&text);
    assert!(
        updated[1] > updated[0],
        "data must be refreshed: {updated:?}"
    );
    // `<run>-<sequence>`: one run, an increasing sequence.
    let ids: Vec<(String, u64)> = text
        .lines()
        .filter_map(|l| l.strip_prefix("id: "))
        .map(|i| {
            let (run, seq) = i.split_once('-').expect("run-seq");
            (run.to_string(), seq.parse().unwrap())
        })
        .collect();
    assert!(
        ids.windows(2).all(|w| w[1].1 > w[0].1 && w[1].0 == w[0].0),
        "ids increase: {ids:?}"
    );
    assert_eq!(hub.active_topics(), 1);

    // Nobody watches any more: the refresher stops (no queries for nobody).
    drop(body);
    until_no_topics(
        &hub,
        Duration::from_secs(10),
        "the refresher outlived its last watcher",
    )
    .await;

    // Shutdown ends an open stream instead of hanging on it.
    let response = reqwest::get(format!(
        "http://{addr}/api/stream?dashboard=overview&range=1h"
    ))
    .await
    .unwrap();
    let mut body = response.bytes_stream();
    body.next().await.unwrap().unwrap();
    shutdown.cancel();
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(_)) = body.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream must end on shutdown");
    server.abort();
}

#[tokio::test]
async fn a_dead_prometheus_is_an_error_state_on_the_page_not_a_crash() {
    let state = state_for(&format!("http://127.0.0.1:{}", stack::free_port().unwrap()));
    let (status, html) = get(&state, "/").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("badge--error"),
        "the panel must show its error"
    );
    assert!(
        html.contains("Prometheus is not reachable"),
        "the real reason is shown"
    );
    assert!(
        html.contains(r#"data-testid="chart-request_rate""#),
        "the page still renders"
    );

    let (status, body) = get(&state, "/readyz").await;
    assert_eq!(status, 503);
    assert!(body.contains("\"ready\":false"));
    let (status, body) = get(&state, "/api/dashboards/overview/panels/request_rate").await;
    assert_eq!(status, 200);
    assert!(body.contains(r#""kind":"error""#), "{body}");
}

#[tokio::test]
async fn bad_input_gets_a_clear_json_error() {
    let state = state_for("http://127.0.0.1:9");
    for (uri, code, words) in [
        (
            "/api/dashboards/nope/panels/request_rate",
            404,
            "no such dashboard",
        ),
        ("/api/dashboards/overview/panels/nope", 404, "no such panel"),
        (
            "/api/dashboards/overview/panels/request_rate?range=1y",
            400,
            "unknown range",
        ),
        (
            "/api/dashboards/overview/panels/request_rate?range=%22%7D%20or%20vector(1)",
            400,
            "unknown range",
        ),
        ("/api/stream", 400, "dashboard= is required"),
        (
            "/api/stream?dashboard=overview&refresh=1ms",
            400,
            "refresh= is one of 5s, 10s, 30s, 1m, off",
        ),
        (
            "/api/stream?dashboard=..%2F..%2Fetc",
            404,
            "no such dashboard",
        ),
    ] {
        let (status, body) = get(&state, uri).await;
        assert_eq!(status, code, "{uri}: {body}");
        let json: serde_json::Value =
            serde_json::from_str(&body).unwrap_or_else(|_| panic!("{uri}: not JSON: {body}"));
        assert!(
            json["error"].as_str().unwrap().contains(words),
            "{uri}: {body}"
        );
    }
    let (status, _) = get(&state, "/no/such/page").await;
    assert_eq!(status, 404);
    let (status, _) = get(&state, "/pkg/..%2F..%2FCargo.toml").await;
    assert_eq!(status, 404);
    // A dashboard that does not exist says so, as a 404; one spelled with
    // escapes is the dashboard itself.
    let (status, html) = get(&state, "/d/nope").await;
    assert_eq!(status, 404);
    assert!(html.contains("No such dashboard"), "{html}");
    let (status, html) = get(&state, "/d/%61pi").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(r#"class="page__title">API performance</h1>"#),
        "{html}"
    );
}

#[tokio::test]
async fn a_service_filter_narrows_the_series_and_hostile_values_never_widen_it() {
    let stack = stack().await;
    let state = state_for(&stack.prometheus_url);
    let names = |body: &str| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["status"]["kind"], "live", "{body}");
        v["series"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_string())
            .collect()
    };
    let base = "/api/dashboards/overview/panels/request_rate?range=15m";

    let (status, all) = get(&state, base).await;
    assert_eq!(status, 200);
    assert_eq!(names(&all).len(), fleet_service_names().len());

    let (_, one) = get(&state, &format!("{base}&service=auth-service")).await;
    assert_eq!(names(&one), vec!["auth-service"]);
    let (_, two) = get(
        &state,
        &format!("{base}&service=auth-service&service=frontend"),
    )
    .await;
    assert_eq!(names(&two), vec!["auth-service", "frontend"]);

    // Each reaches Prometheus as a literal value: it parses, matches nothing, and
    // never widens the match or breaks out of the matcher.
    for hostile in [
        "%22%7D%20or%20vector(1)%20or%20%7Bx%3D%22", // "} or vector(1) or {x="
        ".*",
        "auth-service%7Cfrontend", // auth-service|frontend
        "(%3Fi)AUTH-SERVICE",      // (?i)AUTH-SERVICE
        "auth.service",
        "C%3A%5Ctemp",           // C:\temp
        "%5C%22%7D",             // \"}
        "%3Cb%3Ebold%3C%2Fb%3E", // <b>bold</b>
    ] {
        let (status, body) = get(&state, &format!("{base}&service={hostile}")).await;
        assert_eq!(status, 200, "{hostile}: {body}");
        assert!(
            names(&body).is_empty(),
            "{hostile} widened the match: {body}"
        );
    }

    for refused in ["a%0Ab", "%00", "", &"x".repeat(300)] {
        let (status, body) = get(&state, &format!("{base}&service={refused}")).await;
        assert_eq!(status, 400, "{refused:?}: {body}");
        assert!(body.contains("service="), "{body}");
    }

    // The page takes the same filter and shows only that service.
    let (status, html) = get(&state, "/?range=15m&service=frontend").await;
    assert_eq!(status, 200);
    let panel = html
        .split(r#"data-testid="panel-request_rate""#)
        .nth(1)
        .and_then(|rest| rest.split("</section>").next())
        .expect("the request rate panel");
    assert!(panel.contains(">frontend<"), "{panel}");
    assert!(!panel.contains(">auth-service<"));
    assert!(
        html.contains("service=frontend"),
        "range links keep the filter"
    );
}

#[tokio::test]
async fn the_services_list_comes_from_prometheus_label_values() {
    let stack = stack().await;
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

/// Waits until the hub refreshes nothing; fails with `why` after `within`.
async fn until_no_topics(hub: &vantage::hub::Hub, within: Duration, why: &str) {
    let deadline = tokio::time::Instant::now() + within;
    while hub.active_topics() > 0 {
        assert!(tokio::time::Instant::now() < deadline, "{why}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The `id:` of every event in SSE `text`, in order.
fn event_ids(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("id: "))
        .map(str::to_string)
        .collect()
}

/// Everything `body` sends within `window` (for "nothing more came").
async fn read_for(
    body: &mut (impl futures::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin),
    window: Duration,
) -> String {
    let mut text = String::new();
    let _ = tokio::time::timeout(window, async {
        while let Some(Ok(chunk)) = body.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await;
    text
}

#[tokio::test]
async fn a_reconnect_with_last_event_id_gets_only_what_it_missed() {
    let stack = stack().await;
    let state = state_for(&stack.prometheus_url);
    let hub = state.hub.clone();
    let panels = panel_count(&state, "overview").await;
    let (addr, server) = serve(state).await;
    // A fixed range is loaded once and never refreshed: whatever arrives on a
    // reconnect is the snapshot, and the ids stay put between connections.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let url = format!(
        "http://{addr}/api/stream?dashboard=overview&from={}&to={}",
        now - 1100,
        now - 200
    );
    let connect = |last_event_id: Option<String>| {
        let url = url.clone();
        async move {
            let mut request = reqwest::Client::new().get(&url);
            if let Some(id) = last_event_id {
                request = request.header("Last-Event-ID", id);
            }
            request.send().await.unwrap().bytes_stream()
        }
    };

    // The first tab stays open, so the topic (and its ids) stays alive.
    let mut first = connect(None).await;
    let text = read_panels(&mut first, panels, Duration::from_secs(30)).await;
    // The view's annotations are one more event.
    let text = text + &read_for(&mut first, Duration::from_secs(1)).await;
    assert_eq!(text.matches("event: annotations").count(), 1, "{text}");
    let ids = event_ids(&text);
    assert_eq!(ids.len(), panels + 1, "{text}");

    // Seen everything: a reconnect gets its hello and nothing else.
    let mut up_to_date = connect(Some(ids[panels].clone())).await;
    let text = read_for(&mut up_to_date, Duration::from_secs(2)).await;
    assert!(text.contains("event: hello"), "{text}");
    assert!(!text.contains("event: panel"), "nothing was missed: {text}");
    assert!(
        !text.contains("event: annotations"),
        "nothing was missed: {text}"
    );

    // Seen the first three: gets exactly the rest, at once.
    let started = std::time::Instant::now();
    let mut behind = connect(Some(ids[2].clone())).await;
    let text = read_panels(&mut behind, panels - 3, Duration::from_secs(5)).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    let text = text + &read_for(&mut behind, Duration::from_secs(1)).await;
    assert_eq!(event_ids(&text), ids[3..], "only what it missed");

    // An id it cannot place (an earlier run of the server, garbage) gets all.
    for foreign in ["1-999999", "not an id", "ffffffffffffffff-"] {
        let mut fresh = connect(Some(foreign.to_string())).await;
        let text = read_panels(&mut fresh, panels, Duration::from_secs(5)).await;
        let text = text + &read_for(&mut fresh, Duration::from_secs(1)).await;
        assert_eq!(event_ids(&text), ids, "{foreign:?} gets a full snapshot");
    }
    assert_eq!(hub.active_topics(), 1, "every tab shares one refresher");
    server.abort();
}

#[tokio::test]
async fn refresh_off_loads_once_and_is_a_topic_of_its_own() {
    let stack = stack().await;
    let state = state_for(&stack.prometheus_url);
    let hub = state.hub.clone();
    let panels = panel_count(&state, "overview").await;
    let (addr, server) = serve(state).await;
    let open = |refresh: &str| {
        let url = format!("http://{addr}/api/stream?dashboard=overview&range=15m{refresh}");
        async move { reqwest::get(url).await.unwrap().bytes_stream() }
    };

    // Off: every panel once, then nothing while several intervals (1 s) pass.
    let mut still = open("&refresh=off").await;
    read_panels(&mut still, panels, Duration::from_secs(30)).await;
    // The same view refreshing is another topic: its own refresher.
    let mut live = open("").await;
    let text = read_for(&mut still, Duration::from_secs(4)).await;
    assert!(!text.contains("event: panel"), "refresh off pushed: {text}");
    assert_eq!(hub.active_topics(), 2);
    // ...while the refreshing one did refresh in the same time.
    let text = read_for(&mut live, Duration::from_secs(1)).await;
    let request_rate = text.matches(r#""panel":"request_rate""#).count();
    assert!(request_rate >= 2, "auto refreshes every second: {text}");
    server.abort();
}

#[tokio::test]
async fn a_rendered_page_starts_its_stream_so_connecting_queries_nothing_again() {
    let stack = stack().await;
    let state = AppState::new(Config {
        prometheus_url: stack.prometheus_url.parse().unwrap(),
        refresh_seconds: 4,
        ..Config::default()
    })
    .unwrap();
    let hub = state.hub.clone();
    let panels = panel_count(&state, "overview").await;
    let (addr, server) = serve(state).await;
    let queries = || stack.requests_served("/api/v1/query_range");

    let page = || async {
        let response = reqwest::get(format!("http://{addr}/?range=15m")).await;
        response.unwrap().text().await.unwrap()
    };

    let before = queries().await;
    let html = page().await;
    let after_page = queries().await;
    assert!(after_page > before, "the page queried Prometheus");
    assert_eq!(hub.active_topics(), 1, "the page started its view's topic");
    // The id is in the page's hydration data (a JSON string in a script).
    let since_in = |html: &str| {
        html.split("stream_since")
            .nth(1)
            .and_then(|rest| {
                rest.split(|c: char| c != '-' && !c.is_ascii_hexdigit())
                    .find(|t| t.len() > 2)
            })
            .unwrap_or_else(|| panic!("no stream_since in the page"))
            .to_string()
    };
    let since = since_in(&html);

    // The page's stream, from the page's event: nothing it already shows, and
    // Prometheus is not asked again.
    let stream_url =
        |extra: &str| format!("http://{addr}/api/stream?dashboard=overview&range=15m{extra}");
    let mut page_stream = reqwest::get(stream_url(&format!("&since={since}")))
        .await
        .unwrap()
        .bytes_stream();
    let text = read_for(&mut page_stream, Duration::from_millis(1500)).await;
    assert!(text.contains("event: hello"), "{text}");
    assert!(
        !text.contains("event: panel"),
        "sent what the page shows: {text}"
    );
    assert!(!text.contains("event: annotations"), "{text}");
    assert_eq!(
        queries().await,
        after_page,
        "connecting queried Prometheus again"
    );

    // Another tab of the same view gets the page's data at once, also without
    // new queries; the same page with a different range is another topic.
    let mut other_tab = reqwest::get(stream_url("")).await.unwrap().bytes_stream();
    let text = read_panels(&mut other_tab, panels, Duration::from_millis(500)).await;
    assert!(text.contains(r#""panel":"request_rate""#), "{text}");
    assert_eq!(queries().await, after_page);
    assert_eq!(hub.active_topics(), 1);

    // A page of a view already being watched (a reload) loads its data anew:
    // its stream starts after everything the topic sent before.
    let again = since_in(&page().await);
    assert_eq!(again, since, "nothing was sent since the first page");
    let mut reloaded = reqwest::get(stream_url(&format!("&since={again}")))
        .await
        .unwrap()
        .bytes_stream();
    let text = read_for(&mut reloaded, Duration::from_millis(500)).await;
    assert!(text.contains("event: hello"), "{text}");
    assert!(!text.contains("event: panel"), "{text}");
    assert_eq!(hub.active_topics(), 1);

    // The first refresh comes a period after the page, to both tabs.
    let text = read_panels(&mut page_stream, panels, Duration::from_secs(8)).await;
    assert!(text.contains(r#""panel":"request_rate""#), "{text}");
    assert!(queries().await > after_page, "refreshed from Prometheus");

    // Scripts off (or a crawler): nobody comes for the seeded topic, and it
    // ends by its first refresh instead of refreshing for no one.
    drop((page_stream, other_tab, reloaded));
    let _ = reqwest::get(format!("http://{addr}/?range=6h"))
        .await
        .unwrap()
        .text()
        .await;
    until_no_topics(&hub, Duration::from_secs(15), "topics linger unwatched").await;
    server.abort();
}

#[tokio::test]
async fn overlapping_identical_loads_share_one_query() {
    let stack = stack().await;
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

/// Every finite value a panel's JSON holds (series points and table cells).
#[tokio::test]
async fn every_panel_of_the_built_in_dashboards_has_data() {
    let stack = stack_with(true).await;
    let state = state_for(&stack.prometheus_url);
    let (status, list) = get(&state, "/api/dashboards").await;
    assert_eq!(status, 200);
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    let ids: Vec<&str> = list["dashboards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["overview", "api", "system", "infrastructure"]);

    // Exporters need a few scrapes before rates exist: poll, then name the empty.
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    loop {
        let mut empty = Vec::new();
        let mut checked = 0;
        for id in &ids {
            let (_, view) = get(&state, &format!("/api/dashboards/{id}")).await;
            let view: serde_json::Value = serde_json::from_str(&view).unwrap();
            for panel in view["panels"].as_array().unwrap() {
                let p = panel["id"].as_str().unwrap();
                let (status, body) = get(
                    &state,
                    &format!("/api/dashboards/{id}/panels/{p}?range=15m"),
                )
                .await;
                assert_eq!(status, 200, "{id}/{p}: {body}");
                let data: serde_json::Value = serde_json::from_str(&body).unwrap();
                checked += 1;
                if data["status"]["kind"] != "live" || values_of(&data) == 0 {
                    empty.push(format!("{id}/{p}: {}", data["status"]));
                }
            }
        }
        if empty.is_empty() {
            assert!(checked >= 40, "only {checked} panels");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "panels without data: {empty:#?}"
        );
        tokio::time::sleep(Duration::from_secs(3)).await;
    }

    // The pages render every panel in the first HTML.
    for id in &ids {
        let (status, html) = get(&state, &format!("/d/{id}?range=15m")).await;
        assert_eq!(status, 200);
        assert!(!html.contains("panel-empty"), "{id} shows an empty panel");
        assert!(html.contains("badge--live"), "{id}");
    }
}

#[tokio::test]
async fn filters_narrow_every_variable_and_bad_input_never_reaches_prometheus() {
    let stack = stack().await;
    let state = state_for(&stack.prometheus_url);
    let names = |body: &str| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        v["series"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_string())
            .collect()
    };
    let base = "/api/dashboards/api/panels/rate_by_endpoint?range=15m";
    let (_, all) = get(&state, base).await;
    assert!(names(&all).len() > 20, "{all}");
    let (_, one) = get(&state, &format!("{base}&service=auth-service")).await;
    let mut one = names(&one);
    one.sort();
    assert_eq!(
        one,
        [
            "auth-service /login",
            "auth-service /token/refresh",
            "auth-service /token/verify"
        ]
    );
    let (_, narrow) = get(
        &state,
        &format!("{base}&service=auth-service&endpoint=%2Flogin"),
    )
    .await;
    assert_eq!(names(&narrow), ["auth-service /login"]);
    // The table takes the same filter.
    let (_, table) = get(
        &state,
        "/api/dashboards/api/panels/summary?range=15m&service=auth-service&endpoint=%2Flogin",
    )
    .await;
    let table: serde_json::Value = serde_json::from_str(&table).unwrap();
    assert_eq!(table["rows"].as_array().unwrap().len(), 1, "{table}");
    assert_eq!(table["rows"][0]["key"], "auth-service /login");

    // Hostile values of a variable other than service are literals too: they
    // match nothing and never widen the match.
    for hostile in [
        "%7B%7D",                                    // {}
        "%22%7D%20or%20vector(1)%20or%20%7Bx%3D%22", // "} or vector(1) or {x="
        "%2F.*",                                     // /.*
        "%FF%FE%80",                                 // not UTF-8
    ] {
        let (status, body) = get(&state, &format!("{base}&endpoint={hostile}")).await;
        assert_eq!(status, 200, "{hostile}: {body}");
        assert!(
            names(&body).is_empty(),
            "{hostile} widened the match: {body}"
        );
    }

    // Refused before any query is built: Prometheus serves nothing for them.
    let queries = || async {
        stack.requests_served("/api/v1/query_range").await
            + stack.requests_served("/api/v1/query").await
    };
    let before = queries().await;
    let p = "/api/dashboards/overview/panels/request_rate";
    for (uri, words) in [
        (format!("{p}?from=1700003600&to=1700000000"), "before"),
        (format!("{p}?from=yesterday&to=now"), "not a time"),
        (format!("{p}?from=0&to=99999999999"), "outside"),
        (format!("{p}?from=0&to=999999999"), "longer than"),
        (
            format!("{p}?from=1700000000&to=1700000010"),
            "shorter than a minute",
        ),
        (format!("{p}?from=1700000000"), "go together"),
        (format!("{p}?range=1h&from=1&to=100000"), "exclude"),
        (format!("{p}?range=1h&width=0"), "width="),
        (format!("{p}?endpoint=%2Flogin"), "variables are service"),
        (format!("{p}?instance=x"), "unknown parameter"),
        (format!("{p}?service=%00"), "control characters"),
        (
            "/api/dashboards/api/panels/rate_by_endpoint?endpoint=a%0Ab".to_string(),
            "control characters",
        ),
        (format!("{p}?service={}", "a".repeat(9000)), "too long"),
        (
            format!("{p}?service={}", "x".repeat(201)),
            "longer than 200",
        ),
        (
            format!("{p}?{}", "service=a&".repeat(65)),
            "too many service= values",
        ),
        (
            "/api/dashboards/overview/variables/nope/values".to_string(),
            "no such variable",
        ),
    ] {
        let (status, body) = get(&state, &uri).await;
        assert!((400..500).contains(&status), "{uri}: {status} {body}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        let message = json["error"].as_str().unwrap();
        assert!(message.contains(words), "{uri}: {message}");
        assert!(
            !message.contains("http_requests_total"),
            "no query text: {message}"
        );
    }
    assert_eq!(
        queries().await,
        before,
        "refused requests reached Prometheus"
    );
}

#[tokio::test]
async fn day_and_week_ranges_draw_backfilled_history_within_the_point_limit() {
    // A week of history: the last 26 h every 2 min, the rest every 15 min.
    let stack = Stack::start(StackOptions {
        alertmanager: false,
        fleet: Some(FleetOptions {
            history: Some(History {
                seconds: 26 * 3600,
                step_seconds: 120,
            }),
            older_history: Some(History {
                seconds: 8 * 86_400,
                step_seconds: 900,
            }),
            ..FleetOptions::default()
        }),
        ..StackOptions::default()
    })
    .await
    .expect("the stack starts");
    let state = state_for(&stack.prometheus_url);
    let mut checked = 0;
    for dashboard in ["overview", "api"] {
        let (_, view) = get(&state, &format!("/api/dashboards/{dashboard}")).await;
        let view: serde_json::Value = serde_json::from_str(&view).unwrap();
        for panel in view["panels"].as_array().unwrap() {
            if !["time_series", "bar"].contains(&panel["kind"].as_str().unwrap()) {
                continue;
            }
            let id = panel["id"].as_str().unwrap();
            for range in ["24h", "7d"] {
                let (status, body) = get(
                    &state,
                    &format!("/api/dashboards/{dashboard}/panels/{id}?range={range}"),
                )
                .await;
                assert_eq!(status, 200, "{dashboard}/{id} {range}: {body}");
                let data: serde_json::Value = serde_json::from_str(&body).unwrap();
                assert_eq!(data["status"]["kind"], "live", "{dashboard}/{id} {range}");
                let w = &data["window"];
                let (start, end, step) = (
                    w["start"].as_i64().unwrap(),
                    w["end"].as_i64().unwrap(),
                    w["step"].as_i64().unwrap(),
                );
                let steps = (end - start) / step + 1;
                assert!(steps < 11_000, "{dashboard}/{id} {range}: {steps} steps");
                let series = data["series"].as_array().unwrap();
                assert!(!series.is_empty(), "{dashboard}/{id} {range}: no series");
                let mut earliest = i64::MAX;
                for s in series {
                    let points = s["points"].as_array().unwrap();
                    assert!(points.len() as i64 <= steps, "{dashboard}/{id} {range}");
                    if let Some(t) = points.iter().find(|p| p[1].is_number()) {
                        earliest = earliest.min(t[0].as_i64().unwrap());
                    }
                }
                // The history reaches back to the start of the range, not just
                // the minutes since Prometheus started.
                assert!(
                    earliest - start <= (end - start) / 10,
                    "{dashboard}/{id} {range}: data only from {}s into the range",
                    earliest - start
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 16, "only {checked} panel ranges");
}

#[tokio::test]
async fn absolute_ranges_cover_history_within_the_point_limit() {
    let stack = stack().await;
    let state = state_for(&stack.prometheus_url);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let (from, to) = (now - 1100, now - 200);
    let (status, body) = get(
        &state,
        &format!("/api/dashboards/overview/panels/request_rate?from={from}&to={to}"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let data: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(data["status"]["kind"], "live", "{body}");
    let (start, end, step) = (
        data["window"]["start"].as_i64().unwrap(),
        data["window"]["end"].as_i64().unwrap(),
        data["window"]["step"].as_i64().unwrap(),
    );
    assert!(start <= from && end >= to && (end - start) / step < 11_000);
    for s in data["series"].as_array().unwrap() {
        for p in s["points"].as_array().unwrap() {
            let t = p[0].as_i64().unwrap();
            assert!(
                (start..=end).contains(&t),
                "point at {t} outside {start}..{end}"
            );
        }
    }
    assert!(
        values_of(&data) > 100,
        "history answers: {}",
        values_of(&data)
    );

    // Asked for a narrow drawing, each series keeps at most four points a column.
    let (_, narrow) = get(
        &state,
        &format!("/api/dashboards/overview/panels/request_rate?from={from}&to={to}&width=40"),
    )
    .await;
    let narrow: serde_json::Value = serde_json::from_str(&narrow).unwrap();
    for s in narrow["series"].as_array().unwrap() {
        assert!(s["points"].as_array().unwrap().len() <= 4 * 40);
    }
}

#[tokio::test]
async fn dashboard_files_reload_and_a_broken_edit_keeps_the_last_good_one() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("team.toml");
    let good = "title = \"Team\"\n[[panels]]\nid = \"up\"\ntitle = \"Targets up\"\nkind = \"stat\"\n[[panels.queries]]\nexpr = 'sum(up)'\n";
    std::fs::write(&file, good).unwrap();
    let config = Config {
        prometheus_url: "http://127.0.0.1:9".parse().unwrap(),
        dashboards_dir: Some(dir.path().to_owned()),
        refresh_seconds: 1,
        ..Config::default()
    };
    let state = AppState::new(config).unwrap();
    let watcher = tokio::spawn(
        state
            .dashboards
            .clone()
            .watch(Duration::from_millis(100), state.shutdown.clone()),
    );
    let (status, body) = get(&state, "/api/dashboards/team").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Targets up"));
    // A tab showing it, to be told when its layout changes.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(state.clone());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let mut tab = reqwest::get(format!("http://{addr}/api/stream?dashboard=team"))
        .await
        .unwrap()
        .bytes_stream();
    read_panels(&mut tab, 1, Duration::from_secs(10)).await;

    // A broken edit: still served as it was, and the API says what is wrong.
    std::fs::write(&file, good.replace("sum(up)", "sum(up")).unwrap();
    let mut listed = String::new();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        listed = get(&state, "/api/dashboards").await.1;
        if listed.contains("team.toml") {
            break;
        }
    }
    let v: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(v["problems"][0]["file"], "team.toml", "{listed}");
    assert_eq!(v["problems"][0]["field"], "panels[0].queries[0].expr");
    assert!(
        !listed.contains(&dir.path().display().to_string()),
        "no server paths"
    );
    assert!(get(&state, "/api/dashboards/team")
        .await
        .1
        .contains("Targets up"));
    let meanwhile = read_for(&mut tab, Duration::from_secs(2)).await;
    assert!(
        !meanwhile.contains("event: dashboard"),
        "a broken edit changes nothing on screen: {meanwhile}"
    );

    // A good edit replaces it without a restart.
    std::fs::write(&file, good.replace("Targets up", "Scrape targets up")).unwrap();
    let mut body = String::new();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        body = get(&state, "/api/dashboards/team").await.1;
        if body.contains("Scrape targets up") {
            break;
        }
    }
    assert!(body.contains("Scrape targets up"), "{body}");
    let told = read_for(&mut tab, Duration::from_secs(3)).await;
    assert!(told.contains("event: dashboard"), "the tab reloads: {told}");
    server.abort();
    state.shutdown.cancel();
    watcher.await.unwrap();
}

#[test]
fn vantage_check_names_the_file_field_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(&good, "title = \"Good\"\n[[panels]]\nid = \"up\"\ntitle = \"Up\"\nkind = \"stat\"\n[[panels.queries]]\nexpr = 'sum(up)'\n").unwrap();
    let run = |files: &[&std::path::Path]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_vantage"))
            .arg("check")
            .args(files)
            .env_remove("VANTAGE_DASHBOARDS_DIR")
            .output()
            .unwrap()
    };
    let ok = run(&[&good]);
    assert!(ok.status.success(), "{ok:?}");
    assert!(String::from_utf8_lossy(&ok.stdout).contains("5 dashboard(s) ok"));

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "title = \"Bad\"\n[[panels]]\nid = \"up\"\ntitle = \"Up\"\nkind = \"stat\"\nwidth = 30\n[[panels.queries]]\nexpr = 'sum(up)'\n").unwrap();
    let out = run(&[&good, &bad]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.toml: panels[0].width: between 1 and 12"),
        "{stderr}"
    );
}

/// OpenMetrics history for one service whose name and labels are markup: 20
/// minutes of requests and `up`, ending now.
fn hostile_history() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let (service, endpoint) = ("<script>alert(1)</script>", "/<img src=x onerror=alert(2)>");
    let mut requests = String::from("# TYPE http_requests counter\n");
    let mut up = String::from("# TYPE up gauge\n");
    for i in 0..80u64 {
        let t = now - 1200 + i * 15;
        requests.push_str(&format!(
            "http_requests_total{{job=\"fleet\",instance=\"hostile\",service=\"{service}\",endpoint=\"{endpoint}\",method=\"GET\",status=\"200\"}} {} {t}\n",
            i * 30
        ));
        up.push_str(&format!(
            "up{{job=\"fleet\",instance=\"hostile\",service=\"{service}\"}} 1 {t}\n"
        ));
    }
    requests + &up + "# EOF\n"
}

#[tokio::test]
async fn markup_in_service_names_and_labels_is_text_on_every_view() {
    let stack = Stack::start(StackOptions {
        alertmanager: false,
        extra_history: Some(hostile_history()),
        ..StackOptions::default()
    })
    .await
    .expect("the stack starts");
    stack
        .wait_for_data(
            r#"up{service="<script>alert(1)</script>"}"#,
            Duration::from_secs(30),
        )
        .await
        .expect("the hostile series in Prometheus");
    let state = state_for(&stack.prometheus_url);
    for page in [
        "/?range=15m",
        "/d/api?range=15m",
        "/d/overview?range=15m&service=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    ] {
        let (status, html) = get(&state, page).await;
        assert_eq!(status, 200, "{page}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{page} shows the service name as text"
        );
        assert!(!html.contains("<script>alert(1)"), "{page}: never markup");
        assert!(!html.contains("<img src=x"), "{page}: never markup");
    }
    // Views where the service may show up only through a label (a node, an
    // alert) never carry its markup either.
    for page in [
        "/d/system?range=15m",
        "/d/infrastructure?range=15m",
        "/health",
        "/alerts",
    ] {
        let (status, html) = get(&state, page).await;
        assert_eq!(status, 200, "{page}");
        assert!(!html.contains("<script>alert(1)"), "{page}: never markup");
        assert!(!html.contains("<img src=x"), "{page}: never markup");
    }
    // The API hands the same names over as JSON strings, for the browser to
    // put in text nodes.
    let (_, services) = get(&state, "/api/services").await;
    assert!(
        services.contains(r#""<script>alert(1)</script>""#),
        "{services}"
    );
}
