//! PostgreSQL and Redis with their Prometheus exporters, for the infrastructure
//! dashboard. PostgreSQL refuses to run as root, so it runs as `postgres`.

use std::{ffi::CString, net::SocketAddr, path::PathBuf, process::Command, time::Duration};

use crate::{free_port, loopback, process::RunAs, Stack, StackError};

#[derive(Debug, Clone)]
pub struct Postgres {
    pub addr: SocketAddr,
    /// A libpq URL for the `postgres` superuser (trust authentication, loopback only).
    pub url: String,
    pub exporter_addr: SocketAddr,
}

#[derive(Debug, Clone)]
pub struct Redis {
    pub addr: SocketAddr,
    pub exporter_addr: SocketAddr,
}

fn postgres_bin() -> Result<PathBuf, StackError> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| StackError::Spawn {
            program: "postgres".into(),
            reason: "/usr/lib/postgresql not found".into(),
        })?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("postgres").exists())
        .collect();
    versions.sort();
    versions.pop().ok_or_else(|| StackError::Spawn {
        program: "postgres".into(),
        reason: "no PostgreSQL server binaries found".into(),
    })
}

fn postgres_user() -> Result<RunAs, StackError> {
    let name = CString::new("postgres").map_err(|e| StackError::Other(e.to_string()))?;
    // SAFETY: getpwnam returns a pointer into static storage or null; read at once.
    let pw = unsafe { libc::getpwnam(name.as_ptr()) };
    if pw.is_null() {
        return Err(StackError::Other(
            "there is no postgres user (install the postgresql package)".into(),
        ));
    }
    // SAFETY: non-null, points to a valid passwd record.
    let (uid, gid) = unsafe { ((*pw).pw_uid, (*pw).pw_gid) };
    Ok(RunAs { uid, gid })
}

pub(crate) async fn start_postgres(stack: &mut Stack) -> Result<Postgres, StackError> {
    let bin = postgres_bin()?;
    let user = postgres_user()?;
    let dir = stack.subdir("postgres")?;
    let data = dir.join("data");
    // The postgres user must be able to reach its directory inside ours.
    for path in [stack.dir().to_path_buf(), dir.clone()] {
        set_mode(&path, 0o755)?;
    }
    std::fs::create_dir_all(&data)
        .map_err(|e| StackError::io("create the PostgreSQL data directory", e))?;
    chown(&dir, user)?;
    chown(&data, user)?;

    let mut initdb = Command::new(bin.join("initdb"));
    initdb
        .args(["-N", "-A", "trust", "-U", "postgres", "-D"])
        .arg(&data);
    let logs = stack.subdir("logs")?;
    let mut init = crate::process::Managed::spawn("initdb", initdb, &logs, Some(user))?;
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = init.exited() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            init.stop(Duration::from_secs(1));
            return Err(StackError::Other("initdb took over 60 s".into()));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    if !status.success() {
        return Err(StackError::Exited {
            name: "initdb".into(),
            status: status.to_string(),
            log: init.log_tail(),
        });
    }

    let port = free_port()?;
    run_postgres(stack, port).await?;
    let url = format!("postgresql://postgres@127.0.0.1:{port}/postgres?sslmode=disable");

    let exporter_port = free_port()?;
    let mut exporter = Command::new("prometheus-postgres-exporter");
    exporter
        .env("DATA_SOURCE_NAME", &url)
        .arg(format!("--web.listen-address=127.0.0.1:{exporter_port}"));
    stack.spawn("postgres-exporter", exporter, None)?;
    let exporter_addr = loopback(exporter_port);
    stack
        .wait_http(
            "postgres-exporter",
            &format!("http://{exporter_addr}/metrics"),
            Duration::from_secs(30),
        )
        .await?;
    Ok(Postgres {
        addr: loopback(port),
        url,
        exporter_addr,
    })
}

/// Starts the PostgreSQL server on the stack's data directory and `port`
/// (at first, and again after [`Stack::stop_postgres`]).
pub(crate) async fn run_postgres(stack: &mut Stack, port: u16) -> Result<(), StackError> {
    let bin = postgres_bin()?;
    let user = postgres_user()?;
    let dir = stack.subdir("postgres")?;
    let mut cmd = Command::new(bin.join("postgres"));
    cmd.arg("-D")
        .arg(dir.join("data"))
        .arg("-p")
        .arg(port.to_string())
        .arg("-k")
        .arg(&dir)
        .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"]);
    stack.spawn("postgres", cmd, Some(user))?;
    wait_tcp(stack, "postgres", loopback(port)).await
}

pub(crate) async fn start_redis(stack: &mut Stack) -> Result<Redis, StackError> {
    let port = free_port()?;
    let mut cmd = Command::new("redis-server");
    cmd.args([
        "--port",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ]);
    stack.spawn("redis", cmd, None)?;
    wait_tcp(stack, "redis", loopback(port)).await?;

    let exporter_port = free_port()?;
    let mut exporter = Command::new("prometheus-redis-exporter");
    exporter
        .arg(format!("-redis.addr=redis://127.0.0.1:{port}"))
        .arg(format!("-web.listen-address=127.0.0.1:{exporter_port}"));
    stack.spawn("redis-exporter", exporter, None)?;
    let exporter_addr = loopback(exporter_port);
    stack
        .wait_http(
            "redis-exporter",
            &format!("http://{exporter_addr}/metrics"),
            Duration::from_secs(30),
        )
        .await?;
    Ok(Redis {
        addr: loopback(port),
        exporter_addr,
    })
}

/// Cache traffic for Redis, as the services with caches would make: a few
/// hundred keys, then lookups that mostly hit, so the Redis panels show a real
/// hit ratio, key count and command rate.
pub(crate) async fn cache_workload(addr: SocketAddr) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn command(parts: &[&str]) -> Vec<u8> {
        let mut out = format!("*{}\r\n", parts.len()).into_bytes();
        for p in parts {
            out.extend_from_slice(format!("${}\r\n{p}\r\n", p.len()).as_bytes());
        }
        out
    }
    let Ok(mut conn) = tokio::net::TcpStream::connect(addr).await else {
        return;
    };
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..300 {
        let key = format!("session:{i}");
        let value = format!("user-{i}");
        if conn
            .write_all(&command(&["SET", &key, &value]))
            .await
            .is_err()
            || conn.read(&mut buf).await.is_err()
        {
            return;
        }
    }
    let mut n: u64 = 0;
    loop {
        n += 1;
        // One in ten lookups asks for a key that was never set.
        let key = if n.is_multiple_of(10) {
            format!("session:missing-{n}")
        } else {
            format!("session:{}", n % 300)
        };
        if conn.write_all(&command(&["GET", &key])).await.is_err()
            || conn.read(&mut buf).await.is_err()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_tcp(stack: &mut Stack, name: &str, addr: SocketAddr) -> Result<(), StackError> {
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        stack.check_alive(name)?;
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(StackError::NotReady {
        what: format!("{name} at {addr}"),
        waited: Duration::from_secs(30),
        detail: String::new(),
    })
}

fn set_mode(path: &std::path::Path, mode: u32) -> Result<(), StackError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| StackError::io(format!("chmod {}", path.display()), e))
}

fn chown(path: &std::path::Path, user: RunAs) -> Result<(), StackError> {
    std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid))
        .map_err(|e| StackError::io(format!("chown {}", path.display()), e))
}
