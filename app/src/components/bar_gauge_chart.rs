use leptos::prelude::*;

use crate::{charts::bar_gauge, components::chart_svg::ChartSvg, model::PanelData};

/// A bar gauge: a bar per series between the panel's `min` and `max`, its
/// name and value written over it (text in the drawing, read aloud too).
#[component]
pub fn BarGaugeChart(#[prop(into)] data: Signal<PanelData>) -> impl IntoView {
    let shapes = Memo::new(move |_| data.with(bar_gauge::shapes));
    let label = Signal::derive(move || {
        data.with(|d| {
            let values: Vec<String> = d
                .series
                .iter()
                .take(bar_gauge::MAX_BARS)
                .map(|s| {
                    let v = s
                        .last_value()
                        .map(|v| d.view.value_text(v))
                        .unwrap_or_else(|| "no value".into());
                    format!("{} {v}", s.name)
                })
                .collect();
            format!("{}: {}", d.view.title, values.join(", "))
        })
    });
    view! {
        <div class="bar-gauge">
            <ChartSvg
                shapes
                width=bar_gauge::WIDTH
                height=bar_gauge::HEIGHT
                label
                testid="bar-gauge"
            />
        </div>
    }
}
