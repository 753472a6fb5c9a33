use leptos::prelude::*;

use crate::{
    components::{
        bar_gauge_chart::BarGaugeChart, data_table::DataTable, gauge_dial::GaugeDial,
        heatmap_chart::HeatmapChart, markdown_text::MarkdownText, panel_empty::PanelEmpty,
        panel_status::PanelStatusBadge, share_dialog::ShareButton, stat_value::StatValue,
        status_grid::StatusGrid, time_series_chart::TimeSeriesChart,
    },
    model::{PanelData, PanelKind, PanelStatus, ViewQuery},
};

/// One panel of a dashboard: its title, freshness, warnings, and the body its
/// kind draws. Whatever happens to one panel stays inside its card.
#[component]
pub fn PanelCard(
    #[prop(into)] data: Signal<PanelData>,
    /// The page's view, for drill-down links.
    #[prop(into)]
    query: Signal<ViewQuery>,
    /// In an embed: no share button (and no way into the rest of Vantage).
    #[prop(optional)]
    embedded: bool,
) -> impl IntoView {
    let (dashboard, id, kind, width, height, priority, description) = data.with_untracked(|d| {
        (
            d.panel.dashboard.clone(),
            d.panel.panel.clone(),
            d.view.kind,
            d.view.width,
            d.view.height,
            d.view.priority,
            d.view.description.clone(),
        )
    });
    let title = Signal::derive(move || data.with(|d| d.view.title.clone()));
    let status = Signal::derive(move || data.with(|d| d.status.clone()));
    let updated = Signal::derive(move || data.with(|d| d.updated_at_ms));
    let empty = move || {
        kind != PanelKind::Text && data.with(|d| d.is_empty() && d.status == PanelStatus::Live)
    };
    let warnings = move || data.with(|d| d.warnings.join("; "));
    let missing = move || data.with(|d| d.missing.clone());
    let body = match kind {
        PanelKind::TimeSeries | PanelKind::Bar => {
            view! { <TimeSeriesChart data query zoomable=!embedded /> }.into_any()
        }
        PanelKind::Stat => view! { <StatValue data /> }.into_any(),
        PanelKind::Gauge => view! { <GaugeDial data /> }.into_any(),
        PanelKind::Table => view! { <DataTable data /> }.into_any(),
        PanelKind::StatusGrid => view! { <StatusGrid data query /> }.into_any(),
        PanelKind::BarGauge => view! { <BarGaugeChart data /> }.into_any(),
        PanelKind::Heatmap => view! { <HeatmapChart data /> }.into_any(),
        PanelKind::Text => view! { <MarkdownText data /> }.into_any(),
    };

    view! {
        <section
            class=format!("panel panel--{}", kind_class(kind))
            class:panel--stale=move || matches!(status.get(), PanelStatus::Stale { .. })
            class:panel--error=move || matches!(status.get(), PanelStatus::Error { .. })
            style=format!("--span: {width}; --rows: {height}; --priority: {priority}")
            data-testid=format!("panel-{id}")
            data-kind=kind_class(kind)
            data-updated-at=move || updated.get()
            aria-labelledby=format!("title-{id}")
        >
            <header class="panel__header">
                <h2 class="panel__title" id=format!("title-{id}") title=description>
                    {title}
                </h2>
                <PanelStatusBadge status updated_at_ms=updated />
                {(!embedded && !query.with_untracked(|q| q.kiosk))
                    .then(|| {
                        view! { <ShareButton dashboard=dashboard.clone() panel=id.clone() title query /> }
                    })}
            </header>
            <Show when=move || !warnings().is_empty()>
                <p class="panel__warning" data-testid="panel-warning">
                    "Partial data: "
                    {warnings}
                </p>
            </Show>
            <Show when=empty>
                <PanelEmpty missing=Signal::derive(missing) />
            </Show>
            {body}
        </section>
    }
}

fn kind_class(kind: PanelKind) -> &'static str {
    match kind {
        PanelKind::TimeSeries => "time-series",
        PanelKind::Stat => "stat",
        PanelKind::Gauge => "gauge",
        PanelKind::Bar => "bar",
        PanelKind::Table => "table",
        PanelKind::StatusGrid => "status-grid",
        PanelKind::BarGauge => "bar-gauge",
        PanelKind::Heatmap => "heatmap",
        PanelKind::Text => "text",
    }
}
