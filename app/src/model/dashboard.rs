//! What a dashboard looks like to a page: its panels, their kinds and layout, and
//! the variables a viewer may set. Built by the server from dashboard files; the
//! queries themselves never leave the server.

use serde::{Deserialize, Serialize};

use super::Unit;

/// How a panel draws its data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PanelKind {
    /// Lines over time, or stacked areas with `stacked`.
    #[default]
    TimeSeries,
    /// One big number per series with its threshold colour and a sparkline.
    Stat,
    /// The newest value on a dial between `min` and `max`.
    Gauge,
    /// Bars over time, stacked by series.
    Bar,
    /// Rows keyed by the legend, one column per query, sortable.
    Table,
    /// One tile per series (service), coloured by thresholds.
    StatusGrid,
    /// One horizontal bar per series: its newest value between `min` and
    /// `max`, in its threshold level's colour.
    BarGauge,
    /// Histogram buckets over time: a column per step, a cell per bucket,
    /// shaded by how many observations fell in it.
    Heatmap,
    /// Markdown from the dashboard file; no queries.
    Text,
}

impl PanelKind {
    /// Whether the panel's queries are range queries (series over time) or
    /// instant queries (one value per series).
    pub fn is_instant(self) -> bool {
        matches!(
            self,
            Self::Table | Self::StatusGrid | Self::Gauge | Self::BarGauge
        )
    }
}

/// A threshold level: colour is never its only sign, so every level has a name.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default, PartialOrd, Ord,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    #[default]
    Ok,
    Warning,
    Critical,
    /// No value to judge.
    Unknown,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Warning => "warning",
            Self::Critical => "critical",
            Self::Unknown => "unknown",
        }
    }
}

/// `base` below the first step; each step's level from its value upwards.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct Thresholds {
    pub base: Level,
    pub steps: Vec<ThresholdStep>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThresholdStep {
    pub value: f64,
    pub level: Level,
}

impl Thresholds {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty() && self.base == Level::Ok
    }

    /// The level of a value; steps are kept ascending by the server.
    pub fn level(&self, value: Option<f64>) -> Level {
        let Some(v) = value.filter(|v| v.is_finite()) else {
            return Level::Unknown;
        };
        self.steps
            .iter()
            .rev()
            .find(|s| v >= s.value)
            .map(|s| s.level)
            .unwrap_or(self.base)
    }
}

/// A link from a panel (or one of its series) to another view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DrillDown {
    pub title: String,
    pub dashboard: String,
    /// The variable that takes the clicked series' name, e.g. `service`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series_variable: Option<String>,
}

impl DrillDown {
    /// The link for one series (its legend text), keeping the view's time
    /// range and kiosk mode. `None` for a panel-level link that does not name
    /// a variable.
    pub fn href_for(&self, series: &str, view: &super::ViewQuery) -> Option<String> {
        let variable = self.series_variable.as_deref()?;
        let query = super::ViewQuery {
            range: view.range,
            vars: vec![(variable.to_string(), series.to_string())],
            refresh: None,
            kiosk: view.kiosk,
        };
        Some(query.href(&format!("/d/{}", self.dashboard)))
    }
}

impl PanelView {
    /// A value as this panel shows it: its unit and decimals.
    pub fn value_text(&self, v: f64) -> String {
        crate::format::value_with(v, self.unit, self.decimals)
    }

    /// The link each series (legend entry, tile) leads to, if any.
    pub fn series_link(&self) -> Option<&DrillDown> {
        self.links.iter().find(|l| l.series_variable.is_some())
    }
}

/// One column of a table panel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColumnView {
    pub title: String,
    pub unit: Unit,
}

