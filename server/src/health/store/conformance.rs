//! What every health store must do, as checks any store can be put through:
//! the SQLite store's unit tests and the PostgreSQL store's integration test
//! (`server/tests/store_postgres.rs`, on a real PostgreSQL) run the same ones.
//! Each takes a fresh, empty store and panics with what it found otherwise.

use std::sync::Arc;

use app::model::{Alert, AlertSource, AlertState, CheckResult, HealthStatus, Severity};

use super::{HealthStore, Retention, HOUR_MS, MINUTE_MS};

/// A store to check, and how to make another empty one.
pub type Make<'a> = &'a dyn Fn() -> Arc<dyn HealthStore>;

/// Every check, each on a store of its own.
pub fn all(make: Make<'_>) {
    results_transitions_and_rollups_agree(make().as_ref());
    pruning_keeps_summaries_longer(make().as_ref());
    transitions_of_every_check_in_a_window_newest_kept(make().as_ref());
    alerts_fire_and_end(make().as_ref());
    reads_while_it_writes(make());
}

pub fn result(check: &str, at_ms: i64, status: HealthStatus, ms: f64) -> CheckResult {
    CheckResult {
        check: check.into(),
        at_ms,
        status,
        response_ms: ms,
        http_status: Some(200),
        error: None,
        components: Vec::new(),
    }
}

pub fn results_transitions_and_rollups_agree(store: &dyn HealthStore) {
    let t0 = 1_800_000_000_000;
    let mut batch = Vec::new();
    for i in 0..120 {
        let status = if (40..60).contains(&i) {
            HealthStatus::Down
        } else {
            HealthStatus::Up
        };
        batch.push(result("auth", t0 + i * 30_000, status, 10.0 + i as f64));
    }
    let transitions = store.record(&batch).unwrap();
    let to: Vec<_> = transitions.iter().map(|t| (t.from, t.to)).collect();
    assert_eq!(
        to,
        [
            (None, HealthStatus::Up),
            (Some(HealthStatus::Up), HealthStatus::Down),
            (Some(HealthStatus::Down), HealthStatus::Up)
        ]
    );
    assert_eq!(store.result_count().unwrap(), 120);

    // An hour: every run; a day: minutes; a week: hours. Same uptime.
    for (span, step) in [
        (HOUR_MS, 0),
        (24 * HOUR_MS, MINUTE_MS),
        (7 * 24 * HOUR_MS, HOUR_MS),
    ] {
        let h = store.history("auth", t0, t0 + span).unwrap();
        assert_eq!(h.step_ms, step);
        let runs: u32 = h.points.iter().map(|p| p.up + p.degraded + p.down).sum();
        assert_eq!(runs, 120, "span {span}");
        let uptime = h.uptime_percent.unwrap();
        assert!((uptime - 100.0 * 100.0 / 120.0).abs() < 1e-9, "{uptime}");
        assert_eq!(h.transitions.len(), 3);
        let max = h.points.iter().map(|p| p.max_ms).fold(0.0, f64::max);
        assert_eq!(max, 10.0 + 119.0, "span {span}");
    }
    let current = store.current().unwrap();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0].latest.at_ms, t0 + 119 * 30_000);
    assert_eq!(current[0].latest.http_status, Some(200));
    assert_eq!(current[0].since_ms, t0 + 60 * 30_000);
    assert!(store
        .history("nope", t0, t0 + HOUR_MS)
        .unwrap()
        .points
        .is_empty());
}

pub fn pruning_keeps_summaries_longer(store: &dyn HealthStore) {
    let day = 24 * HOUR_MS;
    let now = 1_800_000_000_000;
    let old = result("a", now - 10 * day, HealthStatus::Up, 5.0);
    let new = result("a", now - 1000, HealthStatus::Degraded, 1500.0);
    store.record(&[old, new]).unwrap();
    assert_eq!(store.result_count().unwrap(), 2);
    let removed = store.prune(now, Retention::default()).unwrap();
    assert_eq!(removed, 1, "only the raw result older than 7 days");
    assert_eq!(store.result_count().unwrap(), 1);
    let month = store.history("a", now - 30 * day, now).unwrap();
    let runs: u32 = month
        .points
        .iter()
        .map(|p| p.up + p.degraded + p.down)
        .sum();
    assert_eq!(runs, 2, "hourly summaries still count the old run");
}

