//! How many health checks one Vantage runs on time, and what its store costs.
//!
//!   cargo run --release -p bench --bin checker [-- TARGETS SECONDS]
//!
//! 1. Capacity: TARGETS checks (default 5,000) every 10 s against health
//!    endpoints served by a separate process (this binary in `serve` mode, so
//!    its CPU is not counted), for SECONDS (default 60) after one interval of
//!    warm-up. Reports runs done vs due, the share of runs that started within
//!    200 ms of their due time (the p99 goal), and this process' CPU and memory.
//! 2. The store: a year of one check every 30 s (1,051,200 results) written
//!    through the store in batches, its size per million results, then pruned
//!    to the default retention (raw 7 days, minutes 35 days, hours 400 days),
//!    and the history query time for ranges up to a year.
//!
//!   cargo run --release -p bench --bin checker -- replicas [TARGETS SECONDS]
//!
//! 3. Replicas: the same TARGETS checks (default 20,000) shared by two
//!    replicas (two processes) on one PostgreSQL (Debian's, started by the
//!    stack), beside one process on SQLite in the same run: runs done vs due,
//!    on time, CPU and memory per replica, and PostgreSQL's size per million
//!    results.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use app::model::{CheckResult, HealthStatus};
use vantage::{
    alerts::{AlertTargets, Alerting},
    health::{
        store::{HealthStore, PostgresStore, Retention, SqliteStore},
        Checker,
    },
    metrics::Metrics,
};

const INTERVAL: Duration = Duration::from_secs(10);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("serve") {
        return serve();
    }
    if args.get(1).map(String::as_str) == Some("replica") {
        // A child of `replicas`: STORE_URL CHECKS_FILE SECONDS.
        let runtime = tokio::runtime::Runtime::new().unwrap();
        return runtime.block_on(replica(&args[2], &args[3], args[4].parse().unwrap()));
    }
    if args.get(1).map(String::as_str) == Some("replicas") {
        let targets: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(20_000);
        let seconds: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(60);
        let runtime = tokio::runtime::Runtime::new().unwrap();
        return runtime.block_on(replicas(targets, seconds));
    }
    let targets: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5_000);
    let seconds: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(60);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(capacity(targets, Duration::from_secs(seconds)));
    drop(runtime);
    store_year();
}

/// Health endpoints on a loopback port, answered at once; prints the port.
fn serve() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        use axum::{routing::get, Json, Router};
        let app = Router::new().route(
            "/health/{i}",
            get(|| async { Json(serde_json::json!({ "status": "healthy" })) }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("{}", listener.local_addr().unwrap().port());
        axum::serve(listener, app).await.unwrap();
    });
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn cpu_seconds() -> f64 {
    // SAFETY: getrusage fills the struct we pass.
    let usage = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut u);
        u
    };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

fn memory_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// (runs started within 200 ms, all runs) from the schedule-delay histogram.
fn delays(metrics: &Metrics) -> (f64, f64) {
    let text = metrics.render(Default::default());
    let value = |prefix: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (
        value("vantage_check_schedule_delay_seconds_bucket{le=\"0.2\"} "),
        value("vantage_check_schedule_delay_seconds_count "),
    )
}

/// The health endpoints' process (its CPU not counted), and its port.
fn start_endpoints() -> (Server, u16) {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .arg("serve")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line.trim().parse().unwrap();
    (Server(child), port)
}

/// A checks file of `targets` checks of the endpoints on `port`.
fn write_checks(file: &std::path::Path, targets: usize, port: u16) {
    let mut text = format!(
        "[settings]\nmax_concurrent = 256\n[defaults]\ninterval_seconds = {}\n",
        INTERVAL.as_secs()
    );
    for i in 0..targets {
        text.push_str(&format!(
            "[[checks]]\nname = \"t{i}\"\nurl = \"http://127.0.0.1:{port}/health/{i}\"\n"
        ));
    }
    std::fs::write(file, text).unwrap();
}

