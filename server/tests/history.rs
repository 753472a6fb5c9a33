//! Day and week ranges over a week of backfilled history (its own stack: a
//! week of history is this binary's alone).

mod support;

use fleet::{FleetOptions, History};
use stack::{Stack, StackOptions};
use support::*;

#[tokio::test]
async fn day_and_week_ranges_draw_backfilled_history_within_the_point_limit() {
    // A week of history: the last 26 h every 2 min, the rest every 15 min.
    let stack = Stack::start(StackOptions {
        alertmanager: false,
        fleet: Some(FleetOptions {
            history: Some(History {
                seconds: 26 * 3600,
                step_seconds: 120,
            }),
            older_history: Some(History {
                seconds: 8 * 86_400,
                step_seconds: 900,
            }),
            ..FleetOptions::default()
        }),
        ..StackOptions::default()
    })
    .await
    .expect("the stack starts");
    let state = state_for(&stack.prometheus_url);
    let mut checked = 0;
    for dashboard in ["overview", "api"] {
        let (_, view) = get(&state, &format!("/api/dashboards/{dashboard}")).await;
        let view: serde_json::Value = serde_json::from_str(&view).unwrap();
        for panel in view["panels"].as_array().unwrap() {
            if !["time_series", "bar"].contains(&panel["kind"].as_str().unwrap()) {
                continue;
            }
            let id = panel["id"].as_str().unwrap();
            for range in ["24h", "7d"] {
                let (status, body) = get(
                    &state,
                    &format!("/api/dashboards/{dashboard}/panels/{id}?range={range}"),
                )
                .await;
                assert_eq!(status, 200, "{dashboard}/{id} {range}: {body}");
                let data: serde_json::Value = serde_json::from_str(&body).unwrap();
                assert_eq!(data["status"]["kind"], "live", "{dashboard}/{id} {range}");
                let w = &data["window"];
                let (start, end, step) = (
                    w["start"].as_i64().unwrap(),
                    w["end"].as_i64().unwrap(),
                    w["step"].as_i64().unwrap(),
                );
                let steps = (end - start) / step + 1;
                assert!(steps < 11_000, "{dashboard}/{id} {range}: {steps} steps");
                let series = data["series"].as_array().unwrap();
                assert!(!series.is_empty(), "{dashboard}/{id} {range}: no series");
                let mut earliest = i64::MAX;
                for s in series {
                    let points = s["points"].as_array().unwrap();
                    // Every step, and the live edge's point at the refresh's time.
                    assert!(points.len() as i64 <= steps + 1, "{dashboard}/{id} {range}");
                    if let Some(t) = points.iter().find(|p| p[1].is_number()) {
                        earliest = earliest.min(t[0].as_i64().unwrap());
                    }
                }
                // The history reaches back to the start of the range, not just
                // the minutes since Prometheus started.
                assert!(
                    earliest - start <= (end - start) / 10,
                    "{dashboard}/{id} {range}: data only from {}s into the range",
                    earliest - start
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 16, "only {checked} panel ranges");
}
