//! The PostgreSQL health store on a real PostgreSQL (Debian's, started on
//! loopback): it does what every store does (the checks the SQLite store's
//! tests run too), replicas opening it together migrate it once, and a store
//! that does not answer is an error within seconds, not a hang.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

mod support;

use reqwest::{header, redirect::Policy, Client, StatusCode};
use stack::{Stack, StackOptions};
use vantage::health::store::{conformance, HealthStore, PostgresStore};

/// A fresh database on the server at `url`, and its URL.
fn fresh_database(url: &str, name: &str) -> String {
    let (admin, name_owned) = (url.to_string(), name.to_string());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(connection);
            client
                .batch_execute(&format!("CREATE DATABASE {name_owned}"))
                .await
                .unwrap();
        });
    })
    .join()
    .unwrap();
    url.replacen("/postgres?", &format!("/{name}?"), 1)
}

#[tokio::test]
async fn the_postgres_store_does_what_every_store_does() {
    let mut stack = Stack::start(StackOptions {
        fleet: None,
        node_exporter: false,
        process_exporter: false,
        alertmanager: true,
        databases: true,
        ..StackOptions::default()
    })
    .await
    .expect("the stack starts");
    let url = stack.postgres.as_ref().unwrap().url.clone();
    assert!(url.contains("/postgres?"), "{url}");

    let n = AtomicUsize::new(0);
    conformance::all(&|| {
        let i = n.fetch_add(1, Ordering::Relaxed);
        let db = fresh_database(&url, &format!("store_{i}"));
        Arc::new(PostgresStore::open(&db).unwrap()) as Arc<dyn HealthStore>
    });

    // Replicas starting together: each opens the store, one migrates it.
    let shared = fresh_database(&url, "replicas");
    let opened: Vec<_> = (0..4)
        .map(|_| {
            let shared = shared.clone();
            std::thread::spawn(move || PostgresStore::open(&shared).map(|_| ()))
        })
        .collect();
    for o in opened {
        o.join().unwrap().expect("every replica opens the store");
    }
    let one = PostgresStore::open(&shared).unwrap();
    let other = PostgresStore::open(&shared).unwrap();
    // A result one writes, the other reads.
    one.record(&[conformance::result(
        "api",
        1_000,
        app::model::HealthStatus::Up,
        3.0,
    )])
    .unwrap();
    assert_eq!(other.current().unwrap().len(), 1);
    assert_eq!(other.result_count().unwrap(), 1);

    // Vantage on it: its checks' results land in PostgreSQL, where another
    // Vantage on the same store reads their history.
    let checks = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        checks.path(),
        format!(
            "[[checks]]\nname = \"prometheus\"\nurl = \"{}/-/healthy\"\ninterval_seconds = 1\n",
            stack.prometheus_url
        ),
    )
    .unwrap();
    let vantage_store = fresh_database(&url, "vantage");
    let config = || vantage::config::Config {
        prometheus_url: stack.prometheus_url.parse().unwrap(),
        checks_file: Some(checks.path().to_owned()),
        store_url: Some(vantage_store.clone()),
        ..vantage::config::Config::default()
    };
    let writer = vantage::AppState::new(config()).unwrap();
    let reader = PostgresStore::open(&vantage_store).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while reader.result_count().unwrap() < 3 {
        assert!(Instant::now() < deadline, "no results in PostgreSQL");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let current = reader.current().unwrap();
    assert_eq!(current[0].latest.check, "prometheus");
    assert_eq!(current[0].latest.status, app::model::HealthStatus::Up);
    drop(writer);

    replicas_share_out_the_checks_and_take_over_from_one_that_stops(&stack, &url).await;
    a_login_and_an_embed_token_hold_on_every_replica(&stack, &url).await;

    // Nobody there: a clear error soon, naming the store without a password.
    let port = stack::free_port().unwrap();
    let started = Instant::now();
    let err = PostgresStore::open(&format!(
        "postgres://vantage:secret@127.0.0.1:{port}/health?connect_timeout=2"
    ))
    .expect_err("no store there")
    .to_string();
    assert!(started.elapsed() < Duration::from_secs(10), "{err}");
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    assert!(!err.contains("secret"), "{err}");

    // Last: it stops PostgreSQL.
    the_store_going_away_is_said_and_checks_resume_when_it_is_back(&mut stack, &url).await;
}

