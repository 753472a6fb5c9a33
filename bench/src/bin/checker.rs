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
        store::{HealthStore, Retention, SqliteStore},
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

async fn capacity(targets: usize, window: Duration) {
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
    let _server = Server(child);
    let port: u16 = line.trim().parse().unwrap();

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("checks.toml");
    let mut text = format!(
        "[settings]\nmax_concurrent = 256\n[defaults]\ninterval_seconds = {}\n",
        INTERVAL.as_secs()
    );
    for i in 0..targets {
        text.push_str(&format!(
            "[[checks]]\nname = \"t{i}\"\nurl = \"http://127.0.0.1:{port}/health/{i}\"\n"
        ));
    }
    std::fs::write(&file, text).unwrap();
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
