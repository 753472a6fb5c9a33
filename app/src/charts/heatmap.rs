//! A heatmap: Prometheus histogram buckets over time. A column per step, a
//! row per bucket (lowest at the bottom), each cell shaded by its share of
//! the busiest cell.
//!
//! Series named by a number (or `+Inf`), as `legend = "{{le}}"` names a
//! histogram's buckets, are cumulative: each bucket's count is its own minus
//! the one below it, as Grafana's heatmap reads them. Other names are rows
//! as they are, in name order.

use plotters::prelude::*;

use super::{palette::ChartColors, time_axis::TimeAxis, Shape, ShapeRecorder};
use crate::{
    format,
    live::time_zone::Zone,
    model::{PanelData, Point, Unit},
};

pub const WIDTH: u32 = 800;
pub const HEIGHT: u32 = 260;
const LABEL_SIZE: f64 = 12.0;
/// The faintest shade a non-empty cell gets, so a small count still shows.
const FAINTEST: f64 = 0.12;

/// One row of the heatmap: its label (the bucket's upper bound) and its
/// counts over time.
#[derive(Clone, Debug, PartialEq)]
pub struct Bucket {
    pub label: String,
    pub points: Vec<Point>,
}

/// The rows a panel's series make, lowest first.
pub fn buckets(data: &PanelData, unit: Unit) -> Vec<Bucket> {
    let bound = |name: &str| match name.trim() {
        "+Inf" | "Inf" | "inf" => Some(f64::INFINITY),
        n => n.parse::<f64>().ok(),
    };
    let numbered: Option<Vec<(f64, &crate::model::Series)>> = data
        .series
        .iter()
        .map(|s| bound(&s.name).map(|b| (b, s)))
        .collect();
    match numbered {
        Some(mut rows) if !rows.is_empty() => {
            rows.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut below: std::collections::HashMap<i64, f64> = Default::default();
            rows.iter()
                .map(|(b, s)| {
                    let points = s
                        .points
                        .iter()
                        .map(|p| {
                            let own = p.1.map(|v| {
                                let under = below.get(&p.0).copied().unwrap_or(0.0);
                                (v - under).max(0.0)
                            });
                            if let Some(v) = p.1 {
                                below.insert(p.0, v);
                            }
                            Point(p.0, own)
                        })
                        .collect();
                    let label = if b.is_infinite() {
                        "+Inf".to_string()
                    } else {
                        format::value(*b, unit)
                    };
                    Bucket { label, points }
                })
                .collect()
        }
        _ => {
            let mut rows: Vec<Bucket> = data
                .series
                .iter()
                .map(|s| Bucket {
                    label: s.name.clone(),
                    points: s.points.clone(),
                })
                .collect();
            rows.sort_by(|a, b| a.label.cmp(&b.label));
            rows
        }
    }
}

/// The busiest cell's count (at least a tiny positive number).
pub fn busiest(rows: &[Bucket]) -> f64 {
    rows.iter()
        .flat_map(|r| r.points.iter().filter_map(|p| p.1))
        .filter(|v| v.is_finite())
        .fold(0f64, f64::max)
        .max(f64::MIN_POSITIVE)
}

/// Draws on an area of a larger drawing (an embed image).
pub fn draw_on<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    data: &PanelData,
    colors: &ChartColors,
    zone: Zone,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    // Bucket bounds are in the panel's unit (seconds of a latency histogram).
    draw_rows_on(root, data, &buckets(data, data.view.unit), colors, zone)
}

/// Draws `rows` (the panel's [`buckets`], made once by the caller).
fn draw_rows_on<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    data: &PanelData,
    rows: &[Bucket],
    colors: &ChartColors,
    zone: Zone,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (x_min, x_max) = (
        data.window.start,
        data.window.end.max(data.window.start + 1),
    );
    let n = rows.len().max(1);
    // Every other label when there are many rows, so they never overlap.
    let every = n.div_ceil(10);
    let y_label_width = rows
        .iter()
        .map(|r| ShapeRecorder::text_width(&r.label, LABEL_SIZE))
        .max()
        .unwrap_or(30);
    let label_font = ("sans-serif", LABEL_SIZE).into_font().color(&colors.text);
    let mut chart = ChartBuilder::on(root)
        .margin_top(10)
        .margin_right(16)
        .x_label_area_size(26)
        .y_label_area_size(y_label_width + 14)
        .build_cartesian_2d(
            TimeAxis {
                start: x_min,
                end: x_max,
            },
            (0..n).into_segmented(),
        )?;
    let span = x_max - x_min;
    chart
        .configure_mesh()
        .disable_mesh()
        .axis_style(colors.axis)
        .label_style(label_font)
        .x_labels(6)
        .y_labels(n)
        .x_label_formatter(&|t| format::clock(*t, span, zone))
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) if i % every == 0 => {
                rows.get(*i).map(|r| r.label.clone()).unwrap_or_default()
            }
            _ => String::new(),
        })
        .draw()?;
    let max = busiest(rows);
    let half = (data.window.step.max(1) + 1) / 2;
    let color = colors.series[0];
    for (i, row) in rows.iter().enumerate() {
        let cells = row.points.iter().filter_map(|p| {
            let v = p.1.filter(|v| *v > 0.0 && v.is_finite())?;
            let shade = FAINTEST + (1.0 - FAINTEST) * (v / max).min(1.0);
            // Two decimals of opacity: the drawing stays the same on both sides.
            let shade = (shade * 100.0).round() / 100.0;
            Some(Rectangle::new(
                [
                    ((p.0 - half).max(x_min), SegmentValue::Exact(i)),
                    ((p.0 + half).min(x_max), SegmentValue::Exact(i + 1)),
                ],
                color.mix(shade).filled(),
            ))
        });
        chart.draw_series(cells)?;
    }
    Ok(())
}

