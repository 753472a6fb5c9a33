use serde::{Deserialize, Serialize};

use super::{PanelView, RangeWindow};

/// Which panel of which dashboard.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PanelRef {
    pub dashboard: String,
    pub panel: String,
}

/// How values of a panel read to a person. The names are the ones dashboard
/// files use; Grafana's names for the same units are accepted too (`reqps`,
/// `s`, `percentunit`, …), so imported dashboards keep theirs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Unit {
    /// A plain number, SI-scaled (1.2k).
    #[default]
    #[serde(rename = "none")]
    None,
    /// Grafana's `short`: a count scaled by thousands (1.2 K, 3.4 Mil).
    #[serde(rename = "short")]
    Short,
    #[serde(rename = "req/s", alias = "reqps")]
    RequestsPerSecond,
    #[serde(rename = "ops/s", alias = "ops")]
    OperationsPerSecond,
    #[serde(rename = "packets/s", alias = "pps")]
    PacketsPerSecond,
    #[serde(rename = "seconds", alias = "s")]
    Seconds,
    #[serde(rename = "ms")]
    Milliseconds,
    /// IEC: KiB, MiB, GiB.
    #[serde(rename = "bytes")]
    Bytes,
    /// SI: kB, MB, GB (Grafana's `decbytes`).
    #[serde(rename = "decbytes")]
    DecimalBytes,
    /// IEC per second.
    #[serde(rename = "bytes/s", alias = "binBps")]
    BytesPerSecond,
    /// SI bytes per second (Grafana's `Bps`).
    #[serde(rename = "Bps")]
    DecimalBytesPerSecond,
    /// SI bits per second (Grafana's `bps`).
    #[serde(rename = "bps")]
    BitsPerSecond,
    /// 0–100.
    #[serde(rename = "percent")]
    Percent,
    /// 0–1, shown as a percentage.
    #[serde(rename = "ratio", alias = "percentunit")]
    Ratio,
    #[serde(rename = "celsius")]
    Celsius,
    /// SI: Hz, kHz, MHz, GHz.
    #[serde(rename = "hertz")]
    Hertz,
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

    /// The point nearest to `t` (seconds), gap or not: what a cursor there shows.
    pub fn point_near(&self, t: i64) -> Option<Point> {
        let after = self.points.partition_point(|p| p.0 < t);
        let candidates = [after.checked_sub(1), Some(after)];
        candidates
            .into_iter()
            .flatten()
            .filter_map(|i| self.points.get(i).copied())
            .min_by_key(|p| (p.0 - t).abs())
    }
}

#[cfg(test)]
mod series_tests {
    use super::*;

    #[test]
    fn the_point_near_a_time_is_the_closest_one_gaps_included() {
        let s = Series {
            name: "a".into(),
            points: vec![Point(0, Some(1.0)), Point(60, None), Point(120, Some(3.0))],
        };
        assert_eq!(s.point_near(-50), Some(Point(0, Some(1.0))));
        assert_eq!(s.point_near(29), Some(Point(0, Some(1.0))));
        assert_eq!(s.point_near(50), Some(Point(60, None)));
        assert_eq!(s.point_near(100), Some(Point(120, Some(3.0))));
        assert_eq!(s.point_near(1_000), Some(Point(120, Some(3.0))));
        let none = Series {
            name: "b".into(),
            points: vec![],
        };
        assert_eq!(none.point_near(5), None);
    }
}

/// One row of a table panel: its key (the legend) and a value per column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub key: String,
    pub values: Vec<Option<f64>>,
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
    pub view: PanelView,
    pub window: RangeWindow,
    /// Range panels: one entry per series. Status grids and gauges: one point each.
    pub series: Vec<Series>,
    /// Table panels only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<Row>,
    pub status: PanelStatus,
    /// Warnings the data source sent with its answer (partial data): shown, never dropped.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// When the server last got data for this panel, Unix milliseconds.
    pub updated_at_ms: i64,
    /// When there is no data: the metrics the data source lacks, and what
    /// would provide them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<MissingMetric>,
}

/// A metric a panel needs that the data source does not have.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingMetric {
    pub metric: String,
    /// The exporter or library that provides it, in words.
    pub source: String,
}

impl PanelData {
    pub fn title(&self) -> &str {
        &self.view.title
    }

    /// No data at all, though the data source answered.
    pub fn is_empty(&self) -> bool {
        self.series.is_empty() && self.rows.is_empty()
    }
}
