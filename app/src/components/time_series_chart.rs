use std::collections::HashSet;

use leptos::prelude::*;

use crate::{
    charts::{palette::series_class, time_series},
    components::chart_svg::ChartSvg,
    format,
    model::{PanelData, ViewQuery},
};

/// A time-series or bar chart with a legend of current values; a legend entry
/// links to the panel's drill-down view for that series, if it has one, and
/// its swatch hides or shows the series (a page-local choice, kept while the
/// data refreshes).
#[component]
pub fn TimeSeriesChart(
    #[prop(into)] data: Signal<PanelData>,
    #[prop(into)] query: Signal<ViewQuery>,
) -> impl IntoView {
    let id = data.with_untracked(|d| d.panel.panel.clone());
    let hidden = RwSignal::new(HashSet::<String>::new());
    let shapes = Memo::new(move |_| {
        hidden.with(|hidden| {
            if hidden.is_empty() {
                data.with(time_series::shapes)
            } else {
                time_series::shapes(&without(&data.get(), hidden))
            }
        })
    });
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
                    let key = s.name.clone();
                    let shown = {
                        let key = key.clone();
                        Signal::derive(move || hidden.with(|h| !h.contains(&key)))
                    };
                    let toggle = move |_| {
                        hidden.update(|h| {
                            if !h.remove(&key) {
                                h.insert(key.clone());
                            }
                        })
                    };
                    let what = s.name.clone();
                    view! {
                        <li class="legend__item" class:legend__item--hidden=move || !shown.get()>
                            <button
                                type="button"
                                class="legend__toggle"
                                aria-pressed=move || if shown.get() { "true" } else { "false" }
                                aria-label=format!("Show {what}")
                                title="Hide or show this series"
                                data-testid="legend-toggle"
                                on:click=toggle
                            >
                                <span class=series_class(i) aria-hidden="true"></span>
                            </button>
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

/// The data with hidden series emptied rather than removed, so every series
/// keeps its colour (colours follow the position).
fn without(data: &PanelData, hidden: &HashSet<String>) -> PanelData {
    let mut data = data.clone();
    for series in data.series.iter_mut().filter(|s| hidden.contains(&s.name)) {
        for point in &mut series.points {
            point.1 = None;
        }
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hidden_series_draws_nothing_and_the_others_keep_their_colours() {
        let data: PanelData = serde_json::from_value(serde_json::json!({
            "panel": {"dashboard": "d", "panel": "p"},
            "view": {"id": "p", "title": "t", "kind": "time_series", "unit": "none",
                     "width": 6, "height": 1, "priority": 1, "stacked": false,
                     "thresholds": {"base": "ok", "steps": []}},
            "window": {"start": 0, "end": 120, "step": 60},
            "series": [
                {"name": "a", "points": [[0, 1.0], [60, 2.0], [120, 3.0]]},
                {"name": "b", "points": [[0, 5.0], [60, 6.0], [120, 7.0]]}
            ],
            "status": {"kind": "live"}, "warnings": [], "updated_at_ms": 0
        }))
        .unwrap();
        // The series' lines, by colour.
        let lines = |d: &PanelData| {
            time_series::shapes(d)
                .into_iter()
                .filter_map(|s| match s {
                    crate::charts::Shape::Path { paint, .. } => Some(paint.css()),
                    _ => None,
                })
                .filter(|c| c.starts_with("var(--series-"))
                .collect::<Vec<_>>()
        };
        let all = lines(&data);
        let hidden = HashSet::from(["a".to_string()]);
        let some = lines(&without(&data, &hidden));
        assert!(all.contains(&"var(--series-0)".to_string()), "{all:?}");
        assert!(!some.contains(&"var(--series-0)".to_string()), "{some:?}");
        assert!(
            some.contains(&"var(--series-1)".to_string()),
            "b keeps its colour: {some:?}"
        );
        assert_eq!(data.series.len(), without(&data, &hidden).series.len());
    }
}
