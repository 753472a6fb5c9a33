use std::io::IsTerminal;

use clap::Parser;
use tracing_subscriber::EnvFilter;
use vantage::config::{Cli, Command, Config, ImportCommand, LogFormat, ReportFormat};

// jemalloc rather than glibc's allocator: what ten thousand viewers used is
// given back when they leave (its background thread returns pages unused for
// a second), where glibc's kept nearly all of it, and still twice its idle
// size when asked every 10 s with malloc_trim (docs/PERFORMANCE.md, "Ten
// thousand screens"). A build without the feature (`--no-default-features`)
// uses the system's allocator.
#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[cfg(feature = "jemalloc")]
#[allow(non_upper_case_globals)]
#[export_name = "_rjem_malloc_conf"]
pub static malloc_conf: &[u8] = b"background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0\0";

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
        Some(Command::Import(ImportCommand::Grafana { files, out, report })) => {
            match vantage::import::grafana(files, out) {
                Ok(said) => {
                    match report {
                        ReportFormat::Text => print!("{}", said.text()),
                        ReportFormat::Json => println!(
                            "{}",
                            serde_json::to_string_pretty(&said).expect("a report serialises")
                        ),
                    }
                    if said.refused.is_empty() {
                        std::process::ExitCode::SUCCESS
                    } else {
                        std::process::ExitCode::FAILURE
                    }
                }
                Err(e) => {
                    eprintln!("vantage: {e}");
                    std::process::ExitCode::FAILURE
                }
            }
        }
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
