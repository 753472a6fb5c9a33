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
    let (_, view) = get(&state, "/api/dashboards/team").await;
    let view: serde_json::Value = serde_json::from_str(&view).unwrap();
    assert_eq!(
        view["panels"][0]["title"], "Targets up",
        "the last good version"
    );
    assert_eq!(view["problem"]["file"], "team.toml", "{view}");
    assert_eq!(
        view["problem"]["field"], "panels[0].queries[0].expr",
        "{view}"
    );
    // The tab is told, and the page shows the notice above its panels.
    let meanwhile = read_for(&mut tab, Duration::from_secs(3)).await;
    assert!(
        meanwhile.contains("event: dashboard"),
        "the tab reloads to show the notice: {meanwhile}"
    );
    let (status, html) = get(&state, "/d/team").await;
    assert_eq!(status, 200);
    assert!(html.contains("data-testid=\"file-problem\""), "{html}");
    assert!(
        html.contains("team.toml: panels[0].queries[0].expr: query template does not parse"),
        "names the file, the field and the mistake"
    );
    assert!(
        html.contains("Targets up"),
        "and still shows the last good panels"
    );

    // A new file with a mistake says so on its page, instead of "No such dashboard".
    std::fs::write(
        dir.path().join("fresh.toml"),
        "title = \"Fresh\"\n[[panels]]\nid = 1\n",
    )
    .unwrap();
    let mut page = String::new();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        page = get(&state, "/d/fresh").await.1;
        if page.contains("fresh.toml") {
            break;
        }
    }
    assert!(
        page.contains("This dashboard&#x27;s file has a mistake")
            || page.contains("This dashboard's file has a mistake"),
        "{page}"
    );
    assert!(page.contains("fresh.toml: line 3"), "{page}");
    assert!(
        !page.contains(&dir.path().display().to_string()),
        "no server paths"
    );
    let (status, body) = get(&state, "/api/dashboards/fresh").await;
    assert_eq!(status, 404);
    assert!(
        body.contains("its file has a mistake: fresh.toml"),
        "{body}"
    );
    std::fs::remove_file(dir.path().join("fresh.toml")).unwrap();

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
