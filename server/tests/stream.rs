//! The live stream of a dashboard view: fresh panels, reconnects with
//! `Last-Event-ID`, `refresh=off`, and pages that start their own stream; one
//! stack for all.

mod support;

use std::time::Duration;

use futures::StreamExt;
use support::*;
use vantage::{config::Config, router, AppState};

#[tokio::test]
async fn the_stream_pushes_fresh_panel_data() {
    let stack = shared_stack().await;
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
    let mut body = response.events();
    let mut text = String::new();
    // Every panel comes once per refresh: wait for one panel's second event.
    let updated = |text: &str| -> Vec<i64> {
        text.lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .filter_map(|d| serde_json::from_str::<serde_json::Value>(d).ok())
            // A whole panel names itself in `panel.panel`, a delta in `panel`.
            .filter(|v| v["panel"]["panel"] == "request_rate" || v["panel"] == "request_rate")
            .map(|v| v["updated_at_ms"].as_i64().unwrap())
            .collect()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while updated(&text).len() < 2 {
        let event = tokio::time::timeout_at(deadline, body.next())
            .await
            .expect("two request_rate events within 20 s")
            .unwrap()
            .unwrap();
        text.push_str(&text_of(&event));
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
    // The first is whole, the refresh only what changed.
    assert!(text.contains("event: panel"), "{text}");
    assert!(text.contains("event: delta"), "{text}");
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
async fn a_reconnect_with_last_event_id_gets_only_what_it_missed() {
    let stack = shared_stack().await;
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
            request.send().await.unwrap().events()
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
    let stack = shared_stack().await;
    let state = state_for(&stack.prometheus_url);
    let hub = state.hub.clone();
    let panels = panel_count(&state, "overview").await;
    let (addr, server) = serve(state).await;
    let open = |refresh: &str| {
        let url = format!("http://{addr}/api/stream?dashboard=overview&range=15m{refresh}");
        async move { reqwest::get(url).await.unwrap().events() }
    };

    // Off: every panel once, then nothing while several intervals (1 s) pass.
    let mut still = open("&refresh=off").await;
    read_panels(&mut still, panels, Duration::from_secs(30)).await;
    // The same view refreshing is another topic: its own refresher.
    let mut live = open("").await;
    let text = read_for(&mut still, Duration::from_secs(4)).await;
    assert!(!text.contains("event: panel"), "refresh off pushed: {text}");
    assert!(!text.contains("event: delta"), "refresh off pushed: {text}");
    assert_eq!(hub.active_topics(), 2);
    // ...while the refreshing one did refresh in the same time.
    let text = read_for(&mut live, Duration::from_secs(1)).await;
    let request_rate = text.matches(r#""panel":"request_rate""#).count();
    assert!(request_rate >= 2, "auto refreshes every second: {text}");
    server.abort();
}

#[tokio::test]
async fn a_rendered_page_starts_its_stream_so_connecting_queries_nothing_again() {
    let stack = shared_stack_alone().await;
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
        .events();
    let text = read_for(&mut page_stream, Duration::from_millis(1500)).await;
    assert!(text.contains("event: hello"), "{text}");
    assert!(
        !text.contains("event: panel") && !text.contains("event: delta"),
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
    let mut other_tab = reqwest::get(stream_url("")).await.unwrap().events();
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
        .events();
    let text = read_for(&mut reloaded, Duration::from_millis(500)).await;
    assert!(text.contains("event: hello"), "{text}");
    assert!(!text.contains("event: panel"), "{text}");
    assert!(!text.contains("event: delta"), "{text}");
    assert_eq!(hub.active_topics(), 1);

    // The first refresh comes a period after the page, to both tabs: what
    // changed since the page's data.
    let text = read_panels(&mut page_stream, panels, Duration::from_secs(8)).await;
    assert!(text.contains(r#""panel":"request_rate""#), "{text}");
    assert!(text.contains("event: delta"), "{text}");
    assert!(queries().await > after_page, "refreshed from Prometheus");

    // A page of the view, now watched, shows what the topic sent: the deltas
    // its stream gets next are of that state (data of its own would keep
    // points the topic has replaced). It asks Prometheus nothing.
    let before_reload = queries().await;
    let html = page().await;
    assert_eq!(
        queries().await,
        before_reload,
        "a watched view's page loaded its data itself"
    );
    assert_ne!(since_in(&html), since, "it shows the refresh");

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

/// A dashboard whose status grid (an instant query) has a series only every
/// other two seconds (by Prometheus' own clock), beside one always there.
const FLIPPING: &str = r#"title = "Flipping"
[[panels]]
id = "flips"
title = "Flips"
kind = "status_grid"
[[panels.queries]]
expr = 'vector(1) and on() (vector(time() % 4) < 2)'
legend = "sometimes"
[[panels.queries]]
expr = 'vector(2)'
legend = "always"
"#;

/// Every panel of `fresh` (a snapshot) as `viewer` had it after the same event.
async fn same_as_fresh(viewer: &mut Viewer, fresh: &Viewer, what: &str) {
    for (panel, history) in &fresh.history {
        let (id, whole) = history.last().unwrap();
        viewer
            .read_until(Duration::from_secs(10), |v| {
                v.last_id().is_some_and(|last| seq_of(last) >= seq_of(id))
            })
            .await;
        let applied = viewer
            .panel_at(panel, id)
            .unwrap_or_else(|| panic!("{what}: never took {panel}'s event {id}"));
        assert_eq!(applied, whole, "{what}: {panel} after {id}");
    }
}

#[tokio::test]
async fn a_tab_applying_deltas_holds_what_a_fresh_tab_gets_and_resumes_without_a_gap() {
    let stack = shared_stack().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flipping.toml"), FLIPPING).unwrap();
    let state = AppState::new(Config {
        prometheus_url: stack.prometheus_url.parse().unwrap(),
        refresh_seconds: 1,
        dashboards_dir: Some(dir.path().to_path_buf()),
        ..Config::default()
    })
    .unwrap();
    let panels = panel_count(&state, "overview").await;
    let (addr, server) = serve(state).await;
    let url = |board: &str| format!("http://{addr}/api/stream?dashboard={board}&range=15m");

    // A series that appears and goes mid-stream is drawn and removed.
    let mut flips = Viewer::connect(&url("flipping"), None).await;
    let has = |v: &Viewer, present: bool| {
        v.count("delta") > 0
            && v.panels["flips"]
                .series
                .iter()
                .any(|s| s.name == "sometimes")
                == present
    };
    for present in [true, false, true] {
        flips
            .read_until(Duration::from_secs(15), |v| has(v, present))
            .await;
    }
    assert_eq!(flips.count("panel"), 1, "whole once, then only deltas");
    let mut fresh = Viewer::connect(&url("flipping"), None).await;
    fresh
        .read_until(Duration::from_secs(5), |v| v.count("panel") == 1)
        .await;
    same_as_fresh(&mut flips, &fresh, "flipping").await;

    // The overview: one tab that reads throughout, one that drops out.
    let mut steady = Viewer::connect(&url("overview"), None).await;
    let mut dropped = Viewer::connect(&url("overview"), None).await;
    dropped
        .read_until(Duration::from_secs(20), |v| v.count("delta") >= panels)
        .await;
    let last = dropped.last_id().unwrap().to_string();
    // Its connection goes; two refreshes pass; the browser comes back with
    // the id it saw last, and gets exactly what it missed, as deltas.
    let Viewer {
        panels: held,
        history,
        taken,
        ..
    } = dropped;
    drop(taken);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let mut resumed = Viewer::connect(&url("overview"), Some(&last)).await;
    resumed.panels = held;
    resumed.history = history;
    resumed
        .read_until(Duration::from_secs(10), |v| v.count("delta") >= panels)
        .await;
    let after_hello: Vec<_> = resumed.taken.iter().skip(1).collect();
    assert!(
        after_hello.iter().all(|(kind, _)| kind == "delta"),
        "a resume is deltas, not a snapshot: {after_hello:?}"
    );
    let seqs: Vec<u64> = after_hello.iter().map(|(_, id)| seq_of(id)).collect();
    assert!(seqs[0] > seq_of(&last), "{seqs:?}");
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "nothing twice: {seqs:?}"
    );
    steady
        .read_until(Duration::from_secs(10), |v| v.count("delta") >= 4 * panels)
        .await;

    // Both hold exactly what a tab that connects now is sent whole.
    let mut fresh = Viewer::connect(&url("overview"), None).await;
    fresh
        .read_until(Duration::from_secs(5), |v| v.count("panel") == panels)
        .await;
    same_as_fresh(&mut steady, &fresh, "a tab that kept reading").await;
    same_as_fresh(&mut resumed, &fresh, "a tab that resumed").await;
    server.abort();
}

/// The newest point of each series of a panel's JSON.
fn newest_points(data: &serde_json::Value) -> Vec<i64> {
    data["series"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["points"].as_array()?.last()?[0].as_i64())
        .collect()
}

#[tokio::test]
async fn every_range_reaches_the_refresh_time_however_coarse_its_step() {
    let stack = shared_stack().await;
    let state = state_for(&stack.prometheus_url);
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    };
    for range in ["15m", "1h", "24h", "7d"] {
        let before = now();
        let (status, body) = get(
            &state,
            &format!("/api/dashboards/overview/panels/request_rate?range={range}"),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let data: serde_json::Value = serde_json::from_str(&body).unwrap();
        let (end, step) = (
            data["window"]["end"].as_i64().unwrap(),
            data["window"]["step"].as_i64().unwrap(),
        );
        let newest = newest_points(&data);
        assert!(!newest.is_empty(), "{range}: no series");
        for t in newest {
            // At the refresh's own time, not the last whole step (an hour
            // back on 7 d).
            assert!(
                t >= before && t <= now(),
                "{range} (step {step}s): newest point at {t}, asked at {before}"
            );
            assert_eq!(t, end, "{range}: the window reaches the newest point");
        }
    }
}