/// The shapes of a panel's heatmap (of its `rows`, its [`buckets`]),
/// themed through CSS variables.
pub fn shapes(data: &PanelData, rows: &[Bucket], zone: Zone) -> Vec<Shape> {
    ShapeRecorder::record(WIDTH, HEIGHT, |backend| {
        let root = backend.into_drawing_area();
        draw_rows_on(&root, data, rows, &super::palette::THEMED, zone).is_ok()
            && root.present().is_ok()
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PanelKind, PanelRef, PanelStatus, PanelView, RangeWindow, Series};

    fn data(series: Vec<(&str, Vec<f64>)>) -> PanelData {
        PanelData {
            panel: PanelRef {
                dashboard: "d".into(),
                panel: "h".into(),
            },
            view: PanelView {
                id: "h".into(),
                title: "H".into(),
                description: String::new(),
                kind: PanelKind::Heatmap,
                unit: Unit::Seconds,
                decimals: None,
                width: 12,
                height: 1,
                priority: 1,
                stacked: false,
                thresholds: Default::default(),
                min: None,
                max: None,
                columns: vec![],
                links: vec![],
                text: vec![],
            },
            window: RangeWindow {
                start: 0,
                end: 120,
                step: 60,
            },
            series: series
                .into_iter()
                .map(|(name, values)| Series {
                    name: name.into(),
                    points: values
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| Point(i as i64 * 60, Some(v)))
                        .collect(),
                })
                .collect(),
            rows: vec![],
            status: PanelStatus::Live,
            warnings: vec![],
            updated_at_ms: 0,
            missing: vec![],
        }
    }

    #[test]
    fn cumulative_buckets_become_counts_per_bucket_lowest_first() {
        let d = data(vec![
            ("+Inf", vec![10.0, 20.0]),
            ("0.1", vec![2.0, 5.0]),
            ("0.5", vec![7.0, 5.0]),
        ]);
        let rows = buckets(&d, Unit::Seconds);
        let labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["100 ms", "500 ms", "+Inf"]);
        let counts: Vec<Vec<Option<f64>>> = rows
            .iter()
            .map(|r| r.points.iter().map(|p| p.1).collect())
            .collect();
        assert_eq!(
            counts,
            vec![
                vec![Some(2.0), Some(5.0)],
                vec![Some(5.0), Some(0.0)],
                vec![Some(3.0), Some(15.0)]
            ]
        );
        assert_eq!(busiest(&rows), 15.0);
    }

    #[test]
    fn named_rows_stay_as_they_are() {
        let d = data(vec![("b", vec![1.0]), ("a", vec![3.0])]);
        let rows = buckets(&d, Unit::None);
        assert_eq!(rows[0].label, "a");
        assert_eq!(rows[0].points[0].1, Some(3.0));
    }

    #[test]
    fn the_busiest_cell_is_darkest_and_empty_cells_are_not_drawn() {
        let d = data(vec![("1", vec![0.0, 4.0]), ("2", vec![0.0, 5.0])]);
        let shapes = shapes(&d, &buckets(&d, d.view.unit), Zone::Utc);
        let cells: Vec<f64> = shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Rect {
                    paint, fill: true, ..
                } if paint.rgb == super::super::palette::THEMED.series[0].rgb() => {
                    Some(paint.alpha)
                }
                _ => None,
            })
            .collect();
        // Bucket 1 at t=60 holds 4; bucket 2 holds 1; zeros are not drawn.
        assert_eq!(cells.len(), 2, "{cells:?}");
        assert!(cells.contains(&1.0), "{cells:?}");
        assert!(cells.iter().any(|a| *a < 0.5), "{cells:?}");
    }
}
