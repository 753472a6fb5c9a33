//! A burst of load on one Vantage: 30 streams with 30 different filters and
//! 200 cache-busting panel requests, while one ordinary viewer watches the
//! overview. Side by side in one run: Vantage with its limit of queries in
//! flight to Prometheus (`prometheus_max_concurrency`, default 16), and with
//! the limit lifted. Prometheus' own gauge `prometheus_engine_queries`
//! (queries running or waiting in its engine), read from its `/metrics`
//! every 20 ms, says how hard it was pressed.
//!
//!   cargo run --release -p bench --bin burst [-- SECONDS]

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use bench::raise_open_files_limit;
use futures::StreamExt;
use stack::Stack;

const REFRESH: Duration = Duration::from_secs(2);

#[tokio::main]
async fn main() {
    raise_open_files_limit();
    let window = bench::seconds_from_args(20);
    let stack = bench::fleet_stack().await;
    println!(
        "window {window:?}, refresh every {REFRESH:?}; 30 filtered streams, 200 cache-busting panel requests, one ordinary viewer"
    );
    println!("| Vantage | Prometheus engine queries (most at once) | ordinary viewer: refreshes / longest gap | panel requests answered with data | queries that gave up waiting |");
    println!("|---|---:|---:|---:|---:|");
    for (name, limit) in [("limit 16 (default)", 16), ("no limit", 100_000)] {
        let round = burst(&stack, limit, window).await;
        println!(
            "| {name} | {} | {} / {:.1} s | {} of 200 | {} |",
            round.engine_most,
            round.viewer_refreshes,
            round.viewer_longest_gap.as_secs_f64(),
            round.panels_with_data,
            round.waited_out,
        );
        // Let the first round's topics end before the next.
        tokio::time::sleep(REFRESH * 3).await;
    }
}

struct Round {
    engine_most: u64,
    viewer_refreshes: usize,
    viewer_longest_gap: Duration,
    panels_with_data: usize,
    waited_out: u64,
}

async fn burst(stack: &Stack, limit: usize, window: Duration) -> Round {
    let prom = stack.prometheus_url.clone();
    let config = vantage::config::Config {
        prometheus_url: prom.parse().unwrap(),
        refresh_seconds: REFRESH.as_secs(),
        prometheus_max_concurrency: limit,
        ..Default::default()
    };
    let state = vantage::AppState::new(config).unwrap();
    let prometheus = state.prometheus.clone();
    let shutdown = state.shutdown.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let vantage = format!("http://{}", listener.local_addr().unwrap());
    let limits = vantage::edge::listener::Limits::of(&state.config);
    let server = tokio::spawn(vantage::edge::listener::serve(
        listener,
        vantage::router(state),
        limits,
        shutdown.clone().cancelled_owned(),
    ));
    let client = reqwest::Client::new();

    // Prometheus' own view, sampled throughout.
    let most = Arc::new(AtomicUsize::new(0));
    let sampler = tokio::spawn({
        let (client, most, prom) = (client.clone(), most.clone(), prom.clone());
        async move {
            loop {
                if let Ok(r) = client.get(format!("{prom}/metrics")).send().await {
                    let text = r.text().await.unwrap_or_default();
                    if let Some(n) = text
                        .lines()
                        .find_map(|l| l.strip_prefix("prometheus_engine_queries "))
                        .and_then(|v| v.trim().parse::<f64>().ok())
                    {
                        most.fetch_max(n as usize, Ordering::Relaxed);
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    });

    // The ordinary viewer: the overview, unfiltered; when its request-rate
    // panel arrives.
    let arrivals = Arc::new(std::sync::Mutex::new(Vec::<Instant>::new()));
    let viewer = tokio::spawn({
        let (client, arrivals) = (client.clone(), arrivals.clone());
        let url = format!("{vantage}/api/stream?dashboard=overview&range=1h");
        async move {
            let mut body = client.get(url).send().await.unwrap().bytes_stream();
            let mut buffer = String::new();
            while let Some(Ok(chunk)) = body.next().await {
                buffer.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buffer.find("\n\n") {
                    let event: String = buffer.drain(..end + 2).collect();
                    if event.contains("\"panel\":\"request_rate\"") {
                        arrivals.lock().unwrap().push(Instant::now());
                    }
                }
            }
        }
    });
    tokio::time::sleep(REFRESH * 2).await;
    let started = Instant::now();

    // Thirty filters: each service alone, then pairs of neighbours.
    let services: Vec<&str> = fleet::catalog::SERVICES.iter().map(|s| s.name).collect();
    let filters: Vec<String> = services
        .iter()
        .map(|s| format!("service={s}"))
        .chain(
            services
                .windows(2)
                .map(|w| format!("service={}&service={}", w[0], w[1])),
        )
        .take(30)
        .collect();
    let streams: Vec<_> = filters
        .iter()
        .map(|f| {
            let url = format!("{vantage}/api/stream?dashboard=overview&range=1h&{f}");
            let client = client.clone();
            tokio::spawn(async move {
                if let Ok(r) = client.get(url).send().await {
                    let mut body = r.bytes_stream();
                    while let Some(Ok(_)) = body.next().await {}
                }
            })
        })
        .collect();
    // Two hundred panel requests, each for a range no cache holds.
    let now = vantage::clock::now_seconds();
    let panels: Vec<_> = (0..200)
        .map(|i| {
            let url = format!(
                "{vantage}/api/dashboards/overview/panels/request_rate?from={}&to={}",
                now - 3600 - i * 7,
                now - i * 7
            );
            let client = client.clone();
            tokio::spawn(async move {
                let Ok(r) = client.get(url).send().await else {
                    return false;
                };
                let body = r.text().await.unwrap_or_default();
                body.contains("\"series\":[{")
            })
        })
        .collect();
    let mut panels_with_data = 0;
    for p in panels {
        panels_with_data += usize::from(p.await.unwrap_or(false));
    }
    let left = window.saturating_sub(started.elapsed());
    tokio::time::sleep(left).await;

    for s in streams {
        s.abort();
    }
    viewer.abort();
    sampler.abort();
    shutdown.cancel();
    let _ = server.await;
    let arrivals: Vec<Instant> = arrivals
        .lock()
        .unwrap()
        .iter()
        .copied()
        .filter(|t| *t >= started)
        .collect();
    let mut points = vec![started];
    points.extend(&arrivals);
    points.push(started + window);
    let viewer_longest_gap = points
        .windows(2)
        .map(|w| w[1].saturating_duration_since(w[0]))
        .max()
        .unwrap_or_default();
    Round {
        engine_most: most.load(Ordering::Relaxed) as u64,
        viewer_refreshes: arrivals.len(),
        viewer_longest_gap,
        panels_with_data,
        waited_out: prometheus.queue_load().waited_out,
    }
}
