//! Faults on the data path, against the real stack: Prometheus going away and
//! coming back, one query that never answers, a client that stops reading.

mod support;

use std::time::{Duration, Instant};

use futures::StreamExt;
use stack::fault::StallingProxy;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vantage::{config::Config, router, AppState};

/// Serves `state` on a loopback port; returns the address.
async fn serve(state: AppState) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    serve_on(listener, state)
}

/// The same with small socket send buffers (accepted sockets inherit them),
/// so a client that stops reading fills them in moments instead of megabytes.
async fn serve_with_small_buffers(state: AppState) -> std::net::SocketAddr {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_send_buffer_size(16 * 1024).unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    serve_on(socket.listen(64).unwrap(), state)
}

fn serve_on(listener: tokio::net::TcpListener, state: AppState) -> std::net::SocketAddr {
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router(state)).await });
    addr
}

/// Panel events of an SSE stream, parsed, as they arrive: whole panels,
/// and deltas applied to them as a browser applies them.
struct PanelEvents<S> {
    body: S,
    buffer: String,
    panels: std::collections::HashMap<String, app::model::PanelData>,
}

impl PanelEvents<futures::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>> {
    /// Opens the stream at `path` on `addr`.
    async fn open(addr: std::net::SocketAddr, path: &str) -> Self {
        let body = reqwest::get(format!("http://{addr}{path}"))
            .await
            .unwrap()
            .bytes_stream();
        Self::new(Box::pin(body))
    }
}

impl<S: futures::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin> PanelEvents<S> {
    fn new(body: S) -> Self {
        Self {
            body,
            buffer: String::new(),
            panels: Default::default(),
        }
    }

    /// The next panel event, or `None` if none came before `deadline`.
    async fn next(&mut self, deadline: Instant) -> Option<serde_json::Value> {
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let event: String = self.buffer.drain(..end + 2).collect();
                let data = event.lines().find_map(|l| l.strip_prefix("data: "));
                let panel = if event.contains("event: panel") {
                    serde_json::from_str::<app::model::PanelData>(data?).ok()?
                } else if event.contains("event: delta") {
                    let delta: app::model::PanelDelta = serde_json::from_str(data?).ok()?;
                    let base = self.panels.get(&delta.panel);
                    delta.applied_to(base.expect("a delta comes after its panel whole"))
                } else {
                    continue;
                };
                self.panels.insert(panel.panel.panel.clone(), panel.clone());
                return serde_json::to_value(panel).ok();
            }
            let chunk = tokio::time::timeout_at(deadline.into(), self.body.next())
                .await
                .ok()??
                .ok()?;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Reads until `panel` arrives in a state `wanted` accepts.
    async fn wait_for(
        &mut self,
        panel: &str,
        within: Duration,
        wanted: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = Instant::now() + within;
        while let Some(event) = self.next(deadline).await {
            if event["panel"]["panel"] == panel && wanted(&event) {
                return event;
            }
        }
        panic!("{panel} did not reach the wanted state within {within:?}");
    }
}

fn kind(event: &serde_json::Value) -> &str {
    event["status"]["kind"].as_str().unwrap_or("")
}

#[tokio::test]
async fn panels_go_stale_when_prometheus_stops_and_recover_when_it_returns() {
    let mut stack = stack().await;
    let addr = serve(state_for(&stack.prometheus_url)).await;
    let mut events = PanelEvents::open(addr, "/api/stream?dashboard=overview&range=15m").await;
    let live = events
        .wait_for("request_rate", Duration::from_secs(20), |e| {
            kind(e) == "live" && values_of(e) > 0
        })
        .await;

    stack.stop_prometheus();
    let stale = events
        .wait_for("request_rate", Duration::from_secs(20), |e| {
            kind(e) == "stale"
        })
        .await;
    let reason = stale["status"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("not reachable") && !reason.contains("127.0.0.1"),
        "a clear reason without internals: {reason}"
    );
    assert_eq!(
        stale["series"], live["series"],
        "the last good data stays on screen"
    );

    // Nobody reconnects anything: the same stream goes live again by itself.
    stack.start_prometheus().await.unwrap();
    let back = events
        .wait_for("request_rate", Duration::from_secs(30), |e| {
            kind(e) == "live" && values_of(e) > 0
        })
        .await;
    assert!(back["updated_at_ms"].as_i64() > stale["updated_at_ms"].as_i64());
}

/// Vantage behind a proxy that never answers the queries of the overview's
/// database-connections panel (the only one asking for that metric): the
/// state, its query timeout, and the proxy (alive while held).
async fn with_a_stalled_panel(
    stack: &stack::Stack,
    refresh_seconds: u64,
) -> (AppState, Duration, StallingProxy) {
    let proxy = StallingProxy::start(&stack.prometheus_url, "db_pool_connections")
        .await
        .unwrap();
    let timeout = Duration::from_secs(4);
    let state = AppState::new(Config {
        prometheus_url: proxy.url.parse().unwrap(),
        refresh_seconds,
        query_timeout_seconds: timeout.as_secs(),
        ..Config::default()
    })
    .unwrap();
    (state, timeout, proxy)
}

