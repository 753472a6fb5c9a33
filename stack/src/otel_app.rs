//! The OpenTelemetry-instrumented web app (stack/otel-app/shop.py), run from
//! the virtual environment `scripts/setup --tests` makes.

use std::{net::SocketAddr, path::PathBuf, process::Command, time::Duration};

use crate::{free_port, loopback, Stack, StackError};

/// The app's Python: `VANTAGE_OTEL_PYTHON`, else the setup's virtual environment.
fn python() -> PathBuf {
    std::env::var_os("VANTAGE_OTEL_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| app_dir().join(".venv/bin/python"))
}

fn app_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("otel-app")
}

/// Starts the app; returns where its metrics are served once they are.
pub(crate) async fn start(stack: &mut Stack) -> Result<SocketAddr, StackError> {
    let python = python();
    if !python.exists() {
        return Err(StackError::Spawn {
            program: python.display().to_string(),
            reason: "no such file: scripts/setup --tests makes this virtual environment".into(),
        });
    }
    let (app_port, metrics_port) = (free_port()?, free_port()?);
    let mut cmd = Command::new(python);
    cmd.arg(app_dir().join("shop.py"))
        .arg(app_port.to_string())
        .arg(metrics_port.to_string());
    stack.spawn("otel-app", cmd, None)?;
    let metrics = loopback(metrics_port);
    stack
        .wait_http(
            "otel-app",
            &format!("http://{metrics}/metrics"),
            Duration::from_secs(30),
        )
        .await?;
    Ok(metrics)
}
