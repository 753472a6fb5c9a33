//! A bar gauge: one horizontal bar per series, its newest value between the
//! panel's `min` and `max`, in the colour of its threshold level, with the
//! series' name and value above it and the threshold steps marked on the
//! track.

use plotters::prelude::*;

use super::{palette::ChartColors, Shape, ShapeRecorder};
use crate::model::PanelData;

pub const WIDTH: u32 = 400;
pub const HEIGHT: u32 = 200;
/// Rows beyond this are counted, not drawn.
pub const MAX_BARS: usize = 8;
const LABEL_SIZE: f64 = 13.0;
/// The most room one bar takes: its label and the bar.
const ROW_HEIGHT: i32 = 48;

/// The bounds a bar is drawn between: the panel's; without them 0 and the
/// largest value shown (so the longest bar fills its track), as Grafana's
/// bar gauge scales itself.
pub fn bounds(data: &PanelData) -> (f64, f64) {
    let min = data.view.min.unwrap_or(0.0);
    let max = data.view.max.unwrap_or_else(|| {
        data.series
            .iter()
            .filter_map(|s| s.last_value())
            .filter(|v| v.is_finite())
            .fold(f64::NEG_INFINITY, f64::max)
    });
    if max > min {
        (min, max)
    } else {
        (min, min + 100.0)
    }
}

pub fn draw<DB: DrawingBackend>(
    backend: DB,
    data: &PanelData,
    colors: &ChartColors,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let root = backend.into_drawing_area();
    draw_on(&root, data, colors)?;
    root.present()?;
    Ok(())
}

/// Draws on an area of a larger drawing (an embed image).
pub fn draw_on<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    data: &PanelData,
    colors: &ChartColors,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (width, height) = root.dim_in_pixel();
    let (width, height) = (width as i32, height as i32);
    let (min, max) = bounds(data);
    let span = (max - min).max(f64::EPSILON);
    let x_of = |v: f64| 4 + (((v - min) / span).clamp(0.0, 1.0) * f64::from(width - 8)) as i32;
    let shown = data.series.len().min(MAX_BARS);
    let more = data.series.len() - shown;
    let rows = (shown + usize::from(more > 0)).max(1) as i32;
    // Bars as thick as a line of text or so, however few there are.
    let row_height = (height / rows).clamp(1, ROW_HEIGHT);
    let name_font = ("sans-serif", LABEL_SIZE).into_font().color(&colors.text);
    for (i, series) in data.series.iter().take(shown).enumerate() {
        let top = i as i32 * row_height;
        let value = series.last_value();
        let level = data.view.thresholds.level(value);
        let text = value
            .map(|v| data.view.value_text(v))
            .unwrap_or_else(|| "–".into());
        let name = series.name.chars().take(60).collect::<String>();
        root.draw(&Text::new(name, (4, top + 2), name_font.clone()))?;
        let value_font = ("sans-serif", LABEL_SIZE)
            .into_font()
            .color(&colors.level(level))
            .pos(plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Right,
                plotters::style::text_anchor::VPos::Top,
            ));
        root.draw(&Text::new(text, (width - 4, top + 2), value_font))?;
        let bar_top = top + (LABEL_SIZE as i32) + 6;
        let bar_bottom = (top + row_height - 8).clamp(bar_top + 4, bar_top + 18);
        root.draw(&Rectangle::new(
            [(4, bar_top), (width - 4, bar_bottom)],
            colors.track.filled(),
        ))?;
        if let Some(v) = value.filter(|v| v.is_finite()) {
            root.draw(&Rectangle::new(
                [(4, bar_top), (x_of(v).max(6), bar_bottom)],
                colors.level(level).filled(),
            ))?;
        }
        for step in &data.view.thresholds.steps {
            if step.value > min && step.value < max {
                let x = x_of(step.value);
                root.draw(&Rectangle::new(
                    [(x, bar_top - 3), (x + 2, bar_top)],
                    colors.level(step.level).filled(),
                ))?;
            }
        }
    }
    if more > 0 {
        let top = shown as i32 * row_height;
        root.draw(&Text::new(format!("+{more} more"), (4, top + 2), name_font))?;
    }
    Ok(())
}

pub fn shapes(data: &PanelData) -> Vec<Shape> {
    ShapeRecorder::record(WIDTH, HEIGHT, |backend| {
        draw(backend, data, &super::palette::THEMED).is_ok()
    })
    .unwrap_or_default()
}
