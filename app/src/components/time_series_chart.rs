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
            let link = d
                .view
                .links
                .iter()
                .find(|l| l.series_variable.is_some())
                .cloned();
            d.series
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let value = s
                        .last_value()
                        .map(|v| format::value(v, d.view.unit))
                        .unwrap_or_else(|| "–".into());
                    let name = s.name.clone();
                    let label = match &link {
                        Some(l) => {
                            let variable = l.series_variable.clone().unwrap_or_default();
                            let href = ViewQuery {
                                range: query.with(|q| q.range),
                                vars: Vec::new(),
                            }
                            .with_values(&variable, std::slice::from_ref(&name))
                            .href(&format!("/d/{}", l.dashboard));
                            view! {
                                <a class="legend__name" href=href title=l.title.clone()>
                                    {name}
                                </a>
                            }
                            .into_any()
                        }
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
