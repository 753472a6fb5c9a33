//! Samples Prometheus returns per refresh of a 24 h panel: incremental refresh
//! (only the steps that are new since the last answer) side by side with
//! re-running the whole range, in one run on the same Prometheus.
//!
//!   cargo run --release -p bench --bin samples [-- REFRESHES]
//!
//! Both panel services load the overview's "request rate by service" for the
//! last 24 h every 2 s; their own counters say how many samples came back.

use std::{sync::atomic::Ordering, time::Duration};

use app::model::{PanelRef, RelativeRange, TimeRange};
use fleet::{FleetOptions, History};
use stack::{Stack, StackOptions};
use vantage::{
    dashboards::Dashboards, panels::PanelService, prometheus::PrometheusClient, query::Filter,
};

const REFRESH: Duration = Duration::from_secs(2);

#[tokio::main]
async fn main() {
    let refreshes: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let stack = Stack::start(StackOptions {
        alertmanager: false,
        node_exporter: false,
        process_exporter: false,
        fleet: Some(FleetOptions {
            history: Some(History {
                seconds: 24 * 3600,
                step_seconds: 60,
            }),
            ..FleetOptions::default()
        }),
        ..StackOptions::default()
    })
    .await
    .expect("the stack starts");
    let client = PrometheusClient::new(
        stack.prometheus_url.parse().unwrap(),
        Duration::from_secs(10),
    )
    .unwrap();
    let dashboards = Dashboards::load(None).unwrap();
    let incremental = PanelService::new(client.clone(), dashboards.clone());
    let full = PanelService::new(client, dashboards).without_incremental_refresh();
    let panel = PanelRef {
        dashboard: "overview".into(),
        panel: "request_rate".into(),
    };
    let range = TimeRange::Relative(RelativeRange::H24);
    let filter = Filter::default();

    // The first load fetches everything either way; count the refreshes after it.
    for service in [&incremental, &full] {
        let data = service.load(&panel, range, &filter).await.unwrap();
        assert!(
            !data.series.is_empty(),
            "the panel has data: {:?}",
            data.status
        );
    }
    let first = full.stats.samples.load(Ordering::Relaxed);
    let (inc_before, full_before) = (
        incremental.stats.samples.load(Ordering::Relaxed),
        full.stats.samples.load(Ordering::Relaxed),
    );
    let mut same = true;
    for _ in 0..refreshes {
        tokio::time::sleep(REFRESH).await;
        let a = incremental.load(&panel, range, &filter).await.unwrap();
        let b = full.load(&panel, range, &filter).await.unwrap();
        // Incremental must give the same chart as a full reload.
        same &= a.window == b.window
            && a.series.len() == b.series.len()
            && a.series
                .iter()
                .zip(&b.series)
                .all(|(x, y)| x.name == y.name && x.points.len() == y.points.len());
    }
    let inc =
        (incremental.stats.samples.load(Ordering::Relaxed) - inc_before) as f64 / refreshes as f64;
    let whole =
        (full.stats.samples.load(Ordering::Relaxed) - full_before) as f64 / refreshes as f64;
    println!("24 h panel, {refreshes} refreshes every {REFRESH:?}; first load {first} samples");
    println!("| refresh | samples per refresh | share of a full reload |");
    println!("|---|---:|---:|");
    println!("| full range | {whole:.0} | 100 % |");
    println!(
        "| incremental | {inc:.1} | {:.2} % |",
        100.0 * inc / whole.max(1.0)
    );
    println!("same series and points as a full reload: {same}");
}
