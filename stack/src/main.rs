//! `vantage-stack`: the test stack from the command line, and the demo.
//!
//!   vantage-stack            Prometheus :9090 + exporters + Alertmanager + demo
//!                            fleet with 6 h of history + Vantage :3000
//!   vantage-stack --free-ports --info-file F   the same on free ports, for tests
//!   vantage-stack --replicas 2   two Vantage replicas on the stack's
//!                            PostgreSQL, behind nginx on :3000
//!   vantage-stack --plain    a Prometheus like a team's own: no demo fleet,
//!                            exporters under other job names, and a web app
//!                            instrumented by OpenTelemetry (scripts/setup --tests)

use std::{path::PathBuf, time::Duration};

use clap::Parser;
use fleet::{FleetOptions, History};
use stack::{free_port, Stack, StackOptions, VantageOptions};

#[derive(Parser)]
#[command(
    name = "vantage-stack",
    about = "Runs Vantage on a real monitoring stack on loopback."
)]
struct Args {
    /// Vantage's port.
    #[arg(long, default_value_t = 3000)]
    vantage_port: u16,
    /// Prometheus' port.
    #[arg(long, default_value_t = 9090)]
    prometheus_port: u16,
    /// Use free ports for everything instead (tests).
    #[arg(long)]
    free_ports: bool,
    /// Hours of simulated fleet history to backfill (0 for none).
    #[arg(long, default_value_t = 6)]
    history_hours: u64,
    /// Don't run PostgreSQL and Redis with their exporters (the infrastructure
    /// dashboard's database panels then stay empty).
    #[arg(long)]
    no_databases: bool,
    /// A Prometheus like a team's own instead of the demo's: no fleet, the
    /// exporters under other job names (node-exporter, processes, pg, cache)
    /// and a web app instrumented by the OpenTelemetry SDK (job shop; its
    /// Python packages come from scripts/setup --tests).
    #[arg(long)]
    plain: bool,
    /// Don't start Vantage (only the stack).
    #[arg(long)]
    no_vantage: bool,
    /// Vantage replicas: more than one share the stack's PostgreSQL as their
    /// health store and sit behind nginx on the Vantage port.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=8))]
    replicas: u16,
    /// How often Vantage refreshes panels, in seconds.
    #[arg(long, default_value_t = 5)]
    refresh_seconds: u64,
    /// Scrape interval in seconds.
    #[arg(long, default_value_t = 5)]
    scrape_seconds: u64,
    /// Write the URLs as JSON to this file once everything is ready.
    #[arg(long)]
    info_file: Option<PathBuf>,
    /// The vantage binary [default: next to this one].
    #[arg(long)]
    vantage_binary: Option<PathBuf>,
    /// A folder with a browser bundle to serve instead of the one inside the
    /// vantage binary (development).
    #[arg(long)]
    site_root: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt().with_env_filter("warn").init();
    let args = Args::parse();
    match run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vantage-stack: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let prometheus_port = if args.free_ports {
        None
    } else {
        Some(args.prometheus_port)
    };
    let history = (args.history_hours > 0).then(|| History {
        seconds: args.history_hours * 3600,
        // Coarser steps for long histories keep the backfill file small and quick.
        step_seconds: if args.history_hours > 6 { 60 } else { 30 },
    });
    eprintln!("starting the stack…");
    let mut stack = Stack::start(StackOptions {
        scrape_interval: Duration::from_secs(args.scrape_seconds),
        prometheus_port,
        databases: !args.no_databases,
        fleet: (!args.plain).then(|| FleetOptions {
            history,
            ..FleetOptions::default()
        }),
        jobs: match args.plain {
            true => stack::JobNames::others(),
            false => stack::JobNames::demo(),
        },
        otel_app: args.plain,
        ..StackOptions::default()
    })
    .await
    .map_err(|e| e.to_string())?;

    let mut info = serde_json::json!({
        "prometheus": stack.prometheus_url,
        "alertmanager": stack.alertmanager_url,
        "node_exporter": stack.node_exporter_addr.map(|a| format!("http://{a}")),
        "fleet_control": stack.fleet().map(|f| f.control_url()),
        "pids": stack.pids(),
    });
    if let Some(pg) = &stack.postgres {
        info["postgres"] = pg.url.clone().into();
    }

    if !args.no_vantage {
        let binary = match args.vantage_binary {
            Some(b) => b,
            None => std::env::current_exe()
                .map_err(|e| e.to_string())?
                .with_file_name("vantage"),
        };
        let port = if args.free_ports {
            free_port().map_err(|e| e.to_string())?
        } else {
            args.vantage_port
        };
        let started = stack
            .start_vantage(&VantageOptions {
                binary,
                port,
                site_root: args.site_root,
                refresh_seconds: args.refresh_seconds,
                replicas: usize::from(args.replicas),
            })
            .await
            .map_err(|e| e.to_string())?;
        info["vantage"] = started.url.clone().into();
        if args.replicas > 1 {
            info["replicas"] =
                serde_json::to_value(&started.replicas).map_err(|e| e.to_string())?;
        }
        info["pids"] = stack.pids().into();
    }

    // Wait for the first scrape of the fleet (or the app) so the first page
    // has live data.
    let first = match args.plain {
        true => "up{job=\"shop\"} == 1",
        false => "up{job=\"fleet\"} == 1",
    };
    let _ = stack.wait_for_data(first, Duration::from_secs(30)).await;

    println!();
    if let Some(url) = info["vantage"].as_str() {
        println!("  Vantage        {url}/");
    }
    for (n, r) in info["replicas"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        println!(
            "    replica {}      {}/   (pid {})",
            n + 1,
            r["url"].as_str().unwrap_or(""),
            r["pid"]
        );
    }
    println!("  Prometheus     {}/graph", stack.prometheus_url);
    if let Some(url) = &stack.alertmanager_url {
        println!("  Alertmanager   {url}/");
    }
    if let Some(addr) = stack.node_exporter_addr {
        println!("  node exporter  http://{addr}/metrics");
    }
    if let Some(fleet) = stack.fleet() {
        println!(
            "  fleet control  {}/services   (POST /services/NAME/normal|slow|fail|down)",
            fleet.control_url()
        );
        for s in fleet.services().await {
            println!("    {:<20} {}", s.name, s.metrics_url);
        }
    }
    if let Some(pg) = &stack.postgres {
        println!("  PostgreSQL     {}", pg.url);
    }
    println!("\nCtrl-C stops everything.");

    if let Some(path) = &args.info_file {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, info.to_string()).map_err(|e| e.to_string())?;
        std::fs::rename(&tmp, path).map_err(|e| e.to_string())?;
    }

    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| e.to_string())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    eprintln!("stopping…");
    stack.stop();
    Ok(())
}
