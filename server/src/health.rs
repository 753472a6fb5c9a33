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
    // A store that does not answer is said on the page; the checks show
    // their newest result from memory, without history.
    let (checks, store_problem) = tokio::task::spawn_blocking(move || {
        let mut problem: Option<String> = None;
        let checks = summaries
            .into_iter()
            .map(|check| {
                let history = match problem {
                    Some(_) => None,
                    None => store
                        .history(&check.name, from_ms, to_ms)
                        .map_err(|e| problem = Some(e.to_string()))
                        .ok(),
                };
                let Some(history) = history else {
                    return CheckCard {
                        check,
                        uptime_percent: None,
                        response: Vec::new(),
                        transitions: Vec::new(),
                    };
                };
                let response = history
                    .points
                    .iter()
                    .map(|p| Point(p.at_ms / 1000, Some(p.mean_ms)))
                    .collect();
                let mut transitions = history.transitions;
                transitions.reverse();
                transitions.truncate(20);
                CheckCard {
                    check,
                    uptime_percent: history.uptime_percent,
                    response,
                    transitions,
                }
            })
            .collect::<Vec<_>>();
        (checks, problem)
    })
    .await
    .map_err(|e| store::StoreError::Failed(e.to_string()))?;
    let store_problem = store_problem.or_else(|| checker.store_problem());
    Ok(HealthView {
        from_ms,
        to_ms,
        checks,
        problems: checker.problem().into_iter().collect(),
        store_problem,
    })
}
