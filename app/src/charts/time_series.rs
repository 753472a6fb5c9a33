use plotters::prelude::*;

use super::{palette::ChartColors, time_axis::TimeAxis, Shape, ShapeRecorder};
use crate::{
    format,
    live::time_zone::Zone,
    model::{PanelData, PanelKind},
};

/// The chart's own coordinate space; the page scales it to the panel's width.
pub const WIDTH: u32 = 800;
pub const HEIGHT: u32 = 260;
const LABEL_SIZE: f64 = 12.0;

/// Where the plot sits in the chart's coordinates and which times it spans:
/// what the page needs to put a cursor, a zoom selection or an annotation at
/// the right place over the drawn chart.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PlotFrame {
    pub left: i32,
    pub right: i32,
    pub top: i32,
    pub bottom: i32,
    /// Unix seconds at `left` and `right`.
    pub start: i64,
    pub end: i64,
}

impl PlotFrame {
    /// The x of a time (seconds); outside the window it lies outside the plot.
    pub fn x_of(&self, t: i64) -> f64 {
        let span = (self.end - self.start).max(1) as f64;
        self.left as f64 + (t - self.start) as f64 / span * (self.right - self.left) as f64
    }

    /// The time at an x, held inside the window.
    pub fn time_at(&self, x: f64) -> i64 {
        let width = (self.right - self.left).max(1) as f64;
        let share = ((x - self.left as f64) / width).clamp(0.0, 1.0);
        self.start + (share * (self.end - self.start) as f64).round() as i64
    }

    pub fn contains_x(&self, x: f64) -> bool {
        x >= self.left as f64 && x <= self.right as f64
    }
}

/// Draws a panel's series over its time window on any plotters backend: lines,
/// stacked areas (`stacked`) or stacked bars (kind `bar`), with the panel's
/// thresholds as dashed lines in their level's colour.
pub fn draw<DB: DrawingBackend>(
    backend: DB,
    data: &PanelData,
    colors: &ChartColors,
    zone: Zone,
) -> Result<PlotFrame, DrawingAreaErrorKind<DB::ErrorType>> {
    let root = backend.into_drawing_area();
    let frame = draw_on(&root, data, colors, zone)?;
    root.present()?;
    Ok(frame)
}

/// Draws on an area of a larger drawing (an embed image: title, chart, legend).
/// Time labels are on the wall clock of `zone`.
pub fn draw_on<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    data: &PanelData,
    colors: &ChartColors,
    zone: Zone,
) -> Result<PlotFrame, DrawingAreaErrorKind<DB::ErrorType>> {
    let (x_min, x_max) = (
        data.window.start,
        data.window.end.max(data.window.start + 1),
    );
    let view = &data.view;
    let bars = view.kind == PanelKind::Bar;
    let stacked = view.stacked || bars;
    let layers = if stacked {
        stack(data)
    } else {
        data.series
            .iter()
            .map(|s| {
                s.points
                    .iter()
                    .map(|p| (p.0, p.1.map(|v| (0.0, v))))
                    .collect()
            })
            .collect()
    };
    // The panel's own bounds, when it has them (Grafana's axis min and max).
    let y_min = view.min.unwrap_or(0.0);
    let y_max = view
        .max
        .filter(|m| *m > y_min)
        .unwrap_or_else(|| y_ceiling(&layers, data).max(y_min + f64::EPSILON));

    let unit = view.unit;
    // Room for the widest y label, measured the way the recorder measures text.
    let y_label_width = (0..=5)
        .map(|i| {
            let v = y_min + (y_max - y_min) * i as f64 / 5.0;
            ShapeRecorder::text_width(&format::value(v, unit), LABEL_SIZE)
        })
        .max()
        .unwrap_or(40);
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
            y_min..y_max,
        )?;

    let span = x_max - x_min;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(colors.grid.mix(0.0))
        .bold_line_style(colors.grid)
        .axis_style(colors.axis)
        .label_style(label_font)
        .x_labels(6)
        .y_labels(5)
        .x_label_formatter(&|t| format::clock(*t, span, zone))
        .y_label_formatter(&|v| format::value(*v, unit))
        .draw()?;

    let step = data.window.step.max(1);
    for (i, layer) in layers.iter().enumerate() {
        let color = colors.series[i % colors.series.len()];
        if bars {
            // Each step's bar, a little narrower than the step, stacked.
            let half = (step * 2 / 5).max(1);
            let rects = layer.iter().filter_map(|(t, v)| {
                v.map(|(low, high)| {
                    Rectangle::new([(*t - half, low), (*t + half, high)], color.filled())
                })
            });
            chart.draw_series(rects)?;
            continue;
        }
        // A gap in the data is a gap in the line, not a fall to zero.
        for run in layer.split(|p| p.1.is_none()) {
            if run.is_empty() {
                continue;
            }
            let top: Vec<(i64, f64)> = run.iter().filter_map(|p| p.1.map(|v| (p.0, v.1))).collect();
            if stacked {
                let mut outline = top.clone();
                outline.extend(run.iter().rev().filter_map(|p| p.1.map(|v| (p.0, v.0))));
                chart.draw_series(std::iter::once(Polygon::new(
                    outline,
                    color.mix(0.35).filled(),
                )))?;
            }
            chart.draw_series(LineSeries::new(top, color.stroke_width(2)))?;
        }
    }
    for t in &view.thresholds.steps {
        if t.value > y_min && t.value < y_max {
            let color = colors.level(t.level);
            let dashes = (0..40).map(|k| {
                let a = x_min + (x_max - x_min) * (2 * k) / 80;
                let b = x_min + (x_max - x_min) * (2 * k + 1) / 80;
                PathElement::new(vec![(a, t.value), (b, t.value)], color.stroke_width(1))
            });
            chart.draw_series(dashes)?;
        }
    }
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    Ok(PlotFrame {
        left: xs.start,
        right: xs.end,
        top: ys.start,
        bottom: ys.end,
        start: x_min,
        end: x_max,
    })
}

