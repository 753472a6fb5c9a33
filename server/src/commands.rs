//! The subcommands that do not serve (`vantage check`, `vantage token …`):
//! they read the same settings as the server (`--config`, `VANTAGE_*`, flags,
//! before or after the subcommand) and say which files they used.

use std::path::{Path, PathBuf};

use crate::config::{Cli, Config, UserCommand};

/// A path setting as the commands print it.
fn shown(path: Option<&Path>) -> String {
    path.map(|p| p.display().to_string())
        .unwrap_or_else(|| "(none)".into())
}

/// One line naming the settings file, the embed key and the health store in use.
pub fn settings_used(cli: &Cli, config: &Config) -> String {
    format!(
        "config {}, embed key {}, store {}",
        cli.config
            .as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "(none: defaults, VANTAGE_* and flags)".into()),
        shown(config.embed_key_file.as_deref()),
        match &config.store_url {
            // Its address, never its password.
            Some(url) => crate::health::store::PostgresStore::shown(url),
            None => shown(config.store_path.as_deref()),
        },
    )
}

/// `vantage check [FILES or FOLDERS…]`: every dashboard file (built-in, the
/// `dashboards_dir`, those given) and the checks file, each mistake on its own
/// line; true when there is none.
pub fn check(cli: &Cli, config: &Config, files: &[PathBuf]) -> bool {
    eprintln!(
        "vantage: {}; dashboards_dir {}; checks_file {}",
        settings_used(cli, config),
        shown(config.dashboards_dir.as_deref()),
        shown(config.checks_file.as_deref()),
    );
    let report = crate::dashboards::check(config.dashboards_dir.as_deref(), files);
    for p in &report.problems {
        eprintln!("{p}");
    }
    println!(
        "{} dashboard(s) ok, {} with mistakes ({} in all)",
        report.ok,
        report.broken,
        report.problems.len()
    );
    let mut checks_ok = true;
    if let Some(file) = &config.checks_file {
        match crate::health::config::ChecksConfig::read(file) {
            Ok(c) => println!("{}: {} check(s) ok", file.display(), c.checks.len()),
            Err(e) => {
                eprintln!("{e}");
                checks_ok = false;
            }
        }
    }
    report.problems.is_empty() && checks_ok
}

/// `vantage user add NAME --role ROLE --password-stdin` and `vantage user
/// remove NAME`: the users file (`users_file`) as the command left it.
pub fn user(config: &Config, command: &UserCommand) -> Result<String, String> {
    use crate::auth::users_file;
    let path = config.users_file.as_deref().ok_or(
        "no users_file is set: name one in the config file or with --users-file (or VANTAGE_USERS_FILE)",
    )?;
    match command {
        UserCommand::Add {
            name,
            role,
            password_stdin,
        } => {
            if !password_stdin {
                return Err(
                    "give the password on standard input, with --password-stdin \
                     (a password on the command line is visible to other users of the machine)"
                        .into(),
                );
            }
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
            let password = line.trim_end_matches(['\n', '\r']);
            let said = users_file::add(path, name, *role, password).map_err(|e| e.to_string())?;
            Ok(format!("{said} {name} ({role}) in {}", path.display()))
        }
        UserCommand::Remove { name } => {
            users_file::remove(path, name).map_err(|e| e.to_string())?;
            Ok(format!("removed {name} from {}", path.display()))
        }
    }
}
