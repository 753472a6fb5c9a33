//! A stat panel's sparkline: the first series as a line, no axes.

use plotters::prelude::*;

use super::{palette::ChartColors, Shape, ShapeRecorder};
use crate::model::Series;

pub const WIDTH: u32 = 240;
pub const HEIGHT: u32 = 48;

pub fn draw<DB: DrawingBackend>(
    backend: DB,
    series: &Series,
    (start, end): (i64, i64),
    colors: &ChartColors,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let root = backend.into_drawing_area();
    draw_on(&root, series, (start, end), colors)?;
    root.present()?;
    Ok(())
}

/// Draws on an area of a larger drawing (an embed image: title, chart, legend).
pub fn draw_on<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    series: &Series,
    (start, end): (i64, i64),
    colors: &ChartColors,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let values = series.points.iter().filter_map(|p| p.1);
    let (lo, hi) = values.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if lo > hi {
        return Ok(());
    }
    // Never a flat line glued to an edge: give a constant series some room.
    let pad = ((hi - lo) * 0.1).max(hi.abs() * 0.05).max(1e-9);
    let mut chart = ChartBuilder::on(root)
        .margin(3)
        .build_cartesian_2d(start..end.max(start + 1), (lo - pad)..(hi + pad))?;
    for run in series.points.split(|p| p.1.is_none()) {
        let points = run.iter().filter_map(|p| p.1.map(|v| (p.0, v)));
        chart.draw_series(LineSeries::new(points, colors.series[0].stroke_width(2)))?;
    }
    Ok(())
}

pub fn shapes(series: &Series, window: (i64, i64)) -> Vec<Shape> {
    ShapeRecorder::record(WIDTH, HEIGHT, |backend| {
        draw(backend, series, window, &super::palette::THEMED).is_ok()
    })
    .unwrap_or_default()
}
