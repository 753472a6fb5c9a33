//! Panels: which queries a panel runs, and how the answers become panel data.
//!
//! A panel's queries come from its dashboard file; the only parts of a request
//! that enter one are the variables' values, through `query::build`. Loads of
//! the same panel, range and filter that overlap share one set of queries, and
//! range queries of relative ranges refresh incrementally: only the steps that
//! are new since the last answer are fetched.

pub mod downsample;
mod window;

use std::{
    collections::{BTreeMap, HashMap},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
};

use app::model::{
    PanelData, PanelKind, PanelRef, PanelStatus, Point, RangeWindow, Row, Series, TimeRange,
};
use futures::future::{join_all, BoxFuture};
use tokio::sync::OnceCell;

pub use window::{points_for, window_for, MAX_POINTS};

use crate::{
    conventions::{Discovered, Discovery, HttpConvention},
    dashboards::{Dashboard, Dashboards, Panel, PanelSource, QueryTemplate, VariableKind},
    prometheus::{PrometheusClient, QueryData, RangeQuery},
    query::{self, Filter, Placeholders},
};

type Labels = BTreeMap<String, String>;
type PanelKey = (PanelRef, TimeRange, Filter);
/// A series as fetched: its labels and `(time, value)` samples, gaps as `None`.
type RawSeries = (Labels, Vec<(i64, Option<f64>)>);

/// Why a request about a dashboard could not even be attempted (a panel that
/// fails to load is not an error: it is a panel state).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LoadError {
    #[error("no such dashboard")]
    NoDashboard,
    /// No such dashboard, because its file has a mistake.
    #[error("{prefix}: {0}", prefix = app::model::BROKEN_FILE)]
    BrokenFile(app::model::FileProblem),
    #[error("no such panel on this dashboard")]
    NoPanel,
    #[error("no such variable on this dashboard")]
    NoVariable,
    /// The data source failed; its own message, without addresses.
    #[error("{0}")]
    Upstream(String),
}

impl From<LoadError> for crate::error::Error {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::Upstream(message) => Self::unavailable(message),
            LoadError::NoDashboard
            | LoadError::BrokenFile(_)
            | LoadError::NoPanel
            | LoadError::NoVariable => Self::not_found(e.to_string()),
        }
    }
}

/// Counts the firing alerts as the Alerts page lists them, for panels with
/// `source = "alerts"` (so a dashboard's count and the navigation's badge are
/// one number). Given by whoever holds the alert sources (`state.rs`).
pub trait FiringAlerts: Send + Sync {
    /// Those about `services` (empty: all).
    fn count<'a>(&'a self, services: &'a [String]) -> BoxFuture<'a, Result<usize, String>>;
}

/// What the panel service has cost Prometheus, for `/metrics` and benchmarks.
#[derive(Debug, Default)]
pub struct Stats {
    pub queries: AtomicU64,
    /// Samples received in range-query answers.
    pub samples: AtomicU64,
}

/// Answers kept per range query for incremental refreshes; beyond this many the
/// least recently used go.
const MAX_CACHED_RANGES: usize = 512;
/// Last good answers kept for outages; beyond this many the oldest go.
const MAX_LAST_GOOD: usize = 1024;

/// One range query's answer so far, for fetching only what is new.
struct CachedRange {
    window: RangeWindow,
    series: Vec<RawSeries>,
    used: std::time::Instant,
}

/// Loads panel data from Prometheus and remembers the last good answer of each,
/// so an outage shows stale data instead of nothing.
pub struct PanelService {
    prometheus: PrometheusClient,
    dashboards: Dashboards,
    /// What Prometheus holds: fills the templates' service label and HTTP
    /// convention, and names what an empty panel lacks.
    discovery: Discovery,
    /// The last good answer of each view of a panel, bounded in count.
    last_good: moka::sync::Cache<PanelKey, PanelData>,
    /// Loads under way: a second caller for the same key waits for the first
    /// one's answer instead of sending the same queries again. Not a moka
    /// cache: it keeps nothing once a load is done (the next refresh must ask
    /// Prometheus again), and moka's `get_with` would keep the answer.
    in_flight: Mutex<HashMap<PanelKey, Arc<OnceCell<PanelData>>>>,
    ranges: Mutex<HashMap<String, CachedRange>>,
    /// Each variable's values (and Prometheus' warnings), or why they could
    /// not be had, for a few seconds: a page asks while its panels load and
    /// its picker asks again once they are drawn, and both get one answer
    /// (an error too, so a stalled Prometheus costs a page one timeout).
    variable_values: moka::future::Cache<(String, String), VariableValues>,
    incremental: bool,
    /// For `source = "alerts"` panels; set once the alert sources exist.
    firing_alerts: std::sync::OnceLock<Arc<dyn FiringAlerts>>,
    pub stats: Stats,
}

