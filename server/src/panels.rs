//! Panels: which query a panel runs, and how its answer becomes chart data.
//!
//! The built-in overview panel is defined here until dashboards become files
//! (the data-path work). Queries are fixed templates; the only part of a request
//! that enters one is the service filter, through `query::build`.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use tokio::sync::OnceCell;

use app::model::{
    PanelData, PanelRef, PanelStatus, Point, RangeWindow, RelativeRange, Series, Unit,
};

use crate::{
    prometheus::{PrometheusClient, QueryData, RangeQuery, RangeSeries},
    query::{self, ServiceFilter},
};

/// How a panel is drawn and queried.
#[derive(Debug)]
pub struct PanelSpec {
    pub id: &'static str,
    pub title: &'static str,
    pub unit: Unit,
    /// PromQL with `$rate_interval` standing for a window fitted to the step and
    /// `$filter` (inside a selector's braces) for the viewer's service filter.
    pub query: &'static str,
    /// The label whose value names a series in the legend.
    pub legend_label: &'static str,
}

pub struct DashboardSpec {
    pub id: &'static str,
    pub panels: &'static [PanelSpec],
}

pub const DASHBOARDS: &[DashboardSpec] = &[DashboardSpec {
    id: "overview",
    panels: &[PanelSpec {
        id: "request_rate",
        title: "Request rate by service",
        unit: Unit::RequestsPerSecond,
        query: "sum by (service) (rate(http_requests_total{$filter}[$rate_interval]))",
        legend_label: "service",
    }],
}];

pub fn dashboard(id: &str) -> Option<&'static DashboardSpec> {
    DASHBOARDS.iter().find(|d| d.id == id)
}

pub fn panel(panel: &PanelRef) -> Option<&'static PanelSpec> {
    dashboard(&panel.dashboard)?
        .panels
        .iter()
        .find(|p| p.id == panel.panel)
}

/// Points a chart can use across its width; more would be drawn on top of each other.
const TARGET_POINTS: i64 = 400;
/// Steps that repeat well on a clock, so repeated queries hit the same timestamps.
const NICE_STEPS: &[i64] = &[
    5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21_600, 43_200, 86_400,
];

/// The window and step for a relative range ending now: the step keeps the point
/// count near the chart's width (far below Prometheus' 11,000-point limit) and
/// the window is aligned to the step.
pub fn window_for(range: RelativeRange, now: i64) -> RangeWindow {
    let wanted = (range.seconds() + TARGET_POINTS - 1) / TARGET_POINTS;
    let step = NICE_STEPS
        .iter()
        .copied()
        .find(|s| *s >= wanted)
        .unwrap_or(86_400);
    let end = now.div_euclid(step) * step;
    RangeWindow {
        start: end - range.seconds(),
        end,
        step,
    }
}

/// A `rate()` window that covers at least two steps and a few scrapes.
fn rate_interval(step: i64) -> String {
    format!("{}s", (2 * step).max(60))
}

type PanelKey = (PanelRef, RelativeRange, ServiceFilter);

/// Loads panel data from Prometheus and remembers the last good answer of each,
/// so an outage shows stale data instead of nothing.
pub struct PanelService {
    prometheus: PrometheusClient,
    last_good: Mutex<HashMap<PanelKey, PanelData>>,
    /// Loads under way: a second caller for the same key waits for the first
    /// one's answer instead of sending the same query again.
    in_flight: Mutex<HashMap<PanelKey, Arc<OnceCell<PanelData>>>>,
}

