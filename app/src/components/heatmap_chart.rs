use leptos::prelude::*;

use crate::{charts::heatmap, components::chart_svg::ChartSvg, model::PanelData};

/// A heatmap of histogram buckets over time, with what its darkest shade
/// stands for.
#[component]
pub fn HeatmapChart(#[prop(into)] data: Signal<PanelData>) -> impl IntoView {
    let zone = crate::live::time_zone::use_time_zone();
    let shapes = Memo::new(move |_| {
        let zone = zone.get();
        data.with(|d| heatmap::shapes(d, zone))
    });
    let label = Signal::derive(move || {
        data.with(|d| {
            format!(
                "{}: heatmap of {} buckets",
                d.view.title,
                heatmap::buckets(d, d.view.unit).len()
            )
        })
    });
    let scale = move || {
        data.with(|d| {
            let busiest = heatmap::busiest(&heatmap::buckets(d, d.view.unit));
            format!(
                "Darkest: {} per step",
                crate::format::value(busiest, crate::model::Unit::None)
            )
        })
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
