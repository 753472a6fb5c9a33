//! Queries Prometheus serves per refresh: N tabs on Vantage's overview stream,
//! side by side with N dashboards polling Prometheus directly (as a browser
//! dashboard does), for N = 1, 100, 1000.
//!
//!   cargo run --release -p bench --bin viewers [-- SECONDS]
//!
//! Each side runs for the same window (default 20 s) with the same refresh
//! interval (2 s); Prometheus' own request counter says what it served.

use std::time::Duration;

use bench::raise_open_files_limit;
use futures::StreamExt;
use stack::Stack;

const REFRESH: Duration = Duration::from_secs(2);

/// The overview's queries, built as Vantage builds them (no filter, 1 h):
/// `(is_instant, query)`. Direct pollers send the same ones.
fn overview_queries() -> Vec<(bool, String)> {
    let overview = vantage::dashboards::built_in()
        .unwrap()
        .into_iter()
        .find(|d| d.id() == "overview")
        .unwrap();
    // The demo's labels: `service`, and a Prometheus client library's names.
    let demo = vantage::conventions::Discovered::unknown(Some("service"));
    overview
        .panels
        .iter()
        .flat_map(|p| {
            let instant = p.view.kind.is_instant();
            let demo = &demo;
            p.queries.iter().flat_map(move |q| {
                demo.expansions(&q.expr).into_iter().map(move |way| {
                    let placeholders = vantage::query::Placeholders {
                        rate_interval: "60s".into(),
                        range: "3600s".into(),
                        range_seconds: "3600".into(),
                        step_ms: "15000".into(),
                        names: way.names,
                    };
                    let built = vantage::query::build(
                        &q.expr,
                        &placeholders,
                        &vantage::query::Filter::default(),
                    )
                    .unwrap();
                    (instant, built)
                })
            })
        })
        .collect()
}

/// Queries Prometheus has served, instant and range.
async fn served(stack: &Stack) -> f64 {
    stack.requests_served("/api/v1/query_range").await
        + stack.requests_served("/api/v1/query").await
}

#[tokio::main]
async fn main() {
    raise_open_files_limit();
    let window = bench::seconds_from_args(20);
    let stack = bench::fleet_stack().await;
    let prom = stack.prometheus_url.clone();

    let config = vantage::config::Config {
        prometheus_url: prom.parse().unwrap(),
        refresh_seconds: REFRESH.as_secs(),
        ..Default::default()
    };
    let state = vantage::AppState::new(config).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let vantage_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, vantage::router(state)).await });

    let refreshes = window.as_secs_f64() / REFRESH.as_secs_f64();
    let queries = overview_queries();
    println!(
        "window {window:?}, refresh every {REFRESH:?} ({refreshes:.0} refreshes), overview: {} queries",
        queries.len()
    );
    println!(
        "| viewers | Vantage stream: queries/refresh | direct polling: queries/refresh | ratio |"
    );
    println!("|---:|---:|---:|---:|");
    for viewers in [1usize, 100, 1000] {
        let vantage = stream_viewers(&vantage_url, &stack, viewers, window).await / refreshes;
        let direct = polling_viewers(&stack, &queries, viewers, window).await / refreshes;
        println!(
            "| {viewers} | {vantage:.1} | {direct:.1} | {:.0}× |",
            direct / vantage.max(0.1)
        );
    }
}

/// N tabs, each holding one stream for the window. Returns queries Prometheus served.
async fn stream_viewers(vantage: &str, stack: &Stack, n: usize, window: Duration) -> f64 {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let url = format!("{vantage}/api/stream?dashboard=overview&range=1h");
    let mut streams = Vec::with_capacity(n);
    for _ in 0..n {
        let response = client.get(&url).send().await.expect("stream opens");
        streams.push(response.bytes_stream());
    }
    // The first load (a topic's snapshot) is not a refresh: count from after it.
    tokio::time::sleep(REFRESH / 2).await;
    let before = served(stack).await;
    let readers: Vec<_> = streams
        .into_iter()
        .map(|mut s| tokio::spawn(async move { while let Some(Ok(_)) = s.next().await {} }))
        .collect();
    tokio::time::sleep(window).await;
    let served = served(stack).await - before;
    for r in readers {
        r.abort();
    }
    // Let the hub notice nobody watches any more before the next round.
    tokio::time::sleep(REFRESH * 2).await;
    served
}

/// N dashboards each asking Prometheus for every panel query every refresh.
async fn polling_viewers(
    stack: &Stack,
    queries: &[(bool, String)],
    n: usize,
    window: Duration,
) -> f64 {
    let prom = &stack.prometheus_url;
    // A browser gives up on a request too; without this an overloaded
    // Prometheus keeps the round going long after the window.
    let client = reqwest::Client::builder()
        .timeout(REFRESH * 5)
        .build()
        .unwrap();
    let before = served(stack).await;
    let deadline = tokio::time::Instant::now() + window;
    let pollers: Vec<_> = (0..n)
        .map(|i| {
            let client = client.clone();
            let prom = prom.clone();
            let queries = queries.to_vec();
            tokio::spawn(async move {
                // Spread the viewers over the interval, as real tabs are.
                tokio::time::sleep(REFRESH.mul_f64(i as f64 / n as f64)).await;
                while tokio::time::Instant::now() < deadline {
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap()
                        .as_secs();
                    let loads = queries.iter().map(|(instant, query)| {
                        let request = if *instant {
                            client
                                .get(format!("{prom}/api/v1/query"))
                                .query(&[("query", query.clone()), ("time", now.to_string())])
                        } else {
                            client.get(format!("{prom}/api/v1/query_range")).query(&[
                                ("query", query.clone()),
                                ("start", (now - 3600).to_string()),
                                ("end", now.to_string()),
                                ("step", "15".to_string()),
                            ])
                        };
                        async move {
                            if let Ok(r) = request.send().await {
                                let _ = r.bytes().await;
                            }
                        }
                    });
                    futures::future::join_all(loads).await;
                    tokio::time::sleep(REFRESH).await;
                }
            })
        })
        .collect();
    futures::future::join_all(pollers).await;
    served(stack).await - before
}
