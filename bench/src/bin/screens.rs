//! Ten thousand screens on one dashboard: N stream viewers of the overview
//! (1 h, refresh 5 s) held on loopback against the `vantage` binary on the
//! demo's Prometheus and fleet, once with whole panels every refresh (as
//! before deltas, `stream_deltas = false`) and once with deltas, side by side.
//!
//!   cargo build --release -p server
//!   cargo run --release -p bench --bin screens -- [VIEWERS] [SECONDS]
//!
//! Every viewer reads its stream as a browser does (every byte, every
//! event); one in `SAMPLE_EVERY` also parses each event and applies deltas,
//! which is where freshness comes from. Reported per mode: viewers held,
//! connect time, bytes per viewer per refresh, fan-out delay (first to last
//! viewer getting an event), push delay (from the server having the panel's
//! data, its `updated_at_ms`, to each viewer), freshness of the newest point
//! at arrival, the server's RSS idle (after one viewer watched a refresh and
//! left: the view's caches filled), while they watch and a minute after
//! they left, and its CPU while they watch.
//!
//! `SCREENS_RANGES=15m,1h,24h,7d` also measures freshness per range (a few
//! sampled viewers each, deltas); `SCREENS_OTHER_BINARY=PATH` adds a row for
//! another build of the server (deltas), e.g. with another allocator.

