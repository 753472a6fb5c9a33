use std::collections::HashSet;

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};

use crate::{
    charts::{palette::series_class, time_series},
    components::{chart_overlay::ChartOverlay, chart_svg::ChartSvg, chart_tooltip::ChartTooltip},
    format,
    live::use_annotations,
    model::{PanelData, TimeRange, ViewQuery},
};

/// A time-series or bar chart with a legend of values (the newest, or those
/// at the cursor); a legend entry links to the panel's drill-down view for
/// that series, if it has one, and its swatch hides or shows the series (a
/// page-local choice, kept while the data refreshes). The view's annotations
/// are marked on it; dragging across it zooms the page to that span.
#[component]
pub fn TimeSeriesChart(
    #[prop(into)] data: Signal<PanelData>,
    #[prop(into)] query: Signal<ViewQuery>,
    /// Dragging across the chart zooms the page (not in an embed, whose
    /// range the token fixes).
    #[prop(optional)]
    zoomable: bool,
) -> impl IntoView {
    let id = data.with_untracked(|d| d.panel.panel.clone());
    let hidden = RwSignal::new(HashSet::<String>::new());
    let cursor = RwSignal::new(None::<i64>);
    let zone = crate::live::time_zone::use_time_zone();
    let drawn = Memo::new(move |_| {
        let zone = zone.get();
        hidden.with(|hidden| {
            if hidden.is_empty() {
                data.with(|d| time_series::chart(d, zone))
            } else {
                time_series::chart(&without(&data.get(), hidden), zone)
            }
        })
    });
    let shapes = Signal::derive(move || drawn.with(|d| d.0.clone()));
    let frame = Signal::derive(move || drawn.with(|d| d.1));
    let window = Signal::derive(move || data.with(|d| d.window));
    let annotations = use_annotations();
    let title = Signal::derive(move || data.with(|d| d.view.title.clone()));
    let on_zoom = zoomable.then(|| {
        let navigate = use_navigate();
        let path = use_location().pathname;
        Callback::new(move |(from, to): (i64, i64)| {
            if let Ok(range) = TimeRange::absolute(from, to) {
                let href =
                    query.with_untracked(|q| q.with_range(range).href(&path.get_untracked()));
                navigate(&href, Default::default());
            }
        })
    });
    let legend = move || {
        data.with(|d| {
            let link = d.view.series_link();
            let view = query.get();
            let (unit, decimals) = (d.view.unit, d.view.decimals);
            d.series
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let series = s.clone();
                    let value = move || {
                        let v = match cursor.get() {
                            Some(t) => series.point_near(t).and_then(|p| p.1),
                            None => series.last_value(),
                        };
                        v.map_or_else(|| "–".into(), |v| format::value_with(v, unit, decimals))
                    };
                    let name = s.name.clone();
                    let label = match link.and_then(|l| l.href_for(&name, &view).map(|h| (l, h))) {
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
                            <span class="legend__value" data-testid="legend-value">{value}</span>
                        </li>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <div class="chart-frame">
            <ChartSvg
                shapes
                width=time_series::WIDTH
                height=time_series::HEIGHT
                label=title
                testid=format!("chart-{id}")
            />
            <ChartOverlay frame window annotations cursor on_zoom />
            <ChartTooltip data frame annotations hidden cursor />
        </div>
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
            time_series::shapes(d, crate::live::time_zone::Zone::Utc)
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
