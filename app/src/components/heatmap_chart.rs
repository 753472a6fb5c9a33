use leptos::prelude::*;

use crate::{charts::heatmap, components::chart_svg::ChartSvg, model::PanelData};

/// A heatmap of histogram buckets over time, with what its darkest shade
/// stands for.
#[component]
pub fn HeatmapChart(#[prop(into)] data: Signal<PanelData>) -> impl IntoView {
    let zone = crate::live::time_zone::use_time_zone();
    // The buckets once per change of the data: the drawing, its name and its
    // scale all read them.
    let rows = Memo::new(move |_| data.with(|d| heatmap::buckets(d, d.view.unit)));
    let shapes = Memo::new(move |_| {
        let zone = zone.get();
        rows.with(|rows| data.with(|d| heatmap::shapes(d, rows, zone)))
    });
    let label = Signal::derive(move || {
        let title = data.with(|d| d.view.title.clone());
        format!("{title}: heatmap of {} buckets", rows.with(Vec::len))
    });
    let scale = move || {
        format!(
            "Darkest: {} per step",
            crate::format::value(rows.with(|r| heatmap::busiest(r)), crate::model::Unit::None)
        )
    };
    view! {
        <div class="heatmap">
            <ChartSvg
                shapes
                width=heatmap::WIDTH
                height=heatmap::HEIGHT
                label
                testid="heatmap"
            />
            <p class="heatmap__scale" data-testid="heatmap-scale">
                {scale}
            </p>
        </div>
    }
}
