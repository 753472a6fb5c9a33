use leptos::prelude::*;

use crate::{
    charts::{palette::series_class, time_series},
    components::chart_svg::ChartSvg,
    format,
    model::{PanelData, ViewQuery},
};

/// A time-series or bar chart with a legend of current values; a legend entry
/// links to the panel's drill-down view for that series, if it has one.
#[component]
pub fn TimeSeriesChart(
    #[prop(into)] data: Signal<PanelData>,
    #[prop(into)] query: Signal<ViewQuery>,
) -> impl IntoView {
    let id = data.with_untracked(|d| d.panel.panel.clone());
    let shapes = Memo::new(move |_| data.with(time_series::shapes));
    let title = Signal::derive(move || data.with(|d| d.view.title.clone()));
    let legend = move || {
        data.with(|d| {
            let link = d.view.series_link();
            let range = query.with(|q| q.range);
            d.series
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let value = s
                        .last_value()
                        .map(|v| format::value(v, d.view.unit))
                        .unwrap_or_else(|| "–".into());
                    let name = s.name.clone();
                    let label = match link.and_then(|l| l.href_for(&name, range).map(|h| (l, h))) {
                        Some((l, href)) => view! {
                            <a class="legend__name" href=href title=l.title.clone()>
                                {name}
                            </a>
                        }
                        .into_any(),
                        None => view! { <span class="legend__name">{name}</span> }.into_any(),
                    };
                    view! {
                        <li class="legend__item">
                            <span class=series_class(i) aria-hidden="true"></span>
                            {label}
                            <span class="legend__value">{value}</span>
                        </li>
                    }
                })
                .collect_view()
        })
    };
    view! {
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
    }
}
