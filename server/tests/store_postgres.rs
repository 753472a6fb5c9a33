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
    let stack = Stack::start(StackOptions {
        fleet: None,
        node_exporter: false,
        process_exporter: false,
        alertmanager: false,
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

    // Nobody there: a clear error soon, naming the store without a password.
    let port = stack::free_port().unwrap();
    let started = Instant::now();
    let err = PostgresStore::open(&format!(
        "postgres://vantage:secret@127.0.0.1:{port}/health?connect_timeout=2"
    ))
    .err()
    .expect("no store there")
    .to_string();
    assert!(started.elapsed() < Duration::from_secs(10), "{err}");
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    assert!(!err.contains("secret"), "{err}");
}
