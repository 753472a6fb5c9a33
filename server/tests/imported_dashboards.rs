//! A Grafana dashboard of every panel kind and variable kind, imported with
//! `vantage import grafana` and served on the real node, PostgreSQL and
//! Redis exporters (and Prometheus itself): every panel has data, and each
//! panel's data is what Prometheus answers for the dashboard's own Grafana
//! expression with the variables set the same way (series, and values at the
//! same steps).

mod support;

use std::{collections::BTreeMap, path::Path, process::Command, time::Duration};

use app::model::RelativeRange;
use axum::{body::Body, http::Request};
use http_body_util::BodyExt;
use serde_json::Value;
use stack::{JobNames, Stack, StackOptions};
use support::get;
use tower::ServiceExt;
use vantage::{
    config::Config,
    embed::{self, EmbedClaims},
    AppState,
};

const FIXTURE: &str = "tests/fixtures/grafana/exporters-every-kind.json";
const BOARD: &str = "exporters-every-kind";
/// Values older than this before the window's end are settled (every sample
/// of their lookback scraped), so both answers must agree exactly.
const SETTLED: i64 = 10;

/// The Grafana expression with its variables set as Grafana sets them:
/// single values regex-escaped, several as an alternation; `$__rate_interval`
/// as Vantage documents it (twice the step, at least 60 s).
fn as_grafana_sends(expr: &str, instance: &str, step: i64) -> String {
    let escaped: String = instance
        .chars()
        .flat_map(|c| {
            if "\\.+*?()|[]{}^$".contains(c) {
                vec!['\\', '\\', c]
            } else {
                vec![c]
            }
        })
        .collect();
    expr.replace("$__rate_interval", &format!("{}s", (2 * step).max(60)))
        .replace("$instance", &escaped)
        .replace("$job", "pg|cache")
        .replace("$mode", "idle")
        .replace("$window", "1m")
        .replace("$ns", "pg|postgres")
}

/// A series' name as a legend format makes it from its labels.
fn legend(format: &str, labels: &Value) -> String {
    let mut out = format.to_string();
    if let Some(labels) = labels.as_object() {
        for (k, v) in labels {
            out = out.replace(&format!("{{{{{k}}}}}"), v.as_str().unwrap_or(""));
        }
    }
    out
}

/// Equal as Vantage keeps values: to six significant digits (more than any
/// chart or label shows; `panels.rs` rounds them so), gaps as gaps.
fn same(ours: Option<f64>, theirs: Option<f64>) -> bool {
    match (ours, theirs) {
        (Some(a), Some(b)) => (a - b).abs() <= 5e-6 * b.abs() + 1e-300,
        (a, b) => a == b,
    }
}

/// A Prometheus sample value as Vantage keeps it: NaN and ±Inf are gaps.
fn sample(v: &Value) -> Option<f64> {
    v.as_str()?.parse::<f64>().ok().filter(|f| f.is_finite())
}

async fn prometheus(url: &str, path: &str, params: &[(&str, String)]) -> Value {
    let answer: Value = reqwest::Client::new()
        .get(format!("{url}{path}"))
        .query(params)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["status"], "success", "{answer}");
    answer["data"]["result"].clone()
}

/// Every panel of the Grafana file, rows' panels included.
fn grafana_panels(dashboard: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for p in dashboard["panels"].as_array().unwrap() {
        if p["type"] == "row" {
            out.extend(p["panels"].as_array().cloned().unwrap_or_default());
        } else {
            out.push(p.clone());
        }
    }
    out
}

