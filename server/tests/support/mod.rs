//! What the integration tests share: a stack with fleet history, the app state
//! pointed at it, and small readers for the API and the stream.
// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::time::Duration;

use axum::{body::Body, http::Request};
use fleet::{FleetOptions, History};
use futures::StreamExt;
use http_body_util::BodyExt;
use stack::{Stack, StackOptions};
use tower::ServiceExt;
use vantage::{config::Config, prometheus::PrometheusClient, router, AppState};

/// The fleet's service names (the fleet's own tests pin the list).
pub fn fleet_service_names() -> Vec<&'static str> {
    fleet::catalog::SERVICES.iter().map(|s| s.name).collect()
}

/// A stack whose fleet brings 20 minutes of history, so rates exist at once.
pub async fn stack() -> Stack {
    stack_with(false).await
}

/// The same, with PostgreSQL and Redis (and their exporters) when `databases`.
pub async fn stack_with(databases: bool) -> Stack {
    let stack = Stack::start(StackOptions {
        alertmanager: false,
        databases,
        fleet: Some(FleetOptions {
            history: Some(History {
                seconds: 1200,
                step_seconds: 15,
            }),
            ..FleetOptions::default()
        }),
        ..StackOptions::default()
    })
    .await
    .expect("the stack starts");
    stack
        .wait_for_data(
            "sum by (service) (rate(http_requests_total[1m]))",
            Duration::from_secs(30),
        )
        .await
        .expect("fleet data in Prometheus");
    stack
}

pub fn client(url: &str) -> PrometheusClient {
    PrometheusClient::new(url.parse().unwrap(), Duration::from_secs(5)).unwrap()
}

pub fn state_for(prometheus_url: &str) -> AppState {
    let config = Config {
        prometheus_url: prometheus_url.parse().unwrap(),
        refresh_seconds: 1,
        ..Config::default()
    };
    AppState::new(config).unwrap()
}

pub async fn get(state: &AppState, uri: &str) -> (u16, String) {
    let response = router(state.clone())
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// How many panels a dashboard has, as the API lists them.
pub async fn panel_count(state: &AppState, dashboard: &str) -> usize {
    let (_, view) = get(state, &format!("/api/dashboards/{dashboard}")).await;
    let view: serde_json::Value = serde_json::from_str(&view).unwrap();
    view["panels"].as_array().unwrap().len()
}

/// Serves the router on a free loopback port (for clients that need a socket:
/// streams); abort the handle to stop.
pub async fn serve(state: AppState) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router(state)).await;
    });
    (addr, server)
}

/// Serves `state` on `listener` through Vantage's own listener (its
/// limits, and each client's address for the limits kept per client).
pub fn serve_on(
    listener: tokio::net::TcpListener,
    state: AppState,
    limits: vantage::edge::listener::Limits,
) {
    tokio::spawn(vantage::edge::listener::serve(
        listener,
        router(state),
        limits,
        std::future::pending(),
    ));
}

/// Limits for a test's listener: room for every test's clients, and a
/// header-read timeout no test waits out.
pub const TEST_LIMITS: vantage::edge::listener::Limits = vantage::edge::listener::Limits {
    max_connections: 256,
    header_read_timeout: Duration::from_secs(10),
};

/// A stream's events, read by a real SSE parser (eventsource-stream): comments
/// (heartbeats) and line breaks in data are the parser's business, not a
/// substring's.
pub type Events = std::pin::Pin<
    Box<dyn futures::Stream<Item = Result<eventsource_stream::Event, String>> + Send>,
>;

pub trait EventsOf {
    fn events(self) -> Events;
}

impl EventsOf for reqwest::Response {
    fn events(self) -> Events {
        use eventsource_stream::Eventsource;
        Box::pin(
            self.bytes_stream()
                .eventsource()
                .map(|e| e.map_err(|e| e.to_string())),
        )
    }
}

/// One event as the server's fields say it, in the wire's own words (for
/// assertions on what it carried).
pub fn text_of(event: &eventsource_stream::Event) -> String {
    let mut text = format!("event: {}\n", event.event);
    if !event.id.is_empty() {
        text.push_str(&format!("id: {}\n", event.id));
    }
    if let Some(retry) = event.retry {
        text.push_str(&format!("retry: {}\n", retry.as_millis()));
    }
    for line in event.data.lines() {
        text.push_str(&format!("data: {line}\n"));
    }
    text + "\n"
}

/// Reads events until `n` panel events (whole panels or deltas) came;
/// returns them all as text.
pub async fn read_panels(events: &mut Events, n: usize, within: Duration) -> String {
    let mut text = String::new();
    let mut panels = 0;
    let deadline = tokio::time::Instant::now() + within;
    while panels < n {
        let event = tokio::time::timeout_at(deadline, events.next())
            .await
            .unwrap_or_else(|_| panic!("{n} panel event(s) within {within:?}; got {text}"))
            .expect("the stream stays open")
            .expect("the stream is well-formed SSE");
        panels += usize::from(event.event == "panel" || event.event == "delta");
        text.push_str(&text_of(&event));
    }
    text
}