pub fn transitions_of_every_check_in_a_window_newest_kept(store: &dyn HealthStore) {
    let t0 = 1_800_000_000_000;
    for (i, status) in [HealthStatus::Up, HealthStatus::Down, HealthStatus::Up]
        .into_iter()
        .enumerate()
    {
        let at = t0 + i as i64 * 60_000;
        store
            .record(&[
                result("a", at, status, 1.0),
                result("b", at + 1, status, 1.0),
            ])
            .unwrap();
    }
    let all = store.transitions_between(t0, t0 + 600_000, 100).unwrap();
    let seen: Vec<_> = all
        .iter()
        .map(|t| (t.check.as_str(), t.at_ms - t0))
        .collect();
    assert_eq!(
        seen,
        [
            ("a", 0),
            ("b", 1),
            ("a", 60_000),
            ("b", 60_001),
            ("a", 120_000),
            ("b", 120_001)
        ]
    );
    assert_eq!(all[2].from, Some(HealthStatus::Up));
    assert_eq!(all[2].to, HealthStatus::Down);
    let window = store
        .transitions_between(t0 + 30_000, t0 + 90_000, 100)
        .unwrap();
    assert_eq!(window.len(), 2);
    let newest = store.transitions_between(t0, t0 + 600_000, 2).unwrap();
    assert_eq!(newest[0].at_ms - t0, 120_000, "{newest:?}");
}

pub fn alerts_fire_and_end(store: &dyn HealthStore) {
    let t0 = 1_800_000_000_000;
    let alert = |id: &str, since_ms: i64, ended_ms: Option<i64>| Alert {
        id: id.into(),
        source: AlertSource::Vantage,
        name: format!("{id} down"),
        severity: Severity::Critical,
        state: if ended_ms.is_some() {
            AlertState::Resolved
        } else {
            AlertState::Firing
        },
        since_ms,
        ended_ms,
        service: Some(id.into()),
        summary: "it does not answer".into(),
        labels: Default::default(),
        annotations: Default::default(),
    };
    store
        .save_alerts(&[alert("a", t0, None), alert("b", t0 + 10, None)])
        .unwrap();
    let mut firing: Vec<String> = store
        .firing_alerts()
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    firing.sort();
    assert_eq!(firing, ["a", "b"]);
    // The same alert again, resolved: one alert, ended.
    store
        .save_alerts(&[alert("a", t0, Some(t0 + 60_000))])
        .unwrap();
    let firing: Vec<String> = store
        .firing_alerts()
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(firing, ["b"]);
    let then = store.alerts_between(t0, t0 + 30_000).unwrap();
    assert_eq!(then.len(), 2, "both were firing then");
    let later = store.alerts_between(t0 + 120_000, t0 + 180_000).unwrap();
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].id, "b");
    let a = store.alerts_between(t0, t0 + 1).unwrap();
    let a = a.iter().find(|x| x.id == "a").unwrap();
    assert_eq!(a.ended_ms, Some(t0 + 60_000));
    assert_eq!(a.state, AlertState::Resolved);
}

/// A read while a batch is being written waits for it, never fails.
pub fn reads_while_it_writes(store: Arc<dyn HealthStore>) {
    let writer = {
        let store = Arc::clone(&store);
        std::thread::spawn(move || {
            for i in 0..300 {
                let batch: Vec<_> = (0..20)
                    .map(|c| result(&format!("c{c}"), i * 1000, HealthStatus::Up, 5.0))
                    .collect();
                store.record(&batch).unwrap();
            }
        })
    };
    let mut reads = 0;
    while !writer.is_finished() {
        store.current().expect("a read during writes");
        store.result_count().expect("a count during writes");
        reads += 1;
    }
    writer.join().unwrap();
    assert!(reads > 0);
    assert_eq!(store.result_count().unwrap(), 300 * 20);
    assert_eq!(store.current().unwrap().len(), 20);
}