async fn capacity(targets: usize, window: Duration) {
    let (_server, port) = start_endpoints();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("checks.toml");
    write_checks(&file, targets, port);
    let store: Arc<dyn HealthStore> =
        Arc::new(SqliteStore::open(&dir.path().join("health.sqlite")).unwrap());
    let metrics = Metrics::default();
    let shutdown = tokio_util::sync::CancellationToken::new();
    // The alerts judge every result, as in the server.
    let alerting = Alerting::start(
        Arc::clone(&store),
        AlertTargets::default(),
        shutdown.clone(),
    )
    .unwrap();
    let checker = Checker::start(
        Some(file),
        store,
        metrics.health.clone(),
        Some(Arc::new(alerting)),
        shutdown.clone(),
    )
    .unwrap();

    // One interval for every check to have started.
    tokio::time::sleep(INTERVAL).await;
    let (on_time_0, all_0) = delays(&metrics);
    let (runs_0, cpu_0, started) = (checker.committed(), cpu_seconds(), Instant::now());
    tokio::time::sleep(window).await;
    let (on_time_1, all_1) = delays(&metrics);
    let (runs, cpu, wall) = (
        checker.committed() - runs_0,
        cpu_seconds() - cpu_0,
        started.elapsed().as_secs_f64(),
    );
    shutdown.cancel();
    let due = targets as f64 * wall / INTERVAL.as_secs_f64();
    let on_time = (on_time_1 - on_time_0) / (all_1 - all_0).max(1.0) * 100.0;
    println!("## Capacity: {targets} checks every {INTERVAL:?}, measured for {wall:.0} s");
    println!();
    println!("| figure | value |");
    println!("|---|---:|");
    println!(
        "| runs committed / due | {runs} / {due:.0} ({:.1} %) |",
        runs as f64 / due * 100.0
    );
    println!("| runs started within 200 ms of due | {on_time:.2} % |");
    println!(
        "| CPU (this process: checker + store) | {:.2} cores |",
        cpu / wall
    );
    println!(
        "| resident memory now / peak | {} / {} MiB |",
        memory_kib("VmRSS:") / 1024,
        memory_kib("VmHWM:") / 1024
    );
    println!();
}

fn store_year() {
    const STEP_MS: i64 = 30_000;
    const YEAR_MS: i64 = 365 * 86_400_000;
    const BATCH: usize = 1_000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("health.sqlite");
    let store = SqliteStore::open(&path).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let start = now - YEAR_MS;
    let mut batch = Vec::with_capacity(BATCH);
    let mut written = 0u64;
    let began = Instant::now();
    let mut t = start;
    while t < now {
        // Mostly up, now and then degraded or down, as real services are.
        let n = (t / STEP_MS) as u64;
        let status = match n % 997 {
            0..=2 => HealthStatus::Down,
            3..=9 => HealthStatus::Degraded,
            _ => HealthStatus::Up,
        };
        batch.push(CheckResult {
            check: "api-gateway".into(),
            at_ms: t,
            status,
            response_ms: 5.0 + (n % 13) as f64,
            http_status: Some(200),
            error: None,
            components: Vec::new(),
        });
        if batch.len() == BATCH {
            store.record(&batch).unwrap();
            written += batch.len() as u64;
            batch.clear();
        }
        t += STEP_MS;
    }
    store.record(&batch).unwrap();
    written += batch.len() as u64;
    let write_s = began.elapsed().as_secs_f64();
    let size = |p: &std::path::Path| {
        ["", "-wal"]
            .iter()
            .map(|s| {
                std::fs::metadata(format!("{}{s}", p.display()))
                    .map(|m| m.len())
                    .unwrap_or(0)
            })
            .sum::<u64>()
    };
    let full = size(&path);
    let removed = store.prune(now, Retention::default()).unwrap();
    println!("## The store: a year of one check every 30 s");
    println!();
    println!("| figure | value |");
    println!("|---|---:|");
    println!(
        "| results written | {written} in {write_s:.1} s ({:.0}/s, batches of {BATCH}) |",
        written as f64 / write_s
    );
    println!("| store size per million results (results, transitions, minute and hour summaries) | {:.0} MiB |", full as f64 / written as f64 * 1e6 / 1_048_576.0);
    println!("| rows pruned to the default retention | {removed} |");
    println!();
    println!("| history range | step | points | median query time |");
    println!("|---|---|---:|---:|");
    for (label, span) in [
        ("1 h", 3_600_000),
        ("24 h", 86_400_000),
        ("7 d", 7 * 86_400_000),
        ("30 d", 30 * 86_400_000),
        ("365 d", YEAR_MS),
    ] {
        let mut times = Vec::new();
        let mut points = 0;
        let mut step = 0;
        for _ in 0..21 {
            let began = Instant::now();
            let h = store.history("api-gateway", now - span, now).unwrap();
            times.push(began.elapsed());
            points = h.points.len();
            step = h.step_ms;
        }
        times.sort();
        let step = match step {
            0 => "each run".to_string(),
            60_000 => "minute".to_string(),
            _ => "hour".to_string(),
        };
        println!(
            "| {label} | {step} | {points} | {:.2} ms |",
            times[10].as_secs_f64() * 1000.0
        );
    }
}

