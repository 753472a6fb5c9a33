//! Embed images: how long a panel takes to draw as SVG and PNG, and the
//! memory it takes, on the server with no browser.
//!
//!   cargo run --release -p bench --bin render [-- ITERATIONS]
//!
//! Part one draws panels of known size (a typical one: 11 series × 240
//! points; a big one: 10 series × 1,000 points) at 800×360. Part two asks the
//! real thing, `GET /embed/overview/request_rate.png?token=…`, of a server on a
//! real Prometheus and demo fleet: token check, queries, drawing, encoding.
//! Peak memory is the process' own high-water mark (VmHWM). The drawn images
//! are left in target/bench-render/ to look at.

use std::time::{Duration, Instant};

use app::model::{PanelData, RelativeRange};
use axum::{body::Body, http::Request};
use tower::ServiceExt;
use vantage::{
    config::Config,
    embed::{
        image::{png, svg, Theme, DEFAULT_SIZE},
        EmbedClaims,
    },
    router, AppState,
};

#[tokio::main]
async fn main() {
    let iterations: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);
    let rss_before = memory_kib("VmRSS");

    println!(
        "drawing at {}×{}, {iterations} times each (median / p95):",
        DEFAULT_SIZE.0, DEFAULT_SIZE.1
    );
    for (name, series, points) in [("typical", 11, 240), ("10k points", 10, 1000)] {
        let data = panel(series, points);
        let svg_times = time(iterations, || {
            svg(&data, DEFAULT_SIZE, Theme::Light).unwrap().len()
        });
        let png_times = time(iterations, || {
            png(&data, DEFAULT_SIZE, Theme::Light).unwrap().len()
        });
        let svg_bytes = svg(&data, DEFAULT_SIZE, Theme::Light).unwrap();
        let png_bytes = png(&data, DEFAULT_SIZE, Theme::Dark).unwrap();
        // Kept for a person to look at.
        let out = std::path::Path::new("target/bench-render");
        let file = name.replace(' ', "-");
        let _ = std::fs::create_dir_all(out);
        let _ = std::fs::write(out.join(format!("{file}.svg")), &svg_bytes);
        let _ = std::fs::write(out.join(format!("{file}-dark.png")), &png_bytes);
        let (svg_bytes, png_bytes) = (svg_bytes.len(), png_bytes.len());
        println!(
            "  {name:<11} ({:>6} points)  SVG {} ({} KiB)   PNG {} ({} KiB)",
            series * points,
            summary(&svg_times),
            svg_bytes / 1024,
            summary(&png_times),
            png_bytes / 1024,
        );
    }
    let rss_drawn = memory_kib("VmHWM");

    let stack = bench::fleet_stack().await;
    stack
        .wait_for_data(
            "sum by (service) (rate(http_requests_total[1m]))",
            Duration::from_secs(30),
        )
        .await
        .expect("fleet data");
    let state = AppState::new(Config {
        prometheus_url: stack.prometheus_url.parse().unwrap(),
        ..Config::default()
    })
    .unwrap();
    let token = state
        .embeds
        .issue(
            &EmbedClaims {
                id: "bench".into(),
                dashboard: "overview".into(),
                panel: "request_rate".into(),
                vars: Default::default(),
                ranges: vec![RelativeRange::H1.into()],
                exp: vantage::clock::now_seconds() + 3600,
            },
            vantage::embed::keys::MintedBy::command_line(),
        )
        .expect("an in-memory key signs");
    println!(
        "\nGET /embed/overview/request_rate.{{svg,png}} on the real stack (1 h, 11 services):"
    );
    for ext in ["svg", "png"] {
        let uri = format!("/embed/overview/request_rate.{ext}?token={token}");
        let mut times = Vec::new();
        for _ in 0..iterations {
            let started = Instant::now();
            let response = router(state.clone())
                .oneshot(Request::get(&uri).body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            assert!(!body.is_empty());
            times.push(started.elapsed());
        }
        times.sort();
        println!("  {ext}  {}", summary(&times));
    }
    println!(
        "\nmemory: {} MiB before drawing, {} MiB peak after drawing, {} MiB peak with the server",
        rss_before / 1024,
        rss_drawn / 1024,
        memory_kib("VmHWM") / 1024
    );
}

/// A panel of `series` lines of `points` points each over an hour.
fn panel(series: usize, points: usize) -> PanelData {
    let start = 1_700_000_000i64;
    let step = (3600 / points as i64).max(1);
    let series: Vec<serde_json::Value> = (0..series)
        .map(|s| {
            let pts: Vec<serde_json::Value> = (0..points)
                .map(|i| {
                    let v = 50.0 + 30.0 * ((i as f64 / 17.0) + s as f64).sin() + s as f64;
                    serde_json::json!([start + i as i64 * step, v])
                })
                .collect();
            serde_json::json!({"name": format!("service-{s}"), "points": pts})
        })
        .collect();
    serde_json::from_value(serde_json::json!({
        "panel": {"dashboard": "bench", "panel": "p"},
        "view": {
            "id": "p", "title": "Request rate by service", "kind": "time_series", "unit": "req/s",
            "width": 6, "height": 1, "priority": 1, "stacked": false,
            "thresholds": {"base": "ok", "steps": []}
        },
        "window": {"start": start, "end": start + 3600, "step": step},
        "series": series,
        "status": {"kind": "live"},
        "warnings": [],
        "updated_at_ms": (start + 3600) * 1000
    }))
    .expect("a valid panel")
}

fn time(iterations: usize, mut draw: impl FnMut() -> usize) -> Vec<Duration> {
    let mut times: Vec<Duration> = (0..iterations)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(draw());
            started.elapsed()
        })
        .collect();
    times.sort();
    times
}

fn summary(sorted: &[Duration]) -> String {
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    format!(
        "{:>6.2} ms / {:>6.2} ms",
        at(0.5).as_secs_f64() * 1000.0,
        at(0.95).as_secs_f64() * 1000.0
    )
}

/// A line of /proc/self/status, in KiB.
fn memory_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)?
                .trim_start_matches(':')
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0)
}
