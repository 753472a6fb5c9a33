use leptos::prelude::*;

use crate::{
    charts::{palette::series_class, time_series},
    components::{chart_svg::ChartSvg, panel_status::PanelStatusBadge},
    format,
    model::{PanelData, PanelStatus},
};

/// A time-series panel: title, freshness, the chart and a legend with current values.
#[component]
pub fn TimeSeriesPanel(#[prop(into)] data: Signal<PanelData>) -> impl IntoView {
    let id = data.with_untracked(|d| d.panel.panel.clone());
    let shapes = Memo::new(move |_| data.with(time_series::shapes));
    let title = Signal::derive(move || data.with(|d| d.title.clone()));
    let status = Signal::derive(move || data.with(|d| d.status.clone()));
    let updated = Signal::derive(move || data.with(|d| d.updated_at_ms));
    let legend = move || {
        data.with(|d| {
            d.series
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let value = s
                        .last_value()
                        .map(|v| format::value(v, d.unit))
                        .unwrap_or_else(|| "–".into());
                    view! {
                        <li class="legend__item">
                            <span class=series_class(i) aria-hidden="true"></span>
                            <span class="legend__name">{s.name.clone()}</span>
                            <span class="legend__value">{value}</span>
                        </li>
                    }
                })
                .collect_view()
        })
    };
    let empty = move || data.with(|d| d.series.is_empty() && d.status == PanelStatus::Live);
    let warnings = move || data.with(|d| d.warnings.join("; "));

    view! {
        <section
            class="panel"
            class:panel--stale=move || matches!(status.get(), PanelStatus::Stale { .. })
            class:panel--error=move || matches!(status.get(), PanelStatus::Error { .. })
            data-testid=format!("panel-{id}")
            data-updated-at=move || updated.get()
        >
            <header class="panel__header">
                <h2 class="panel__title">{title}</h2>
                <PanelStatusBadge status updated_at_ms=updated />
            </header>
            <Show when=move || !warnings().is_empty()>
                <p class="panel__warning" data-testid="panel-warning">
                    "Partial data: "
                    {warnings}
                </p>
            </Show>
            <Show when=empty>
                <p class="panel__empty" data-testid="panel-empty">
                    "No series match: the data source answered with no data for this range."
                </p>
            </Show>
            <ChartSvg
                shapes
                width=time_series::WIDTH
                height=time_series::HEIGHT
                label=title
                testid=format!("chart-{id}")
            />
            <ul class="legend" data-testid="legend">
                {legend}
            </ul>
        </section>
    }
}