#[tokio::test]
async fn every_imported_panel_shows_what_prometheus_answers_for_its_grafana_query() {
    let stack = Stack::start(StackOptions {
        fleet: None,
        alertmanager: false,
        process_exporter: false,
        databases: true,
        jobs: JobNames::others(),
        ..StackOptions::default()
    })
    .await
    .expect("the stack starts");
    for query in [
        "rate(node_cpu_seconds_total[1m]) > 0",
        "rate(redis_commands_processed_total[1m]) > 0",
        "pg_settings_max_connections",
        "rate(prometheus_http_request_duration_seconds_count[1m]) > 0",
        // Some history: steps settled a while before the window's end.
        "count_over_time(redis_commands_processed_total[1m]) > 25",
    ] {
        stack
            .wait_for_data(query, Duration::from_secs(90))
            .await
            .unwrap();
    }

    // Imported as a user imports it.
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
    let out = Command::new(env!("CARGO_BIN_EXE_vantage"))
        .args(["import", "grafana"])
        .arg(&fixture)
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let grafana: Value = serde_json::from_str(&std::fs::read_to_string(&fixture).unwrap()).unwrap();

    let state = AppState::new(Config {
        prometheus_url: stack.prometheus_url.parse().unwrap(),
        refresh_seconds: 1,
        dashboards_dir: Some(dir.path().to_path_buf()),
        ..Config::default()
    })
    .unwrap();

    // It opens as Grafana's did (the last hour, every 10 s): a link naming
    // no range or refresh is sent on with them; one naming them is served.
    for (asked, sent_to) in [
        ("", Some("?range=1h&refresh=10s")),
        ("?range=15m", Some("?range=15m&refresh=10s")),
        ("?from=100&to=200&refresh=off", None),
    ] {
        let response = vantage::router(state.clone())
            .oneshot(
                Request::get(format!("/d/{BOARD}{asked}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        match sent_to {
            Some(query) => {
                assert_eq!(response.status(), 303, "{asked}");
                assert_eq!(
                    response.headers()["location"],
                    format!("/d/{BOARD}{query}").as_str()
                );
            }
            None => assert_eq!(response.status(), 200, "{asked}"),
        }
    }
    let (_, list) = get(&state, "/api/dashboards").await;
    let list: Value = serde_json::from_str(&list).unwrap();
    let ours = list["dashboards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == BOARD)
        .unwrap();
    assert_eq!(ours["range"], "1h");
    assert_eq!(ours["refresh"]["Seconds"], 10);

    // Each variable kind is a picker of its own kind; the constant is none.
    let (status, body) = get(&state, &format!("/api/dashboards/{BOARD}")).await;
    assert_eq!(status, 200, "{body}");
    let view: Value = serde_json::from_str(&body).unwrap();
    let pickers: Vec<(String, String, Option<String>)> = view["variables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap().to_string(),
                v["picker"].as_str().unwrap().to_string(),
                v["default"].as_str().map(str::to_string),
            )
        })
        .collect();
    let expect =
        |n: &str, p: &str, d: Option<&str>| (n.to_string(), p.to_string(), d.map(str::to_string));
    assert_eq!(
        pickers,
        [
            expect("instance", "choices", None),
            expect("job", "choices", None),
            expect("mode", "text", Some("idle")),
            expect("window", "one", Some("5m")),
        ]
    );
    let values = |name: &str| {
        let state = state.clone();
        let name = name.to_string();
        async move {
            let (status, body) = get(
                &state,
                &format!("/api/dashboards/{BOARD}/variables/{name}/values"),
            )
            .await;
            assert_eq!(status, 200, "{body}");
            let v: Value = serde_json::from_str(&body).unwrap();
            v["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    // The query variable's values are node_uname_info's instances that its
    // regex keeps: the one node exporter's host:port.
    let instances = values("instance").await;
    let node = prometheus(
        &stack.prometheus_url,
        "/api/v1/query",
        vec![("query", "node_uname_info".to_string())].as_slice(),
    )
    .await;
    let expected: Vec<String> = node
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["metric"]["instance"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(instances, expected);
    let instance = instances[0].clone();
    assert_eq!(
        values("job").await,
        ["node-exporter", "pg", "cache", "prometheus"]
    );
    assert_eq!(values("window").await, ["1m", "5m", "10m"]);
    // A value outside a custom or interval variable's list is refused.
    for bad in ["job=nope", "window=2m", "window=1m&window=5m"] {
        let (status, body) = get(
            &state,
            &format!("/api/dashboards/{BOARD}/panels/up-by-job?{bad}"),
        )
        .await;
        assert_eq!(status, 400, "{bad}: {body}");
    }

    let vars = format!(
        "range=15m&instance={}&job=pg&job=cache&mode=idle&window=1m",
        urlencode(&instance)
    );
    let by_title: BTreeMap<String, Value> = view["panels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["title"].as_str().unwrap().to_string(), p.clone()))
        .collect();
    let mut compared = 0;
    for g in grafana_panels(&grafana) {
        let title = g["title"].as_str().unwrap();
        let panel = by_title
            .get(title)
            .unwrap_or_else(|| panic!("{title} imported"));
        let id = panel["id"].as_str().unwrap();
        let (status, body) = get(
            &state,
            &format!("/api/dashboards/{BOARD}/panels/{id}?{vars}"),
        )
        .await;
        assert_eq!(status, 200, "{title}: {body}");
        let data: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(data["status"]["kind"], "live", "{title}: {body}");
        let kind = panel["kind"].as_str().unwrap();
        if kind == "text" {
            // Markdown as elements; the script and the javascript: link as text.
            let text = panel["text"].to_string();
            assert!(text.contains("the docs") && text.contains("https://example.org/docs"));
            assert!(!text.contains("\"href\":\"javascript"), "{text}");
            continue;
        }
        let (start, end, step) = (
            data["window"]["start"].as_i64().unwrap(),
            data["window"]["end"].as_i64().unwrap(),
            data["window"]["step"].as_i64().unwrap(),
        );
        let targets = g["targets"].as_array().unwrap();
        if kind == "table" {
            // One row per legend, one column per query: each cell is the
            // query's instant value at the panel's time.
            let rows = data["rows"].as_array().unwrap();
            assert!(!rows.is_empty(), "{title} has data");
            for (column, t) in targets.iter().enumerate() {
                let expr = as_grafana_sends(t["expr"].as_str().unwrap(), &instance, step);
                let answer = prometheus(
                    &stack.prometheus_url,
                    "/api/v1/query",
                    &[("query", expr.clone()), ("time", end.to_string())],
                )
                .await;
                let answer = answer.as_array().unwrap();
                assert_eq!(answer.len(), rows.len(), "{title}: {expr}");
                for s in answer {
                    let key = legend(t["legendFormat"].as_str().unwrap(), &s["metric"]);
                    let row = rows
                        .iter()
                        .find(|r| r["key"] == key.as_str())
                        .unwrap_or_else(|| panic!("{title}: row {key}"));
                    let (mine, theirs) = (row["values"][column].as_f64(), sample(&s["value"][1]));
                    assert!(
                        same(mine, theirs),
                        "{title} {key}: {mine:?} against {theirs:?} ({expr})"
                    );
                }
            }
            compared += 1;
            continue;
        }
        let series = data["series"].as_array().unwrap();
        assert!(!series.is_empty(), "{title} has data: {body}");
        let ours: BTreeMap<String, BTreeMap<i64, Option<f64>>> = series
            .iter()
            .map(|s| {
                (
                    s["name"].as_str().unwrap().to_string(),
                    s["points"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|p| (p[0].as_i64().unwrap(), p[1].as_f64()))
                        .collect(),
                )
            })
            .collect();
        let instant = matches!(kind, "gauge" | "bar_gauge");
        let mut theirs: BTreeMap<String, BTreeMap<i64, Option<f64>>> = BTreeMap::new();
        let mut sent = Vec::new();
        for t in targets {
            let expr = as_grafana_sends(t["expr"].as_str().unwrap(), &instance, step);
            let format = t["legendFormat"].as_str().unwrap();
            sent.push(expr.clone());
            let answer = if instant {
                prometheus(
                    &stack.prometheus_url,
                    "/api/v1/query",
                    &[("query", expr.clone()), ("time", end.to_string())],
                )
                .await
            } else {
                prometheus(
                    &stack.prometheus_url,
                    "/api/v1/query_range",
                    &[
                        ("query", expr.clone()),
                        ("start", start.to_string()),
                        ("end", end.to_string()),
                        ("step", step.to_string()),
                    ],
                )
                .await
            };
            for s in answer.as_array().unwrap() {
                let points = if instant {
                    std::iter::once((end, sample(&s["value"][1]))).collect()
                } else {
                    s["values"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|p| (p[0].as_f64().unwrap() as i64, sample(&p[1])))
                        .collect()
                };
                theirs.insert(legend(format, &s["metric"]), points);
            }
        }
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            theirs.keys().collect::<Vec<_>>(),
            "{title}: the same series (sent {sent:?} from {start} to {end} by {step})"
        );
        for (name, points) in &theirs {
            let mine = &ours[name];
            let mut same_steps = 0;
            for (t, v) in points {
                if !instant && *t > end - SETTLED {
                    continue;
                }
                match mine.get(t) {
                    Some(m) => {
                        assert!(same(*m, *v), "{title} {name} at {t}: {m:?} against {v:?}");
                        same_steps += 1;
                    }
                    None if instant => panic!("{title} {name}: no value at {t}"),
                    // Vantage's own first step may fall outside Prometheus'
                    // when the range was cut at the window's start.
                    None => {}
                }
            }
            assert!(same_steps > 0, "{title} {name}: no step in common");
        }
        compared += 1;
    }
    assert_eq!(compared, 8, "every panel with queries was compared");

    // The new kinds as embed images: drawn by the same code as the page.
    for (panel, shows) in [
        ("filesystem-size", vec!["Filesystem size", "/"]),
        (
            "prometheus-request-durations",
            vec!["Prometheus request durations", "+Inf"],
        ),
        (
            "about",
            vec!["Exporters", "the docs", "&lt;script&gt;alert"],
        ),
    ] {
        let token = state
            .embeds
            .issue(
                &EmbedClaims {
                    id: embed::keys::new_token_id(),
                    dashboard: BOARD.into(),
                    panel: panel.into(),
                    vars: BTreeMap::new(),
                    ranges: vec![RelativeRange::M15.into()],
                    exp: vantage::clock::now_seconds() + 600,
                },
                embed::keys::MintedBy::command_line(),
            )
            .unwrap();
        let base = format!("/embed/{BOARD}/{panel}");
        let (status, svg) = get(&state, &format!("{base}.svg?token={token}&range=15m")).await;
        assert_eq!(status, 200, "{panel}: {svg}");
        for text in shows {
            assert!(svg.contains(text), "{panel}'s image shows {text:?}: {svg}");
        }
        assert!(!svg.contains("<script"), "{panel}: markup stays text");
        let cells = svg.matches("<rect").count();
        if panel == "prometheus-request-durations" {
            // Cells in the first series colour (the light theme's), shaded.
            let shaded = svg
                .match_indices("<rect")
                .filter(|(i, _)| {
                    svg[*i..]
                        .split('>')
                        .next()
                        .is_some_and(|r| r.to_lowercase().contains("#2563eb"))
                })
                .count();
            assert!(
                shaded >= 1,
                "{panel}: the heatmap's cells are drawn ({cells} rects): {svg}"
            );
        }
        let uri = format!("{base}.png?token={token}&range=15m&width=640&height=300");
        let response = vantage::router(state.clone())
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{panel}");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let png = image::load_from_memory_with_format(&body, image::ImageFormat::Png)
            .expect("a PNG that decodes")
            .to_rgb8();
        let background = png.get_pixel(1, 1).0;
        let drawn = png.pixels().filter(|p| p.0 != background).count();
        assert!(drawn > 640 * 300 / 100, "{panel}: {drawn} pixels drawn");
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
