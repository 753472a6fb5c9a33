use leptos::prelude::*;

use crate::{
    charts::time_series::{PlotFrame, HEIGHT, WIDTH},
    format,
    live::time_zone::{use_time_zone, Zone},
    model::{Annotation, AnnotationKind, Level, RangeWindow, MIN_SPAN_SECONDS},
};

/// Drags shorter than this (chart units) are clicks, not a zoom.
const MIN_DRAG: f64 = 6.0;

/// What lies over a time-series chart, in the chart's own coordinates: the
/// annotations (alerts as shaded spans under a triangle, health changes as
/// dashed lines under a circle; shape as well as colour), the cursor's
/// crosshair and a drag-to-zoom selection. It takes the pointer and the
/// keyboard (arrows move the cursor a step, Escape clears it).
#[component]
pub fn ChartOverlay(
    #[prop(into)] frame: Signal<PlotFrame>,
    #[prop(into)] window: Signal<RangeWindow>,
    #[prop(into)] annotations: Signal<Vec<Annotation>>,
    /// The time (seconds) the cursor is at.
    cursor: RwSignal<Option<i64>>,
    /// Called with a dragged-across span (seconds); without it, no zoom.
    on_zoom: Option<Callback<(i64, i64)>>,
) -> impl IntoView {
    let drag = RwSignal::new(None::<(f64, f64)>);
    let snap = move |t: i64| window.with_untracked(|w| snap_to_step(t, w));

    let pointer_move = move |ev: leptos::ev::PointerEvent| {
        let Some(x) = viewbox_x(&ev) else { return };
        let f = frame.get_untracked();
        let x = x.clamp(f.left as f64, f.right as f64);
        cursor.set(Some(snap(f.time_at(x))));
        if drag.with_untracked(Option::is_some) {
            drag.update(|d| {
                if let Some(d) = d {
                    d.1 = x;
                }
            });
        }
    };
    let pointer_down = move |ev: leptos::ev::PointerEvent| {
        if on_zoom.is_none() || ev.button() != 0 {
            return;
        }
        let Some(x) = viewbox_x(&ev) else { return };
        if frame.get_untracked().contains_x(x) {
            drag.set(Some((x, x)));
        }
    };
    let pointer_up = move |_: leptos::ev::PointerEvent| {
        let Some((a, b)) = drag.get_untracked() else {
            return;
        };
        drag.set(None);
        if (a - b).abs() < MIN_DRAG {
            return;
        }
        let f = frame.get_untracked();
        let (from, to) = zoom_span(&f, a.min(b), a.max(b));
        if let Some(on_zoom) = on_zoom {
            on_zoom.run((from, to));
        }
    };
    let leave = move |_: leptos::ev::PointerEvent| {
        cursor.set(None);
        drag.set(None);
    };
    let key = move |ev: leptos::ev::KeyboardEvent| {
        let w = window.get_untracked();
        let step = w.step.max(1);
        let moved = match ev.key().as_str() {
            "ArrowLeft" => Some(cursor.get_untracked().unwrap_or(w.end) - step),
            "ArrowRight" => Some(cursor.get_untracked().unwrap_or(w.start) + step),
            "Home" => Some(w.start),
            "End" => Some(w.end),
            "Escape" => {
                cursor.set(None);
                return;
            }
            _ => None,
        };
        if let Some(t) = moved {
            ev.prevent_default();
            cursor.set(Some(snap(t.clamp(w.start, w.end))));
        }
    };

    let crosshair = move || {
        let t = cursor.get()?;
        let f = frame.get();
        let x = f.x_of(t);
        Some(view! {
            <line
                class="chart-overlay__crosshair"
                data-testid="crosshair"
                x1=x
                x2=x
                y1=f.top
                y2=f.bottom
            />
        })
    };
    let selection = move || {
        let (a, b) = drag.get()?;
        let f = frame.get();
        Some(view! {
            <rect
                class="chart-overlay__selection"
                data-testid="zoom-selection"
                x=a.min(b)
                y=f.top
                width=(a - b).abs()
                height=f.bottom - f.top
            />
        })
    };
    let zone = use_time_zone();
    let marks = move || {
        let f = frame.get();
        let zone = zone.get();
        // The server sent only what falls in the view's range; the window ends
        // at its last whole step, and a change since then is news, drawn at
        // the right edge.
        annotations.with(|all| {
            all.iter()
                .filter(|a| a.overlaps(f.start, i64::MAX))
                .map(|a| annotation_view(a, &f, zone))
                .collect_view()
        })
    };

    view! {
        <svg
            class="chart-overlay"
            class:chart-overlay--zoomable=on_zoom.is_some()
            viewBox=format!("0 0 {WIDTH} {HEIGHT}")
            preserveAspectRatio="xMidYMid meet"
            tabindex="0"
            aria-label=if on_zoom.is_some() {
                "Chart values: point at the chart or use the arrow keys; drag across it to zoom in"
            } else {
                "Chart values: point at the chart or use the arrow keys"
            }
            data-testid="chart-overlay"
            on:pointermove=pointer_move
            on:pointerdown=pointer_down
            on:pointerup=pointer_up
            on:pointerleave=leave
            on:keydown=key
        >
            <g class="chart-overlay__marks">{marks}</g>
            {selection}
            {crosshair}
        </svg>
    }
}

