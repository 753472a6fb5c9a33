//! A panel as an image (SVG or PNG), drawn by the same plotters chart code as
//! the pages: the title, the chart, a legend with each series' newest value,
//! and the time the data is from. No browser involved.
//!
//! Text in an SVG is escaped by plotters' SVG backend (a label is text, never
//! markup); PNGs draw text with a font compiled into the binary, so an image
//! looks the same on any machine.

use std::sync::Once;

use app::{
    charts::{
        bar_gauge, gauge, heatmap,
        palette::{ImageTheme, DARK, LIGHT},
        sparkline, time_series,
    },
    format,
    live::time_zone::Zone,
    model::{PanelData, PanelKind, PanelStatus},
};
use plotters::{
    coord::Shift,
    prelude::*,
    style::{FontStyle, RGBColor},
};

pub const MIN_WIDTH: u32 = 200;
pub const MAX_WIDTH: u32 = 2000;
pub const MIN_HEIGHT: u32 = 120;
pub const MAX_HEIGHT: u32 = 1200;
pub const DEFAULT_SIZE: (u32, u32) = (800, 360);

/// The font every image is drawn with: DejaVu Sans (free licence, in
/// `server/assets/fonts`), registered once under the family the charts name.
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for style in [FontStyle::Normal, FontStyle::Bold] {
            if plotters::style::register_font("sans-serif", style, FONT).is_err() {
                tracing::error!("the compiled-in font did not load; images will lack text");
            }
        }
    });
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

impl Theme {
    pub fn parse(text: &str) -> Option<Theme> {
        match text {
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            _ => None,
        }
    }

    fn colors(self) -> &'static ImageTheme {
        match self {
            Theme::Light => &LIGHT,
            Theme::Dark => &DARK,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the image could not be drawn: {0}")]
pub struct DrawError(String);

/// The panel as an SVG document.
pub fn svg(
    data: &PanelData,
    (width, height): (u32, u32),
    theme: Theme,
) -> Result<String, DrawError> {
    register_font();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        draw(&root, data, theme).map_err(|e| DrawError(e.to_string()))?;
        root.present().map_err(|e| DrawError(e.to_string()))?;
    }
    Ok(out)
}

/// The panel as a PNG file.
pub fn png(
    data: &PanelData,
    (width, height): (u32, u32),
    theme: Theme,
) -> Result<Vec<u8>, DrawError> {
    register_font();
    let mut pixels = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        draw(&root, data, theme).map_err(|e| DrawError(e.to_string()))?;
        root.present().map_err(|e| DrawError(e.to_string()))?;
    }
    let mut png = Vec::new();
    let encoder = ::image::codecs::png::PngEncoder::new(&mut png);
    ::image::ImageEncoder::write_image(encoder, &pixels, width, height, ::image::ColorType::Rgb8)
        .map_err(|e| DrawError(e.to_string()))?;
    Ok(png)
}