type VariableValues = Result<Arc<(Vec<String>, Vec<String>)>, LoadError>;

/// How long a variable's values are kept.
const VARIABLE_VALUES_FOR: std::time::Duration = std::time::Duration::from_secs(10);

impl PanelService {
    pub fn new(prometheus: PrometheusClient, dashboards: Dashboards) -> Self {
        Self {
            discovery: Discovery::new(prometheus.clone(), None),
            prometheus,
            dashboards,
            last_good: moka::sync::Cache::new(MAX_LAST_GOOD as u64),
            in_flight: Mutex::new(HashMap::new()),
            ranges: Mutex::new(HashMap::new()),
            variable_values: moka::future::Cache::builder()
                .max_capacity(1024)
                .time_to_live(VARIABLE_VALUES_FOR)
                .build(),
            incremental: true,
            firing_alerts: std::sync::OnceLock::new(),
            stats: Stats::default(),
        }
    }

    /// The label that names a service, when the operator set it
    /// (`service_label`); found from Prometheus otherwise.
    pub fn with_service_label(mut self, label: Option<String>) -> Self {
        self.discovery = Discovery::new(self.prometheus.clone(), label);
        self
    }

    /// Where `source = "alerts"` panels get their count (set once).
    pub fn count_alerts_with(&self, firing: Arc<dyn FiringAlerts>) {
        let _ = self.firing_alerts.set(firing);
    }

    /// What Prometheus holds, as of the latest look.
    pub async fn discovered(&self) -> Arc<Discovered> {
        self.discovery.current().await
    }

    /// Always fetch whole ranges (for the benchmark that compares the two).
    pub fn without_incremental_refresh(mut self) -> Self {
        self.incremental = false;
        self
    }

    pub fn dashboards(&self) -> &Dashboards {
        &self.dashboards
    }

    /// The dashboard as it is now (files may change between calls).
    pub fn dashboard(&self, id: &str) -> Result<Arc<Dashboard>, LoadError> {
        let catalog = self.dashboards.catalog();
        catalog.get(id).ok_or_else(|| match catalog.problem_of(id) {
            Some(problem) => LoadError::BrokenFile(problem),
            None => LoadError::NoDashboard,
        })
    }

    /// What a dashboard's variable may be set to: the label values of its
    /// metric, sorted, with Prometheus' warnings.
    pub async fn variable_values(
        &self,
        dashboard: &str,
        variable: &str,
    ) -> Result<(Vec<String>, Vec<String>), LoadError> {
        let board = self.dashboard(dashboard)?;
        let variable = board.variable(variable).ok_or(LoadError::NoVariable)?;
        let key = (dashboard.to_string(), variable.name.clone());
        let load = async {
            let (values_from, regex) = match &variable.kind {
                VariableKind::Query { values_from, regex } => (values_from, regex),
                VariableKind::Custom { values } | VariableKind::Interval { values, .. } => {
                    return Ok(Arc::new((values.clone(), Vec::new())));
                }
                VariableKind::TextBox { .. } => return Ok(Arc::new((Vec::new(), Vec::new()))),
                VariableKind::Constant { value } => {
                    return Ok(Arc::new((vec![value.clone()], Vec::new())));
                }
            };
            // The label and metric may be placeholders: the values of every
            // convention present, together.
            let discovered = self.discovery.current().await;
            let text = format!("{} {}", variable.label, values_from);
            let asks = discovered.expansions(&text).into_iter().map(|way| {
                let placeholders = Placeholders {
                    names: way.names,
                    ..Placeholders::default()
                };
                let label = query::fill(&variable.label, &placeholders, "");
                let metric = query::fill(values_from, &placeholders, "");
                async move {
                    self.prometheus
                        .label_values(&label, &[metric.as_str()])
                        .await
                }
            });
            let mut values = Vec::new();
            let mut warnings = Vec::new();
            for answer in join_all(asks).await {
                let answer = answer.map_err(|e| LoadError::Upstream(e.logged_for_viewers()))?;
                values.extend(answer.data);
                warnings.extend(answer.warnings);
            }
            if let Some(regex) = regex {
                // Grafana's rule: only matching values; the first group, if
                // the regex has one, is the value offered.
                values = values
                    .into_iter()
                    .filter_map(|v| {
                        let c = regex.captures(&v)?;
                        Some(c.get(1).map_or(v.clone(), |g| g.as_str().to_string()))
                    })
                    .filter(|v| !v.is_empty())
                    .collect();
            }
            values.sort();
            values.dedup();
            Ok(Arc::new((values, warnings)))
        };
        let loaded = self.variable_values.get_with(key, load).await?;
        Ok((*loaded).clone())
    }