/// One replica (a child process): a checker on the shared store for one
/// interval of warm-up and `seconds` more; prints one JSON line of figures.
async fn replica(store_url: &str, checks: &str, seconds: u64) {
    let store: Arc<dyn HealthStore> = Arc::new(PostgresStore::open(store_url).unwrap());
    let metrics = Metrics::default();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let alerting = Alerting::start(
        Arc::clone(&store),
        AlertTargets::default(),
        shutdown.clone(),
    )
    .unwrap();
    let checker = Checker::start(
        Some(checks.into()),
        store,
        metrics.health.clone(),
        Some(Arc::new(alerting)),
        shutdown.clone(),
    )
    .unwrap();
    // Leases, then one interval for every check to have started.
    tokio::time::sleep(INTERVAL + Duration::from_secs(3)).await;
    let (on_time_0, all_0) = delays(&metrics);
    let (runs_0, cpu_0, started) = (checker.committed(), cpu_seconds(), Instant::now());
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let (on_time_1, all_1) = delays(&metrics);
    let wall = started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "runs": checker.committed() - runs_0,
            "on_time": on_time_1 - on_time_0,
            "started": all_1 - all_0,
            "cpu": (cpu_seconds() - cpu_0) / wall,
            "rss_mib": memory_kib("VmHWM:") / 1024,
            "wall": wall,
        })
    );
    shutdown.cancel();
}

/// TARGETS checks shared by two replicas on one PostgreSQL, beside one
/// process on SQLite, in one run.
async fn replicas(targets: usize, seconds: u64) {
    capacity(targets, Duration::from_secs(seconds)).await;
    let stack = stack::Stack::start(stack::StackOptions {
        fleet: None,
        node_exporter: false,
        process_exporter: false,
        alertmanager: false,
        databases: true,
        ..stack::StackOptions::default()
    })
    .await
    .expect("a PostgreSQL (scripts/setup installs it)");
    let store_url = stack.postgres.as_ref().unwrap().url.clone();
    let (_server, port) = start_endpoints();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("checks.toml");
    write_checks(&file, targets, port);
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(&exe)
                .args(["replica", &store_url])
                .arg(&file)
                .arg(seconds.to_string())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    // The store's growth over the measured window (after the replicas' warm-up),
    // so its fixed part (one row per check in several tables) is not counted.
    tokio::time::sleep(INTERVAL + Duration::from_secs(3)).await;
    let before = (
        PostgresStore::open(&store_url)
            .unwrap()
            .result_count()
            .unwrap(),
        table_bytes(&store_url).await,
    );
    let figures: Vec<serde_json::Value> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            serde_json::from_str(text.lines().last().unwrap_or("{}")).unwrap()
        })
        .collect();
    let store = PostgresStore::open(&store_url).unwrap();
    let results = store.result_count().unwrap();
    let size = table_bytes(&store_url).await;
    let wall = figures
        .iter()
        .filter_map(|f| f["wall"].as_f64())
        .fold(0.0, f64::max);
    let due = targets as f64 * wall / INTERVAL.as_secs_f64();
    let runs: u64 = figures.iter().filter_map(|f| f["runs"].as_u64()).sum();
    println!("## Replicas: {targets} checks every {INTERVAL:?} shared by two replicas on PostgreSQL, measured for {wall:.0} s");
    println!();
    println!(
        "runs committed / due (both): {runs} / {due:.0} ({:.1} %)",
        runs as f64 / due * 100.0
    );
    println!();
    println!("| replica | runs | started within 200 ms | CPU | memory (peak RSS) |");
    println!("|---|---:|---:|---:|---:|");
    for (i, f) in figures.iter().enumerate() {
        let on_time = f["on_time"].as_f64().unwrap_or(0.0)
            / f["started"].as_f64().unwrap_or(1.0).max(1.0)
            * 100.0;
        println!(
            "| {} | {} | {on_time:.2} % | {:.2} cores | {} MiB |",
            i + 1,
            f["runs"],
            f["cpu"].as_f64().unwrap_or(0.0),
            f["rss_mib"]
        );
    }
    println!();
    let grown = (size - before.1) as f64 / (results - before.0).max(1) as f64;
    println!(
        "PostgreSQL: {results} results, {:.0} MiB in all; it grew {:.0} MiB per million results over the window (results with their transitions and summaries)",
        size as f64 / 1_048_576.0,
        grown * 1e6 / 1_048_576.0
    );
}

/// Bytes of every table of the store (with their indexes).
async fn table_bytes(url: &str) -> i64 {
    let url = url.to_string();
    tokio::task::spawn_blocking(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(conn);
            client
                .query_one(
                    "SELECT sum(pg_total_relation_size(c.oid))::bigint FROM pg_class c
                     JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = 'public' AND c.relkind = 'r'",
                    &[],
                )
                .await
                .unwrap()
                .get(0)
        })
    })
    .await
    .unwrap()
}