/// The names of a panel's series, as the API answered them.
pub fn series_names(body: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    v["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect()
}

/// How many numbers a panel holds: points of its series and cells of its rows.
pub fn values_of(panel: &serde_json::Value) -> usize {
    let points = panel["series"]
        .as_array()
        .map(|s| {
            s.iter()
                .flat_map(|s| s["points"].as_array().cloned().unwrap_or_default())
                .filter(|p| p[1].is_number())
                .count()
        })
        .unwrap_or(0);
    let cells = panel["rows"]
        .as_array()
        .map(|r| {
            r.iter()
                .flat_map(|r| r["values"].as_array().cloned().unwrap_or_default())
                .filter(|v| v.is_number())
                .count()
        })
        .unwrap_or(0);
    points + cells
}

/// The one stack of a test binary, started by its first test that asks and
/// shared by the rest (run them with `cargo test`, which runs a binary's tests
/// as threads of one process). Each test stays isolated by its own app state,
/// files and ports; tests that count Prometheus' queries take the stack
/// alone ([`shared_stack_alone`]). Stopped, and its folder removed, when the
/// test binary exits.
pub struct SharedStack {
    pub prometheus_url: String,
}

impl SharedStack {
    /// Requests Prometheus has served for `handler` (see `Stack::requests_served`).
    pub async fn requests_served(&self, handler: &str) -> f64 {
        stack::requests_served(&self.prometheus_url, handler).await
    }
}

/// A test's use of the shared stack: shared with other tests, or alone.
pub struct Lease {
    stack: &'static SharedStack,
    _turn: Turn,
}

pub enum Turn {
    Shared(#[allow(dead_code)] tokio::sync::RwLockReadGuard<'static, ()>),
    Alone(#[allow(dead_code)] tokio::sync::RwLockWriteGuard<'static, ()>),
}

impl std::ops::Deref for Lease {
    type Target = SharedStack;
    fn deref(&self) -> &SharedStack {
        self.stack
    }
}

static SHARED: std::sync::OnceLock<SharedStack> = std::sync::OnceLock::new();
static TURNS: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());
/// Tells the stack's thread to stop it, and waits for it (at exit).
static STOP: std::sync::Mutex<Option<(std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>)>> =
    std::sync::Mutex::new(None);

/// The binary's shared stack (fleet with 20 minutes of history; PostgreSQL
/// and Redis too when `databases`: the first caller decides).
pub async fn shared_stack_with(databases: bool) -> Lease {
    let turn = Turn::Shared(TURNS.read().await);
    Lease {
        stack: shared(databases),
        _turn: turn,
    }
}

pub async fn shared_stack() -> Lease {
    shared_stack_with(false).await
}

/// The shared stack with no other test of this binary using it meanwhile: for
/// tests that count the queries Prometheus serves.
pub async fn shared_stack_alone() -> Lease {
    shared_stack_alone_with(false).await
}

/// The same, with PostgreSQL and Redis when `databases` (the first caller decides).
pub async fn shared_stack_alone_with(databases: bool) -> Lease {
    let turn = alone().await;
    let stack = shared(databases);
    Lease { stack, _turn: turn }
}

/// No other test of this binary runs meanwhile (whether it uses the stack or not).
pub async fn alone() -> Turn {
    let turn = Turn::Alone(TURNS.write().await);
    // A test that just ended may have a refresh in flight as its runtime stops.
    tokio::time::sleep(Duration::from_millis(300)).await;
    turn
}

fn shared(databases: bool) -> &'static SharedStack {
    SHARED.get_or_init(|| {
        let (started, url) = std::sync::mpsc::channel();
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        // Its own thread and runtime: the fleet's tasks outlive every test's.
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let stack = stack_with(databases).await;
                let _ = started.send(stack.prometheus_url.clone());
                let _ = tokio::task::spawn_blocking(move || stopped.recv()).await;
                drop(stack);
            });
        });
        let prometheus_url = url.recv().expect("the shared stack starts");
        *STOP.lock().unwrap() = Some((stop, thread));
        extern "C" fn stop_at_exit() {
            if let Some((stop, thread)) = STOP.lock().ok().and_then(|mut s| s.take()) {
                let _ = stop.send(());
                let _ = thread.join();
            }
        }
        // SAFETY: registers a plain function without arguments.
        unsafe { libc::atexit(stop_at_exit) };
        SharedStack { prometheus_url }
    })
}