impl PanelService {
    pub fn new(prometheus: PrometheusClient) -> Self {
        Self {
            prometheus,
            last_good: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    /// The panel's data now, or `None` if no such panel exists. Identical loads
    /// that overlap share one query. A failing query is not an error here: it is
    /// a panel state the page shows.
    pub async fn load(
        &self,
        panel: &PanelRef,
        range: RelativeRange,
        filter: &ServiceFilter,
    ) -> Option<PanelData> {
        let spec = self::panel(panel)?;
        let key = (panel.clone(), range, filter.clone());
        let cell = {
            let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(in_flight.entry(key.clone()).or_default())
        };
        let data = cell
            .get_or_init(|| self.fetch(spec, key.clone()))
            .await
            .clone();
        // Done: the next load asks Prometheus again (unless a newer one took the slot).
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        if in_flight.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
            in_flight.remove(&key);
        }
        Some(data)
    }

    async fn fetch(&self, spec: &'static PanelSpec, key: PanelKey) -> PanelData {
        let (panel, range, filter) = (&key.0, key.1, &key.2);
        let now_ms = now_ms();
        let window = window_for(range, now_ms / 1000);
        let result = match query::build(spec.query, &rate_interval(window.step), filter) {
            Ok(query) => {
                let query = RangeQuery {
                    query,
                    start: window.start,
                    end: window.end,
                    step: window.step,
                };
                self.prometheus
                    .query_range(&query)
                    .await
                    .map_err(|e| e.to_string())
            }
            Err(error) => {
                // A template or escaping bug: never send it, and say little to viewers.
                tracing::error!(panel = %panel.panel, %error, "query refused");
                Err("this panel's query could not be built".to_string())
            }
        };
        let data = match result {
            Ok(answer) => {
                let data = PanelData {
                    panel: panel.clone(),
                    title: spec.title.to_string(),
                    unit: spec.unit,
                    window,
                    series: to_series(answer.data, spec.legend_label, window.step),
                    status: PanelStatus::Live,
                    warnings: answer.warnings,
                    updated_at_ms: now_ms,
                };
                self.remember(key.clone(), &data);
                data
            }
            Err(reason) => {
                tracing::warn!(panel = %panel.panel, %reason, "panel query failed");
                match self.last_good(&key) {
                    Some(mut last) => {
                        last.status = PanelStatus::Stale { reason };
                        last
                    }
                    None => PanelData {
                        panel: panel.clone(),
                        title: spec.title.to_string(),
                        unit: spec.unit,
                        window,
                        series: Vec::new(),
                        status: PanelStatus::Error { message: reason },
                        warnings: Vec::new(),
                        updated_at_ms: now_ms,
                    },
                }
            }
        };
        data
    }

    fn remember(&self, key: PanelKey, data: &PanelData) {
        if let Ok(mut map) = self.last_good.lock() {
            map.insert(key, data.clone());
        }
    }

    fn last_good(&self, key: &PanelKey) -> Option<PanelData> {
        self.last_good.lock().ok()?.get(key).cloned()
    }
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Range-query series as chart series: legend names from a label, NaN/±Inf and
/// missing steps as gaps, sorted by name so colours stay put between refreshes.
pub fn to_series(data: QueryData, legend_label: &str, step: i64) -> Vec<Series> {
    let QueryData::Matrix(matrix) = data else {
        return Vec::new();
    };
    let mut series: Vec<Series> = matrix
        .into_iter()
        .map(|s| one_series(s, legend_label, step))
        .collect();
    series.sort_by(|a, b| a.name.cmp(&b.name));
    series
}

fn one_series(s: RangeSeries, legend_label: &str, step: i64) -> Series {
    let name = s.metric.get(legend_label).cloned().unwrap_or_else(|| {
        let labels: Vec<String> = s.metric.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
        format!("{{{}}}", labels.join(", "))
    });
    let mut points = Vec::with_capacity(s.values.len());
    let mut previous: Option<i64> = None;
    for sample in s.values {
        let t = sample.timestamp.round() as i64;
        if previous.is_some_and(|p| t - p > step + step / 2) {
            points.push(Point(previous.unwrap_or(t) + step, None));
        }
        points.push(Point(t, sample.value.is_finite().then_some(sample.value)));
        previous = Some(t);
    }
    Series { name, points }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prometheus::Sample;

    #[test]
    fn windows_stay_far_below_the_point_limit_and_align_to_the_step() {
        let now = 1_795_356_309;
        for range in RelativeRange::ALL {
            let w = window_for(range, now);
            let points = (w.end - w.start) / w.step + 1;
            assert!(points <= 11_000, "{range}: {points}");
            assert!(points <= TARGET_POINTS + 1, "{range}: {points}");
            assert_eq!(w.end % w.step, 0);
            assert_eq!(w.end - w.start, range.seconds());
            assert!(w.end <= now && now - w.end < w.step);
        }
        assert_eq!(window_for(RelativeRange::M15, now).step, 5);
        assert_eq!(window_for(RelativeRange::D7, now).step, 1800);
    }

    #[test]
    fn gaps_and_special_values_become_breaks() {
        let s = RangeSeries {
            metric: [("service".to_string(), "a".to_string())].into(),
            values: vec![
                Sample {
                    timestamp: 0.0,
                    value: 1.0,
                },
                Sample {
                    timestamp: 10.0,
                    value: f64::NAN,
                },
                Sample {
                    timestamp: 20.0,
                    value: 2.0,
                },
                Sample {
                    timestamp: 60.0,
                    value: 3.0,
                },
            ],
        };
        let out = one_series(s, "service", 10);
        assert_eq!(out.name, "a");
        assert_eq!(
            out.points,
            vec![
                Point(0, Some(1.0)),
                Point(10, None),
                Point(20, Some(2.0)),
                Point(30, None),
                Point(60, Some(3.0))
            ]
        );
    }
}