fn annotation_view(a: &Annotation, f: &PlotFrame, zone: Zone) -> AnyView {
    let level = level_name(a.level);
    let kind = match a.kind {
        AnnotationKind::Alert => "alert",
        AnnotationKind::Health => "health",
    };
    let start = a.at_ms / 1000;
    let x = f.x_of(start).clamp(f.left as f64, f.right as f64);
    let starts_here = start >= f.start;
    let hover = describe(a, f.end - f.start, zone);
    let mark = match a.kind {
        AnnotationKind::Alert => {
            let end = a.end_ms.map_or(f.end, |e| e / 1000);
            let x_end = f.x_of(end).clamp(f.left as f64, f.right as f64);
            let top = f.top as f64;
            let flag = starts_here.then(|| {
                view! {
                    <polygon
                        class="chart-overlay__flag"
                        points=format!("{},{} {},{} {},{}", x - 5.0, top, x + 5.0, top, x, top + 8.0)
                    />
                }
            });
            view! {
                <rect
                    class="chart-overlay__span"
                    x=x
                    y=f.top
                    width=(x_end - x).max(1.0)
                    height=f.bottom - f.top
                />
                {flag}
            }
            .into_any()
        }
        AnnotationKind::Health => view! {
            <line class="chart-overlay__change" x1=x x2=x y1=f.top y2=f.bottom />
            <circle class="chart-overlay__flag" cx=x cy=f.top + 4 r="4" />
        }
        .into_any(),
    };
    view! {
        <g
            class=format!("chart-overlay__mark chart-overlay__mark--{level}")
            data-testid="annotation"
            data-kind=kind
            data-level=level
        >
            <title>{hover}</title>
            {mark}
        </g>
    }
    .into_any()
}

/// An annotation in one line of text: what, when, and the detail.
pub fn describe(a: &Annotation, span_seconds: i64, zone: Zone) -> String {
    let at = format::clock(a.at_ms / 1000, span_seconds, zone);
    let when = match (a.kind, a.end_ms) {
        (AnnotationKind::Alert, Some(end)) => {
            format!("{at} – {}", format::clock(end / 1000, span_seconds, zone))
        }
        (AnnotationKind::Alert, None) => format!("since {at}, still firing"),
        (AnnotationKind::Health, _) => at,
    };
    if a.detail.is_empty() {
        format!("{} · {when}", a.title)
    } else {
        format!("{} · {when} · {}", a.title, a.detail)
    }
}

pub fn level_name(level: Level) -> &'static str {
    match level {
        Level::Ok => "ok",
        Level::Warning => "warning",
        Level::Critical => "critical",
        Level::Unknown => "unknown",
    }
}

/// The annotations a cursor at `t` points at: within a few pixels of a change,
/// or inside an alert's span.
pub fn near(annotations: &[Annotation], t: i64, f: &PlotFrame) -> Vec<Annotation> {
    let per_unit = (f.end - f.start) as f64 / (f.right - f.left).max(1) as f64;
    let slack = (8.0 * per_unit).round() as i64;
    annotations
        .iter()
        .filter(|a| {
            let start = a.at_ms / 1000;
            match a.kind {
                AnnotationKind::Health => (start - t).abs() <= slack,
                AnnotationKind::Alert => {
                    let end = a.end_ms.map_or(i64::MAX, |e| e / 1000);
                    start - slack <= t && t <= end.saturating_add(slack)
                }
            }
        })
        .cloned()
        .collect()
}