/// Per series, per point: the band it covers, `(low, high)`. Unstacked series
/// start at zero; stacked ones start where the series below ended at that time.
type Layer = Vec<(i64, Option<(f64, f64)>)>;

fn stack(data: &PanelData) -> Vec<Layer> {
    let mut base: std::collections::HashMap<i64, f64> = std::collections::HashMap::new();
    data.series
        .iter()
        .map(|s| {
            s.points
                .iter()
                .map(|p| {
                    let v = p.1.map(|v| {
                        let low = base.get(&p.0).copied().unwrap_or(0.0);
                        let high = low + v.max(0.0);
                        base.insert(p.0, high);
                        (low, high)
                    });
                    (p.0, v)
                })
                .collect()
        })
        .collect()
}

/// A y-axis top that leaves headroom, shows the thresholds, and never
/// collapses to zero height.
fn y_ceiling(layers: &[Layer], data: &PanelData) -> f64 {
    let max = layers
        .iter()
        .flat_map(|l| l.iter().filter_map(|p| p.1.map(|v| v.1)))
        .filter(|v| v.is_finite())
        .fold(0f64, f64::max);
    // Show the lowest threshold if it is near, so "how close to red" reads at a glance.
    let near = data
        .view
        .thresholds
        .steps
        .iter()
        .map(|t| t.value)
        .filter(|v| *v > max && *v < max * 2.0)
        .fold(max, f64::max);
    if near <= 0.0 {
        1.0
    } else {
        near * 1.1
    }
}

/// The shapes of a panel's chart, themed through CSS variables.
pub fn shapes(data: &PanelData, zone: Zone) -> Vec<Shape> {
    chart(data, zone).0
}

/// The shapes of a panel's chart and where its plot lies.
pub fn chart(data: &PanelData, zone: Zone) -> (Vec<Shape>, PlotFrame) {
    // Drawing into a recorder cannot fail (no I/O, no fonts); an empty chart is
    // the harmless answer if plotters ever says otherwise.
    let mut frame = PlotFrame::default();
    let shapes = ShapeRecorder::record(WIDTH, HEIGHT, |backend| {
        draw(backend, data, &super::palette::THEMED, zone)
            .map(|f| frame = f)
            .is_ok()
    })
    .unwrap_or_default();
    (shapes, frame)
}
