//! A load balancer in front of Vantage replicas, as a team runs several:
//! Debian's nginx, round robin, streams passed through unbuffered (server-sent
//! events), a replica that does not answer skipped for the next one.

use std::{net::SocketAddr, path::Path, process::Command, time::Duration};

use crate::{process::Managed, StackError};

pub struct Balancer {
    process: Managed,
    /// Where clients reach it, e.g. `http://127.0.0.1:3000`.
    pub url: String,
    pub pid: u32,
}

impl Balancer {
    /// Starts nginx on `listen` in front of `replicas`; ready when it answers.
    pub async fn start(
        dir: &Path,
        listen: SocketAddr,
        replicas: &[SocketAddr],
    ) -> Result<Self, StackError> {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| StackError::io("chmod the balancer's folder", e))?;
        let upstreams: String = replicas
            .iter()
            .map(|r| format!("    server {r} max_fails=1 fail_timeout=5s;\n"))
            .collect();
        let head = crate::login_proxy::nginx_head(dir, 1024);
        let conf = format!(
            r#"{head}
  upstream vantage {{
{upstreams}  }}
  server {{
    listen {listen};
    location = /nginx-ready {{ return 204; }}
    location / {{
      proxy_pass http://vantage;
      proxy_http_version 1.1;
      proxy_buffering off;
      proxy_read_timeout 1h;
      proxy_connect_timeout 2s;
      proxy_next_upstream error timeout http_502 http_503;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Request-Id $request_id;
    }}
  }}
}}
"#
        );
        let path = dir.join("nginx.conf");
        std::fs::write(&path, conf)
            .map_err(|e| StackError::io(format!("write {}", path.display()), e))?;
        let mut cmd = Command::new("/usr/sbin/nginx");
        cmd.arg("-p").arg(dir).arg("-c").arg(&path);
        let mut process = Managed::spawn("balancer", cmd, dir, None)?;
        let url = format!("http://{listen}");
        crate::wait_until_answers(
            &mut process,
            &format!("{url}/nginx-ready"),
            Duration::from_secs(15),
        )
        .await?;
        let pid = process.pid();
        Ok(Self { process, url, pid })
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        self.process.stop(Duration::from_secs(2));
    }
}
