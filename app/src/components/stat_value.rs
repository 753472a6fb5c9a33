use leptos::prelude::*;

use crate::{
    charts::sparkline,
    components::chart_svg::ChartSvg,
    model::{Level, PanelData},
};

/// A stat: the newest value of each series, big, with its threshold level in
/// words as well as colour, and a sparkline of the range.
#[component]
pub fn StatValue(#[prop(into)] data: Signal<PanelData>) -> impl IntoView {
    let id = data.with_untracked(|d| d.panel.panel.clone());
    let items = move || {
        data.with(|d| {
            d.series
                .iter()
                .take(4)
                .map(|s| {
                    let value = s.last_value();
                    let level = d.view.thresholds.level(value);
                    let text = value
                        .map(|v| d.view.value_text(v))
                        .unwrap_or_else(|| "–".into());
                    let shapes = sparkline::shapes(s, (d.window.start, d.window.end));
                    let label = format!("{} over the range", s.name);
                    let many = d.series.len() > 1;
                    let name = s.name.clone();
                    view! {
                        <div class=format!("stat stat--{}", level.as_str()) data-level=level.as_str()>
                            <span class="stat__value" data-testid="stat-value">
                                {text}
                            </span>
                            <span class="stat__level">{level_word(level)}</span>
                            <Show when=move || many>
                                <span class="stat__name">{name.clone()}</span>
                            </Show>
                            <ChartSvg
                                shapes=Signal::stored(shapes)
                                width=sparkline::WIDTH
                                height=sparkline::HEIGHT
                                label=label
                            />
                        </div>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <div class="stat-row" data-testid=format!("stat-{id}")>
            {items}
        </div>
    }
}

/// The level in words, so colour is never the only sign; nothing when all is well.
pub fn level_word(level: Level) -> &'static str {
    match level {
        Level::Ok => "",
        Level::Warning => "warning",
        Level::Critical => "critical",
        Level::Unknown => "no data",
    }
}
