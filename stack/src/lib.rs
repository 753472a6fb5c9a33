//! A real monitoring stack on loopback, for tests and for the demo: Prometheus,
//! node exporter and Alertmanager from Debian's packages — and PostgreSQL and Redis
//! with their exporters when asked — plus the demo fleet, each on a free loopback
//! port with a temporary data directory. Start-up waits by polling, never by
//! sleeping a fixed time; everything started is stopped by pid on drop.
//!
//! The `vantage-stack` binary offers the same from the command line.

pub mod balancer;
mod config_files;
mod databases;
pub mod fault;
pub mod login_proxy;
pub mod openid;
mod otel_app;
pub mod process;

use std::{
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use fleet::{Fleet, FleetOptions};

pub use databases::{Postgres, Redis};
use process::Managed;

#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("cannot start {program}: {reason} (is its Debian package installed? scripts/setup installs them)")]
    Spawn { program: String, reason: String },
    #[error("{name} exited during start-up ({status}); its log ends:\n{log}")]
    Exited {
        name: String,
        status: String,
        log: String,
    },
    #[error("{what} was not ready within {waited:?}{detail}")]
    NotReady {
        what: String,
        waited: Duration,
        detail: String,
    },
    #[error("{0}")]
    Fleet(#[from] fleet::FleetError),
    #[error("{0}")]
    Other(String),
}

impl StackError {
    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            what: what.into(),
            source,
        }
    }
}

/// What to start.
#[derive(Debug, Clone)]
pub struct StackOptions {
    pub scrape_interval: Duration,
    /// A fixed Prometheus port (the demo uses 9090); a free one if `None`.
    pub prometheus_port: Option<u16>,
    pub node_exporter: bool,
    /// Debian's process exporter: CPU and memory per program.
    pub process_exporter: bool,
    pub alertmanager: bool,
    /// PostgreSQL and Redis with their exporters.
    pub databases: bool,
    /// The demo fleet, run in-process and scraped as job `fleet`.
    pub fleet: Option<FleetOptions>,
    /// More OpenMetrics history to backfill with promtool before Prometheus starts.
    pub extra_history: Option<String>,
    /// What the scrape jobs are called.
    pub jobs: JobNames,
    /// A small web app instrumented by the OpenTelemetry SDK (stack/otel-app,
    /// from the virtual environment `scripts/setup --tests` makes), scraped as
    /// job `shop`.
    pub otel_app: bool,
    /// VictoriaMetrics (Debian's single node) scraping the same targets as
    /// Prometheus, for the tests of engines that scale Prometheus.
    pub victoria_metrics: bool,
}

/// The scrape jobs' names: the demo's, or others, as a team's own Prometheus
/// would have them (Vantage must recognise exporters by their metrics).
#[derive(Debug, Clone)]
pub struct JobNames {
    pub node: String,
    pub process: String,
    pub postgres: String,
    pub redis: String,
}

impl JobNames {
    pub fn demo() -> Self {
        Self {
            node: "node".into(),
            process: "process".into(),
            postgres: "postgres".into(),
            redis: "redis".into(),
        }
    }

    /// Names seen in the wild (Helm charts, hand-written configs).
    pub fn others() -> Self {
        Self {
            node: "node-exporter".into(),
            process: "processes".into(),
            postgres: "pg".into(),
            redis: "cache".into(),
        }
    }
}

impl Default for JobNames {
    fn default() -> Self {
        Self::demo()
    }
}

impl Default for StackOptions {
    fn default() -> Self {
        Self {
            scrape_interval: Duration::from_secs(1),
            prometheus_port: None,
            node_exporter: true,
            process_exporter: true,
            alertmanager: true,
            databases: false,
            fleet: Some(FleetOptions::default()),
            extra_history: None,
            jobs: JobNames::demo(),
            otel_app: false,
            victoria_metrics: false,
        }
    }
}