const PAD: i32 = 12;
const TITLE_SIZE: f64 = 16.0;
const SMALL: f64 = 12.0;

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &PanelData,
    theme: Theme,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let colors = theme.colors();
    let (width, height) = root.dim_in_pixel();
    root.fill(&colors.background)?;

    let title = ("sans-serif", TITLE_SIZE)
        .into_font()
        .style(FontStyle::Bold)
        .color(&colors.title);
    root.draw_text(&data.view.title, &title, (PAD, PAD))?;
    // With the date: an image lives on in chats and wikis.
    let stamp = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(data.updated_at_ms)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default();
    let small = ("sans-serif", SMALL).into_font().color(&colors.muted);
    let label = ("sans-serif", SMALL).into_font().color(&colors.title);
    let stamp_width = root.estimate_text_size(&stamp, &small)?.0 as i32;
    root.draw_text(&stamp, &small, (width as i32 - PAD - stamp_width, PAD + 3))?;

    let top = PAD + TITLE_SIZE as i32 + 10;
    let note = status_note(data);
    let legend = legend_lines(data);
    let legend_height = (legend.len() as i32) * 18 + if note.is_some() { 18 } else { 0 };
    let bottom = height as i32 - PAD - legend_height;
    let chart = root.margin(top as u32, (height as i32 - bottom).max(0) as u32, 4, 4);

    let (start, end) = (data.window.start, data.window.end);
    match data.view.kind {
        PanelKind::Text => {
            // The text, a line per block, cut to what fits: an image shows
            // no markup and follows no link.
            let (cw, ch) = chart.dim_in_pixel();
            let per_line = (cw as usize / 7).max(10);
            let fits = (ch as usize / 18).max(1);
            let lines: Vec<String> = app::model::Markdown::plain_lines(&data.view.text)
                .iter()
                .flat_map(|l| wrap(l, per_line))
                .take(fits)
                .collect();
            for (i, line) in lines.iter().enumerate() {
                chart.draw_text(line, &label, (PAD, 4 + 18 * i as i32))?;
            }
        }
        _ if data.is_empty() => {
            let text = match &data.status {
                PanelStatus::Error { message } => message.clone(),
                _ => "No data in this range".into(),
            };
            chart.draw_text(&text, &small, (PAD, 20))?;
        }
        PanelKind::TimeSeries | PanelKind::Bar => {
            // Images go to anyone: in UTC, and they say so nowhere else.
            time_series::draw_on(&chart, data, &colors.chart, Zone::Utc)?;
        }
        PanelKind::Gauge => {
            let value = data.series.first().and_then(|s| s.last_value());
            let bounds = (data.view.min.unwrap_or(0.0), data.view.max.unwrap_or(100.0));
            let (cw, ch) = chart.dim_in_pixel();
            let x = (cw as i32 - gauge::WIDTH as i32).max(0) / 2;
            let dial = chart.margin(0, 0, x as u32, 0);
            gauge::draw_on(&dial, value, bounds, &data.view.thresholds, &colors.chart)?;
            let text = value
                .map(|v| data.view.value_text(v))
                .unwrap_or_else(|| "–".into());
            let big = ("sans-serif", 22.0).into_font().color(&colors.title);
            let tw = chart.estimate_text_size(&text, &big)?.0 as i32;
            let y = (gauge::HEIGHT as i32 - 30).min(ch as i32 - 24);
            chart.draw_text(&text, &big, (cw as i32 / 2 - tw / 2, y))?;
        }
        PanelKind::Stat => {
            // One row per series (up to four): the value, big, and its sparkline.
            let shown: Vec<_> = data.series.iter().take(4).collect();
            let rows = chart.split_evenly((shown.len().max(1), 1));
            for (series, row) in shown.iter().zip(rows.iter()) {
                let value = series.last_value();
                let level = data.view.thresholds.level(value);
                let text = value
                    .map(|v| data.view.value_text(v))
                    .unwrap_or_else(|| "–".into());
                let big = ("sans-serif", 26.0)
                    .into_font()
                    .style(FontStyle::Bold)
                    .color(&colors.chart.level(level));
                row.draw_text(&text, &big, (PAD, 4))?;
                let (rw, rh) = row.dim_in_pixel();
                let left = (rw as i32 / 3).max(140);
                let line = row.margin(4, 4, left as u32, PAD as u32);
                if rh > 20 {
                    sparkline::draw_on(&line, series, (start, end), &colors.chart)?;
                }
            }
        }
        PanelKind::Table | PanelKind::StatusGrid => {
            draw_rows(&chart, data, colors)?;
        }
        PanelKind::BarGauge => {
            bar_gauge::draw_on(
                &chart.margin(0, 0, PAD as u32, PAD as u32),
                data,
                &colors.chart,
            )?;
        }
        PanelKind::Heatmap => {
            heatmap::draw_on(&chart, data, &colors.chart, Zone::Utc)?;
        }
    }

    let mut y = bottom + 4;
    if let Some(note) = note {
        let warn = ("sans-serif", SMALL)
            .into_font()
            .color(&colors.chart.levels[1]);
        root.draw_text(&note, &warn, (PAD, y))?;
        y += 18;
    }
    for line in legend {
        let mut x = PAD;
        for (i, name, value) in line {
            // "+N more" has no colour of its own.
            if i != MORE {
                let color = colors.chart.series[i % colors.chart.series.len()];
                root.draw(&Rectangle::new(
                    [(x, y + 2), (x + 10, y + 12)],
                    color.filled(),
                ))?;
                x += 14;
            }
            // Name and value drawn apart: the font's space is narrow enough
            // to run them together.
            root.draw_text(&name, &label, (x, y))?;
            x += root.estimate_text_size(&name, &label)?.0 as i32 + 6;
            if !value.is_empty() {
                root.draw_text(&value, &small, (x, y))?;
                x += root.estimate_text_size(&value, &small)?.0 as i32;
            }
            x += 16;
        }
        y += 18;
    }
    Ok(())
}