/// Waits until the hub refreshes nothing; fails with `why` after `within`.
pub async fn until_no_topics(hub: &vantage::hub::Hub, within: Duration, why: &str) {
    let deadline = tokio::time::Instant::now() + within;
    while hub.active_topics() > 0 {
        assert!(tokio::time::Instant::now() < deadline, "{why}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The `id:` of every event in SSE `text`, in order.
pub fn event_ids(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("id: "))
        .map(str::to_string)
        .collect()
}

/// Every event that comes within `window` (for "nothing more came").
pub async fn read_for(events: &mut Events, window: Duration) -> String {
    let mut text = String::new();
    let _ = tokio::time::timeout(window, async {
        while let Some(Ok(event)) = events.next().await {
            text.push_str(&text_of(&event));
        }
    })
    .await;
    text
}

/// A dashboard stream read as a browser reads it: whole panels kept, deltas
/// applied to them, and each panel's state after every event it took (by
/// event id), to compare two viewers at the same event.
pub struct Viewer {
    events: Events,
    /// Each panel's state now.
    pub panels: std::collections::HashMap<String, app::model::PanelData>,
    /// Each panel's state after each event of it: (event id, state).
    pub history: std::collections::HashMap<String, Vec<(String, app::model::PanelData)>>,
    /// Every event taken: (event, id).
    pub taken: Vec<(String, String)>,
}

impl Viewer {
    pub async fn connect(url: &str, last_event_id: Option<&str>) -> Self {
        let mut request = reqwest::Client::new().get(url);
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "{url}");
        Self {
            events: response.events(),
            panels: Default::default(),
            history: Default::default(),
            taken: Vec::new(),
        }
    }

    /// The id of the newest event taken.
    pub fn last_id(&self) -> Option<&str> {
        self.taken.last().map(|(_, id)| id.as_str())
    }

    /// How many events of `kind` it took.
    pub fn count(&self, kind: &str) -> usize {
        self.taken.iter().filter(|(k, _)| k == kind).count()
    }

    /// Takes events until `done` holds; panics after `within`.
    pub async fn read_until(&mut self, within: Duration, done: impl Fn(&Self) -> bool) {
        let deadline = tokio::time::Instant::now() + within;
        while !done(self) {
            let event = tokio::time::timeout_at(deadline, self.events.next())
                .await
                .unwrap_or_else(|_| panic!("not done within {within:?}; took {:?}", self.taken))
                .expect("the stream stays open")
                .expect("the stream is well-formed SSE");
            self.take(event);
        }
    }

    fn take(&mut self, event: eventsource_stream::Event) {
        let panel = match event.event.as_str() {
            "panel" => serde_json::from_str::<app::model::PanelData>(&event.data).unwrap(),
            "delta" => {
                let delta: app::model::PanelDelta = serde_json::from_str(&event.data).unwrap();
                let base = self
                    .panels
                    .get(&delta.panel)
                    .unwrap_or_else(|| panic!("a delta for {} before it came whole", delta.panel));
                delta.applied_to(base)
            }
            _ => {
                self.taken.push((event.event, event.id));
                return;
            }
        };
        for s in &panel.series {
            assert!(
                s.points.windows(2).all(|w| w[0].0 < w[1].0),
                "{}: a duplicate or out-of-order point in {:?}",
                panel.panel.panel,
                s.points
            );
        }
        let id = panel.panel.panel.clone();
        self.history
            .entry(id.clone())
            .or_default()
            .push((event.id.clone(), panel.clone()));
        self.panels.insert(id, panel);
        self.taken.push((event.event, event.id));
    }

    /// Panel `panel` as it was after event `id`, if it took that event.
    pub fn panel_at(&self, panel: &str, id: &str) -> Option<&app::model::PanelData> {
        self.history
            .get(panel)?
            .iter()
            .find(|(at, _)| at == id)
            .map(|(_, p)| p)
    }
}

/// Sequence number of an event id (`<run>-<seq>`).
pub fn seq_of(id: &str) -> u64 {
    id.rsplit('-')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// Polls every panel of the built-in dashboards until each has data (the
/// exporters need a few scrapes before rates exist), naming the empty ones
/// if some are still empty after `within`; the dashboards' ids.
pub async fn every_built_in_panel_has_data(state: &AppState, within: Duration) -> Vec<String> {
    let (status, list) = get(state, "/api/dashboards").await;
    assert_eq!(status, 200);
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    let ids: Vec<String> = list["dashboards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["overview", "api", "system", "infrastructure"]);
    let deadline = std::time::Instant::now() + within;
    loop {
        let mut empty = Vec::new();
        let mut checked = 0;
        for id in &ids {
            let (_, view) = get(state, &format!("/api/dashboards/{id}")).await;
            let view: serde_json::Value = serde_json::from_str(&view).unwrap();
            for panel in view["panels"].as_array().unwrap() {
                let p = panel["id"].as_str().unwrap();
                let (status, body) =
                    get(state, &format!("/api/dashboards/{id}/panels/{p}?range=15m")).await;
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
            return ids;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "panels without data: {empty:#?}"
        );
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
}
