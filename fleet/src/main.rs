//! `demo-fleet`: runs the demo fleet on its own and prints where each service is.

use clap::Parser;
use fleet::{Fleet, FleetOptions};

#[derive(Parser)]
#[command(
    name = "demo-fleet",
    about = "Eleven stand-in microservices with metrics and health endpoints."
)]
struct Args {
    /// First service port; the others follow. Free ports when not given.
    #[arg(long, env = "FLEET_FIRST_PORT")]
    first_port: Option<u16>,
    /// Port of the control API (POST /services/{name}/{normal|slow|fail|down}).
    #[arg(long, env = "FLEET_CONTROL_PORT")]
    control_port: Option<u16>,
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt().with_env_filter("info").init();
    let args = Args::parse();
    let fleet = match Fleet::start(FleetOptions {
        seed: args.seed,
        first_port: args.first_port,
        control_port: args.control_port,
        history: None,
        older_history: None,
    })
    .await
    {
        Ok(f) => f,
        Err(e) => {
            eprintln!("demo-fleet: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    for s in fleet.services().await {
        println!(
            "{:<22} {}  health: {}",
            s.name,
            s.metrics_url,
            s.health_urls.join(" ")
        );
    }
    println!("control: {}/services", fleet.control_url());
    let _ = tokio::signal::ctrl_c().await;
    fleet.stop().await;
    std::process::ExitCode::SUCCESS
}
