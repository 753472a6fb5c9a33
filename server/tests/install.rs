//! Vantage as a team installs it: one binary that serves complete pages from
//! any folder, a start that leaves nothing behind when it fails, logs and
//! figures an operator reads, and a command line that reads the same settings
//! as the server. Each test runs the real binary in a folder of its own.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

/// The binary with none of the caller's `VANTAGE_*` settings.
fn vantage() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vantage"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("VANTAGE_") {
            cmd.env_remove(name);
        }
    }
    cmd
}

fn listing(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A running `vantage`, stopped when dropped.
struct Running {
    child: Child,
    url: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// Stops it and returns what it logged.
    fn stop(mut self) -> String {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let mut out = String::new();
        if let Some(mut stdout) = self.child.stdout.take() {
            let _ = std::io::Read::read_to_string(&mut stdout, &mut out);
        }
        let _ = self.child.wait();
        out
    }
}

/// Starts `cmd` (with `--listen` added) and waits until it answers.
async fn start(mut cmd: Command) -> Running {
    let port = stack::free_port().unwrap();
    let child = cmd
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let running = Running {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while reqwest::get(format!("{}/healthz", running.url))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "vantage did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    running
}

/// The bundle as `scripts/build` left it, which the binary must carry.
fn built(file: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/site")
        .join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (run scripts/build)", path.display()))
}

#[tokio::test]
async fn the_binary_alone_serves_complete_pages_logs_plainly_and_reports_its_process() {
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("vantage");
    std::fs::copy(env!("CARGO_BIN_EXE_vantage"), &binary).unwrap();
    let mut cmd = Command::new(&binary);
    cmd.current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(["--prometheus-url", "http://127.0.0.1:9"]);
    let server = start(cmd).await;
    let http = reqwest::Client::new();

    let page = http.get(&server.url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    for linked in ["/pkg/vantage.js", "/pkg/vantage_bg.wasm", "/style/main.css"] {
        assert!(page.contains(linked), "the page names {linked}");
    }
    // Each file is the one scripts/build made, whatever the folder holds.
    for (file, mime) in [
        ("pkg/vantage.js", "text/javascript"),
        ("pkg/vantage_bg.wasm", "application/wasm"),
        ("style/main.css", "text/css"),
        ("favicon.svg", "image/svg+xml"),
        ("embed-element/vantage-panel.js", "text/javascript"),
        ("embed-element/embed-element.js", "text/javascript"),
        ("embed-element/embed-element_bg.wasm", "application/wasm"),
    ] {
        let response = http
            .get(format!("{}/{file}", server.url))
            .header("accept-encoding", "identity")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{file}");
        assert_eq!(response.headers()["content-type"], mime, "{file}");
        if file.starts_with("embed-element/") {
            // Other sites load the script-tag embed as a module.
            assert_eq!(response.headers()["access-control-allow-origin"], "*");
        }
        let etag = response.headers()["etag"].clone();
        assert_eq!(response.bytes().await.unwrap(), built(file), "{file}");
        // A browser that holds it gets no body again.
        let again = http
            .get(format!("{}/{file}", server.url))
            .header("accept-encoding", "identity")
            .header("if-none-match", etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{file}");
    }
    let missing = http
        .get(format!("{}/pkg/nope.js", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    // The process' own figures under their conventional names.
    let metrics = http
        .get(format!("{}/metrics", server.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let figure = |name: &str| -> f64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} in /metrics:\n{metrics}"))
            .parse()
            .unwrap()
    };
    assert!(figure("process_resident_memory_bytes") > 1e6);
    assert!(figure("process_cpu_seconds_total") > 0.0);
    assert!(figure("process_open_fds") >= 3.0);
    let started = figure("process_start_time_seconds");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!((now - 120.0..=now + 1.0).contains(&started), "{started}");

    let logs = server.stop();
    assert!(logs.contains("Vantage serves http://127.0.0.1:"), "{logs}");
    assert!(
        !logs.contains('\u{1b}'),
        "no colour codes off a terminal:\n{logs}"
    );
    // What a successful start makes, in the folder it started in: nothing else.
    let made = listing(dir.path());
    assert!(
        made.iter().all(|f| f == "vantage"
            || f.starts_with("vantage-health.sqlite")
            || f == "vantage-embed.key"),
        "{made:?}"
    );
}

#[tokio::test]
async fn json_logs_are_one_object_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = vantage();
    cmd.current_dir(dir.path()).args([
        "--prometheus-url",
        "http://127.0.0.1:9",
        "--log-format",
        "json",
    ]);
    let logs = start(cmd).await.stop();
    let lines: Vec<&str> = logs.lines().collect();
    assert!(lines.len() >= 2, "{logs}");
    for line in &lines {
        let object: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{e}: not one JSON object: {line}"));
        assert!(
            object["level"].is_string() && object["timestamp"].is_string(),
            "{line}"
        );
    }
    assert!(lines.iter().any(|l| l.contains("Vantage serves")), "{logs}");
}

/// Runs `vantage` to its end in `dir` with `args`.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    vantage().current_dir(dir).args(args).output().unwrap()
}

#[test]
fn a_failed_start_leaves_no_file_behind() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = busy.local_addr().unwrap().to_string();
    let cases: [(&str, &[&str], &str); 5] = [
        (
            "a broken checks file",
            &["--checks-file", "checks.toml"],
            "checks.toml",
        ),
        (
            "an address in use",
            &["--listen", &busy],
            "cannot listen on",
        ),
        (
            "a site_root without a bundle",
            &["--site-root", "."],
            "holds no browser bundle",
        ),
        (
            // The key is made first; the store then fails, and the key goes.
            "a store that cannot be made",
            &["--store-path", "no/such/folder/health.sqlite"],
            "health.sqlite",
        ),
        (
            "an embed key that is not one",
            &["--embed-key-file", "checks.toml"],
            "hex digits",
        ),
    ];
    for (what, args, says) in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("checks.toml"), "[[checks]\n").unwrap();
        let before = listing(dir.path());
        let mut all = vec!["--prometheus-url", "http://127.0.0.1:9"];
        if !args.contains(&"--listen") {
            all.extend(["--listen", "127.0.0.1:0"]);
        }
        all.extend(args);
        let out = run_in(dir.path(), &all);
        assert!(!out.status.success(), "{what}: {out:?}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(says), "{what}: {stderr}");
        assert_eq!(listing(dir.path()), before, "{what} left files behind");
    }
}

#[test]
fn vantage_check_takes_folders_reports_every_broken_file_and_names_its_settings() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good");
    let bad = dir.path().join("bad");
    std::fs::create_dir_all(&good).unwrap();
    std::fs::create_dir_all(&bad).unwrap();
    let builtin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../dashboards/api.toml");
    std::fs::copy(&builtin, good.join("mine.toml")).unwrap();
    std::fs::write(
        bad.join("one.toml"),
        "title = \"One\"\n[[panels]]\nid = \"x\"\n",
    )
    .unwrap();
    std::fs::write(bad.join("two.toml"), "title = [\n").unwrap();
    // A config whose relative paths are taken from its own folder.
    std::fs::write(
        dir.path().join("vantage.toml"),
        "checks_file = \"checks.toml\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("checks.toml"),
        "[[checks]]\nname = \"api\"\nservice = \"api\"\nurl = \"http://127.0.0.1:9/health\"\n",
    )
    .unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let config = dir.path().join("vantage.toml");
    let out = run_in(
        elsewhere.path(),
        &[
            "check",
            good.to_str().unwrap(),
            bad.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        stdout.contains("5 dashboard(s) ok, 2 with mistakes"),
        "{stdout}"
    );
    assert!(stdout.contains("checks.toml: 1 check(s) ok"), "{stdout}");
    assert!(
        stderr.contains("one.toml") && stderr.contains("two.toml"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("config {}", config.display())),
        "{stderr}"
    );

    let out = run_in(elsewhere.path(), &["check", good.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    assert!(text(&out.stderr).contains("config (none"), "{out:?}");
}

#[tokio::test]
async fn a_revocation_by_the_command_line_reaches_the_running_server() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("vantage.toml"),
        "embed_key_file = \"embed.key\"\n",
    )
    .unwrap();
    let config = dir.path().join("vantage.toml");
    let config = config.to_str().unwrap();
    let mut cmd = vantage();
    cmd.current_dir(dir.path()).args([
        "--config",
        config,
        "--prometheus-url",
        "http://127.0.0.1:9",
    ]);
    let server = start(cmd).await;

    // Settings after the subcommand, as people type them.
    let issued = run_in(
        dir.path(),
        &[
            "token",
            "issue",
            "overview",
            "request_rate",
            "--config",
            config,
        ],
    );
    assert!(issued.status.success(), "{issued:?}");
    assert!(
        text(&issued.stderr).contains(&format!(
            "embed key {}",
            dir.path().join("embed.key").display()
        )),
        "{issued:?}"
    );
    let stdout = text(&issued.stdout);
    let field = |name: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.split_whitespace().next().unwrap().to_string())
            .unwrap_or_else(|| panic!("no {name} in {stdout}"))
    };
    let (id, token) = (field("token id: "), field("token:    "));
    let data = format!(
        "{}/embed/overview/request_rate/data?token={token}",
        server.url
    );
    let status = reqwest::get(&data).await.unwrap().status();
    // Prometheus is not there: the token passes, the data cannot be had.
    assert!(![401, 403].contains(&status.as_u16()), "{status}");

    let typo = run_in(
        dir.path(),
        &["token", "revoke", "0123456789abcdef", "--config", config],
    );
    assert_eq!(typo.status.code(), Some(1), "{typo:?}");
    assert!(
        text(&typo.stderr).contains("no token signed with this key"),
        "{typo:?}"
    );
    let revoked = run_in(dir.path(), &["--config", config, "token", "revoke", &id]);
    assert!(revoked.status.success(), "{revoked:?}");
    // The server reads the revocations on each use: at once.
    let refused = reqwest::get(&data).await.unwrap();
    assert_eq!(refused.status(), 401);
    assert!(refused.text().await.unwrap().contains("revoked"));
}
