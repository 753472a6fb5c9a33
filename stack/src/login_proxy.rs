//! A reverse proxy that logs people in, as teams put one in front of a
//! dashboard: Debian's nginx with `auth_basic`, passing the user and their
//! groups to the upstream in headers (`X-Forwarded-User`,
//! `X-Forwarded-Groups`), replacing whatever a client sent under those names.
//! It connects to the upstream from `127.0.0.2`, so the upstream can tell its
//! requests from a client's on `127.0.0.1`.

use std::{net::SocketAddr, path::Path, process::Command, time::Duration};

use crate::{free_port, process::Managed, StackError};

/// The address nginx connects to its upstream from.
pub const PROXY_SOURCE: &str = "127.0.0.2";

/// One user of the proxy: a name, a password, their groups (comma-separated).
pub struct ProxyUser<'a> {
    pub name: &'a str,
    pub password: &'a str,
    pub groups: &'a str,
}

pub struct LoginProxy {
    process: Managed,
    /// Where clients reach it, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    _dir: tempfile::TempDir,
}

impl LoginProxy {
    /// Starts nginx in front of `upstream`; ready when it answers.
    pub async fn start(upstream: SocketAddr, users: &[ProxyUser<'_>]) -> Result<Self, StackError> {
        let dir = tempfile::tempdir().map_err(|e| StackError::io("make nginx's folder", e))?;
        // Its workers run as another user when it is started as root.
        allow_reading(dir.path())?;
        let port = free_port()?;
        let htpasswd: String = users
            .iter()
            .map(|u| format!("{}:{{PLAIN}}{}\n", u.name, u.password))
            .collect();
        let groups: String = users
            .iter()
            .map(|u| format!("    {} \"{}\";\n", u.name, u.groups))
            .collect();
        let d = dir.path().display();
        let head = nginx_head(dir.path(), 128);
        let conf = format!(
            r#"{head}
  map $remote_user $vantage_groups {{
{groups}    default "";
  }}
  server {{
    listen 127.0.0.1:{port};
    location = /nginx-ready {{ return 204; }}
    location / {{
      auth_basic "Vantage";
      auth_basic_user_file {d}/htpasswd;
      proxy_pass http://{upstream};
      proxy_bind {PROXY_SOURCE};
      proxy_http_version 1.1;
      proxy_buffering off;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-User $remote_user;
      proxy_set_header X-Forwarded-Groups $vantage_groups;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Request-Id $request_id;
    }}
  }}
}}
"#
        );
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text)
                .map_err(|e| StackError::io(format!("write {}", path.display()), e))?;
            allow_reading(&path)
        };
        write("htpasswd", &htpasswd)?;
        write("nginx.conf", &conf)?;
        let mut cmd = Command::new("/usr/sbin/nginx");
        cmd.arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(dir.path().join("nginx.conf"));
        let mut process = Managed::spawn("nginx", cmd, dir.path(), None)?;
        let url = format!("http://127.0.0.1:{port}");
        crate::wait_until_answers(
            &mut process,
            &format!("{url}/nginx-ready"),
            Duration::from_secs(15),
        )
        .await?;
        Ok(Self {
            process,
            url,
            _dir: dir,
        })
    }
}

impl Drop for LoginProxy {
    fn drop(&mut self) {
        self.process.stop(Duration::from_secs(2));
    }
}

/// The start of an nginx configuration that keeps everything in `dir` and
/// runs in the foreground, up to the inside of its `http` block.
pub(crate) fn nginx_head(dir: &Path, connections: u32) -> String {
    let d = dir.display();
    format!(
        r#"worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections {connections}; }}
http {{
  access_log off;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;"#
    )
}

fn allow_reading(path: &Path) -> Result<(), StackError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = if path.is_dir() { 0o755 } else { 0o644 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| StackError::io(format!("chmod {}", path.display()), e))
}