pub struct Stack {
    // Declared first so processes stop before the directory is removed.
    processes: Vec<Managed>,
    fleet: Option<Fleet>,
    pub prometheus_url: String,
    /// How Prometheus was started, so a test can stop it and start it again.
    prometheus_args: Vec<String>,
    pub alertmanager_url: Option<String>,
    /// VictoriaMetrics' base URL (it answers Prometheus' query API there).
    pub victoria_metrics_url: Option<String>,
    pub node_exporter_addr: Option<SocketAddr>,
    pub postgres: Option<Postgres>,
    pub redis: Option<Redis>,
    /// Tasks that make traffic (the cache workload); aborted on stop.
    background: Vec<tokio::task::JoinHandle<()>>,
    /// nginx in front of Vantage replicas, if there are several.
    balancer: Option<balancer::Balancer>,
    dir: tempfile::TempDir,
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> Result<u16, StackError> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| StackError::io("find a free port", e))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| StackError::io("find a free port", e))
}

/// Polls `url` until it answers 2xx, failing early if `process` died (for
/// components started on their own, outside a [`Stack`]).
pub async fn wait_until_answers(
    process: &mut Managed,
    url: &str,
    timeout: Duration,
) -> Result<(), StackError> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .map_err(|e| StackError::Other(e.to_string()))?;
    let started = Instant::now();
    let mut last = String::new();
    while started.elapsed() < timeout {
        if let Some(status) = process.exited() {
            return Err(StackError::Exited {
                name: process.name.clone(),
                status: status.to_string(),
                log: process.log_tail(),
            });
        }
        match client.get(url).send().await {
            Ok(r) if r.status().is_success() => return Ok(()),
            Ok(r) => last = format!("HTTP {}", r.status()),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(StackError::NotReady {
        what: format!("{} at {url}", process.name),
        waited: timeout,
        detail: format!(" (last: {last})"),
    })
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

impl Stack {
    pub async fn start(options: StackOptions) -> Result<Stack, StackError> {
        let dir = tempfile::Builder::new()
            .prefix("vantage-stack-")
            .tempdir()
            .map_err(|e| StackError::io("create a temporary directory", e))?;
        let mut stack = Stack {
            processes: Vec::new(),
            fleet: None,
            prometheus_url: String::new(),
            prometheus_args: Vec::new(),
            alertmanager_url: None,
            victoria_metrics_url: None,
            node_exporter_addr: None,
            postgres: None,
            background: Vec::new(),
            balancer: None,
            redis: None,
            dir,
        };
        // From here on, an early return drops `stack`, which stops what started.
        let mut targets: Vec<config_files::ScrapeJob> = Vec::new();

        if let Some(fleet_options) = options.fleet.clone() {
            let fleet = Fleet::start(fleet_options).await?;
            let services = fleet.services().await;
            targets.push(config_files::ScrapeJob::fleet(&services));
            stack.fleet = Some(fleet);
        }

        if options.node_exporter {
            let port = free_port()?;
            let mut cmd = Command::new("prometheus-node-exporter");
            cmd.arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .args(["--no-collector.systemd", "--no-collector.hwmon"]);
            stack.spawn("node-exporter", cmd, None)?;
            stack.node_exporter_addr = Some(loopback(port));
            targets.push(config_files::ScrapeJob::single(
                &options.jobs.node,
                loopback(port),
            ));
        }

        if options.process_exporter {
            // One group per program name: Prometheus, the exporters, the
            // databases, Vantage itself and the fleet.
            let port = free_port()?;
            let dir = stack.subdir("process-exporter")?;
            let config = dir.join("process-exporter.yml");
            write(&config, config_files::PROCESS_EXPORTER)?;
            let mut cmd = Command::new("prometheus-process-exporter");
            cmd.arg(format!("-web.listen-address=127.0.0.1:{port}"))
                .arg(format!("-config.path={}", config.display()))
                .args(["-threads=false", "-gather-smaps=false"]);
            stack.spawn("process-exporter", cmd, None)?;
            targets.push(config_files::ScrapeJob::single(
                &options.jobs.process,
                loopback(port),
            ));
        }

        if options.alertmanager {
            let port = free_port()?;
            let data = stack.subdir("alertmanager")?;
            let config = data.join("alertmanager.yml");
            write(&config, config_files::ALERTMANAGER)?;
            let mut cmd = Command::new("prometheus-alertmanager");
            cmd.arg(format!("--config.file={}", config.display()))
                .arg(format!("--storage.path={}", data.display()))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                // Empty: no gossip port on 0.0.0.0.
                .arg("--cluster.listen-address=");
            stack.spawn("alertmanager", cmd, None)?;
            let url = format!("http://127.0.0.1:{port}");
            targets.push(config_files::ScrapeJob::single(
                "alertmanager",
                loopback(port),
            ));
            stack.alertmanager_url = Some(url);
        }

        if options.databases {
            let pg = databases::start_postgres(&mut stack).await?;
            targets.push(config_files::ScrapeJob::single(
                &options.jobs.postgres,
                pg.exporter_addr,
            ));
            stack.postgres = Some(pg);
            let redis = databases::start_redis(&mut stack).await?;
            targets.push(config_files::ScrapeJob::single(
                &options.jobs.redis,
                redis.exporter_addr,
            ));
            stack
                .background
                .push(tokio::spawn(databases::cache_workload(redis.addr)));
            stack.redis = Some(redis);
        }

        if options.otel_app {
            let metrics = otel_app::start(&mut stack).await?;
            targets.push(config_files::ScrapeJob::single("shop", metrics));
        }

        // Prometheus last: its targets exist, and history is backfilled first.
        let port = match options.prometheus_port {
            Some(p) => p,
            None => free_port()?,
        };
        targets.push(config_files::ScrapeJob::single(
            "prometheus",
            loopback(port),
        ));
        let data = stack.subdir("prometheus")?;
        let tsdb = data.join("data");
        let histories: Vec<String> = stack
            .fleet
            .as_ref()
            .map(|f| f.histories().to_vec())
            .unwrap_or_default()
            .into_iter()
            .chain(options.extra_history.clone())
            .collect();
        for (i, history) in histories.iter().enumerate() {
            backfill(&data.join(format!("history-{i}.om")), &tsdb, history)?;
        }
        let config = data.join("prometheus.yml");
        let alertmanager = stack
            .alertmanager_url
            .as_ref()
            .and_then(|u| u.strip_prefix("http://").map(str::to_string));
        write(
            &config,
            &config_files::prometheus(options.scrape_interval, &targets, alertmanager.as_deref()),
        )?;
        write(&data.join("rules.yml"), config_files::RULES)?;
        stack.prometheus_args = vec![
            format!("--config.file={}", config.display()),
            format!("--storage.tsdb.path={}", tsdb.display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
            "--storage.tsdb.retention.time=30d".into(),
            "--web.enable-lifecycle".into(),
        ];
        stack.prometheus_url = format!("http://127.0.0.1:{port}");
        stack.start_prometheus().await?;
        if options.victoria_metrics {
            // The same scrape configuration (its alerting and rule keys are
            // Prometheus' own, hence the lenient parse); the newest 2 s are
            // searchable rather than VictoriaMetrics' default 30 s.
            let port = free_port()?;
            let data = stack.subdir("victoria-metrics")?;
            let mut cmd = Command::new("victoria-metrics");
            cmd.arg(format!("-storageDataPath={}", data.join("data").display()))
                .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
                .arg(format!("-promscrape.config={}", config.display()))
                .arg("-promscrape.config.strictParse=false")
                .arg("-search.latencyOffset=2s")
                .arg("-retentionPeriod=1d");
            stack.spawn("victoria-metrics", cmd, None)?;
            let url = format!("http://127.0.0.1:{port}");
            stack
                .wait_http(
                    "victoria-metrics",
                    &format!("{url}/health"),
                    Duration::from_secs(30),
                )
                .await?;
            stack.victoria_metrics_url = Some(url);
        }
        if let Some(url) = stack.alertmanager_url.clone() {
            stack
                .wait_http(
                    "alertmanager",
                    &format!("{url}/-/ready"),
                    Duration::from_secs(30),
                )
                .await?;
        }
        if let Some(addr) = stack.node_exporter_addr {
            stack
                .wait_http(
                    "node-exporter",
                    &format!("http://{addr}/metrics"),
                    Duration::from_secs(30),
                )
                .await?;
        }
        Ok(stack)
    }

    /// Starts Prometheus (again) on its port and data, and waits until it is ready.
    pub async fn start_prometheus(&mut self) -> Result<(), StackError> {
        let mut cmd = Command::new("prometheus");
        cmd.args(&self.prometheus_args);
        self.spawn("prometheus", cmd, None)?;
        let ready = format!("{}/-/ready", self.prometheus_url);
        self.wait_http("prometheus", &ready, Duration::from_secs(30))
            .await
    }

    /// Stops Prometheus alone (for fault tests); [`Stack::start_prometheus`]
    /// brings it back with its data.
    pub fn stop_prometheus(&mut self) {
        self.processes.retain_mut(|p| {
            if p.name == "prometheus" {
                p.stop(Duration::from_secs(5));
                false
            } else {
                true
            }
        });
    }

    /// Stops PostgreSQL alone (for fault tests); [`Stack::start_postgres`]
    /// brings it back on its port with its data.
    pub fn stop_postgres(&mut self) {
        self.processes.retain_mut(|p| {
            if p.name == "postgres" {
                p.stop(Duration::from_secs(10));
                false
            } else {
                true
            }
        });
    }

    /// Starts PostgreSQL again after [`Stack::stop_postgres`].
    pub async fn start_postgres(&mut self) -> Result<(), StackError> {
        let port = self
            .postgres
            .as_ref()
            .map(|p| p.addr.port())
            .ok_or_else(|| StackError::Other("this stack has no PostgreSQL".into()))?;
        databases::run_postgres(self, port).await
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn fleet(&self) -> Option<&Fleet> {
        self.fleet.as_ref()
    }

    /// Pids of every process the stack started.
    pub fn pids(&self) -> Vec<u32> {
        self.processes.iter().map(|p| p.pid()).collect()
    }

    /// The process id of one of the stack's programs (`"prometheus"`, …), for
    /// fault tests that stop it with a signal.
    pub fn pid_of(&self, name: &str) -> Option<u32> {
        self.processes
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.pid())
    }

    pub(crate) fn subdir(&self, name: &str) -> Result<PathBuf, StackError> {
        let dir = self.dir.path().join(name);
        std::fs::create_dir_all(&dir)
            .map_err(|e| StackError::io(format!("create {}", dir.display()), e))?;
        Ok(dir)
    }

    pub(crate) fn spawn(
        &mut self,
        name: &str,
        cmd: Command,
        run_as: Option<process::RunAs>,
    ) -> Result<(), StackError> {
        let logs = self.subdir("logs")?;
        let managed = Managed::spawn(name, cmd, &logs, run_as)?;
        self.processes.push(managed);
        Ok(())
    }

    /// Polls `url` until it answers 2xx, failing early if the process died.
    pub(crate) async fn wait_http(
        &mut self,
        name: &str,
        url: &str,
        timeout: Duration,
    ) -> Result<(), StackError> {
        let process = self
            .processes
            .iter_mut()
            .find(|p| p.name == name)
            .ok_or_else(|| StackError::Other(format!("no process named {name}")))?;
        wait_until_answers(process, url, timeout).await
    }

    pub(crate) fn check_alive(&mut self, name: &str) -> Result<(), StackError> {
        if let Some(p) = self.processes.iter_mut().find(|p| p.name == name) {
            if let Some(status) = p.exited() {
                return Err(StackError::Exited {
                    name: name.to_string(),
                    status: status.to_string(),
                    log: p.log_tail(),
                });
            }
        }
        Ok(())
    }

    /// Polls Prometheus until `query` returns at least one series.
    pub async fn wait_for_data(&self, query: &str, timeout: Duration) -> Result<(), StackError> {
        wait_for_data_at(&self.prometheus_url, query, timeout).await
    }
}

impl Stack {
    /// Stops every process (also done on drop).
    pub fn stop(&mut self) {
        for task in self.background.drain(..) {
            task.abort();
        }
        // Reverse order: Prometheus first, exporters after, databases last.
        for p in self.processes.iter_mut().rev() {
            p.stop(Duration::from_secs(5));
        }
        self.processes.clear();
        self.balancer = None;
        self.fleet = None;
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.stop();
    }
}

fn write(path: &Path, text: &str) -> Result<(), StackError> {
    std::fs::write(path, text).map_err(|e| StackError::io(format!("write {}", path.display()), e))
}

/// Writes OpenMetrics history into TSDB blocks with promtool.
fn backfill(file: &Path, tsdb: &Path, history: &str) -> Result<(), StackError> {
    write(file, history)?;
    std::fs::create_dir_all(tsdb).map_err(|e| StackError::io("create the TSDB directory", e))?;
    let out = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(file)
        .arg(tsdb)
        .output()
        .map_err(|e| StackError::Spawn {
            program: "promtool".into(),
            reason: e.to_string(),
        })?;
    let _ = std::fs::remove_file(file);
    if !out.status.success() {
        return Err(StackError::Other(format!(
            "promtool could not backfill: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        )));
    }
    Ok(())
}

/// A checks file (see Vantage's docs/health.md) with one check per fleet
/// service on its own health path (the detailed one where a service has it),
/// run every `interval_seconds`.
pub fn fleet_checks_toml(services: &[fleet::ServiceInfo], interval_seconds: f64) -> String {
    let mut out = format!("[defaults]\ninterval_seconds = {interval_seconds}\n");
    for s in services {
        let url = s
            .health_urls
            .iter()
            .find(|u| u.contains("detailed"))
            .or(s.health_urls.first());
        if let Some(url) = url {
            out.push_str(&format!(
                "\n[[checks]]\nname = {name:?}\nservice = {name:?}\nurl = {url:?}\n",
                name = s.name
            ));
        }
    }
    out
}

/// How to run the `vantage` binary inside the stack.
#[derive(Debug, Clone)]
pub struct VantageOptions {
    pub binary: PathBuf,
    pub port: u16,
    /// A development bundle to serve instead of the binary's own.
    pub site_root: Option<PathBuf>,
    pub refresh_seconds: u64,
    /// More than one: that many replicas on the stack's PostgreSQL, each on a
    /// port of its own, behind nginx on `port`.
    pub replicas: usize,
}

/// Vantage as started: where people reach it, and each replica (one, when
/// there is no balancer).
#[derive(Debug, Clone)]
pub struct Started {
    pub url: String,
    pub replicas: Vec<Replica>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Replica {
    pub url: String,
    pub pid: u32,
}

impl Stack {
    /// Starts `vantage` against this stack's Prometheus (several replicas on
    /// its PostgreSQL behind nginx, with `replicas` above one) and waits
    /// until it serves.
    pub async fn start_vantage(&mut self, options: &VantageOptions) -> Result<Started, StackError> {
        let data = self.subdir("vantage")?;
        let checks = data.join("checks.toml");
        let services = match &self.fleet {
            Some(f) => f.services().await,
            None => Vec::new(),
        };
        write(&checks, &fleet_checks_toml(&services, 10.0))?;
        let store_url = match (options.replicas > 1, &self.postgres) {
            (false, _) => None,
            (true, Some(pg)) => Some(pg.url.clone()),
            (true, None) => {
                return Err(StackError::Other(
                    "replicas share a PostgreSQL store: start the stack with its databases".into(),
                ))
            }
        };
        let count = options.replicas.max(1);
        let mut replicas = Vec::new();
        for n in 1..=count {
            let (name, port) = match count {
                1 => ("vantage".to_string(), options.port),
                _ => (format!("vantage-{n}"), free_port()?),
            };
            // An empty working folder: vantage finds nothing it needs there.
            let cwd = self.subdir(&format!("vantage/run-{n}"))?;
            let mut cmd = Command::new(&options.binary);
            cmd.current_dir(&cwd).env("VANTAGE_CHECKS_FILE", &checks);
            match &store_url {
                Some(url) => cmd.env("VANTAGE_STORE_URL", url),
                None => cmd.env("VANTAGE_STORE_PATH", data.join("health.sqlite")),
            };
            // The embed key lives with the stack's data unless the caller chose
            // one (the browser tests issue tokens with it): one for every replica.
            if std::env::var_os("VANTAGE_EMBED_KEY_FILE").is_none() {
                cmd.env("VANTAGE_EMBED_KEY_FILE", data.join("embed.key"));
            }
            if let Some(am) = &self.alertmanager_url {
                cmd.env("VANTAGE_ALERTMANAGER_URL", am);
            }
            cmd.env("VANTAGE_LISTEN", format!("127.0.0.1:{port}"))
                .env("VANTAGE_PROMETHEUS_URL", &self.prometheus_url)
                .env(
                    "VANTAGE_REFRESH_SECONDS",
                    options.refresh_seconds.to_string(),
                );
            if let Some(site_root) = &options.site_root {
                cmd.env("VANTAGE_SITE_ROOT", site_root);
            }
            self.spawn(&name, cmd, None)?;
            let url = format!("http://127.0.0.1:{port}");
            self.wait_http(&name, &format!("{url}/healthz"), Duration::from_secs(30))
                .await?;
            let pid = self.pid_of(&name).unwrap_or_default();
            replicas.push(Replica { url, pid });
        }
        if count == 1 {
            return Ok(Started {
                url: replicas[0].url.clone(),
                replicas,
            });
        }
        let addrs: Vec<SocketAddr> = replicas
            .iter()
            .filter_map(|r| r.url.trim_start_matches("http://").parse().ok())
            .collect();
        let dir = self.subdir("balancer")?;
        let balancer = balancer::Balancer::start(&dir, loopback(options.port), &addrs).await?;
        let url = balancer.url.clone();
        self.balancer = Some(balancer);
        Ok(Started { url, replicas })
    }
}

impl Stack {
    /// How many requests Prometheus has served on one API handler (for example
    /// `/api/v1/query_range`), from its own `prometheus_http_requests_total`, read
    /// from its `/metrics` so there is no scrape lag.
    pub async fn requests_served(&self, handler: &str) -> f64 {
        requests_served(&self.prometheus_url, handler).await
    }
}

/// Requests the Prometheus at `prometheus_url` has served for `handler`
/// (`/api/v1/query_range`): from its own metrics; NaN if it does not answer.
pub async fn requests_served(prometheus_url: &str, handler: &str) -> f64 {
    let Ok(response) = reqwest::get(format!("{prometheus_url}/metrics")).await else {
        return f64::NAN;
    };
    let needle = format!("handler=\"{handler}\"");
    let text = response.text().await.unwrap_or_default();
    text.lines()
        .filter(|l| l.starts_with("prometheus_http_requests_total{") && l.contains(&needle))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Polls the engine at `base` (Prometheus, VictoriaMetrics) until `query`
/// returns at least one series.
pub async fn wait_for_data_at(
    base: &str,
    query: &str,
    timeout: Duration,
) -> Result<(), StackError> {
    let client = reqwest::Client::new();
    let started = Instant::now();
    while started.elapsed() < timeout {
        let answer = client
            .get(format!("{base}/api/v1/query"))
            .query(&[("query", query)])
            .send()
            .await;
        if let Ok(r) = answer {
            if let Ok(v) = r.json::<serde_json::Value>().await {
                if v["data"]["result"]
                    .as_array()
                    .is_some_and(|a| !a.is_empty())
                {
                    return Ok(());
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err(StackError::NotReady {
        what: format!("data for {query:?}"),
        waited: timeout,
        detail: String::new(),
    })
}
