use serde::{Deserialize, Serialize};

use super::RangeWindow;

/// Which panel of which dashboard.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PanelRef {
    pub dashboard: String,
    pub panel: String,
}

/// How values of a panel read to a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    #[default]
    None,
    RequestsPerSecond,
    Seconds,
    Bytes,
    Percent,
}

/// One sample: Unix seconds and a value. `None` is a gap (no sample, NaN or ±Inf),
/// which a chart draws as a break rather than a drop to zero.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point(pub i64, pub Option<f64>);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// The legend text, made from the series' labels. Data, so always shown as text.
    pub name: String,
    pub points: Vec<Point>,
}

impl Series {
    /// The newest value that is a number, for legends and stat panels.
    pub fn last_value(&self) -> Option<f64> {
        self.points.iter().rev().find_map(|p| p.1)
    }
}

/// How current a panel's data is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PanelStatus {
    /// Fresh from the data source.
    Live,
    /// The data source failed; the series are the last good ones.
    Stale { reason: String },
    /// No data to show; the reason is the data source's own message.
    Error { message: String },
}

/// Everything a panel needs to draw itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PanelData {
    pub panel: PanelRef,
    pub title: String,
    pub unit: Unit,
    pub window: RangeWindow,
    pub series: Vec<Series>,
    pub status: PanelStatus,
    /// Warnings the data source sent with its answer (partial data): shown, never dropped.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// When the server last got data for this panel, Unix milliseconds.
    pub updated_at_ms: i64,
}
