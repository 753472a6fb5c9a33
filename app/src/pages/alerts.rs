use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::{
    components::{alert_item::AlertItem, page_loading::PageLoading, range_picker::RangePicker},
    data::fetch_alerts,
    live::health_feed::use_health_feed,
    model::{AlertState, ViewQuery},
};

const SEVERITIES: [(&str, &str); 4] = [
    ("", "All"),
    ("critical", "Critical"),
    ("warning", "Warning"),
    ("info", "Info"),
];

/// `/alerts`: Vantage's health alerts and Prometheus' alerts in one list,
/// firing first, filterable by severity (and `service=` in the URL). When a
/// health alert fires or resolves, the feed says so and the list is read again.
#[component]
pub fn AlertsPage() -> impl IntoView {
    let feed = use_health_feed("alerts");
    let location = use_location();
    let query = Memo::new(move |_| ViewQuery::parse(&location.search.get()).0);
    let alerts = Resource::new(
        move || (query.get(), feed.alert_changes.get()),
        |(query, _)| fetch_alerts(query),
    );
    let chosen = move || query.with(|q| q.values("severity").first().cloned().unwrap_or_default());
    let filters = SEVERITIES
        .into_iter()
        .map(|(value, label)| {
            let href = move || {
                let mut q = query.get();
                q.vars.retain(|(k, _)| k != "severity");
                if !value.is_empty() {
                    q.vars.push(("severity".into(), value.into()));
                }
                q.href("/alerts")
            };
            let current = move || chosen() == value;
            view! {
                <a
                    href=href
                    class="range-picker__option"
                    class:range-picker__option--selected=current
                    aria-current=move || current().then_some("true")
                >
                    {label}
                </a>
            }
        })
        .collect_view();
    view! {
        <header class="page__header">
            <div>
                <h1 class="page__title" data-testid="page-title">"Alerts"</h1>
                <p class="page__description">
                    "Health-check alerts and Prometheus' alerting rules, firing first."
                </p>
            </div>
            <RangePicker path="/alerts".to_string() query />
        </header>
        <nav class="range-picker" aria-label="Severity" data-testid="severity-filter">
            {filters}
        </nav>
        <Transition fallback=PageLoading>
            {move || {
                alerts
                    .get()
                    .map(|result| match result {
                        Ok(view) => {
                            let span = query.with(|q| q.range.seconds());
                            let firing = view
                                .alerts
                                .iter()
                                .filter(|a| a.state == AlertState::Firing)
                                .count();
                            let empty = view.alerts.is_empty();
                            let picker = view! { <ServicePicker services=view.services.clone() query /> };
                            let problems = view
                                .problems
                                .into_iter()
                                .map(|p| view! { <p class="page__problem" role="alert">{p}</p> })
                                .collect_view();
                            let items = view
                                .alerts
                                .into_iter()
                                .map(|alert| view! { <AlertItem alert span_seconds=span /> })
                                .collect_view();
                            view! {
                                {picker}
                                {problems}
                                <p class="alerts__count" data-testid="alerts-firing">
                                    {format!("{firing} firing")}
                                </p>
                                <Show when=move || empty>
                                    <p class="page__empty" data-testid="alerts-empty">
                                        "No alerts in this range."
                                    </p>
                                </Show>
                                <ul class="alerts" data-testid="alerts">{items}</ul>
                            }
                                .into_any()
                        }
                        Err(error) => {
                            view! {
                                <section class="page__problem" role="alert" data-testid="alerts-error">
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

/// Narrows the list to one service: a plain form, so it works without
/// JavaScript; the range and severity stay as they are.
#[component]
fn ServicePicker(services: Vec<String>, #[prop(into)] query: Signal<ViewQuery>) -> impl IntoView {
    let chosen = query.with_untracked(|q| q.values("service").first().cloned().unwrap_or_default());
    let kept = query.with_untracked(|q| {
        let mut q = q.clone();
        q.vars.retain(|(k, _)| k != "service");
        form_urlencoded::parse(q.to_query().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect::<Vec<_>>()
    });
    view! {
        <form class="service-picker" method="get" action="/alerts" data-testid="service-filter">
            {kept
                .into_iter()
                .map(|(name, value)| view! { <input type="hidden" name=name value=value /> })
                .collect_view()}
            <label>
                "Service "
                <select name="service">
                    <option value="" selected=chosen.is_empty()>
                        "All services"
                    </option>
                    {services
                        .into_iter()
                        .map(|s| {
                            let selected = s == chosen;
                            let value = s.clone();
                            view! {
                                <option value=value selected=selected>
                                    {s}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <button type="submit">"Show"</button>
        </form>
    }
}
