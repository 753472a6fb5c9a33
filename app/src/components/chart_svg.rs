use leptos::prelude::*;

use crate::charts::shapes::{Anchor, Baseline, Segment, Shape};

/// Shows shapes recorded from plotters as an inline SVG made of view nodes.
/// Text is a text node (escaped by construction); nothing is parsed as markup
/// (the only `inner_html` here is an empty string, never data).
#[component]
pub fn ChartSvg(
    #[prop(into)] shapes: Signal<Vec<Shape>>,
    width: u32,
    height: u32,
    /// The accessible name of the chart.
    #[prop(into)]
    label: Signal<String>,
    #[prop(into, optional)] testid: String,
) -> impl IntoView {
    // Hydrating, the browser takes the server's drawing as it is instead of
    // drawing it again and walking every element of it (most of a dashboard's
    // elements are chart shapes): the placeholder's empty `inner_html` leaves
    // the server's children alone while hydrating. The first change of the
    // shapes draws them here as usual.
    let keep_server_drawing = StoredValue::new(hydrating());
    view! {
        <svg
            class="chart"
            viewBox=format!("0 0 {width} {height}")
            preserveAspectRatio="xMidYMid meet"
            role="img"
            aria-label=move || label.get()
            data-testid=testid
        >
            {move || {
                // Track the shapes either way, so new data redraws the chart.
                shapes.with(|shapes| {
                    if keep_server_drawing.get_value() {
                        keep_server_drawing.set_value(false);
                        view! { <g class="chart__drawing" inner_html="" /> }.into_any()
                    } else {
                        view! {
                            <g class="chart__drawing">
                                {shapes.iter().map(shape_view).collect_view()}
                            </g>
                        }
                            .into_any()
                    }
                })
            }}
        </svg>
    }
}

/// Whether the page is being hydrated: its charts are then already drawn
/// in the server's HTML, from the same data and the same code.
fn hydrating() -> bool {
    Owner::current_shared_context().is_some_and(|context| context.during_hydration())
}

fn points_attr(points: &[(i32, i32)]) -> String {
    let mut out = String::with_capacity(points.len() * 8);
    for (i, (x, y)) in points.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&x.to_string());
        out.push(',');
        out.push_str(&y.to_string());
    }
    out
}

/// Path data of separate strokes: a move and a line for each.
fn segments_attr(segments: &[Segment]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(segments.len() * 20);
    for ((x1, y1), (x2, y2)) in segments {
        let _ = write!(out, "M{x1} {y1}L{x2} {y2}");
    }
    out
}

fn shape_view(shape: &Shape) -> AnyView {
    match shape {
        Shape::Line {
            from,
            to,
            paint,
            width,
        } => view! {
            <line
                x1=from.0
                y1=from.1
                x2=to.0
                y2=to.1
                stroke=paint.css()
                stroke-opacity=paint.alpha
                stroke-width=*width
            />
        }
        .into_any(),
        Shape::Rect {
            from,
            to,
            paint,
            fill,
        } => {
            let (x, y) = (from.0.min(to.0), from.1.min(to.1));
            let (w, h) = ((to.0 - from.0).abs(), (to.1 - from.1).abs());
            let (fill_css, stroke_css) = if *fill {
                (paint.css(), "none".to_string())
            } else {
                ("none".to_string(), paint.css())
            };
            view! {
                <rect x=x y=y width=w height=h fill=fill_css stroke=stroke_css opacity=paint.alpha />
            }
            .into_any()
        }
        Shape::Path {
            points,
            paint,
            width,
        } => view! {
            <polyline
                points=points_attr(points)
                fill="none"
                stroke=paint.css()
                stroke-opacity=paint.alpha
                stroke-width=*width
                stroke-linejoin="round"
                class="chart__series"
            />
        }
        .into_any(),
        Shape::Segments {
            segments,
            paint,
            width,
        } => view! {
            <path
                d=segments_attr(segments)
                fill="none"
                stroke=paint.css()
                stroke-opacity=paint.alpha
                stroke-width=*width
                class="chart__segments"
            />
        }
        .into_any(),
        Shape::Polygon { points, paint } => view! {
            <polygon points=points_attr(points) fill=paint.css() fill-opacity=paint.alpha />
        }
        .into_any(),
        Shape::Circle {
            center,
            radius,
            paint,
            fill,
        } => {
            let (fill_css, stroke_css) = if *fill {
                (paint.css(), "none".to_string())
            } else {
                ("none".to_string(), paint.css())
            };
            view! {
                <circle cx=center.0 cy=center.1 r=*radius fill=fill_css stroke=stroke_css opacity=paint.alpha />
            }
            .into_any()
        }
        Shape::Text {
            text,
            at,
            size,
            paint,
            anchor,
            baseline,
            rotate,
        } => {
            let anchor = match anchor {
                Anchor::Start => "start",
                Anchor::Middle => "middle",
                Anchor::End => "end",
            };
            let baseline = match baseline {
                Baseline::Top => "hanging",
                Baseline::Middle => "middle",
                Baseline::Bottom => "text-after-edge",
            };
            let transform = (*rotate != 0).then(|| format!("rotate({rotate} {} {})", at.0, at.1));
            view! {
                <text
                    x=at.0
                    y=at.1
                    font-size=*size
                    fill=paint.css()
                    text-anchor=anchor
                    dominant-baseline=baseline
                    transform=transform
                >
                    {text.clone()}
                </text>
            }
            .into_any()
        }
    }
}