    /// Starts loading every variable's values of `board` (a page does while
    /// its panels load, so its pickers find them ready).
    pub async fn preload_variable_values(&self, board: &Dashboard) {
        join_all(
            board
                .variables
                .iter()
                .map(|v| self.variable_values(board.id(), &v.name)),
        )
        .await;
    }

    /// One load per panel of `board`, in the file's order: pages join them,
    /// the hub sends each as it finishes.
    pub fn panel_loads<'a>(
        &'a self,
        board: &'a Dashboard,
        range: TimeRange,
        filter: &'a Filter,
    ) -> Vec<impl std::future::Future<Output = Result<PanelData, LoadError>> + Send + 'a> {
        board
            .panels
            .iter()
            .map(move |p| {
                let panel = PanelRef {
                    dashboard: board.id().to_string(),
                    panel: p.view.id.clone(),
                };
                async move { self.load(&panel, range, filter).await }
            })
            .collect()
    }

    /// The panel's data now. Identical loads that overlap share one set of
    /// queries. A failing query is not an error here: it is a panel state the
    /// page shows.
    pub async fn load(
        &self,
        panel: &PanelRef,
        range: TimeRange,
        filter: &Filter,
    ) -> Result<PanelData, LoadError> {
        let dashboard = self.dashboard(&panel.dashboard)?;
        let spec = dashboard.panel(&panel.panel).ok_or(LoadError::NoPanel)?;
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
        Ok(data)
    }

    async fn fetch(&self, spec: &Panel, key: PanelKey) -> PanelData {
        let (panel, range, filter) = (&key.0, key.1, &key.2);
        let now_ms = crate::clock::now_ms();
        let now = now_ms / 1000;
        let window = window_for(range, now, points_for(spec.view.width));
        let placeholders = Placeholders {
            rate_interval: rate_interval(window.step),
            range: format!("{}s", range.seconds()),
            range_seconds: range.seconds().to_string(),
            step_ms: (window.step * 1000).to_string(),
            names: Vec::new(),
        };
        match spec.source {
            PanelSource::Alerts => return self.alert_count(spec, &key, window, now_ms).await,
            PanelSource::Content => return content_only(spec, &key, window, now_ms),
            PanelSource::Prometheus => {}
        }
        let discovered = self.discovery.current().await;
        let instant_at = match range {
            TimeRange::Relative(_) => now,
            TimeRange::Absolute { to, .. } => to,
        };
        let answers = join_all(spec.queries.iter().map(|template| {
            self.run_each_way(
                template,
                &placeholders,
                &discovered,
                filter,
                spec.view.kind,
                window,
                instant_at,
                range.is_relative(),
            )
        }))
        .await;

        let mut series = Vec::new();
        let mut rows: BTreeMap<String, Vec<Option<f64>>> = BTreeMap::new();
        let mut warnings = Vec::new();
        let mut failures = Vec::new();
        let many = spec.queries.len() > 1;
        let mut selected = Vec::new();
        for (i, answer) in answers.into_iter().enumerate() {
            match answer {
                Ok((found, w, metrics)) => {
                    warnings.extend(w);
                    selected.extend(metrics);
                    if spec.view.kind == PanelKind::Table {
                        for s in found {
                            let cells = rows
                                .entry(s.name)
                                .or_insert_with(|| vec![None; spec.queries.len()]);
                            cells[i] = s.points.last().and_then(|p| p.1);
                        }
                    } else {
                        series.extend(found);
                    }
                }
                Err(reason) if many => failures.push(format!("query {}: {reason}", i + 1)),
                Err(reason) => failures.push(reason),
            }
        }
        let all_failed = failures.len() == spec.queries.len();
        if !all_failed && !failures.is_empty() {
            // Some queries answered: show what there is and say what is missing.
            warnings.extend(failures.iter().cloned());
        }
        if all_failed {
            let reason = failures.join("; ");
            tracing::warn!(panel = %panel.panel, %reason, "panel queries failed");
            return match self.last_good(&key) {
                Some(mut last) => {
                    last.status = PanelStatus::Stale { reason };
                    last
                }
                None => PanelData {
                    panel: panel.clone(),
                    view: spec.view.clone(),
                    window,
                    series: Vec::new(),
                    rows: Vec::new(),
                    status: PanelStatus::Error { message: reason },
                    warnings: Vec::new(),
                    updated_at_ms: now_ms,
                    missing: Vec::new(),
                },
            };
        }
        // A relative range reaches its refresh's time: the live edge's point
        // (see `run`) is inside the window.
        let shown = match range {
            TimeRange::Relative(_) => RangeWindow {
                end: now.max(window.end),
                ..window
            },
            TimeRange::Absolute { .. } => window,
        };
        let data = PanelData {
            panel: panel.clone(),
            view: spec.view.clone(),
            window: shown,
            series,
            rows: rows
                .into_iter()
                .map(|(key, values)| Row { key, values })
                .collect(),
            status: PanelStatus::Live,
            warnings,
            updated_at_ms: now_ms,
            missing: Vec::new(),
        };
        let data = match data.is_empty() {
            true => {
                let templates: Vec<&str> = spec.queries.iter().map(|q| q.expr.as_str()).collect();
                selected.sort();
                selected.dedup();
                PanelData {
                    missing: discovered.missing(&templates, &selected),
                    ..data
                }
            }
            false => data,
        };
        self.remember(key.clone(), &data);
        data
    }

    /// A `source = "alerts"` panel: one series, `firing`, of one point (now).
    async fn alert_count(
        &self,
        spec: &Panel,
        key: &PanelKey,
        window: RangeWindow,
        now_ms: i64,
    ) -> PanelData {
        let (panel, filter) = (&key.0, &key.2);
        // The built-ins narrow `$service_label`; a hand-written file may say `service`.
        let services: Vec<String> = filter
            .get("$service_label")
            .or_else(|| filter.get("service"))
            .map(|v| v.values().to_vec())
            .unwrap_or_default();
        let counted = match self.firing_alerts.get() {
            Some(firing) => firing.count(&services).await,
            None => Err("alerts are not counted here".to_string()),
        };
        let (series, status) = match counted {
            Ok(n) => (
                vec![Series {
                    name: "firing".into(),
                    points: vec![Point(now_ms / 1000, Some(n as f64))],
                }],
                PanelStatus::Live,
            ),
            Err(message) => (Vec::new(), PanelStatus::Error { message }),
        };
        PanelData {
            panel: panel.clone(),
            view: spec.view.clone(),
            window,
            series,
            rows: Vec::new(),
            status,
            warnings: Vec::new(),
            updated_at_ms: now_ms,
            missing: Vec::new(),
        }
    }

    /// One query of a panel, filled each way `discovered` gives (once per
    /// HTTP convention present for an HTTP template, else once): its series
    /// together, its warnings, and the metric names it selected.
    #[allow(clippy::too_many_arguments)]
    async fn run_each_way(
        &self,
        template: &QueryTemplate,
        placeholders: &Placeholders,
        discovered: &Discovered,
        filter: &Filter,
        kind: PanelKind,
        window: RangeWindow,
        instant_at: i64,
        relative: bool,
    ) -> Result<(Vec<Series>, Vec<String>, Vec<String>), String> {
        let runs = discovered
            .expansions(&template.expr)
            .into_iter()
            .map(|way| {
                let placeholders = Placeholders {
                    names: way.names,
                    ..placeholders.clone()
                };
                let mut filter = filter.resolved(&placeholders);
                filter.exclude(&discovered.service_label, way.exclude);
                let legend = template
                    .legend
                    .as_deref()
                    .map(|l| query::fill(l, &placeholders, ""));
                let built = query::build(&template.expr, &placeholders, &filter);
                async move {
                    let built = built.map_err(|error| {
                        // A template or escaping bug: never send it, and say little to viewers.
                        tracing::error!(%error, "query refused");
                        "this panel's query could not be built".to_string()
                    })?;
                    let (series, warnings) = self
                        .run(
                            &built,
                            legend.as_deref(),
                            kind,
                            window,
                            instant_at,
                            relative,
                        )
                        .await?;
                    Ok::<_, String>((
                        series,
                        warnings,
                        query::metric_names(&built),
                        way.convention,
                    ))
                }
            });
        let mut answered: Vec<(Vec<Series>, Option<HttpConvention>)> = Vec::new();
        let mut warnings = Vec::new();
        let mut metrics = Vec::new();
        let mut failures = Vec::new();
        for run in join_all(runs).await {
            match run {
                Ok((series, w, names, convention)) => {
                    warnings.extend(w);
                    metrics.extend(names);
                    answered.push((series, convention));
                }
                Err(reason) => failures.push(reason),
            }
        }
        if answered.is_empty() && !failures.is_empty() {
            return Err(failures.join("; "));
        }
        warnings.extend(failures);
        Ok((merged(answered), warnings, metrics))
    }

    /// One built query, as named series (an instant answer gives one point each).
    async fn run(
        &self,
        built: &str,
        legend: Option<&str>,
        kind: PanelKind,
        window: RangeWindow,
        instant_at: i64,
        relative: bool,
    ) -> Result<(Vec<Series>, Vec<String>), String> {
        if kind.is_instant() {
            self.stats.queries.fetch_add(1, Ordering::Relaxed);
            let answer = self
                .prometheus
                .query(built, Some(instant_at))
                .await
                .map_err(|e| e.logged_for_viewers())?;
            let series = match answer.data {
                QueryData::Vector(v) => v
                    .into_iter()
                    .map(|s| Series {
                        name: legend_for(legend, &s.metric),
                        points: vec![Point(
                            s.value.timestamp.round() as i64,
                            chart_value(s.value.value),
                        )],
                    })
                    .collect(),
                QueryData::Scalar(s) => vec![Series {
                    name: legend_for(legend, &Labels::new()),
                    points: vec![Point(s.timestamp.round() as i64, chart_value(s.value))],
                }],
                _ => Vec::new(),
            };
            return Ok((sorted(series), answer.warnings));
        }
        // The live edge: the steps end at the last whole one, which on a
        // coarse step (an hour on 7 d) is up to a step old; the query at the
        // refresh's own time is the newest point, replaced as the step fills.
        let edge_at = (relative && instant_at > window.end).then_some(instant_at);
        let (ranged, edge) = futures::join!(self.range(built, window, relative), async {
            match edge_at {
                Some(at) => Some(self.edge(built, at).await),
                None => None,
            }
        });
        let (mut raw, warnings) = ranged?;
        // Without the edge (it failed) the steps are still the answer.
        if let (Some(at), Some(Ok(edge))) = (edge_at, edge) {
            for (labels, value) in edge {
                match raw.iter_mut().find(|(l, _)| *l == labels) {
                    Some((_, points)) => points.push((at, value)),
                    None => raw.push((labels, vec![(at, value)])),
                }
            }
        }
        let series = raw
            .into_iter()
            .map(|(labels, points)| Series {
                name: legend_for(legend, &labels),
                points: with_gaps(points, window.step),
            })
            .collect();
        Ok((sorted(series), warnings))
    }

    /// A range query's expression at one instant: the series' labels and values.
    async fn edge(&self, built: &str, at: i64) -> Result<Vec<(Labels, Option<f64>)>, String> {
        self.stats.queries.fetch_add(1, Ordering::Relaxed);
        let answer = self
            .prometheus
            .query(built, Some(at))
            .await
            .map_err(|e| e.logged_for_viewers())?;
        Ok(match answer.data {
            QueryData::Vector(v) => v
                .into_iter()
                .map(|s| (s.metric, chart_value(s.value.value)))
                .collect(),
            _ => Vec::new(),
        })
    }

    /// A range query's series over `window`, fetching only the new steps when an
    /// earlier answer for the same query and step covers the rest.
    async fn range(
        &self,
        query: &str,
        window: RangeWindow,
        relative: bool,
    ) -> Result<(Vec<RawSeries>, Vec<String>), String> {
        // Taken out, not copied: the merged answer goes back in below. If this
        // fetch fails, the next one starts afresh with a full range.
        let cached = if self.incremental && relative {
            let mut ranges = self.ranges.lock().unwrap_or_else(|e| e.into_inner());
            ranges.remove(query).and_then(|c| {
                let w = c.window;
                (w.step == window.step
                    && w.start <= window.start
                    && w.end >= window.start
                    && w.end <= window.end)
                    .then_some((w, c.series))
            })
        } else {
            None
        };
        // Re-fetch the newest cached step too: its samples may have landed late.
        let from = cached.as_ref().map(|(w, _)| w.end).unwrap_or(window.start);
        self.stats.queries.fetch_add(1, Ordering::Relaxed);
        let answer = self
            .prometheus
            .query_range(&RangeQuery {
                query: query.to_string(),
                start: from,
                end: window.end,
                step: window.step,
            })
            .await
            .map_err(|e| e.logged_for_viewers())?;
        let QueryData::Matrix(matrix) = answer.data else {
            return Ok((Vec::new(), answer.warnings));
        };
        let fetched: usize = matrix.iter().map(|s| s.values.len()).sum();
        self.stats
            .samples
            .fetch_add(fetched as u64, Ordering::Relaxed);

        let mut series: Vec<RawSeries> = match cached {
            Some((_, old)) => old
                .into_iter()
                .map(|(labels, points)| {
                    let kept = points
                        .into_iter()
                        .filter(|(t, _)| *t >= window.start && *t < from)
                        .collect();
                    (labels, kept)
                })
                .collect(),
            None => Vec::new(),
        };
        for s in matrix {
            let points = s
                .values
                .iter()
                .map(|v| {
                    let t = v.timestamp.round() as i64;
                    (t, chart_value(v.value))
                })
                .collect::<Vec<_>>();
            match series.iter_mut().find(|(labels, _)| *labels == s.metric) {
                Some((_, existing)) => existing.extend(points),
                None => series.push((s.metric, points)),
            }
        }
        series.retain(|(_, points)| !points.is_empty());

        if self.incremental && relative {
            let mut ranges = self.ranges.lock().unwrap_or_else(|e| e.into_inner());
            if ranges.len() >= MAX_CACHED_RANGES && !ranges.contains_key(query) {
                if let Some(oldest) = ranges
                    .iter()
                    .min_by_key(|(_, c)| c.used)
                    .map(|(k, _)| k.clone())
                {
                    ranges.remove(&oldest);
                }
            }
            ranges.insert(
                query.to_string(),
                CachedRange {
                    window,
                    series: series.clone(),
                    used: std::time::Instant::now(),
                },
            );
        }
        Ok((series, answer.warnings))
    }

    fn remember(&self, key: PanelKey, data: &PanelData) {
        self.last_good.insert(key, data.clone());
    }

    fn last_good(&self, key: &PanelKey) -> Option<PanelData> {
        self.last_good.get(key)
    }
}

