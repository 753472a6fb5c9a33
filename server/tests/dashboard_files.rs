//! Dashboard files: reloaded when they change (a broken edit keeps the last
//! good version), and `vantage check` naming each mistake.

mod support;

use std::time::Duration;

use support::*;
use vantage::{config::Config, router, AppState};

#[tokio::test]
async fn dashboard_files_reload_and_a_broken_edit_keeps_the_last_good_one() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("team.toml");
    let good = "title = \"Team\"\n[[panels]]\nid = \"up\"\ntitle = \"Targets up\"\nkind = \"stat\"\n[[panels.queries]]\nexpr = 'sum(up)'\n";
    std::fs::write(&file, good).unwrap();
    let config = Config {
        prometheus_url: "http://127.0.0.1:9".parse().unwrap(),
        dashboards_dir: Some(dir.path().to_owned()),
        refresh_seconds: 1,
        ..Config::default()
    };
    let state = AppState::new(config).unwrap();
    let watcher = tokio::spawn(
        state
            .dashboards
            .clone()
            .watch(Duration::from_millis(100), state.shutdown.clone()),
    );
    let (status, body) = get(&state, "/api/dashboards/team").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Targets up"));
    // A tab showing it, to be told when its layout changes.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(state.clone());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let mut tab = reqwest::get(format!("http://{addr}/api/stream?dashboard=team"))
        .await
        .unwrap()
        .events();
    read_panels(&mut tab, 1, Duration::from_secs(10)).await;

    // A broken edit: still served as it was, and the API says what is wrong.
    std::fs::write(&file, good.replace("sum(up)", "sum(up")).unwrap();
    let mut listed = String::new();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        listed = get(&state, "/api/dashboards").await.1;
        if listed.contains("team.toml") {
            break;
        }
    }
    let v: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(v["problems"][0]["file"], "team.toml", "{listed}");
    assert_eq!(v["problems"][0]["field"], "panels[0].queries[0].expr");
    assert!(
        !listed.contains(&dir.path().display().to_string()),
        "no server paths"
    );
    assert!(get(&state, "/api/dashboards/team")
        .await
        .1
        .contains("Targets up"));
    let meanwhile = read_for(&mut tab, Duration::from_secs(2)).await;
    assert!(
        !meanwhile.contains("event: dashboard"),
        "a broken edit changes nothing on screen: {meanwhile}"
    );

    // A good edit replaces it without a restart.
    std::fs::write(&file, good.replace("Targets up", "Scrape targets up")).unwrap();
    let mut body = String::new();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        body = get(&state, "/api/dashboards/team").await.1;
        if body.contains("Scrape targets up") {
            break;
        }
    }
    assert!(body.contains("Scrape targets up"), "{body}");
    let told = read_for(&mut tab, Duration::from_secs(3)).await;
    assert!(told.contains("event: dashboard"), "the tab reloads: {told}");
    server.abort();
    state.shutdown.cancel();
    watcher.await.unwrap();
}

#[test]
fn vantage_check_names_the_file_field_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(&good, "title = \"Good\"\n[[panels]]\nid = \"up\"\ntitle = \"Up\"\nkind = \"stat\"\n[[panels.queries]]\nexpr = 'sum(up)'\n").unwrap();
    let run = |files: &[&std::path::Path]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_vantage"))
            .arg("check")
            .args(files)
            .env_remove("VANTAGE_DASHBOARDS_DIR")
            .output()
            .unwrap()
    };
    let ok = run(&[&good]);
    assert!(ok.status.success(), "{ok:?}");
    assert!(String::from_utf8_lossy(&ok.stdout).contains("5 dashboard(s) ok"));

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "title = \"Bad\"\n[[panels]]\nid = \"up\"\ntitle = \"Up\"\nkind = \"stat\"\nwidth = 30\n[[panels.queries]]\nexpr = 'sum(up)'\n").unwrap();
    let out = run(&[&good, &bad]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.toml: panels[0].width: between 1 and 12"),
        "{stderr}"
    );
}
