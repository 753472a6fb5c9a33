//! VictoriaMetrics (Debian's single node) as the data source, scraping the
//! same fleet, exporters and databases as the stack's Prometheus: the
//! built-in dashboards have data, the stream sends them, and embeds draw
//! them, as on Prometheus.

mod support;

use std::{collections::BTreeMap, time::Duration};

use app::model::RelativeRange;
use fleet::FleetOptions;
use stack::{wait_for_data_at, Stack, StackOptions};
use support::{every_built_in_panel_has_data, get, serve, Viewer};
use vantage::{
    config::Config,
    embed::{self, EmbedClaims},
    AppState,
};

#[tokio::test]
async fn the_built_in_dashboards_the_stream_and_embeds_work_on_victoria_metrics() {
    let stack = Stack::start(StackOptions {
        alertmanager: false,
        databases: true,
        victoria_metrics: true,
        fleet: Some(FleetOptions::default()),
        ..StackOptions::default()
    })
    .await
    .expect("the stack starts (scripts/setup installs victoria-metrics)");
    let vm = stack.victoria_metrics_url.clone().unwrap();
    wait_for_data_at(
        &vm,
        "sum by (service) (rate(http_requests_total[1m])) > 0",
        Duration::from_secs(90),
    )
    .await
    .expect("fleet data in VictoriaMetrics");

    let state = AppState::new(Config {
        prometheus_url: vm.parse().unwrap(),
        refresh_seconds: 1,
        ..Config::default()
    })
    .unwrap();

    // The service label and the HTTP convention are found on it too.
    let (status, body) = get(&state, "/api/services").await;
    assert_eq!(status, 200, "{body}");
    let services: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(services["service_label"], "service", "{body}");
    assert!(
        services["services"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "api-gateway"),
        "{body}"
    );

    // Every built-in panel gets data from it (the pages' test, on Prometheus).
    let ids = every_built_in_panel_has_data(&state, Duration::from_secs(120)).await;
    for id in &ids {
        let (status, html) = get(&state, &format!("/d/{id}?range=15m")).await;
        assert_eq!(status, 200);
        assert!(!html.contains("panel-empty"), "{id} shows an empty panel");
    }

    // The stream sends the overview's panels, and then their refreshes.
    let (addr, server) = serve(state.clone()).await;
    let panels = {
        let (_, view) = get(&state, "/api/dashboards/overview").await;
        let view: serde_json::Value = serde_json::from_str(&view).unwrap();
        view["panels"].as_array().unwrap().len()
    };
    let mut viewer = Viewer::connect(
        &format!("http://{addr}/api/stream?dashboard=overview&range=15m"),
        None,
    )
    .await;
    viewer
        .read_until(Duration::from_secs(30), |v| v.panels.len() == panels)
        .await;
    let first = viewer.taken.len();
    viewer
        .read_until(Duration::from_secs(30), |v| {
            v.taken.len() > first + 1 && (v.count("panel") + v.count("delta")) > panels
        })
        .await;
    let rate = &viewer.panels["request_rate"];
    assert!(
        rate.series.len() >= 11,
        "every fleet service: {:?}",
        rate.series.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    server.abort();

    // An embed draws the panel from it.
    let token = state
        .embeds
        .issue(
            &EmbedClaims {
                id: embed::keys::new_token_id(),
                dashboard: "overview".into(),
                panel: "request_rate".into(),
                vars: BTreeMap::new(),
                ranges: vec![RelativeRange::M15.into()],
                exp: vantage::clock::now_seconds() + 600,
            },
            embed::keys::MintedBy::command_line(),
        )
        .unwrap();
    let (status, svg) = get(
        &state,
        &format!("/embed/overview/request_rate.svg?token={token}&range=15m"),
    )
    .await;
    assert_eq!(status, 200, "{svg}");
    assert!(svg.contains("api-gateway"), "the legend names the series");
    assert!(svg.matches("<polyline").count() + svg.matches("<path").count() >= 3);
    assert!(
        !svg.contains(vm.trim_start_matches("http://")),
        "the image says nothing of where its data comes from"
    );
}
