use std::collections::HashSet;

use leptos::prelude::*;

use crate::{
    charts::{
        palette::series_class,
        time_series::{PlotFrame, WIDTH},
    },
    components::chart_overlay::{describe, level_name, near},
    format,
    live::time_zone::use_time_zone,
    model::{Annotation, PanelData},
};

/// At most this many series are listed; the legend has them all.
const MAX_ROWS: usize = 8;

/// What the cursor points at: its time, each shown series' value there
/// (largest first), and the annotations under it. Text only, never markup.
#[component]
pub fn ChartTooltip(
    #[prop(into)] data: Signal<PanelData>,
    #[prop(into)] frame: Signal<PlotFrame>,
    #[prop(into)] annotations: Signal<Vec<Annotation>>,
    #[prop(into)] hidden: Signal<HashSet<String>>,
    #[prop(into)] cursor: Signal<Option<i64>>,
) -> impl IntoView {
    let zone = use_time_zone();
    move || {
        let t = cursor.get()?;
        let zone = zone.get();
        let f = frame.get();
        let share = f.x_of(t) / f64::from(WIDTH) * 100.0;
        // Past the middle it opens to the left, so it stays on the chart.
        let style = if share > 55.0 {
            format!("left: {share:.2}%; transform: translateX(calc(-100% - 10px))")
        } else {
            format!("left: {share:.2}%; transform: translateX(10px)")
        };
        let (time, rows, more) = data.with(|d| {
            let mut rows: Vec<(usize, String, Option<f64>)> = d
                .series
                .iter()
                .enumerate()
                .filter(|(_, s)| hidden.with(|h| !h.contains(&s.name)))
                .map(|(i, s)| (i, s.name.clone(), s.point_near(t).and_then(|p| p.1)))
                .collect();
            rows.sort_by(|a, b| b.2.unwrap_or(f64::MIN).total_cmp(&a.2.unwrap_or(f64::MIN)));
            let more = rows.len().saturating_sub(MAX_ROWS);
            rows.truncate(MAX_ROWS);
            let (unit, decimals) = (d.view.unit, d.view.decimals);
            let rows: Vec<_> = rows
                .into_iter()
                .map(|(i, name, v)| {
                    let value =
                        v.map_or_else(|| "–".into(), |v| format::value_with(v, unit, decimals));
                    (i, name, value)
                })
                .collect();
            (format::clock(t, (f.end - f.start).max(1), zone), rows, more)
        });
        let marks = annotations.with(|a| near(a, t, &f));
        let span = f.end - f.start;
        Some(view! {
            <div class="chart-tooltip" style=style data-testid="chart-tooltip" role="status">
                <p class="chart-tooltip__time">{time}</p>
                <ul class="chart-tooltip__rows">
                    {rows
                        .into_iter()
                        .map(|(i, name, value)| {
                            view! {
                                <li data-testid="tooltip-row">
                                    <span class=series_class(i) aria-hidden="true"></span>
                                    <span class="chart-tooltip__name">{name}</span>
                                    <span class="chart-tooltip__value">{value}</span>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
                {(more > 0).then(|| view! { <p class="chart-tooltip__more">{format!("and {more} more")}</p> })}
                <ul class="chart-tooltip__marks">
                    {marks
                        .iter()
                        .map(|a| {
                            view! {
                                <li
                                    class=format!("chart-tooltip__mark chart-tooltip__mark--{}", level_name(a.level))
                                    data-testid="tooltip-annotation"
                                >
                                    {describe(a, span, zone)}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </div>
        })
    }
}
