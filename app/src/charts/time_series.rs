use plotters::prelude::*;

use super::{palette::ChartColors, time_axis::TimeAxis, Shape, ShapeRecorder};
use crate::{format, model::PanelData};

/// The chart's own coordinate space; the page scales it to the panel's width.
pub const WIDTH: u32 = 800;
pub const HEIGHT: u32 = 260;
const LABEL_SIZE: f64 = 12.0;

/// Draws a panel's series as lines over its time window on any plotters backend.
pub fn draw<DB: DrawingBackend>(
    backend: DB,
    data: &PanelData,
    colors: &ChartColors,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let root = backend.into_drawing_area();
    let (x_min, x_max) = (
        data.window.start,
        data.window.end.max(data.window.start + 1),
    );
    let y_max = y_ceiling(data);

    let unit = data.unit;
    // Room for the widest y label, measured the way the recorder measures text.
    let y_label_width = (0..=5)
        .map(|i| {
            ShapeRecorder::text_width(&format::value(y_max * i as f64 / 5.0, unit), LABEL_SIZE)
        })
        .max()
        .unwrap_or(40);
    let label_font = ("sans-serif", LABEL_SIZE).into_font().color(&colors.text);
    let mut chart = ChartBuilder::on(&root)
        .margin_top(10)
        .margin_right(16)
        .x_label_area_size(26)
        .y_label_area_size(y_label_width + 14)
        .build_cartesian_2d(
            TimeAxis {
                start: x_min,
                end: x_max,
            },
            0f64..y_max,
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
        .x_label_formatter(&|t| format::clock(*t, span))
        .y_label_formatter(&|v| format::value(*v, unit))
        .draw()?;

    for (i, series) in data.series.iter().enumerate() {
        let color = colors.series[i % colors.series.len()];
        // A gap in the data is a gap in the line, not a fall to zero.
        for run in series.points.split(|p| p.1.is_none()) {
            if run.is_empty() {
                continue;
            }
            let points = run.iter().filter_map(|p| p.1.map(|v| (p.0, v)));
            chart.draw_series(LineSeries::new(points, color.stroke_width(2)))?;
        }
    }
    root.present()?;
    Ok(())
}

/// A y-axis top that leaves headroom and never collapses to zero height.
fn y_ceiling(data: &PanelData) -> f64 {
    let max = data
        .series
        .iter()
        .flat_map(|s| s.points.iter().filter_map(|p| p.1))
        .filter(|v| v.is_finite())
        .fold(0f64, f64::max);
    if max <= 0.0 {
        1.0
    } else {
        max * 1.1
    }
}

/// The shapes of a panel's chart, themed through CSS variables.
pub fn shapes(data: &PanelData) -> Vec<Shape> {
    // Drawing into a recorder cannot fail (no I/O, no fonts); an empty chart is
    // the harmless answer if plotters ever says otherwise.
    ShapeRecorder::record(WIDTH, HEIGHT, |backend| {
        draw(backend, data, &super::palette::THEMED).is_ok()
    })
    .unwrap_or_default()
}
