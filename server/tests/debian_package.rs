//! The Debian package as an operator installs it: `dpkg -i` of the package
//! that `scripts/package` made (scripts/test makes it from the debug build),
//! its files and unit, the installed binary run with the installed config
//! against a real Prometheus, and `dpkg --purge` again.
//!
//! It changes the machine (root only, as CI runs), and refuses to run where a
//! `vantage` package is installed already rather than replace it.

use std::{
    path::PathBuf,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use stack::{Stack, StackOptions};

/// The newest package in target/debian.
fn package() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/debian");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e} (run scripts/package --debug)", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("vantage_") && name.ends_with("_amd64.deb")
        })
        .collect();
    found.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    found.pop().unwrap_or_else(|| {
        panic!(
            "no vantage_*_amd64.deb in {} (run scripts/package --debug)",
            dir.display()
        )
    })
}

fn run(program: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .env("DEBIAN_FRONTEND", "noninteractive")
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn installed() -> bool {
    run("dpkg-query", &["-W", "-f=${Status}", "vantage"])
        .1
        .contains("install ok installed")
}

/// Purges the package when the test ends, passed or not.
struct Purge;

impl Drop for Purge {
    fn drop(&mut self) {
        let _ = run("dpkg", &["--purge", "vantage"]);
    }
}

#[tokio::test]
async fn the_package_installs_its_binary_config_and_hardened_unit_serves_and_purges() {
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "installing a package needs root (CI runs as root)"
    );
    assert!(
        !installed(),
        "a vantage package is installed here already; this test would replace it"
    );
    let deb = package();
    let deb = deb.to_str().unwrap();

    let (ok, contents) = run("dpkg-deb", &["-c", deb]);
    assert!(ok, "{contents}");
    for file in [
        "./usr/bin/vantage",
        "./etc/vantage/vantage.toml",
        "./usr/lib/systemd/system/vantage.service",
    ] {
        assert!(
            contents.contains(file),
            "{file} not in the package:\n{contents}"
        );
    }

    let _purge = Purge;
    let (ok, out) = run("dpkg", &["-i", deb]);
    assert!(ok, "dpkg -i: {out}");
    assert!(installed());
    let (_, conffiles) = run("dpkg-query", &["-W", "-f=${Conffiles}", "vantage"]);
    assert!(
        conffiles.contains("/etc/vantage/vantage.toml"),
        "{conffiles}"
    );

    let unit = "/usr/lib/systemd/system/vantage.service";
    let (ok, out) = run("systemd-analyze", &["verify", unit]);
    assert!(ok && out.trim().is_empty(), "systemd-analyze verify: {out}");
    let text = std::fs::read_to_string(unit).unwrap();
    for hardening in [
        "ExecStart=/usr/bin/vantage --config /etc/vantage/vantage.toml",
        "DynamicUser=yes",
        "StateDirectory=vantage",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "PrivateDevices=yes",
        "CapabilityBoundingSet=\n",
    ] {
        assert!(text.contains(hardening), "the unit lacks {hardening:?}");
    }
    // The installed config checks clean with the installed binary.
    let (ok, out) = run(
        "/usr/bin/vantage",
        &["check", "--config", "/etc/vantage/vantage.toml"],
    );
    assert!(ok, "vantage check: {out}");

    // The installed binary with the installed config, against a real
    // Prometheus; the state folder systemd would make is a temporary one here.
    let stack = Stack::start(StackOptions {
        node_exporter: false,
        process_exporter: false,
        alertmanager: false,
        fleet: None,
        ..StackOptions::default()
    })
    .await
    .expect("Prometheus starts");
    let state = tempfile::tempdir().unwrap();
    let port = stack::free_port().unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let mut server = Command::new("/usr/bin/vantage")
        .args(["--config", "/etc/vantage/vantage.toml"])
        .current_dir(state.path())
        .env("VANTAGE_LISTEN", format!("127.0.0.1:{port}"))
        .env("VANTAGE_PROMETHEUS_URL", &stack.prometheus_url)
        .env("VANTAGE_STORE_PATH", state.path().join("health.sqlite"))
        .env("VANTAGE_EMBED_KEY_FILE", state.path().join("embed.key"))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let ready = loop {
        match reqwest::get(format!("{url}/readyz")).await {
            Ok(r) if r.status() == 200 => break true,
            _ if Instant::now() > deadline => break false,
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    let page = reqwest::get(&url).await.unwrap().text().await.unwrap();
    let wasm = reqwest::get(format!("{url}/pkg/vantage_bg.wasm"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let element = reqwest::get(format!("{url}/embed-element/vantage-panel.js"))
        .await
        .unwrap()
        .status();
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        ready,
        "the installed vantage did not get ready with Prometheus"
    );
    assert!(page.contains("/pkg/vantage.js") && page.contains("/style/main.css"));
    assert!(
        page.contains("Request rate"),
        "the overview's panels are on the page"
    );
    assert_eq!(
        &wasm[..4],
        b"\0asm",
        "the bundle comes from the installed binary"
    );
    assert_eq!(element, 200);

    let (ok, out) = run("dpkg", &["--purge", "vantage"]);
    assert!(ok, "dpkg --purge: {out}");
    assert!(!installed());
    assert!(!std::path::Path::new("/usr/bin/vantage").exists());
    assert!(!std::path::Path::new("/etc/vantage/vantage.toml").exists());
}