/// Two Vantage replicas on one store, twelve checks every 6 s and one of a
/// service that is down, with an alert: each check runs once per interval
/// (one replica holds its lease), both replicas run some, each replica's
/// state shows every check, and when the one running the down service's
/// check stops, the other runs every check with no gap in any check's
/// history longer than two intervals, and the alert stays one alert (in the
/// store and at Alertmanager), not fired again.
async fn replicas_share_out_the_checks_and_take_over_from_one_that_stops(stack: &Stack, url: &str) {
    const CHECKS: usize = 12;
    // Two intervals hold a takeover: the lease's 3 s, a beat, and a look.
    const INTERVAL_MS: i64 = 6_000;
    let nobody = stack::free_port().unwrap();
    let checks = tempfile::NamedTempFile::new().unwrap();
    let mut text = String::new();
    for i in 0..CHECKS {
        text.push_str(&format!(
            "[[checks]]\nname = \"c{i}\"\nurl = \"{}/-/healthy\"\ninterval_seconds = {}\n",
            stack.prometheus_url,
            INTERVAL_MS / 1000
        ));
    }
    text.push_str(&format!(
        "[[checks]]\nname = \"gone\"\nurl = \"http://127.0.0.1:{nobody}/health\"\ninterval_seconds = {}\n\
         [[alerts]]\nname = \"GoneDown\"\nwhen = \"down\"\nfor_seconds = 0\nseverity = \"critical\"\nchecks = [\"gone\"]\n",
        INTERVAL_MS / 1000
    ));
    std::fs::write(checks.path(), text).unwrap();
    let store_url = fresh_database(url, "replicated");
    let alertmanager = stack.alertmanager_url.clone().unwrap();
    let replica = || {
        vantage::AppState::new(vantage::config::Config {
            prometheus_url: stack.prometheus_url.parse().unwrap(),
            checks_file: Some(checks.path().to_owned()),
            store_url: Some(store_url.clone()),
            alertmanager_url: Some(alertmanager.parse().unwrap()),
            ..vantage::config::Config::default()
        })
        .unwrap()
    };
    let (a, b) = (replica(), replica());
    assert_ne!(a.checker.replica(), b.checker.replica());
    // Each replica's alerts stream, from the start.
    let mut streams = [a.alerts.alerting.events(), b.alerts.alerting.events()];
    let store = PostgresStore::open(&store_url).unwrap();
    let started = vantage::clock::now_ms();

    // Shared out: every check is run by exactly one of them, each runs some.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let mut names: Vec<String> = (0..CHECKS).map(|i| format!("c{i}")).collect();
    names.push("gone".into());
    let by_a = names.iter().filter(|n| a.checker.runs(n)).count();
    let by_b = names.iter().filter(|n| b.checker.runs(n)).count();
    for n in &names {
        assert!(
            a.checker.runs(n) != b.checker.runs(n),
            "{n}: run by exactly one replica"
        );
    }
    assert_eq!(by_a + by_b, CHECKS + 1);
    assert!(
        by_a > 0 && by_b > 0,
        "both share the work: {by_a} and {by_b}"
    );

    // Three intervals: each check ran about three times, not six.
    tokio::time::sleep(Duration::from_millis(3 * INTERVAL_MS as u64)).await;
    let until = vantage::clock::now_ms();
    for n in &names {
        let history = store.history(n, started + 5_000, until).unwrap();
        let runs: u32 = history
            .points
            .iter()
            .map(|p| p.up + p.degraded + p.down)
            .sum();
        assert!(
            (2..=4).contains(&runs),
            "{n} ran {runs} times in three intervals"
        );
    }
    // Each replica shows every check, those the other runs included.
    for replica in [&a, &b] {
        let shown = replica
            .checker
            .summaries()
            .iter()
            .filter(|s| s.latest.is_some())
            .count();
        assert_eq!(shown, CHECKS + 1, "{}", replica.checker.replica());
    }
    let gone_alerts = |store: &PostgresStore| -> Vec<app::model::Alert> {
        store
            .alerts_between(started, vantage::clock::now_ms())
            .unwrap()
            .into_iter()
            .filter(|x| x.labels.get("check").map(String::as_str) == Some("gone"))
            .collect()
    };
    let fired = gone_alerts(&store);
    assert_eq!(fired.len(), 1, "{fired:?}");
    // Both replicas' alerts streams told of it, once: the one that fired it,
    // and the other from the store.
    for stream in &mut streams {
        let mut told = 0;
        while let Ok(change) = stream.try_recv() {
            if change.alert().id == fired[0].id {
                told += 1;
            }
        }
        assert_eq!(told, 1, "each stream tells of the alert once");
    }

    // The replica running the down service's check stops (its leases are
    // not renewed): the other takes every check over.
    let surviving_index = usize::from(a.checker.runs("gone"));
    let (stopping, surviving) = if a.checker.runs("gone") {
        (a, b)
    } else {
        (b, a)
    };
    let stopped = vantage::clock::now_ms();
    stopping.shutdown.cancel();
    tokio::time::sleep(Duration::from_millis(4 * INTERVAL_MS as u64)).await;
    for n in &names {
        assert!(surviving.checker.runs(n), "{n} taken over");
        let history = store
            .history(n, started + 5_000, vantage::clock::now_ms())
            .unwrap();
        let times: Vec<i64> = history.points.iter().map(|p| p.at_ms).collect();
        let gap = times.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
        assert!(
            gap <= 2 * INTERVAL_MS,
            "{n}: a gap of {gap} ms (stopped {} ms after the start): {times:?}",
            stopped - started
        );
        assert!(
            *times.last().unwrap() > stopped + INTERVAL_MS,
            "{n} runs after the takeover"
        );
    }
    // Still the one alert, firing: the survivor took it over, not again.
    let after = gone_alerts(&store);
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0].id, fired[0].id);
    assert!(after[0].ended_ms.is_none());
    let at_alertmanager: serde_json::Value = reqwest::get(format!(
        "{alertmanager}/api/v2/alerts?filter=check%3D%22gone%22"
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        at_alertmanager.as_array().unwrap().len(),
        1,
        "{at_alertmanager}"
    );

    // The service comes back: the survivor resolves the alert it took over,
    // once, and its stream says so once.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", nobody))
        .await
        .unwrap();
    tokio::spawn(async move {
        let app = axum::Router::new().route(
            "/health",
            axum::routing::get(|| async { axum::Json(serde_json::json!({"status": "healthy"})) }),
        );
        let _ = axum::serve(listener, app).await;
    });
    let deadline = Instant::now() + Duration::from_millis(3 * INTERVAL_MS as u64);
    let resolved = loop {
        let now = gone_alerts(&store);
        if now.iter().any(|a| a.ended_ms.is_some()) {
            break now;
        }
        assert!(Instant::now() < deadline, "not resolved: {now:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(resolved.len(), 1, "{resolved:?}");
    assert_eq!(resolved[0].id, fired[0].id);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let stream = &mut streams[surviving_index];
    let mut told_resolved = 0;
    while let Ok(change) = stream.try_recv() {
        if matches!(change, vantage::alerts::AlertChange::Resolved(ref a) if a.id == fired[0].id) {
            told_resolved += 1;
        }
    }
    assert_eq!(told_resolved, 1, "the survivor's stream tells of it once");
    surviving.shutdown.cancel();
}

/// Two replicas on one store, one users file and one embed key file (as
/// an operator mounts them on both): a login on one is a login on the other,
/// logging out on the other ends it on both, and a token one mints the
/// other serves.
async fn a_login_and_an_embed_token_hold_on_every_replica(stack: &Stack, url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users.toml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vantage"))
        .arg("--users-file")
        .arg(&users)
        .args(["user", "add", "ann", "--role", "editor", "--password-stdin"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"a long password\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success());
    let store_url = fresh_database(url, "sessions");
    let replica = || async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = vantage::AppState::new(vantage::config::Config {
            prometheus_url: stack.prometheus_url.parse().unwrap(),
            users_file: Some(users.clone()),
            embed_key_file: Some(dir.path().join("embed.key")),
            store_url: Some(store_url.clone()),
            ..vantage::config::Config::default()
        })
        .unwrap();
        support::serve_on(listener, state, support::TEST_LIMITS);
        format!("http://{addr}")
    };
    let (a, b) = (replica().await, replica().await);
    let client = Client::builder().redirect(Policy::none()).build().unwrap();
    let login = client
        .post(format!("{a}/auth/login"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("name=ann&password=a+long+password&next=%2F")
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    let cookie = login
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("vantage_session="))
        .map(|c| c.split(';').next().unwrap().to_string())
        .expect("a session cookie");
    let me = |base: String| {
        let (client, cookie) = (client.clone(), cookie.clone());
        async move {
            client
                .get(format!("{base}/api/me"))
                .header(header::COOKIE, cookie)
                .send()
                .await
                .unwrap()
        }
    };
    // Known on the other replica.
    let on_b = me(b.clone()).await;
    assert_eq!(on_b.status(), StatusCode::OK);
    let on_b: serde_json::Value = on_b.json().await.unwrap();
    assert_eq!(on_b["name"], "ann", "{on_b}");

    // A token minted on B (by ann, an editor) is served by A.
    let minted = client
        .post(format!("{b}/api/embed-tokens"))
        .header(header::COOKIE, &cookie)
        .json(&serde_json::json!({
            "dashboard": "overview",
            "panel": "request_rate",
            "ranges": ["1h"],
            "expires": "1d"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(minted.status(), StatusCode::OK);
    let minted: serde_json::Value = minted.json().await.unwrap();
    let token = minted["token"].as_str().expect("a token");
    let served = client
        .get(format!(
            "{a}/embed/overview/request_rate/data?token={token}&range=1h"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), StatusCode::OK);

    // Logging out on B ends the session on A too.
    let out = client
        .post(format!("{b}/auth/logout"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(me(a.clone()).await.status(), StatusCode::UNAUTHORIZED);
}

/// PostgreSQL stopped under two running replicas: pages and dashboards keep
/// working, each replica's health page and API say the store is
/// unavailable; started again, checks are kept again without anyone doing
/// anything.
async fn the_store_going_away_is_said_and_checks_resume_when_it_is_back(
    stack: &mut Stack,
    url: &str,
) {
    let checks = tempfile::NamedTempFile::new().unwrap();
    let text: String = (0..8)
        .map(|i| {
            format!(
                "[[checks]]\nname = \"p{i}\"\nurl = \"{}/-/healthy\"\ninterval_seconds = 1\n",
                stack.prometheus_url
            )
        })
        .collect();
    std::fs::write(checks.path(), text).unwrap();
    let store_url = fresh_database(url, "outage");
    let replica = || {
        vantage::AppState::new(vantage::config::Config {
            prometheus_url: stack.prometheus_url.parse().unwrap(),
            checks_file: Some(checks.path().to_owned()),
            store_url: Some(store_url.clone()),
            ..vantage::config::Config::default()
        })
        .unwrap()
    };
    let replicas = [replica(), replica()];
    let committed = || replicas.iter().map(|r| r.checker.committed()).sum::<u64>();
    let api = |state: vantage::AppState| async move {
        let (status, body) = support::get(&state, "/api/checks").await;
        assert_eq!(status, 200, "{body}");
        serde_json::from_str::<serde_json::Value>(&body).unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while committed() < 16 {
        assert!(Instant::now() < deadline, "no results kept");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for state in &replicas {
        assert!(api(state.clone()).await.get("store_problem").is_none());
    }

    stack.stop_postgres();
    for state in &replicas {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let view = api(state.clone()).await;
            if view["store_problem"].is_string() {
                // The checks still show their newest result.
                assert!(view["checks"][0]["latest"].is_object(), "{view}");
                break;
            }
            assert!(Instant::now() < deadline, "the outage is not said: {view}");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let (status, page) = support::get(state, "/health").await;
        assert_eq!(status, 200);
        assert!(
            page.contains("data-testid=\"store-problem\""),
            "the page says so"
        );
        let (status, page) = support::get(state, "/d/overview?range=15m").await;
        assert_eq!(status, 200, "dashboards do not need the store");
        assert!(page.contains("panel-"), "{page}");
    }

    stack.start_postgres().await.unwrap();
    let kept = committed();
    let deadline = Instant::now() + Duration::from_secs(30);
    while committed() < kept + 16 {
        assert!(Instant::now() < deadline, "checks did not resume");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    for state in &replicas {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let view = api(state.clone()).await;
            if view.get("store_problem").is_none() {
                break;
            }
            assert!(Instant::now() < deadline, "still said: {view}");
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        state.shutdown.cancel();
    }
}
