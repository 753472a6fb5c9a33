//! Colours of a chart. Pages theme charts through CSS custom properties, so the
//! drawing code uses marker colours that the SVG view maps to `var(--…)` names;
//! images (which have no stylesheet) use the real colours of a theme.

use plotters::style::RGBColor;

/// Semantic colours a chart is drawn with.
#[derive(Clone, Copy, Debug)]
pub struct ChartColors {
    pub text: RGBColor,
    pub axis: RGBColor,
    pub grid: RGBColor,
    pub series: [RGBColor; 10],
    /// Threshold levels: ok, warning, critical.
    pub levels: [RGBColor; 3],
    /// The unfilled part of a gauge.
    pub track: RGBColor,
}

impl ChartColors {
    pub fn level(&self, level: crate::model::Level) -> RGBColor {
        use crate::model::Level;
        match level {
            Level::Ok => self.levels[0],
            Level::Warning => self.levels[1],
            Level::Critical => self.levels[2],
            Level::Unknown => self.axis,
        }
    }
}

/// Marker colours: unlikely values that the SVG view recognises and replaces by
/// the theme's custom properties (see `css_var`).
pub const THEMED: ChartColors = ChartColors {
    text: RGBColor(1, 0, 1),
    axis: RGBColor(1, 0, 2),
    grid: RGBColor(1, 0, 3),
    series: [
        RGBColor(2, 0, 0),
        RGBColor(2, 0, 1),
        RGBColor(2, 0, 2),
        RGBColor(2, 0, 3),
        RGBColor(2, 0, 4),
        RGBColor(2, 0, 5),
        RGBColor(2, 0, 6),
        RGBColor(2, 0, 7),
        RGBColor(2, 0, 8),
        RGBColor(2, 0, 9),
    ],
    levels: [RGBColor(3, 0, 0), RGBColor(3, 0, 1), RGBColor(3, 0, 2)],
    track: RGBColor(1, 0, 4),
};

/// The CSS custom property standing for a marker colour, if it is one.
pub fn css_var(rgb: (u8, u8, u8)) -> Option<&'static str> {
    const SERIES: [&str; 10] = [
        "var(--series-0)",
        "var(--series-1)",
        "var(--series-2)",
        "var(--series-3)",
        "var(--series-4)",
        "var(--series-5)",
        "var(--series-6)",
        "var(--series-7)",
        "var(--series-8)",
        "var(--series-9)",
    ];
    match rgb {
        (1, 0, 1) => Some("var(--chart-text)"),
        (1, 0, 2) => Some("var(--chart-axis)"),
        (1, 0, 3) => Some("var(--chart-grid)"),
        (1, 0, 4) => Some("var(--chart-track)"),
        (3, 0, 0) => Some("var(--level-ok)"),
        (3, 0, 1) => Some("var(--level-warning)"),
        (3, 0, 2) => Some("var(--level-critical)"),
        (2, 0, i) if (i as usize) < SERIES.len() => Some(SERIES[i as usize]),
        _ => None,
    }
}

/// The CSS class of the i-th series colour, for legends drawn in HTML.
pub fn series_class(i: usize) -> String {
    format!("swatch swatch--{}", i % 10)
}