use std::{
    collections::HashMap,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use app::model::{PanelData, PanelDelta};
use bench::raise_open_files_limit;
use futures::StreamExt;

const REFRESH_SECONDS: u64 = 5;
/// One viewer in this many parses what it gets, as a browser would.
const SAMPLE_EVERY: usize = 100;
/// Connections being opened at once.
const CONNECTING_AT_ONCE: usize = 256;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// What every viewer records; shared, appended to as events arrive.
#[derive(Default)]
struct Record {
    /// Per event id: arrival times (ms) at every viewer.
    arrivals: HashMap<String, Vec<i64>>,
    /// Per event id: the panel data's `updated_at_ms` (from sampled viewers).
    updated: HashMap<String, i64>,
    /// Freshness at arrival: arrival − newest point of the panel (ms), per
    /// event of a sampled viewer, for panels of range kinds.
    staleness: Vec<i64>,
    bytes: u64,
}

struct Viewer {
    sampled: bool,
    panels: HashMap<String, PanelData>,
}

impl Viewer {
    /// Takes one whole event (its lines, without the blank line).
    fn take(&mut self, event: &str, data: &str, arrived: i64) -> Option<(i64, Option<i64>)> {
        let panel = match event {
            "panel" => serde_json::from_str::<PanelData>(data).ok()?,
            "delta" => {
                let delta: PanelDelta = serde_json::from_str(data).ok()?;
                delta.applied_to(self.panels.get(&delta.panel)?)
            }
            _ => return None,
        };
        let newest = panel
            .series
            .iter()
            .filter_map(|s| s.points.iter().rev().find(|p| p.1.is_some()))
            .map(|p| p.0 * 1000)
            .max();
        let updated = panel.updated_at_ms;
        let instant = panel.view.kind.is_instant();
        self.panels.insert(panel.panel.panel.clone(), panel);
        Some((updated, newest.filter(|_| !instant).map(|t| arrived - t)))
    }
}

/// Opens one stream and reads it until `stop`; returns how long it took to
/// connect (to the `hello` event), or `None` if it never did.
async fn watch(
    client: reqwest::Client,
    url: String,
    sampled: bool,
    record: Arc<Mutex<Record>>,
    counting: Arc<std::sync::atomic::AtomicBool>,
    stop: tokio_util::sync::CancellationToken,
    connected: tokio::sync::mpsc::Sender<Option<Duration>>,
) {
    let started = Instant::now();
    let response = match client.get(&url).send().await {
        Ok(r) if r.status().is_success() => r,
        _ => {
            let _ = connected.send(None).await;
            return;
        }
    };
    let mut body = response.bytes_stream();
    let mut viewer = Viewer {
        sampled,
        panels: HashMap::new(),
    };
    // The event being read: its id and kind, and (sampled) its data.
    let (mut line, mut id, mut kind, mut data) =
        (Vec::new(), String::new(), String::new(), String::new());
    let mut said_hello = false;
    loop {
        let chunk = tokio::select! {
            chunk = body.next() => chunk,
            () = stop.cancelled() => break,
        };
        let Some(Ok(chunk)) = chunk else { break };
        let arrived = now_ms();
        if counting.load(std::sync::atomic::Ordering::Relaxed) {
            record.lock().unwrap().bytes += chunk.len() as u64;
        }
        let mut rest = &chunk[..];
        while !rest.is_empty() {
            let end = rest.iter().position(|b| *b == b'\n');
            let (part, more) = match end {
                Some(i) => (&rest[..i], Some(&rest[i + 1..])),
                None => (rest, None),
            };
            // Only the start of a line matters unless this viewer parses data.
            let wanted = if viewer.sampled {
                part.len()
            } else {
                part.len().min(64)
            };
            if line.len() < 64 || viewer.sampled {
                line.extend_from_slice(&part[..wanted.min(part.len())]);
            }
            let Some(more) = more else { break };
            rest = more;
            if line.is_empty() {
                // A blank line: the event is complete.
                if kind == "hello" && !said_hello {
                    said_hello = true;
                    let _ = connected.send(Some(started.elapsed())).await;
                }
                if !id.is_empty() {
                    let mut r = record.lock().unwrap();
                    r.arrivals.entry(id.clone()).or_default().push(arrived);
                    if viewer.sampled {
                        if let Some((updated, stale)) = viewer.take(&kind, &data, arrived) {
                            r.updated.insert(id.clone(), updated);
                            if let Some(stale) = stale {
                                if counting.load(std::sync::atomic::Ordering::Relaxed) {
                                    r.staleness.push(stale);
                                }
                            }
                        }
                    }
                }
                id.clear();
                kind.clear();
                data.clear();
            } else if let Some(v) = line.strip_prefix(b"id: ") {
                id = String::from_utf8_lossy(v).into_owned();
            } else if let Some(v) = line.strip_prefix(b"event: ") {
                kind = String::from_utf8_lossy(v).into_owned();
            } else if let Some(v) = line.strip_prefix(b"data: ") {
                if viewer.sampled {
                    data = String::from_utf8_lossy(v).into_owned();
                }
            }
            line.clear();
        }
    }
    if !said_hello {
        let _ = connected.send(None).await;
    }
}

/// The server's resident memory (bytes) and CPU time (seconds).
fn rss_and_cpu(pid: u32) -> (u64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or(0)
        * 1024;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command's closing parenthesis: utime and stime are 14 and 15.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i - 3)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (rss, (ticks(14) + ticks(15)) / hz)
}

fn percentile(values: &mut [i64], p: f64) -> i64 {
    if values.is_empty() {
        return 0;
    }
    values.sort_unstable();
    let i = ((values.len() - 1) as f64 * p).round() as usize;
    values[i]
}

fn mib(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / 1e6)
}

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The release `vantage` binary on the stack's Prometheus, its limits raised
/// for N viewers from one address.
async fn start_vantage(binary: &str, prometheus: &str, deltas: bool, viewers: usize) -> Server {
    let port = stack::free_port().unwrap();
    let dir = tempfile::tempdir().unwrap().keep();
    let child = Command::new(binary)
        .current_dir(&dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("VANTAGE_LISTEN", format!("127.0.0.1:{port}"))
        .env("VANTAGE_PROMETHEUS_URL", prometheus)
        .env("VANTAGE_REFRESH_SECONDS", REFRESH_SECONDS.to_string())
        .env("VANTAGE_STREAM_DELTAS", deltas.to_string())
        .env("VANTAGE_MAX_CONNECTIONS", (viewers + 1000).to_string())
        .env(
            "VANTAGE_MAX_STREAMS_PER_CLIENT",
            (viewers + 1000).to_string(),
        )
        .env("VANTAGE_RATE_LIMIT_PER_SECOND", "100000")
        .env("VANTAGE_HEADER_READ_TIMEOUT_SECONDS", "60")
        .env("RUST_LOG", "warn")
        // The allocator's own settings (MALLOC_ARENA_MAX, …) pass through.
        .envs(std::env::vars().filter(|(k, _)| k.starts_with("MALLOC_")))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("{binary}: {e} (cargo build --release -p server)"));
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while reqwest::get(format!("{url}/readyz"))
        .await
        .map(|r| r.status().is_success())
        .ok()
        != Some(true)
    {
        assert!(Instant::now() < deadline, "vantage did not get ready");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Server { child, url }
}

/// One mode's figures.
struct Figures {
    held: usize,
    connect_p50: Duration,
    connect_p99: Duration,
    connect_all: Duration,
    bytes_per_refresh: f64,
    fan_out_p50: i64,
    fan_out_p99: i64,
    push_p50: i64,
    push_p99: i64,
    fresh_p50: i64,
    fresh_max: i64,
    rss_idle: u64,
    rss_watching: u64,
    rss_after: u64,
    cpu: f64,
}

async fn run(
    binary: &str,
    prometheus: &str,
    deltas: bool,
    viewers: usize,
    window: Duration,
    range: &str,
) -> Figures {
    let server = start_vantage(binary, prometheus, deltas, viewers).await;
    let pid = server.child.id();
    // Idle is a server that has shown the dashboard (its caches of the
    // view's data and of what Prometheus holds are filled) and nobody watches.
    {
        let one = reqwest::get(format!(
            "{}/api/stream?dashboard=overview&range={range}",
            server.url
        ))
        .await
        .unwrap();
        let mut body = one.bytes_stream();
        let until = Instant::now() + Duration::from_secs(REFRESH_SECONDS + 1);
        while let Ok(Some(_)) = tokio::time::timeout_at(until.into(), body.next()).await {}
    }
    tokio::time::sleep(Duration::from_secs(15)).await;
    let (rss_idle, _) = rss_and_cpu(pid);

    let client = reqwest::Client::builder()
        .http1_only()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let url = format!("{}/api/stream?dashboard=overview&range={range}", server.url);
    let record = Arc::new(Mutex::new(Record::default()));
    let counting = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop = tokio_util::sync::CancellationToken::new();
    let (connected_tx, mut connected_rx) = tokio::sync::mpsc::channel(viewers.max(1));
    let connecting = Arc::new(tokio::sync::Semaphore::new(CONNECTING_AT_ONCE));
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(viewers);
    for n in 0..viewers {
        let permit = Arc::clone(&connecting).acquire_owned().await.unwrap();
        let (client, url, record, counting, stop) = (
            client.clone(),
            url.clone(),
            Arc::clone(&record),
            Arc::clone(&counting),
            stop.clone(),
        );
        let (tx, inner_tx) = (connected_tx.clone(), tokio::sync::mpsc::channel(1));
        let (once_tx, mut once_rx) = inner_tx;
        tasks.push(tokio::spawn(watch(
            client,
            url,
            n % SAMPLE_EVERY == 0,
            record,
            counting,
            stop,
            once_tx,
        )));
        // The permit goes when this viewer connected (or failed to).
        tokio::spawn(async move {
            let outcome = once_rx.recv().await.flatten();
            drop(permit);
            let _ = tx.send(outcome).await;
        });
    }
    drop(connected_tx);
    let mut connect_times = Vec::new();
    let mut failed = 0;
    while connect_times.len() + failed < viewers {
        match connected_rx.recv().await {
            Some(Some(t)) => connect_times.push(t.as_micros() as i64),
            Some(None) => failed += 1,
            None => break,
        }
    }
    let connect_all = start.elapsed();

    // Settle (every viewer has its snapshot), then measure over the window.
    tokio::time::sleep(Duration::from_secs(REFRESH_SECONDS)).await;
    {
        let mut r = record.lock().unwrap();
        r.arrivals.clear();
        r.staleness.clear();
    }
    counting.store(true, std::sync::atomic::Ordering::Relaxed);
    let (_, cpu_before) = rss_and_cpu(pid);
    let watch_start = Instant::now();
    let mut rss_watching = 0;
    while watch_start.elapsed() < window {
        tokio::time::sleep(Duration::from_secs(1)).await;
        rss_watching = rss_watching.max(rss_and_cpu(pid).0);
    }
    let (_, cpu_after) = rss_and_cpu(pid);
    counting.store(false, std::sync::atomic::Ordering::Relaxed);
    let held = tasks.iter().filter(|t| !t.is_finished()).count();
    let cpu = (cpu_after - cpu_before) / watch_start.elapsed().as_secs_f64();

    // Everyone leaves; a minute later, what memory is left.
    stop.cancel();
    for t in tasks {
        let _ = t.await;
    }
    tokio::time::sleep(Duration::from_secs(60)).await;
    let (rss_after, _) = rss_and_cpu(pid);

    let record = Arc::try_unwrap(record)
        .ok()
        .expect("every viewer ended")
        .into_inner()
        .unwrap();
    let refreshes = window.as_secs_f64() / REFRESH_SECONDS as f64;
    let mut fan_out = Vec::new();
    let mut push = Vec::new();
    for (id, times) in &record.arrivals {
        let (first, last) = (times.iter().min().unwrap(), times.iter().max().unwrap());
        if times.len() * 10 >= held * 9 {
            fan_out.push(last - first);
        }
        if let Some(updated) = record.updated.get(id) {
            push.extend(times.iter().map(|t| t - updated));
        }
    }
    let mut staleness = record.staleness;
    Figures {
        held,
        connect_p50: Duration::from_micros(percentile(&mut connect_times, 0.5) as u64),
        connect_p99: Duration::from_micros(percentile(&mut connect_times, 0.99) as u64),
        connect_all,
        bytes_per_refresh: record.bytes as f64 / held.max(1) as f64 / refreshes,
        fan_out_p50: percentile(&mut fan_out, 0.5),
        fan_out_p99: percentile(&mut fan_out, 0.99),
        push_p50: percentile(&mut push, 0.5),
        push_p99: percentile(&mut push, 0.99),
        fresh_p50: percentile(&mut staleness, 0.5),
        fresh_max: staleness.iter().copied().max().unwrap_or(0),
        rss_idle,
        rss_watching,
        rss_after,
        cpu,
    }
}

#[tokio::main]
async fn main() {
    raise_open_files_limit();
    let viewers: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let window = Duration::from_secs(
        std::env::args()
            .nth(2)
            .and_then(|s| s.parse().ok())
            .unwrap_or(60),
    );
    let stack = bench::fleet_stack().await;
    let prometheus = stack.prometheus_url.clone();
    println!(
        "{viewers} viewers of the overview (1h, refresh {REFRESH_SECONDS} s) for {window:?}, \
         one in {SAMPLE_EVERY} parsing what it gets"
    );
    println!(
        "| mode | held | connect p50 / p99 / all | bytes per viewer per refresh | fan-out p50 / p99 | push p50 / p99 | newest point age p50 / max | RSS idle / watching / a minute after | CPU watching |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let binary = std::env::var("VANTAGE_BINARY").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../target/release/vantage").to_string()
    });
    let mut modes = vec![
        ("whole panels".to_string(), binary.clone(), false),
        ("deltas".to_string(), binary.clone(), true),
    ];
    // Another build of the server beside it (another allocator, say).
    if let Ok(other) = std::env::var("SCREENS_OTHER_BINARY") {
        modes.push((format!("deltas, {other}"), other, true));
    }
    for (mode, binary, deltas) in modes {
        let f = run(&binary, &prometheus, deltas, viewers, window, "1h").await;
        println!(
            "| {mode} | {} | {:.0?} / {:.0?} / {:.1?} | {:.1} KB | {} / {} ms | {} / {} ms | {:.1} / {:.1} s | {} / {} / {} | {:.2} cores |",
            f.held,
            f.connect_p50,
            f.connect_p99,
            f.connect_all,
            f.bytes_per_refresh / 1000.0,
            f.fan_out_p50,
            f.fan_out_p99,
            f.push_p50,
            f.push_p99,
            f.fresh_p50 as f64 / 1000.0,
            f.fresh_max as f64 / 1000.0,
            mib(f.rss_idle),
            mib(f.rss_watching),
            mib(f.rss_after),
            f.cpu,
        );
    }
    if let Ok(ranges) = std::env::var("SCREENS_RANGES") {
        println!(
            "\n| range | newest point age at arrival p50 / max (deltas, {} sampled viewers) |",
            2
        );
        println!("|---|---:|");
        for range in ranges.split(',') {
            let f = run(&binary, &prometheus, true, 2 * SAMPLE_EVERY, window, range).await;
            println!(
                "| {range} | {:.1} / {:.1} s |",
                f.fresh_p50 as f64 / 1000.0,
                f.fresh_max as f64 / 1000.0
            );
        }
    }
}
