use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::{
    components::{check_card::CheckCardView, range_picker::RangePicker},
    data::fetch_health,
    model::{HealthStatus, ViewQuery},
};

/// `/health`: every check as a card, worst first, complete in the first HTML.
#[component]
pub fn HealthPage() -> impl IntoView {
    let location = use_location();
    let query = Memo::new(move |_| ViewQuery::parse(&location.search.get()).0);
    let health = Resource::new(move || query.get(), fetch_health);
    view! {
        <Transition fallback=|| {
            view! {
                <p class="page__loading" data-testid="page-loading" aria-busy="true">
                    "Loading…"
                </p>
            }
        }>
            {move || {
                health
                    .get()
                    .map(|result| match result {
                        Ok(mut view) => {
                            let range = query.with(|q| q.range);
                            let count = |s: HealthStatus| {
                                view.checks
                                    .iter()
                                    .filter(|c| c.check.latest.as_ref().map(|r| r.status) == Some(s))
                                    .count()
                            };
                            let summary = format!(
                                "{} checks: {} up, {} degraded, {} down",
                                view.checks.len(),
                                count(HealthStatus::Up),
                                count(HealthStatus::Degraded),
                                count(HealthStatus::Down),
                            );
                            // Worst first; unchecked after down.
                            view.checks.sort_by_key(|c| {
                                std::cmp::Reverse(c.check.latest.as_ref().map(|r| r.status as u8 + 1).unwrap_or(0))
                            });
                            let (from_ms, to_ms) = (view.from_ms, view.to_ms);
                            let empty = view.checks.is_empty();
                            let cards = view
                                .checks
                                .into_iter()
                                .map(|card| view! { <CheckCardView card from_ms to_ms range /> })
                                .collect_view();
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
