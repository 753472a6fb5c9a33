use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::{
    components::{check_card::CheckCardView, page_loading::PageLoading, range_picker::RangePicker},
    data::fetch_health,
    live::health_feed::use_health_feed,
    model::{HealthStatus, ViewQuery},
};

/// `/health`: every check as a card, worst first, complete in the first HTML,
/// then kept live by the health feed.
#[component]
pub fn HealthPage() -> impl IntoView {
    let feed = use_health_feed("health");
    let location = use_location();
    let query = Memo::new(move |_| ViewQuery::parse(&location.search.get()).0);
    let health = Resource::new(move || query.get(), fetch_health);
    view! {
        <Transition fallback=PageLoading>
            {move || {
                health
                    .get()
                    .map(|result| match result {
                        Ok(mut view) => {
                            let (range, kiosk) = query.with(|q| (q.range, q.kiosk));
                            let first: Vec<(String, Option<(i64, HealthStatus)>)> = view
                                .checks
                                .iter()
                                .map(|c| {
                                    let latest = c.check.latest.as_ref().map(|r| (r.at_ms, r.status));
                                    (c.check.name.clone(), latest)
                                })
                                .collect();
                            // The counts follow the feed too.
                            let summary = move || {
                                let now: Vec<Option<HealthStatus>> = feed.results.with(|pushed| {
                                    first
                                        .iter()
                                        .map(|(name, initial)| {
                                            match (pushed.get(name), initial) {
                                                (Some(p), Some((at, _))) if p.at_ms >= *at => Some(p.status),
                                                (Some(p), None) => Some(p.status),
                                                (_, initial) => initial.map(|(_, s)| s),
                                            }
                                        })
                                        .collect()
                                });
                                let count = |s| now.iter().filter(|x| **x == Some(s)).count();
                                format!(
                                    "{} checks: {} up, {} degraded, {} down",
                                    now.len(),
                                    count(HealthStatus::Up),
                                    count(HealthStatus::Degraded),
                                    count(HealthStatus::Down),
                                )
                            };
                            // Worst first; unchecked after down.
                            view.checks.sort_by_key(|c| {
                                std::cmp::Reverse(c.check.latest.as_ref().map(|r| r.status as u8 + 1).unwrap_or(0))
                            });
                            let (from_ms, to_ms) = (view.from_ms, view.to_ms);
                            let empty = view.checks.is_empty();
                            let cards = view
                                .checks
                                .into_iter()
                                .map(|card| {
                                    let name = card.check.name.clone();
                                    let pushed = name.clone();
                                    let live = Signal::derive(move || {
                                        feed.results.with(|m| m.get(&pushed).cloned())
                                    });
                                    let live_since = Signal::derive(move || {
                                        feed.since.with(|m| m.get(&name).copied())
                                    });
                                    view! { <CheckCardView card from_ms to_ms range kiosk live live_since /> }
                                })
                                .collect_view();
                            let store_problem = view.store_problem.clone().map(|why| {
                                view! {
                                    <p class="page__problem" role="alert" data-testid="store-problem">
                                        {format!(
                                            "The health store is unavailable ({why}): checks show their newest result, history is not shown and new results are not kept; they are again once it answers.",
                                        )}
                                    </p>
                                }
                            });
                            let problems = view
                                .problems
                                .into_iter()
                                .map(|p| {
                                    view! {
                                        <p class="page__problem" role="alert" data-testid="checks-problem">
                                            {format!("The checks file has a mistake; the last good checks keep running. {p}")}
                                        </p>
                                    }
                                })
                                .collect_view();
                            view! {
                                <header class="page__header">
                                    <div>
                                        <h1 class="page__title" data-testid="page-title">"Health"</h1>
                                        <p class="page__description" data-testid="health-summary">{summary}</p>
                                        <p class="page__description">"Times in UTC."</p>
                                    </div>
                                    <RangePicker path="/health".to_string() query />
                                </header>
                                {store_problem}
                                {problems}
                                <Show when=move || empty>
                                    <p class="page__empty" data-testid="checks-empty">
                                        "No health checks are configured: set checks_file (see docs/health.md)."
                                    </p>
                                </Show>
                                <div class="checks" data-testid="checks">{cards}</div>
                            }
                                .into_any()
                        }
                        Err(error) => {
                            view! {
                                <section class="page__problem" role="alert" data-testid="health-error">
                                    <h1 class="page__title">"Health could not be loaded"</h1>
                                    <p>{error.to_string()}</p>
                                </section>
                            }
                                .into_any()
                        }
                    })
            }}
        </Transition>
    }
}
