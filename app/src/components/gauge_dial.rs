use leptos::prelude::*;

use crate::{
    charts::gauge,
    components::{chart_svg::ChartSvg, stat_value::level_word},
    model::PanelData,
};

/// A gauge: the newest value on a dial between the panel's `min` and `max`.
#[component]
pub fn GaugeDial(#[prop(into)] data: Signal<PanelData>) -> impl IntoView {
    let value = Memo::new(move |_| data.with(|d| d.series.first().and_then(|s| s.last_value())));
    let shapes = Memo::new(move |_| {
        data.with(|d| {
            let bounds = (d.view.min.unwrap_or(0.0), d.view.max.unwrap_or(100.0));
            gauge::shapes(value.get(), bounds, &d.view.thresholds)
        })
    });
    let text = move || {
        data.with(|d| {
            value
                .get()
                .map(|v| d.view.value_text(v))
                .unwrap_or_else(|| "–".into())
        })
    };
    let level = move || data.with(|d| d.view.thresholds.level(value.get()));
    let title = Signal::derive(move || data.with(|d| d.view.title.clone()));
    view! {
        <div class="gauge" data-level=move || level().as_str()>
            <ChartSvg shapes width=gauge::WIDTH height=gauge::HEIGHT label=title />
            <span class="gauge__value" data-testid="gauge-value">
                {text}
            </span>
            <span class="gauge__level">{move || level_word(level())}</span>
        </div>
    }
}
