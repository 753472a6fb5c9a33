//! Health checks: the checks file, the checker that runs it, and the store that
//! keeps every result. Replaces the hand-written poll-and-write-JSON script.

pub mod checker;
pub mod config;
pub mod probe;
pub mod rules;
pub mod store;

pub use checker::{Checker, CommitListener, HealthEvent};

use app::model::{CheckCard, HealthView, Point};

/// Every check (of `services`, if any are named) over a range, as the health
/// page shows it: one short read transaction per check, off the async threads.
pub async fn view(
    checker: &Checker,
    from_ms: i64,
    to_ms: i64,
    services: &[String],
) -> Result<HealthView, store::StoreError> {
    let summaries: Vec<_> = checker
        .summaries()
        .into_iter()
        .filter(|c| services.is_empty() || services.contains(&c.service))
        .collect();
    let store = checker.store();
    let checks = tokio::task::spawn_blocking(move || {
        summaries
            .into_iter()
            .map(|check| {
                let history = store.history(&check.name, from_ms, to_ms)?;
                let response = history
                    .points
                    .iter()
                    .map(|p| Point(p.at_ms / 1000, Some(p.mean_ms)))
                    .collect();
                let mut transitions = history.transitions;
                transitions.reverse();
                transitions.truncate(20);
                Ok(CheckCard {
                    check,
                    uptime_percent: history.uptime_percent,
                    response,
                    transitions,
                })
            })
            .collect::<Result<Vec<_>, store::StoreError>>()
    })
    .await
    .map_err(|e| store::StoreError::Failed(e.to_string()))??;
    Ok(HealthView {
        from_ms,
        to_ms,
        checks,
        problems: checker.problem().into_iter().collect(),
    })
}
