use clap::Parser;
use tracing_subscriber::EnvFilter;
use vantage::config::{Cli, Command, Config};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("VANTAGE_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    let config = match Config::load(&cli) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("vantage: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    if let Some(Command::Token(command)) = &cli.command {
        return match vantage::embed::cli::run(&config, command) {
            Ok(out) => {
                println!("{out}");
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("vantage: {e}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    if let Some(Command::Check { files }) = &cli.command {
        let (ok, problems) = vantage::dashboards::check(config.dashboards_dir.as_deref(), files);
        for p in &problems {
            eprintln!("{p}");
        }
        println!("{ok} dashboard(s) ok, {} with mistakes", problems.len());
        let mut checks_ok = true;
        if let Some(file) = &config.checks_file {
            match vantage::health::config::ChecksConfig::read(file) {
                Ok(c) => println!("{}: {} check(s) ok", file.display(), c.checks.len()),
                Err(e) => {
                    eprintln!("{e}");
                    checks_ok = false;
                }
            }
        }
        return if problems.is_empty() && checks_ok {
            std::process::ExitCode::SUCCESS
        } else {
            std::process::ExitCode::FAILURE
        };
    }
    match vantage::run(config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vantage: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
