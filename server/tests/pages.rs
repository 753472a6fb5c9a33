//! Server-rendered pages and the JSON API's panels on the demo fleet (with
//! PostgreSQL and Redis and their exporters), and the clear errors of bad
//! input and a dead Prometheus. Its tests run one at a time (`alone`): as
//! threads of one process, two rendering at once hung under load (see
//! scripts/test). Run by nextest, a process a test.

mod support;

use std::time::Duration;

use support::*;

#[tokio::test]
async fn the_overview_is_server_rendered_with_the_real_chart() {
    let stack = shared_stack_alone_with(true).await;
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
    // The request-rate chart's own lines (other panels draw polylines too).
    let chart = html
        .split(r#"data-testid="chart-request_rate""#)
        .nth(1)
        .and_then(|rest| rest.split("data-testid=\"panel-").next())
        .unwrap_or("");
    let longest = chart
        .split("<polyline points=\"")
        .skip(1)
        .map(|p| p.split('"').next().unwrap_or("").split(' ').count())
        .max()
        .unwrap_or(0);
    eprintln!("request_rate's longest line: {longest} points");
    assert!(longest > 60, "the longest line has {longest} points");
    assert!(html.contains("badge--live"));
    assert!(
        !html.contains("panel-loading"),
        "no spinner in the first HTML"
    );

    let (status, ready) = get(&state, "/readyz").await;
    assert_eq!(status, 200, "{ready}");
}

#[tokio::test]
async fn a_dead_prometheus_is_an_error_state_on_the_page_not_a_crash() {
    let _alone = alone().await;
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
    let _alone = alone().await;
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

/// Every finite value a panel's JSON holds (series points and table cells).
#[tokio::test]
async fn every_panel_of_the_built_in_dashboards_has_data() {
    let stack = shared_stack_alone_with(true).await;
    let state = state_for(&stack.prometheus_url);
    let ids = every_built_in_panel_has_data(&state, Duration::from_secs(90)).await;

    // The pages render every panel in the first HTML.
    for id in &ids {
        let (status, html) = get(&state, &format!("/d/{id}?range=15m")).await;
        assert_eq!(status, 200);
        assert!(!html.contains("panel-empty"), "{id} shows an empty panel");
        assert!(html.contains("badge--live"), "{id}");
    }
}

#[tokio::test]
async fn absolute_ranges_cover_history_within_the_point_limit() {
    let stack = shared_stack_alone_with(true).await;
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