/// A panel whose file holds what it shows (a text panel): nothing to ask.
fn content_only(spec: &Panel, key: &PanelKey, window: RangeWindow, now_ms: i64) -> PanelData {
    PanelData {
        panel: key.0.clone(),
        view: spec.view.clone(),
        window,
        series: Vec::new(),
        rows: Vec::new(),
        status: PanelStatus::Live,
        warnings: Vec::new(),
        updated_at_ms: now_ms,
        missing: Vec::new(),
    }
}

/// A `rate()` window that covers at least two steps and a few scrapes.
fn rate_interval(step: i64) -> String {
    format!("{}s", (2 * step).max(60))
}

/// The series of each convention's answer together; where two conventions
/// give series of one name (totals), each is told by its convention.
fn merged(answered: Vec<(Vec<Series>, Option<HttpConvention>)>) -> Vec<Series> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (series, _) in &answered {
        for s in series {
            *seen.entry(s.name.clone()).or_default() += 1;
        }
    }
    let mut out = Vec::new();
    for (series, convention) in answered {
        for mut s in series {
            if let (Some(c), Some(2..)) = (convention, seen.get(&s.name)) {
                s.name = format!("{} ({})", s.name, c.spec().short);
            }
            out.push(s);
        }
    }
    sorted(out)
}

