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

/// A theme's real colours, for images (which have no stylesheet). The values
/// are those of `style/main.css`.
#[derive(Clone, Copy, Debug)]
pub struct ImageTheme {
    pub background: RGBColor,
    pub title: RGBColor,
    pub muted: RGBColor,
    pub chart: ChartColors,
}

pub const LIGHT: ImageTheme = ImageTheme {
    background: RGBColor(0xff, 0xff, 0xff),
    title: RGBColor(0x17, 0x20, 0x2a),
    muted: RGBColor(0x5b, 0x66, 0x75),
    chart: ChartColors {
        text: RGBColor(0x4b, 0x55, 0x63),
        axis: RGBColor(0x9a, 0xa4, 0xb1),
        grid: RGBColor(0xe6, 0xe9, 0xee),
        series: [
            RGBColor(0x25, 0x63, 0xeb),
            RGBColor(0xd9, 0x77, 0x06),
            RGBColor(0x05, 0x96, 0x69),
            RGBColor(0xdb, 0x27, 0x77),
            RGBColor(0x7c, 0x3a, 0xed),
            RGBColor(0x08, 0x91, 0xb2),
            RGBColor(0x65, 0xa3, 0x0d),
            RGBColor(0xdc, 0x26, 0x26),
            RGBColor(0x4b, 0x55, 0x63),
            RGBColor(0xc0, 0x26, 0xd3),
        ],
        levels: [
            RGBColor(0x16, 0xa3, 0x4a),
            RGBColor(0xd9, 0x77, 0x06),
            RGBColor(0xdc, 0x26, 0x26),
        ],
        track: RGBColor(0xe6, 0xe9, 0xee),
    },
};

pub const DARK: ImageTheme = ImageTheme {
    background: RGBColor(0x17, 0x1d, 0x24),
    title: RGBColor(0xe6, 0xe9, 0xee),
    muted: RGBColor(0x9a, 0xa4, 0xb1),
    chart: ChartColors {
        text: RGBColor(0xaa, 0xb3, 0xbf),
        axis: RGBColor(0x4b, 0x55, 0x63),
        grid: RGBColor(0x25, 0x2d, 0x37),
        series: [
            RGBColor(0x60, 0xa5, 0xfa),
            RGBColor(0xfb, 0xbf, 0x24),
            RGBColor(0x34, 0xd3, 0x99),
            RGBColor(0xf4, 0x72, 0xb6),
            RGBColor(0xa7, 0x8b, 0xfa),
            RGBColor(0x22, 0xd3, 0xee),
            RGBColor(0xa3, 0xe6, 0x35),
            RGBColor(0xf8, 0x71, 0x71),
            RGBColor(0xcb, 0xd5, 0xe1),
            RGBColor(0xe8, 0x79, 0xf9),
        ],
        levels: [
            RGBColor(0x4a, 0xde, 0x80),
            RGBColor(0xfb, 0xbf, 0x24),
            RGBColor(0xf8, 0x71, 0x71),
        ],
        track: RGBColor(0x2a, 0x32, 0x3c),
    },
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
