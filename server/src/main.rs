use std::io::IsTerminal;

use clap::Parser;
use tracing_subscriber::EnvFilter;
use vantage::config::{Cli, Command, Config, LogFormat};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(&cli) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("vantage: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    init_logs(config.log_format);
    match &cli.command {
        Some(Command::Token(command)) => {
            eprintln!(
                "vantage: {}",
                vantage::commands::settings_used(&cli, &config)
            );
            match vantage::embed::cli::run(&config, command) {
                Ok(out) => {
                    println!("{out}");
                    std::process::ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("vantage: {e}");
                    std::process::ExitCode::FAILURE
                }
            }
        }
        Some(Command::User(command)) => match vantage::commands::user(&config, command) {
            Ok(said) => {
                println!("{said}");
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("vantage: {e}");
                std::process::ExitCode::FAILURE
            }
        },
        Some(Command::Check { files }) => {
            if vantage::commands::check(&cli, &config, files) {
                std::process::ExitCode::SUCCESS
            } else {
                std::process::ExitCode::FAILURE
            }
        }
        None => match vantage::run(config).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("vantage: {e}");
                std::process::ExitCode::FAILURE
            }
        },
    }
}

/// Logs follow `VANTAGE_LOG` (default `info`) to standard output, which
/// systemd sends to the journal; colour only on a terminal.
fn init_logs(format: LogFormat) {
    let filter = EnvFilter::try_from_env("VANTAGE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Text => logs.with_ansi(std::io::stdout().is_terminal()).init(),
        LogFormat::Json => logs.json().with_ansi(false).init(),
    }
}