fn sorted(mut series: Vec<Series>) -> Vec<Series> {
    // By name, so colours stay put between refreshes.
    series.sort_by(|a, b| a.name.cmp(&b.name));
    series
}

/// The legend of a series: `{{label}}` parts replaced by its label values, or
/// all its labels when the panel gives no legend.
pub fn legend_for(format: Option<&str>, labels: &Labels) -> String {
    match format {
        Some(format) => {
            let mut out = String::with_capacity(format.len());
            let mut rest = format;
            while let Some(i) = rest.find("{{") {
                out.push_str(&rest[..i]);
                let after = &rest[i + 2..];
                match after.find("}}") {
                    Some(end) => {
                        let name = after[..end].trim();
                        out.push_str(labels.get(name).map(String::as_str).unwrap_or(""));
                        rest = &after[end + 2..];
                    }
                    None => {
                        rest = after;
                    }
                }
            }
            out.push_str(rest);
            out
        }
        None => {
            let shown: Vec<String> = labels
                .iter()
                .filter(|(k, _)| k.as_str() != "__name__")
                .map(|(k, v)| format!("{k}={v:?}"))
                .collect();
            if shown.is_empty() {
                "value".into()
            } else {
                format!("{{{}}}", shown.join(", "))
            }
        }
    }
}

