//! Health checks against the demo fleet's real health endpoints: statuses,
//! components, history, `/metrics`, reloads, targets that never answer or
//! answer badly, and a crash in the middle of writing.

mod support;

use std::{
    path::Path,
    process::{Child, Command},
    time::{Duration, Instant},
};

use fleet::{Fleet, FleetOptions, ServiceMode};
use support::{get, text_of, Events, EventsOf};
use tokio::io::AsyncReadExt;
use vantage::{config::Config, AppState};

fn state_with_checks(file: &Path) -> AppState {
    AppState::new(Config {
        // No Prometheus is needed for health checks.
        prometheus_url: "http://127.0.0.1:9".parse().unwrap(),
        checks_file: Some(file.to_owned()),
        ..Config::default()
    })
    .unwrap()
}

async fn checks(state: &AppState) -> serde_json::Value {
    let (status, body) = get(state, "/api/checks").await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

fn status_of<'a>(checks: &'a serde_json::Value, name: &str) -> Option<&'a str> {
    checks["checks"]
        .as_array()?
        .iter()
        .find(|c| c["name"] == name)?["latest"]["status"]
        .as_str()
}

/// Polls `/api/checks` until `done` holds, or fails with the last answer.
async fn wait_until(
    state: &AppState,
    within: Duration,
    what: &str,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + within;
    loop {
        let now = checks(state).await;
        if done(&now) {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "{what} within {within:?}: {now:#}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn checks_follow_the_fleet_from_up_to_degraded_and_down_and_back() {
    let fleet = Fleet::start(FleetOptions::default()).await.unwrap();
    let services = fleet.services().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("checks.toml");
    std::fs::write(&file, stack::fleet_checks_toml(&services, 1.0)).unwrap();
    let state = state_with_checks(&file);

    let all_up =
        |c: &serde_json::Value| services.iter().all(|s| status_of(c, &s.name) == Some("up"));
    let now = wait_until(&state, Duration::from_secs(15), "every service up", all_up).await;
    // The detailed endpoint's components are kept and shown.
    let user = now["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "user-service")
        .unwrap();
    let components: Vec<&str> = user["latest"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(components.contains(&"database"), "{user}");

    fleet
        .set_mode("auth-service", ServiceMode::Slow)
        .await
        .unwrap();
    fleet
        .set_mode("permission-service", ServiceMode::Fail)
        .await
        .unwrap();
    fleet
        .set_mode("user-service", ServiceMode::Down)
        .await
        .unwrap();
    let now = wait_until(
        &state,
        Duration::from_secs(20),
        "slow, failing, gone",
        |c| {
            status_of(c, "auth-service") == Some("degraded")
                && status_of(c, "permission-service") == Some("down")
                && status_of(c, "user-service") == Some("down")
        },
    )
    .await;
    let latest = |name: &str| {
        now["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap()["latest"]
            .clone()
    };
    assert!(latest("auth-service")["response_ms"].as_f64().unwrap() > 1000.0);
    assert_eq!(latest("permission-service")["http_status"], 503);
    assert_eq!(latest("permission-service")["error"], "answered HTTP 503");
    let refused = latest("user-service")["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        refused.contains("refused") && !refused.contains("127.0.0.1"),
        "{refused}"
    );
    // The others were never held back by the slow one.
    assert_eq!(status_of(&now, "api-gateway"), Some("up"));

    // /metrics says the same, for Prometheus to keep.
    let (_, metrics) = get(&state, "/metrics").await;
    assert!(
        metrics.contains(
            r#"vantage_check_status{check="permission-service",service="permission-service",status="down"} 1"#
        ),
        "{metrics}"
    );
    assert!(metrics.contains(
        r#"vantage_check_status{check="permission-service",service="permission-service",status="up"} 0"#
    ));
    assert!(metrics.contains("vantage_check_response_seconds{"));

    // The navigation of every page says what is red, in words.
    let (_, attention) = get(&state, "/api/attention").await;
    let attention: serde_json::Value = serde_json::from_str(&attention).unwrap();
    assert_eq!(attention["checks_down"], 2, "{attention}");
    assert_eq!(attention["checks_degraded"], 1, "{attention}");
    let (_, page) = get(&state, "/alerts").await;
    assert!(
        page.contains(r#"data-testid="nav-health-badge" class="nav-badge nav-badge--bad">2 down<"#),
        "the nav badge is missing: {page}"
    );

    // Recovery, and the history keeps the whole story.
    for s in ["auth-service", "permission-service", "user-service"] {
        fleet.set_mode(s, ServiceMode::Normal).await.unwrap();
    }
    wait_until(&state, Duration::from_secs(20), "recovered", all_up).await;
    let (_, page) = get(&state, "/alerts").await;
    assert!(
        !page.contains("nav-health-badge"),
        "nothing is red any more"
    );
    let (status, body) = get(&state, "/api/checks/permission-service/history?range=15m").await;
    assert_eq!(status, 200, "{body}");
    let history: serde_json::Value = serde_json::from_str(&body).unwrap();
    let story: Vec<&str> = history["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["to"].as_str().unwrap())
        .collect();
    assert_eq!(story, ["up", "down", "up"], "{body}");
    let uptime = history["uptime_percent"].as_f64().unwrap();
    assert!(uptime > 0.0 && uptime < 100.0, "{uptime}");

    // Unknown checks and bad parameters are clear errors.
    let (status, _) = get(&state, "/api/checks/nope/history").await;
    assert_eq!(status, 404);
    let (status, body) = get(&state, "/api/checks/permission-service/history?range=1y").await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = get(&state, "/api/checks?colour=red").await;
    assert_eq!(status, 400, "{body}");
    let (_, one) = get(&state, "/api/checks?service=auth-service").await;
    let one: serde_json::Value = serde_json::from_str(&one).unwrap();
    assert_eq!(one["checks"].as_array().unwrap().len(), 1);
    state.shutdown.cancel();
}

/// A port that accepts connections and never says a word.
async fn silent_server() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut conn, _)) = listener.accept().await {
            // Read the request so the client is left waiting for an answer.
            let mut buf = [0u8; 1024];
            let _ = conn.read(&mut buf).await;
            held.push(conn);
        }
    });
    addr
}

/// A server that answers badly: huge, not JSON, or a redirect to the cloud
/// metadata address.
async fn bad_server() -> std::net::SocketAddr {
    use axum::{response::Redirect, routing::get, Router};
    let app = Router::new()
        .route("/huge", get(|| async { "x".repeat(4 << 20) }))
        .route("/html", get(|| async { "<html>fine</html>" }))
        .route(
            "/metadata",
            get(|| async { Redirect::temporary("http://169.254.169.254/latest/meta-data/") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

#[tokio::test]
async fn targets_that_never_answer_or_answer_badly_fail_alone() {
    let fleet = Fleet::start(FleetOptions::default()).await.unwrap();
    let services = fleet.services().await;
    let silent = silent_server().await;
    let bad = bad_server().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("checks.toml");
    // Few permits: three silent targets could take them all if they were held
    // longer than their timeout.
    let mut text =
        "[settings]\nmax_concurrent = 4\n".to_string() + &stack::fleet_checks_toml(&services, 1.0);
    for i in 0..3 {
        text.push_str(&format!(
            "\n[[checks]]\nname = \"silent-{i}\"\nurl = \"http://{silent}/health\"\ntimeout_seconds = 5\ninterval_seconds = 1\n"
        ));
    }
    for (name, path, extra) in [
        ("huge", "/huge", ""),
        (
            "html",
            "/html",
            "[[checks.conditions]]\njson = \"/status\"\nequals = \"healthy\"\n",
        ),
        ("metadata-redirect", "/metadata", ""),
    ] {
        text.push_str(&format!(
            "\n[[checks]]\nname = \"{name}\"\nurl = \"http://{bad}{path}\"\ninterval_seconds = 1\n{extra}"
        ));
    }
    text.push_str("\n[[checks]]\nname = \"metadata\"\nurl = \"http://169.254.169.254/latest/meta-data/\"\ninterval_seconds = 1\n");
    std::fs::write(&file, text).unwrap();
    let state = state_with_checks(&file);
    let started = Instant::now();

    // Every fleet check keeps its pace while the silent ones wait out their timeout.
    let now = wait_until(&state, Duration::from_secs(4), "the fleet checked", |c| {
        services.iter().all(|s| status_of(c, &s.name) == Some("up"))
    })
    .await;
    assert!(started.elapsed() < Duration::from_secs(4));
    assert!(
        status_of(&now, "silent-0").is_none(),
        "still waiting: {now}"
    );
    let errors = wait_until(
        &state,
        Duration::from_secs(12),
        "every bad target judged",
        |c| {
            [
                "silent-0",
                "silent-1",
                "silent-2",
                "huge",
                "html",
                "metadata",
                "metadata-redirect",
            ]
            .iter()
            .all(|n| status_of(c, n) == Some("down"))
        },
    )
    .await;
    let error_of = |name: &str| {
        errors["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap()["latest"]["error"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(error_of("silent-1"), "no answer within 5.0 s");
    assert!(
        error_of("huge").contains("larger than"),
        "{}",
        error_of("huge")
    );
    assert_eq!(error_of("html"), "the answer is not JSON");
    assert!(error_of("metadata").contains("not allowed"));
    assert!(
        error_of("metadata-redirect").contains("not allowed"),
        "{}",
        error_of("metadata-redirect")
    );
    // And still the fleet checks ran all along, about once a second.
    let (_, history) = get(&state, "/api/checks/api-gateway/history?range=15m").await;
    let history: serde_json::Value = serde_json::from_str(&history).unwrap();
    let runs = history["points"].as_array().unwrap().len() as f64;
    let seconds = started.elapsed().as_secs_f64();
    assert!(runs >= seconds - 3.0, "{runs} runs in {seconds:.1} s");
    state.shutdown.cancel();
}

#[tokio::test]
async fn an_edited_checks_file_applies_without_a_restart_and_a_broken_one_keeps_the_last() {
    let fleet = Fleet::start(FleetOptions::default()).await.unwrap();
    let services = fleet.services().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("checks.toml");
    std::fs::write(&file, stack::fleet_checks_toml(&services[..2], 1.0)).unwrap();
    let state = state_with_checks(&file);
    assert_eq!(checks(&state).await["checks"].as_array().unwrap().len(), 2);

    std::fs::write(&file, stack::fleet_checks_toml(&services[..3], 1.0)).unwrap();
    wait_until(&state, Duration::from_secs(10), "the third check", |c| {
        status_of(c, &services[2].name) == Some("up")
    })
    .await;

    std::fs::write(&file, "[[checks]]\nname = \"x\"\nurl = \"gopher://x\"\n").unwrap();
    let now = wait_until(&state, Duration::from_secs(10), "the mistake named", |c| {
        !c["problems"].as_array().unwrap().is_empty()
    })
    .await;
    assert_eq!(now["problems"][0]["field"], "checks[0].url");
    assert_eq!(
        now["checks"].as_array().unwrap().len(),
        3,
        "the last good checks run on"
    );
    state.shutdown.cancel();
}

/// The `vantage` binary, killed with SIGKILL when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(dir: &Path, port: u16) -> Server {
    Server(
        Command::new(env!("CARGO_BIN_EXE_vantage"))
            .env("VANTAGE_LISTEN", format!("127.0.0.1:{port}"))
            .env("VANTAGE_PROMETHEUS_URL", "http://127.0.0.1:9")
            .env("VANTAGE_CHECKS_FILE", dir.join("checks.toml"))
            .env("VANTAGE_STORE_PATH", dir.join("health.sqlite"))
            .env("VANTAGE_LOG", "warn")
            .spawn()
            .unwrap(),
    )
}

/// `vantage_health_results_stored_total` from the server's `/metrics`.
async fn stored(port: u16) -> Option<u64> {
    let text = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("vantage_health_results_stored_total "))
        .and_then(|v| v.trim().parse().ok())
}

#[tokio::test]
async fn kill_9_while_writing_loses_no_acknowledged_result() {
    let fleet = Fleet::start(FleetOptions::default()).await.unwrap();
    let services = fleet.services().await;
    let dir = tempfile::tempdir().unwrap();
    // Many checks at a fast pace, so the kill lands while results are written.
    let mut text = "[defaults]\ninterval_seconds = 1\n".to_string();
    for i in 0..200 {
        let s = &services[i % services.len()];
        text.push_str(&format!(
            "\n[[checks]]\nname = \"{}-{i}\"\nurl = {:?}\n",
            s.name, s.health_urls[0]
        ));
    }
    std::fs::write(dir.path().join("checks.toml"), text).unwrap();
    let store = dir.path().join("health.sqlite");

    let mut before_all = 0;
    for round in 0..3 {
        let port = stack::free_port().unwrap();
        let mut server = start_server(dir.path(), port);
        let deadline = Instant::now() + Duration::from_secs(30);
        // Acknowledged: counted in /metrics only after the commit.
        let acknowledged = loop {
            if let Some(n) = stored(port).await.filter(|n| *n >= 300) {
                break n;
            }
            assert!(
                Instant::now() < deadline,
                "round {round}: no results stored"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        server.0.kill().unwrap();
        server.0.wait().unwrap();

        let reopened = vantage::health::store::SqliteStore::open(&store).unwrap();
        use vantage::health::store::HealthStore;
        let count = reopened.result_count().unwrap();
        assert!(
            count >= before_all + acknowledged,
            "round {round}: {count} stored, {} acknowledged",
            before_all + acknowledged
        );
        let conn = rusqlite::Connection::open(&store).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        before_all = count;
    }
}

#[test]
fn vantage_check_also_checks_the_checks_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("checks.toml");
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_vantage"))
            .arg("check")
            .env_remove("VANTAGE_DASHBOARDS_DIR")
            .env("VANTAGE_CHECKS_FILE", &file)
            .output()
            .unwrap()
    };
    std::fs::write(
        &file,
        "[[checks]]\nname = \"a\"\nurl = \"http://127.0.0.1:1/health\"\n",
    )
    .unwrap();
    let ok = run();
    assert!(ok.status.success(), "{ok:?}");
    assert!(String::from_utf8_lossy(&ok.stdout).contains("1 check(s) ok"));

    std::fs::write(
        &file,
        "[[checks]]\nname = \"a\"\nurl = \"http://x/\"\ndegraded_after_ms = 9000\n",
    )
    .unwrap();
    let out = run();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("checks.toml: checks[0].degraded_after_ms: must be below down_after_ms"),
        "{stderr}"
    );
}

/// Reads the stream's events into `text` until it contains `wanted`.
async fn read_until(text: &mut String, events: &mut Events, wanted: &str) {
    use futures::StreamExt;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !text.contains(wanted) {
        let event = tokio::time::timeout_at(deadline, events.next())
            .await
            .unwrap_or_else(|_| panic!("{wanted:?} within 15 s: {text}"))
            .expect("the stream stays open")
            .expect("the stream is well-formed SSE");
        text.push_str(&text_of(&event));
    }
}

#[tokio::test]
async fn the_health_stream_pushes_results_and_changes_as_they_commit() {
    let fleet = Fleet::start(FleetOptions::default()).await.unwrap();
    let services = fleet.services().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("checks.toml");
    std::fs::write(&file, stack::fleet_checks_toml(&services[..3], 1.0)).unwrap();
    let state = state_with_checks(&file);
    let (status, body) = get(&state, "/api/stream?view=weather").await;
    assert_eq!(status, 400, "{body}");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = vantage::router(state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let mut body = reqwest::get(format!("http://{addr}/api/stream?view=health"))
        .await
        .unwrap()
        .events();
    let mut text = String::new();
    read_until(&mut text, &mut body, "event: check").await;
    assert!(text.starts_with("event: hello"), "{text}");
    fleet
        .set_mode(&services[1].name, ServiceMode::Fail)
        .await
        .unwrap();
    read_until(&mut text, &mut body, "\"to\":\"down\"").await;
    assert!(text.contains("event: transition"), "{text}");
    fleet
        .set_mode(&services[1].name, ServiceMode::Normal)
        .await
        .unwrap();
    state.shutdown.cancel();
}

#[tokio::test]
async fn markup_in_check_names_and_alerts_is_shown_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("checks.toml");
    let port = stack::free_port().unwrap();
    // A name and a service full of markup, on a port nobody listens on: the
    // check goes down at once and its alert fires at once.
    std::fs::write(
        &file,
        format!(
            "[[checks]]\nname = \"<script>alert(1)</script>\"\nservice = \"<img src=x onerror=alert(2)>\"\nurl = \"http://127.0.0.1:{port}/health\"\ninterval_seconds = 1\n\n[[alerts]]\nname = \"Down\"\nwhen = \"down\"\nseverity = \"critical\"\n"
        ),
    )
    .unwrap();
    let state = state_with_checks(&file);
    wait_until(&state, Duration::from_secs(10), "the check ran", |c| {
        status_of(c, "<script>alert(1)</script>") == Some("down")
    })
    .await;
    for page in ["/health", "/alerts"] {
        let mut html = String::new();
        for _ in 0..20 {
            html = get(&state, page).await.1;
            if html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{page} shows the name as text"
        );
        assert!(!html.contains("<script>alert(1)"), "{page} never as markup");
        assert!(!html.contains("<img src=x"), "{page} never as markup");
    }
    state.shutdown.cancel();
}