/// A panel as a page sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PanelView {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub kind: PanelKind,
    pub unit: Unit,
    /// Digits after the point of every value shown (legends, stats, tables,
    /// tooltips); none: about three significant digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decimals: Option<u8>,
    /// Grid columns out of 12 on a desk.
    pub width: u8,
    /// Grid rows (one row is one chart's height).
    pub height: u8,
    /// Smaller comes first on a phone.
    pub priority: u8,
    pub stacked: bool,
    pub thresholds: Thresholds,
    /// Gauge bounds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Table columns, one per query.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<ColumnView>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<DrillDown>,
    /// A text panel's Markdown, parsed on the server into a tree of safe
    /// elements (never HTML).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub text: Vec<super::Markdown>,
}

/// A variable a viewer may set: its name is the query-string key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VariableView {
    pub name: String,
    pub title: String,
    #[serde(default)]
    pub picker: Picker,
    /// The value in force when the URL sets none (interval variables).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

/// How a variable is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Picker {
    /// Any number of the values offered (none: every one).
    #[default]
    Choices,
    /// Exactly one of the values offered (an interval).
    One,
    /// Free text, matched as a literal (a text box).
    Text,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DashboardView {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub variables: Vec<VariableView>,
    pub panels: Vec<PanelView>,
    /// The mistake in its file's latest edit, while its last good version is
    /// what serves (the file named without its folder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<super::FileProblem>,
    /// The range and refresh it opens with when a link names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<super::RelativeRange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh: Option<super::Refresh>,
}

/// How a missing dashboard's error begins when its file exists but has a
/// mistake (the page titles it so).
pub const BROKEN_FILE: &str = "its file has a mistake";

impl DashboardView {
    pub fn panel(&self, id: &str) -> Option<&PanelView> {
        self.panels.iter().find(|p| p.id == id)
    }
}

/// One entry of the dashboard list (navigation).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DashboardSummary {
    pub id: String,
    pub title: String,
    /// The subfolder of `dashboards_dir` its file is in, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
    /// The range and refresh it opens with (links to it carry them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<super::RelativeRange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh: Option<super::Refresh>,
}

impl DashboardSummary {
    /// A link that opens it as its file says (its range and refresh), in
    /// kiosk mode or not.
    pub fn href(&self, kiosk: bool) -> String {
        let path = format!("/d/{}", crate::format::path_segment(&self.id));
        if self.range.is_none() && self.refresh.is_none() && !kiosk {
            return path;
        }
        super::ViewQuery {
            range: self.range.map(Into::into).unwrap_or_default(),
            vars: Vec::new(),
            refresh: self.refresh,
            kiosk,
        }
        .href(&path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_links_name_the_series_and_keep_the_range() {
        let link = DrillDown {
            title: "API".into(),
            dashboard: "api".into(),
            series_variable: Some("service".into()),
        };
        let range = crate::model::TimeRange::Relative(crate::model::RelativeRange::H6);
        let mut view = crate::model::ViewQuery {
            range,
            ..Default::default()
        };
        assert_eq!(
            link.href_for("a&b", &view).as_deref(),
            Some("/d/api?range=6h&service=a%26b")
        );
        view.kiosk = true;
        assert_eq!(
            link.href_for("a", &view).as_deref(),
            Some("/d/api?range=6h&service=a&kiosk")
        );
        let plain = DrillDown {
            series_variable: None,
            ..link
        };
        assert_eq!(plain.href_for("x", &view), None);
    }

    #[test]
    fn thresholds_pick_the_highest_step_reached() {
        let t = Thresholds {
            base: Level::Ok,
            steps: vec![
                ThresholdStep {
                    value: 1.0,
                    level: Level::Warning,
                },
                ThresholdStep {
                    value: 5.0,
                    level: Level::Critical,
                },
            ],
        };
        assert_eq!(t.level(Some(0.5)), Level::Ok);
        assert_eq!(t.level(Some(1.0)), Level::Warning);
        assert_eq!(t.level(Some(7.0)), Level::Critical);
        assert_eq!(t.level(None), Level::Unknown);
        assert_eq!(t.level(Some(f64::NAN)), Level::Unknown);
    }
}