#[tokio::test]
async fn a_stalled_query_times_out_on_its_own_panel_and_holds_back_no_other() {
    let stack = stack().await;
    let (state, timeout, _proxy) = with_a_stalled_panel(&stack, 1).await;
    let panels = {
        let (_, view) = get(&state, "/api/dashboards/overview").await;
        let view: serde_json::Value = serde_json::from_str(&view).unwrap();
        view["panels"].as_array().unwrap().len()
    };
    let addr = serve(state).await;
    let started = Instant::now();
    let mut events = PanelEvents::open(addr, "/api/stream?dashboard=overview&range=15m").await;

    // Every other panel arrives live, and keeps refreshing, while the stalled
    // query is still waiting for its timeout.
    let mut others = std::collections::HashMap::<String, usize>::new();
    let mut stalled = None;
    let deadline = started + timeout * 3;
    while stalled.is_none() {
        let event = events
            .next(deadline)
            .await
            .expect("the stalled panel reports its timeout");
        let id = event["panel"]["panel"].as_str().unwrap().to_string();
        if id == "db_connections" {
            stalled = Some((event, started.elapsed()));
        } else {
            assert_eq!(kind(&event), "live", "{id}: {}", event["status"]);
            *others.entry(id).or_default() += 1;
        }
    }
    let (stalled, after) = stalled.unwrap();
    assert_eq!(others.len(), panels - 1, "every other panel: {others:?}");
    assert!(
        others.values().all(|n| *n >= 2),
        "the others refreshed meanwhile: {others:?}"
    );
    assert!(after >= timeout - Duration::from_millis(500), "{after:?}");
    assert_eq!(kind(&stalled), "error", "{stalled}");
    let message = stalled["status"]["message"].as_str().unwrap();
    assert!(
        message.contains("did not answer within") && !message.contains("127.0.0.1"),
        "says it timed out, without internals: {message}"
    );
}

