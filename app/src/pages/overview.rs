use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    components::{range_picker::RangePicker, time_series_panel::TimeSeriesPanel},
    data::{fetch_panel, DataError},
    live::use_live_stream,
    model::{PanelRef, RelativeRange},
};

const DASHBOARD: &str = "overview";
const REQUEST_RATE: &str = "request_rate";

/// The overview: what is red and how busy everything is.
#[component]
pub fn OverviewPage() -> impl IntoView {
    let query = use_query_map();
    let range = Signal::derive(move || {
        query
            .read()
            .get("range")
            .and_then(|r| r.parse::<RelativeRange>().ok())
            .unwrap_or_default()
    });
    let services = Signal::derive(move || query.read().get_all("service").unwrap_or_default());
    let live = use_live_stream();
    live.follow(DASHBOARD, range, services);

    let request_rate = Resource::new(
        move || (range.get(), services.get()),
        |(range, services)| {
            fetch_panel(
                PanelRef {
                    dashboard: DASHBOARD.into(),
                    panel: REQUEST_RATE.into(),
                },
                range,
                services,
            )
        },
    );

    view! {
        <header class="page__header">
            <h1 class="page__title">"Overview"</h1>
            <RangePicker current=range services />
        </header>
        <div class="grid">
            <Transition fallback=|| {
                view! {
                    <section class="panel panel--loading" data-testid="panel-loading" aria-busy="true">
                        "Loading…"
                    </section>
                }
            }>
                {move || {
                    request_rate
                        .get()
                        .map(|result| match result {
                            Ok(initial) => {
                                let data = Signal::derive(move || {
                                    live.latest(REQUEST_RATE)
                                        .filter(|pushed| pushed.updated_at_ms >= initial.updated_at_ms)
                                        .unwrap_or_else(|| initial.clone())
                                });
                                view! { <TimeSeriesPanel data /> }.into_any()
                            }
                            Err(error) => view! { <PanelFailure error /> }.into_any(),
                        })
                }}
            </Transition>
        </div>
    }
}

/// A panel that could not be loaded at all says why, and the page goes on.
#[component]
fn PanelFailure(error: DataError) -> impl IntoView {
    view! {
        <section class="panel panel--error" data-testid="panel-error" role="alert">
            <h2 class="panel__title">"Request rate by service"</h2>
            <p>{error.to_string()}</p>
        </section>
    }
}