/// The step of the window nearest to `t`: a cursor reads whole samples.
fn snap_to_step(t: i64, w: &RangeWindow) -> i64 {
    let step = w.step.max(1);
    let steps = ((t - w.start) as f64 / step as f64).round() as i64;
    (w.start + steps * step).clamp(w.start, w.end.max(w.start))
}

/// The times a drag from `x0` to `x1` spans, widened about its middle to the
/// shortest range Vantage shows.
fn zoom_span(f: &PlotFrame, x0: f64, x1: f64) -> (i64, i64) {
    let (from, to) = (f.time_at(x0), f.time_at(x1));
    if to - from >= MIN_SPAN_SECONDS {
        return (from, to);
    }
    let middle = (from + to) / 2;
    (
        middle - MIN_SPAN_SECONDS / 2,
        middle - MIN_SPAN_SECONDS / 2 + MIN_SPAN_SECONDS,
    )
}

/// The pointer's x in chart units. The overlay keeps the chart's aspect ratio
/// and covers it exactly, so its box maps straight onto the viewBox.
#[cfg(feature = "hydrate")]
fn viewbox_x(ev: &leptos::ev::PointerEvent) -> Option<f64> {
    use wasm_bindgen::JsCast;
    let element = ev.current_target()?.dyn_into::<web_sys::Element>().ok()?;
    let rect = element.get_bounding_client_rect();
    (rect.width() > 0.0)
        .then(|| (f64::from(ev.client_x()) - rect.left()) * f64::from(WIDTH) / rect.width())
}

#[cfg(not(feature = "hydrate"))]
fn viewbox_x(_: &leptos::ev::PointerEvent) -> Option<f64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> PlotFrame {
        PlotFrame {
            left: 100,
            right: 700,
            top: 10,
            bottom: 230,
            start: 6_000,
            end: 9_600,
        }
    }

    #[test]
    fn the_cursor_lands_on_whole_steps_inside_the_window() {
        let w = RangeWindow {
            start: 6_000,
            end: 9_600,
            step: 60,
        };
        assert_eq!(snap_to_step(6_029, &w), 6_000);
        assert_eq!(snap_to_step(6_031, &w), 6_060);
        assert_eq!(snap_to_step(1, &w), 6_000);
        assert_eq!(snap_to_step(99_999, &w), 9_600);
    }

    #[test]
    fn a_drag_zooms_to_the_times_under_it_never_below_a_minute() {
        let f = frame();
        // 600 units for 3,600 s: 6 s per unit.
        assert_eq!(zoom_span(&f, 100.0, 400.0), (6_000, 7_800));
        let (from, to) = zoom_span(&f, 400.0, 402.0);
        assert_eq!(to - from, MIN_SPAN_SECONDS);
        assert!(from <= 7_800 && to >= 7_812);
        // Beyond the plot is the plot's edge.
        assert_eq!(zoom_span(&f, 0.0, 800.0), (6_000, 9_600));
    }

    #[test]
    fn a_cursor_points_at_nearby_changes_and_at_alerts_it_is_inside() {
        let f = frame();
        let mark = |kind, at: i64, end: Option<i64>| Annotation {
            kind,
            at_ms: at * 1000,
            end_ms: end.map(|e| e * 1000),
            level: Level::Critical,
            service: None,
            title: format!("{at}"),
            detail: String::new(),
        };
        let all = vec![
            mark(AnnotationKind::Health, 7_000, None),
            mark(AnnotationKind::Alert, 8_000, Some(8_600)),
            mark(AnnotationKind::Alert, 9_000, None),
        ];
        let titles =
            |t| -> Vec<String> { near(&all, t, &f).into_iter().map(|a| a.title).collect() };
        // 8 units of slack: 48 s.
        assert_eq!(titles(7_040), ["7000"]);
        assert!(titles(7_100).is_empty());
        assert_eq!(titles(8_300), ["8000"]);
        assert_eq!(titles(9_500), ["9000"], "still firing reaches the end");
    }

    #[test]
    fn descriptions_say_what_and_when() {
        let a = Annotation {
            kind: AnnotationKind::Alert,
            at_ms: 1_795_356_300_000,
            end_ms: None,
            level: Level::Critical,
            service: Some("checkout".into()),
            title: "ServiceDown (checkout)".into(),
            detail: "checkout is down".into(),
        };
        assert_eq!(
            describe(&a, 3600, Zone::Utc),
            "ServiceDown (checkout) · since 14:05, still firing · checkout is down"
        );
    }
}