#[tokio::test]
async fn a_dashboard_page_sends_its_head_while_its_data_still_loads() {
    let stack = stack().await;
    let (state, timeout, _proxy) = with_a_stalled_panel(&stack, 5).await;
    let addr = serve(state).await;
    let started = Instant::now();
    let response = reqwest::get(format!("http://{addr}/")).await.unwrap();
    assert_eq!(response.status(), 200);
    let mut body = response.bytes_stream();
    let mut html = String::new();

    // The head comes at once: the browser fetches the style sheet and starts
    // compiling the code while the server still waits for Prometheus.
    while !html.contains("</head>") {
        let chunk = tokio::time::timeout(timeout / 2, body.next())
            .await
            .expect("the head before the data")
            .unwrap()
            .unwrap();
        html.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(started.elapsed() < timeout / 2, "{:?}", started.elapsed());
    assert!(html.contains("/style/main.css"), "{html}");
    assert!(
        html.contains("compileStreaming(fetch(\"/pkg/vantage_bg.wasm\"))"),
        "{html}"
    );
    assert!(
        !html.contains("data-testid=\"chart-request_rate\""),
        "no data yet"
    );

    // The rest follows when every panel has its data or its error.
    while let Some(chunk) = body.next().await {
        html.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
    }
    assert!(started.elapsed() >= timeout - Duration::from_millis(500));
    assert!(html.contains("data-testid=\"chart-request_rate\""));
    assert!(
        html.contains("did not answer within"),
        "the stalled panel says why"
    );
    assert!(html.contains("</html>"), "the whole document");
}

/// Sends `signal` to `pid`; a stopped process is continued when this ends.
struct Stopped(u32);

impl Stopped {
    fn new(pid: u32) -> Self {
        assert_eq!(unsafe { libc::kill(pid as i32, libc::SIGSTOP) }, 0);
        Self(pid)
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        unsafe { libc::kill(self.0 as i32, libc::SIGCONT) };
    }
}

#[tokio::test]
async fn a_stalled_prometheus_is_not_ready_at_once_and_pages_wait_one_timeout() {
    let stack = stack().await;
    let timeout = Duration::from_secs(3);
    let state = AppState::new(Config {
        prometheus_url: stack.prometheus_url.parse().unwrap(),
        query_timeout_seconds: timeout.as_secs(),
        ..Config::default()
    })
    .unwrap();
    // The first look at what Prometheus holds finishes before the stall: a
    // stall in the middle of it is a wait of its own (the page waits for it,
    // then for its queries), not what this test is about.
    state.panels.discovered().await;
    let addr = serve(state).await;
    let ready = reqwest::get(format!("http://{addr}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200, "ready while Prometheus answers");

    // Prometheus is there, takes connections into its backlog, and answers nothing.
    let _stopped = Stopped::new(stack.pid_of("prometheus").unwrap());
    let started = Instant::now();
    let ready = reqwest::get(format!("http://{addr}/readyz")).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(ready.status(), 503);
    let reason = ready.text().await.unwrap();
    assert!(reason.contains("did not answer within"), "{reason}");

    let started = Instant::now();
    let response = reqwest::get(format!("http://{addr}/")).await.unwrap();
    let mut body = response.bytes_stream();
    let mut html = String::new();
    while !html.contains("</head>") {
        let chunk = body.next().await.expect("the head").unwrap();
        html.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "head after {:?}",
        started.elapsed()
    );
    while let Some(chunk) = body.next().await {
        html.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
    }
    let took = started.elapsed();
    // Every query of the page waits at the same time: one timeout, not a
    // chain of them.
    assert!(
        took < timeout + Duration::from_millis(1500),
        "the page took {took:?}"
    );
    assert!(html.contains("</html>"));
    assert!(html.contains("did not answer within"), "the panels say why");
}

/// The resident memory of this process, in bytes.
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

#[tokio::test]
async fn a_stream_client_that_stops_reading_is_disconnected_and_memory_stays_flat() {
    let stack = stack().await;
    let state = state_for(&stack.prometheus_url);
    let hub = state.hub.clone();
    let addr = serve_with_small_buffers(state).await;
    // 24 h panels make big events, so the socket buffers fill in seconds.
    let path = "/api/stream?dashboard=overview&range=24h";

    // A reader that keeps up, on the same topic.
    let mut reader = PanelEvents::open(addr, path).await;
    reader
        .wait_for("request_rate", Duration::from_secs(20), |e| {
            kind(e) == "live"
        })
        .await;
    let baseline = rss();

    // Clients that send their request and then never read, with small buffers.
    let mut stuck = Vec::new();
    for _ in 0..10 {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let mut conn = socket.connect(addr).await.unwrap();
        conn.write_all(format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").as_bytes())
            .await
            .unwrap();
        stuck.push(conn);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while hub.slow_clients_dropped() < 10 {
        assert!(
            Instant::now() < deadline,
            "only {} of 10 stuck clients were disconnected",
            hub.slow_clients_dropped()
        );
        // The reader keeps reading meanwhile, as a browser would.
        reader
            .next(Instant::now() + Duration::from_millis(200))
            .await;
    }
    let grown = rss().saturating_sub(baseline);
    assert!(
        grown < 64 << 20,
        "memory grew by {} MiB with ten stuck clients",
        grown >> 20
    );

    // The reader that kept up was never cut off: it still gets fresh data.
    let before = Instant::now();
    reader
        .wait_for("request_rate", Duration::from_secs(10), |e| {
            kind(e) == "live"
        })
        .await;
    assert!(before.elapsed() < Duration::from_secs(10));
    assert_eq!(hub.active_topics(), 1);

    // A stuck client that reads again finds its stream ended (so its browser
    // reconnects and resyncs), not an endless backlog.
    let mut conn = stuck.pop().unwrap();
    let mut received = Vec::new();
    let ended = tokio::time::timeout(Duration::from_secs(20), async {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = conn.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            received.extend_from_slice(&buf[..n]);
            // The last chunk of a chunked body: the response is over.
            if received.ends_with(b"\r\n0\r\n\r\n") {
                break;
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the stuck stream must have been ended");
    assert!(received.starts_with(b"HTTP/1.1 200"));
    assert!(
        received.len() < 32 << 20,
        "the backlog is bounded: {} bytes",
        received.len()
    );

    // Its browser reconnects with the last event it got, and resyncs from a
    // snapshot (every panel whole) instead of catching up event by event.
    let received = String::from_utf8_lossy(&received);
    let last = received
        .lines()
        .filter_map(|l| l.strip_prefix("id: "))
        .next_back()
        .expect("it got some events before it stopped reading");
    let panels = panel_count_of(addr, "overview").await;
    let response = reqwest::Client::new()
        .get(format!("http://{addr}{path}"))
        .header("Last-Event-ID", last)
        .send()
        .await
        .unwrap();
    let mut resync = response.events();
    let text = read_panels(&mut resync, panels, Duration::from_secs(10)).await;
    assert_eq!(text.matches("event: panel\n").count(), panels, "{text}");
    assert!(!text.contains("event: delta"), "{text}");
}

/// How many panels a dashboard has, as the server at `addr` lists them.
async fn panel_count_of(addr: std::net::SocketAddr, dashboard: &str) -> usize {
    let view: serde_json::Value = reqwest::get(format!("http://{addr}/api/dashboards/{dashboard}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    view["panels"].as_array().unwrap().len()
}
