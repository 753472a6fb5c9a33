//! A gauge: a 240° arc from `min` to `max`, filled up to the value in the
//! colour of its threshold level, with the threshold steps marked on the track.

use plotters::prelude::*;

use super::{palette::ChartColors, Shape, ShapeRecorder};
use crate::model::{Level, Thresholds};

pub const WIDTH: u32 = 200;
pub const HEIGHT: u32 = 140;
const SWEEP: f64 = 240.0;

fn arc(from: f64, to: f64, radius: f64) -> Vec<(i32, i32)> {
    let (cx, cy) = (f64::from(WIDTH) / 2.0, 84.0);
    let start = 90.0 + (360.0 - SWEEP) / 2.0; // degrees, clockwise from +x
    let steps = ((to - from) * 48.0).ceil().max(1.0) as usize;
    (0..=steps)
        .map(|i| {
            let f = from + (to - from) * i as f64 / steps as f64;
            let a = (start + SWEEP * f).to_radians();
            (
                (cx + radius * a.cos()).round() as i32,
                (cy + radius * a.sin()).round() as i32,
            )
        })
        .collect()
}

pub fn draw<DB: DrawingBackend>(
    backend: DB,
    value: Option<f64>,
    (min, max): (f64, f64),
    thresholds: &Thresholds,
    colors: &ChartColors,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let root = backend.into_drawing_area();
    draw_on(&root, value, (min, max), thresholds, colors)?;
    root.present()?;
    Ok(())
}

/// Draws on an area of a larger drawing (an embed image: title, chart, legend).
pub fn draw_on<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    value: Option<f64>,
    (min, max): (f64, f64),
    thresholds: &Thresholds,
    colors: &ChartColors,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let span = (max - min).max(f64::EPSILON);
    let fraction = |v: f64| ((v - min) / span).clamp(0.0, 1.0);
    root.draw(&PathElement::new(
        arc(0.0, 1.0, 64.0),
        colors.track.stroke_width(14),
    ))?;
    for step in &thresholds.steps {
        let f = fraction(step.value);
        root.draw(&PathElement::new(
            arc(f, (f + 0.004).min(1.0), 76.0),
            colors.level(step.level).stroke_width(6),
        ))?;
    }
    if let Some(v) = value.filter(|v| v.is_finite()) {
        let level = match thresholds.level(Some(v)) {
            Level::Unknown => Level::Ok,
            l => l,
        };
        root.draw(&PathElement::new(
            arc(0.0, fraction(v).max(0.005), 64.0),
            colors.level(level).stroke_width(14),
        ))?;
    }
    Ok(())
}

pub fn shapes(value: Option<f64>, bounds: (f64, f64), thresholds: &Thresholds) -> Vec<Shape> {
    ShapeRecorder::record(WIDTH, HEIGHT, |backend| {
        draw(backend, value, bounds, thresholds, &super::palette::THEMED).is_ok()
    })
    .unwrap_or_default()
}
