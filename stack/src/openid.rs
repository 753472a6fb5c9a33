//! A real OpenID provider on loopback: the npm package `oidc-provider` (a
//! certified implementation) run by Node, from `stack/openid/provider.mjs`,
//! with one confidential test client and two users: `ana` (groups `staff`
//! and `vantage-editors`) and `bo` (`staff`). `scripts/setup --tests`
//! installs its node_modules.

use std::{path::PathBuf, process::Command, time::Duration};

use crate::{free_port, process::Managed, StackError};

pub const CLIENT_ID: &str = "vantage-test";
pub const CLIENT_SECRET: &str = "vantage-test-client-secret-0123456789";

pub struct OpenIdProvider {
    process: Managed,
    /// The issuer, e.g. `http://127.0.0.1:41234`.
    pub issuer: String,
    _dir: tempfile::TempDir,
}

fn folder() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openid")
}

impl OpenIdProvider {
    /// Starts the provider for a client that comes back to `redirect_uri`;
    /// ready when its discovery document is served.
    pub async fn start(redirect_uri: &str) -> Result<Self, StackError> {
        if !folder().join("node_modules/oidc-provider").exists() {
            return Err(StackError::Spawn {
                program: "oidc-provider".into(),
                reason: "stack/openid/node_modules is missing: scripts/setup --tests installs it"
                    .into(),
            });
        }
        let dir = tempfile::tempdir().map_err(|e| StackError::io("make a log folder", e))?;
        let port = free_port()?;
        let mut cmd = Command::new("node");
        cmd.current_dir(folder())
            .arg("provider.mjs")
            .arg(port.to_string())
            .arg(CLIENT_ID)
            .arg(CLIENT_SECRET)
            .arg(redirect_uri);
        let mut process = Managed::spawn("oidc-provider", cmd, dir.path(), None)?;
        let issuer = format!("http://127.0.0.1:{port}");
        crate::wait_until_answers(
            &mut process,
            &format!("{issuer}/.well-known/openid-configuration"),
            Duration::from_secs(30),
        )
        .await?;
        Ok(Self {
            process,
            issuer,
            _dir: dir,
        })
    }
}

impl Drop for OpenIdProvider {
    fn drop(&mut self) {
        self.process.stop(Duration::from_secs(2));
    }
}