/// A line cut into pieces of at most `width` characters, at spaces where
/// there are some.
fn wrap(line: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for word in line.split(' ') {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
        while current.chars().count() > width {
            let head: String = current.chars().take(width).collect();
            current = current.chars().skip(width).collect();
            out.push(head);
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Stale or partial data is said on the image, as on the page.
fn status_note(data: &PanelData) -> Option<String> {
    match &data.status {
        PanelStatus::Stale { reason } => Some(format!("Stale: {reason}")),
        _ if !data.warnings.is_empty() => Some(format!("Partial data: {}", data.warnings[0])),
        _ => None,
    }
}

/// The legend entry that counts the series left out.
const MORE: usize = usize::MAX;

/// Legend entries (series index, "name value") in at most two lines; the
/// rest counted. Text widths are estimated (7 px per character at 12 px)
/// to decide the wrapping before drawing.
fn legend_lines(data: &PanelData) -> Vec<Vec<(usize, String, String)>> {
    if !matches!(data.view.kind, PanelKind::TimeSeries | PanelKind::Bar) || data.series.is_empty() {
        return Vec::new();
    }
    let budget = 100usize; // characters per line, a fair fit for the default width
    let mut lines: Vec<Vec<(usize, String, String)>> = vec![Vec::new()];
    let mut used = 0;
    for (i, s) in data.series.iter().enumerate() {
        let value = s
            .last_value()
            .map(|v| data.view.value_text(v))
            .unwrap_or_else(|| "–".into());
        let name: String = s.name.chars().take(48).collect();
        let cost = name.chars().count() + value.chars().count() + 6;
        if used + cost > budget && !lines.last().is_some_and(Vec::is_empty) {
            if lines.len() == 2 {
                let rest = data.series.len() - i;
                if let Some(last) = lines.last_mut() {
                    last.push((MORE, format!("+{rest} more"), String::new()));
                }
                break;
            }
            lines.push(Vec::new());
            used = 0;
        }
        used += cost;
        if let Some(last) = lines.last_mut() {
            last.push((i, name, value));
        }
    }
    lines
}

/// Tables and status grids as rows of text: the key and its values.
fn draw_rows<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &PanelData,
    colors: &ImageTheme,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let text = ("sans-serif", 13.0).into_font().color(&colors.title);
    let (_, height) = area.dim_in_pixel();
    let fits = (height as usize / 20).max(1);
    let rows: Vec<(String, String, RGBColor)> = if data.rows.is_empty() {
        data.series
            .iter()
            .map(|s| {
                let value = s.last_value();
                let level = data.view.thresholds.level(value);
                let shown = value
                    .map(|v| data.view.value_text(v))
                    .unwrap_or_else(|| "–".into());
                (s.name.clone(), shown, colors.chart.level(level))
            })
            .collect()
    } else {
        data.rows
            .iter()
            .map(|r| {
                let values: Vec<String> = r
                    .values
                    .iter()
                    .zip(&data.view.columns)
                    .map(|(v, c)| {
                        v.map(|v| format::value_with(v, c.unit, data.view.decimals))
                            .unwrap_or_else(|| "–".into())
                    })
                    .collect();
                (r.key.clone(), values.join("   "), colors.title)
            })
            .collect()
    };
    for (i, (key, values, color)) in rows.iter().take(fits).enumerate() {
        let y = i as i32 * 20 + 4;
        area.draw(&Circle::new((PAD + 5, y + 8), 5, color.filled()))?;
        let key: String = key.chars().take(60).collect();
        area.draw_text(&key, &text, (PAD + 16, y))?;
        let width = area.estimate_text_size(values, &text)?.0 as i32;
        let (w, _) = area.dim_in_pixel();
        area.draw_text(values, &text, (w as i32 - PAD - width, y))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panel(kind: &str, name: &str) -> PanelData {
        let points: Vec<serde_json::Value> = (0..60)
            .map(|i| serde_json::json!([1_700_000_000 + i * 60, (i % 7) as f64 + 1.0]))
            .collect();
        serde_json::from_value(serde_json::json!({
            "panel": {"dashboard": "d", "panel": "p"},
            "view": {
                "id": "p", "title": "<b>Title</b> & co", "kind": kind, "unit": "req/s",
                "width": 6, "height": 1, "priority": 1, "stacked": false,
                "thresholds": {"base": "ok", "steps": [{"value": 5.0, "level": "warning"}]},
                "min": 0.0, "max": 10.0
            },
            "window": {"start": 1_700_000_000, "end": 1_700_003_600, "step": 60},
            "series": [{"name": name, "points": points}],
            "status": {"kind": "live"},
            "warnings": [],
            "updated_at_ms": 1_700_003_600_000i64
        }))
        .unwrap()
    }

    #[test]
    fn markup_in_titles_and_labels_is_drawn_as_text() {
        let svg = svg(
            &panel("time_series", "<script>alert(1)</script>"),
            DEFAULT_SIZE,
            Theme::Light,
        )
        .unwrap();
        assert!(!svg.contains("<script"), "{svg}");
        assert!(!svg.contains("<b>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(svg.contains("&lt;b&gt;Title&lt;/b&gt; &amp; co"));
    }

    #[test]
    fn every_kind_draws_in_both_formats_and_both_themes() {
        for kind in [
            "time_series",
            "bar",
            "stat",
            "gauge",
            "table",
            "status_grid",
        ] {
            let data = panel(kind, "api-gateway");
            for theme in [Theme::Light, Theme::Dark] {
                let svg = svg(&data, (400, 200), theme).unwrap();
                assert!(
                    svg.contains("api-gateway") || matches!(kind, "stat" | "gauge"),
                    "{kind}: {svg}"
                );
                let png = png(&data, (400, 200), theme).unwrap();
                let decoded = ::image::load_from_memory(&png).unwrap().to_rgb8();
                assert_eq!(decoded.dimensions(), (400, 200));
                let background = theme.colors().background.0;
                let background = [
                    background,
                    theme.colors().background.1,
                    theme.colors().background.2,
                ];
                let drawn = decoded.pixels().filter(|p| p.0 != background).count();
                assert!(drawn > 400, "{kind}: {drawn} pixels drawn");
            }
        }
    }
}