/// A sample as charts get it: `None` for NaN and ±Inf (a gap), and six
/// significant digits, more than any chart or label shows. Prometheus answers
/// with seventeen; the extra digits were a third of a dashboard page's bytes.
fn chart_value(v: f64) -> Option<f64> {
    if !v.is_finite() {
        return None;
    }
    if v == 0.0 {
        return Some(0.0);
    }
    let digits = 5 - v.abs().log10().floor() as i32;
    // Near the ends of f64's range the scale itself would not be exact.
    if !(-290..=290).contains(&digits) {
        return Some(v);
    }
    let rounded = if digits >= 0 {
        let scale = 10f64.powi(digits);
        (v * scale).round() / scale
    } else {
        let scale = 10f64.powi(-digits);
        (v / scale).round() * scale
    };
    Some(if rounded.is_finite() { rounded } else { v })
}

/// Chart points with a `None` wherever steps are missing, so lines break
/// instead of bridging the hole.
fn with_gaps(raw: Vec<(i64, Option<f64>)>, step: i64) -> Vec<Point> {
    let mut points = Vec::with_capacity(raw.len());
    let mut previous: Option<i64> = None;
    for (t, v) in raw {
        if let Some(p) = previous {
            if t - p > step + step / 2 {
                points.push(Point(p + step, None));
            }
        }
        points.push(Point(t, v));
        previous = Some(t);
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_values_keep_six_significant_digits_and_gaps() {
        assert_eq!(chart_value(2.713_333_333_333_333_4), Some(2.71333));
        assert_eq!(chart_value(0.000_123_456_789), Some(0.000_123_457));
        assert_eq!(chart_value(-98_765_432.1), Some(-98_765_400.0));
        assert_eq!(chart_value(1e300), Some(1e300));
        assert_eq!(chart_value(5e-324), Some(5e-324));
        assert_eq!(chart_value(123_456_789_012.0), Some(123_457_000_000.0));
        assert_eq!(chart_value(0.0), Some(0.0));
        assert_eq!(chart_value(f64::NAN), None);
        assert_eq!(chart_value(f64::INFINITY), None);
        assert_eq!(
            serde_json::to_string(&chart_value(1.0 / 3.0)).unwrap(),
            "0.333333"
        );
    }

    #[test]
    fn gaps_and_special_values_become_breaks() {
        let out = with_gaps(
            vec![(0, Some(1.0)), (10, None), (20, Some(2.0)), (60, Some(3.0))],
            10,
        );
        assert_eq!(
            out,
            vec![
                Point(0, Some(1.0)),
                Point(10, None),
                Point(20, Some(2.0)),
                Point(30, None),
                Point(60, Some(3.0))
            ]
        );
    }

    #[test]
    fn legends_fill_labels_and_never_interpret_them() {
        let labels: Labels = [
            ("service".to_string(), "<b>api</b>".to_string()),
            ("endpoint".to_string(), "/x".to_string()),
        ]
        .into();
        assert_eq!(
            legend_for(Some("{{service}} {{ endpoint }} {{missing}}!"), &labels),
            "<b>api</b> /x !"
        );
        assert_eq!(
            legend_for(None, &labels),
            "{endpoint=\"/x\", service=\"<b>api</b>\"}"
        );
        assert_eq!(legend_for(None, &Labels::new()), "value");
    }
}
