//! The dashboard file format (TOML) and its validation.
//!
//! A file is one dashboard; its name (without `.toml`) is the dashboard's id.
//! Every mistake is reported with the file, the field and the reason, and a file
//! with a mistake is never half-loaded. `docs/dashboards.md` describes the format.

use std::collections::HashSet;

use app::model::{
    ColumnView, DashboardView, DrillDown, Level, PanelKind, PanelView, Picker, ThresholdStep,
    Thresholds, Unit, VariableView,
};
use serde::{Deserialize, Serialize};

use super::{AnnotationRule, Dashboard, Panel, PanelSource, QueryTemplate, Variable, VariableKind};
use crate::{
    conventions::{self, Discovered, HttpConvention},
    query::{self, Filter, FilterValues, Placeholders},
};

pub use app::model::FileProblem;

/// Query-string keys that are not variables.
pub use app::model::RESERVED_KEYS as RESERVED;
const MAX_PANELS: usize = 64;
const MAX_QUERIES: usize = 8;
const MAX_VARIABLES: usize = 8;

// The file format; `Serialize` too, for files Vantage writes itself (`vantage import`).
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DashboardFile {
    pub title: String,
    #[serde(default)]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<VariableFile>,
    #[serde(default)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub panels: Vec<PanelFile>,
    /// `"service"`, `"all"`, `"none"` or `{ labels = { … } }`; by default
    /// `"service"` when a variable narrows the service label, else `"none"`.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<AnnotationsFile>,
    /// The range it opens with when a link names none: 15m, 1h, 6h, 24h or 7d.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<String>,
    /// Its refresh when a link names none: 5s, 10s, 30s, 1m or off.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh: Option<String>,
}

#[derive(Deserialize, Serialize)]
#[serde(untagged)]
pub enum AnnotationsFile {
    Word(String),
    Labels {
        labels: std::collections::BTreeMap<String, String>,
    },
}

#[derive(Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct VariableFile {
    pub name: String,
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `query` (the default), `custom`, `textbox`, `interval` or `constant`.
    #[serde(default)]
    #[serde(skip_serializing_if = "VariableKindName::is_query")]
    pub kind: VariableKindName,
    /// The Prometheus label it narrows; defaults to the name.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// query: the metric (or selector) whose label values fill the picker.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values_from: Option<String>,
    /// query: only values this regex matches; its first group, if any, is the value.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// custom and interval: the values offered.
    #[serde(default)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// interval and textbox: the value when the URL sets none.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// constant: its value.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

#[derive(Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum VariableKindName {
    #[default]
    Query,
    Custom,
    Textbox,
    Interval,
    Constant,
}

impl VariableKindName {
    fn is_query(&self) -> bool {
        *self == Self::Query
    }
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PanelFile {
    pub id: String,
    pub title: String,
    #[serde(default)]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub kind: PanelKind,
    #[serde(default)]
    pub unit: Unit,
    /// Digits after the point of the values shown (0 to 6).
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decimals: Option<u8>,
    #[serde(default = "default_width")]
    pub width: u8,
    #[serde(default = "default_height")]
    pub height: u8,
    #[serde(default = "default_priority")]
    pub priority: u8,
    #[serde(default)]
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stacked: bool,
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thresholds: Option<ThresholdsFile>,
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(default)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub queries: Vec<QueryFile>,
    /// `"alerts"`: the firing alerts as the Alerts page counts them, instead
    /// of queries.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<LinkFile>,
    /// A text panel's Markdown (raw HTML in it stays text).
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

fn default_width() -> u8 {
    6
}
fn default_height() -> u8 {
    1
}
fn default_priority() -> u8 {
    50
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdsFile {
    #[serde(default)]
    pub base: Level,
    #[serde(default)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<StepFile>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StepFile {
    pub value: f64,
    pub level: Level,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct QueryFile {
    pub expr: String,
    /// `{{label}}` parts are replaced by the series' label values.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legend: Option<String>,
    /// A table's column heading.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// A table column's unit, if not the panel's.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<Unit>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LinkFile {
    pub title: String,
    pub dashboard: String,
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub series_variable: Option<String>,
}

/// Parses and checks one file. `file` names it in messages; `id` is its stem.
/// The first mistake, if any (`parse_all` has them all).
pub fn parse(file: &str, id: &str, text: &str) -> Result<Dashboard, FileProblem> {
    parse_all(file, id, text).map_err(|mut all| all.swap_remove(0))
}

/// Parses and checks one file, with every mistake found (a syntax error
/// stops the reading, so it comes alone).
pub fn parse_all(file: &str, id: &str, text: &str) -> Result<Dashboard, Vec<FileProblem>> {
    let mut problems: Vec<FileProblem> = Vec::new();
    let err = |field: &str, reason: String| FileProblem::new(file, field, reason);
    if !is_id(id) {
        problems.push(err(
            "(file name)",
            "a dashboard file is named like `my-team.toml`: lowercase letters, digits, - and _"
                .into(),
        ));
    }
    let parsed: DashboardFile = toml::from_str(text).map_err(|e| {
        vec![FileProblem::syntax(
            file,
            text,
            e.span().map(|s| s.start),
            e.message(),
        )]
    })?;

    check_text(&parsed.title, 1, 120).unwrap_or_else(|r| problems.push(err("title", r)));
    let range = parsed.range.as_deref().and_then(|r| {
        r.parse::<app::model::RelativeRange>()
            .map_err(|e| problems.push(err("range", e.to_string())))
            .ok()
    });
    let refresh = parsed.refresh.as_deref().and_then(|r| {
        let parsed = app::model::Refresh::parse(r);
        if parsed.is_none() {
            problems.push(err(
                "refresh",
                format!("{r:?}: use one of 5s, 10s, 30s, 1m, off"),
            ));
        }
        parsed
    });

    if parsed.variables.len() > MAX_VARIABLES {
        problems.push(err("variables", format!("at most {MAX_VARIABLES}")));
    }
    let mut variables = Vec::new();
    for (i, v) in parsed.variables.into_iter().enumerate() {
        let at = |f: &str| format!("variables[{i}].{f}");
        let known = problems.len();
        if !is_variable_name(&v.name) {
            problems.push(err(
                &at("name"),
                format!(
                    "{:?} is not a variable name (lowercase letters, digits and _)",
                    v.name
                ),
            ));
        }
        if RESERVED.contains(&v.name.as_str()) {
            problems.push(err(&at("name"), format!("{:?} is reserved", v.name)));
        }
        if variables.iter().any(|x: &Variable| x.name == v.name) {
            problems.push(err(&at("name"), format!("{:?} is declared twice", v.name)));
        }
        let label = v.label.clone().unwrap_or_else(|| v.name.clone());
        let kind = variable_kind(&v, &mut |field, reason| {
            problems.push(err(&at(field), reason))
        });
        let matcher = matches!(
            v.kind,
            VariableKindName::Query | VariableKindName::Custom | VariableKindName::Textbox
        );
        if matcher && !is_label_name(&label) && !LABEL_PLACEHOLDERS.contains(&label.as_str()) {
            problems.push(err(&at("label"), format!("{label:?} is not a label name")));
        }
        if !matcher {
            if v.label.is_some() {
                problems.push(err(
                    &at("label"),
                    "interval and constant variables fill $name; they narrow no label".into(),
                ));
            }
            let word = format!("${}", v.name);
            if query::PLACEHOLDERS
                .iter()
                .chain(conventions::PLACEHOLDERS)
                .any(|p| **p == word)
            {
                problems.push(err(
                    &at("name"),
                    format!("{word} is one of Vantage's placeholders"),
                ));
            }
        }
        // A broken variable is left out, so the panels' checks do not
        // report it again.
        if let (true, Some(kind)) = (problems.len() == known, kind) {
            variables.push(Variable {
                title: v.title.unwrap_or_else(|| v.name.clone()),
                name: v.name,
                label,
                kind,
            });
        }
    }

    if parsed.panels.is_empty() {
        problems.push(err("panels", "a dashboard needs at least one panel".into()));
    }
    if parsed.panels.len() > MAX_PANELS {
        problems.push(err("panels", format!("at most {MAX_PANELS}")));
    }
    // A filter on every variable, to prove `$filter` sits where matchers may
    // go; `words` alone fills interval and constant variables.
    let mut words = Filter::default();
    for v in &variables {
        match &v.kind {
            VariableKind::Interval { default, .. } => words.set_word(&v.name, default.clone()),
            VariableKind::Constant { value } => words.set_word(&v.name, value.clone()),
            _ => {}
        }
    }
    let mut probe = words.clone();
    for v in variables.iter().filter(|v| v.is_matcher()) {
        probe.insert(
            &v.label,
            FilterValues::new(&v.name, vec!["probe\"}".into()]).expect("a valid probe value"),
        );
    }
    let probe = TemplateProbe {
        words,
        filter: probe,
        matchers: variables
            .iter()
            .filter(|v| v.is_matcher())
            .map(|v| v.name.clone())
            .collect(),
        words_named: variables
            .iter()
            .filter(|v| !v.is_matcher())
            .map(|v| v.name.clone())
            .collect(),
    };
    let mut ids = HashSet::new();
    let mut panels = Vec::new();
    for (i, p) in parsed.panels.into_iter().enumerate() {
        let at = |f: &str| format!("panels[{i}].{f}");
        if !is_id(&p.id) {
            problems.push(err(&at("id"), format!("{:?} is not an id", p.id)));
        }
        if !ids.insert(p.id.clone()) {
            problems.push(err(&at("id"), format!("{:?} is used twice", p.id)));
        }
        check_text(&p.title, 1, 120).unwrap_or_else(|r| problems.push(err(&at("title"), r)));
        if !(1..=12).contains(&p.width) {
            problems.push(err(&at("width"), "between 1 and 12 grid columns".into()));
        }
        if p.decimals.is_some_and(|d| d > 6) {
            problems.push(err(&at("decimals"), "between 0 and 6".into()));
        }
        if !(1..=4).contains(&p.height) {
            problems.push(err(&at("height"), "between 1 and 4 grid rows".into()));
        }
        let thresholds = match p.thresholds {
            None => Thresholds::default(),
            Some(t) => {
                let steps: Vec<ThresholdStep> = t
                    .steps
                    .iter()
                    .map(|s| ThresholdStep {
                        value: s.value,
                        level: s.level,
                    })
                    .collect();
                if steps.iter().any(|s| !s.value.is_finite()) {
                    problems.push(err(
                        &at("thresholds.steps"),
                        "values must be numbers".into(),
                    ));
                }
                if steps.windows(2).any(|w| w[0].value >= w[1].value) {
                    problems.push(err(&at("thresholds.steps"), "values must ascend".into()));
                }
                Thresholds {
                    base: t.base,
                    steps,
                }
            }
        };
        if let (Some(min), Some(max)) = (p.min, p.max) {
            if min.partial_cmp(&max) != Some(std::cmp::Ordering::Less) {
                problems.push(err(&at("max"), "must be above min".into()));
            }
        }
        let source = match p.source.as_deref() {
            None if p.kind == PanelKind::Text => PanelSource::Content,
            None => PanelSource::Prometheus,
            Some("alerts") => {
                if !p.queries.is_empty() || p.kind != PanelKind::Stat {
                    problems.push(err(
                        &at("source"),
                        "source = \"alerts\" is a stat panel without queries".into(),
                    ));
                }
                PanelSource::Alerts
            }
            Some(other) => {
                problems.push(err(
                    &at("source"),
                    format!("{other:?}: the one source besides queries is \"alerts\""),
                ));
                PanelSource::Prometheus
            }
        };
        let text = match (p.kind, &p.content) {
            (PanelKind::Text, Some(content)) => {
                if content.chars().count() > super::markdown::MAX_LEN {
                    problems.push(err(
                        &at("content"),
                        format!("at most {} characters", super::markdown::MAX_LEN),
                    ));
                }
                if !p.queries.is_empty() {
                    problems.push(err(&at("queries"), "a text panel has no queries".into()));
                }
                super::markdown::parse(content)
            }
            (PanelKind::Text, None) => {
                problems.push(err(
                    &at("content"),
                    "a text panel needs content (Markdown)".into(),
                ));
                Vec::new()
            }
            (_, Some(_)) => {
                problems.push(err(&at("content"), "only text panels have content".into()));
                Vec::new()
            }
            (_, None) => Vec::new(),
        };
        if p.queries.is_empty() && source == PanelSource::Prometheus {
            problems.push(err(
                &at("queries"),
                "a panel needs at least one query".into(),
            ));
        }
        if p.queries.len() > MAX_QUERIES {
            problems.push(err(&at("queries"), format!("at most {MAX_QUERIES}")));
        }
        if p.kind == PanelKind::Gauge && p.queries.len() != 1 {
            problems.push(err(
                &at("queries"),
                "a gauge shows exactly one query".into(),
            ));
        }
        let mut queries = Vec::new();
        let mut columns = Vec::new();
        for (j, q) in p.queries.into_iter().enumerate() {
            let at = |f: &str| format!("panels[{i}].queries[{j}].{f}");
            check_template(&q.expr, &probe).unwrap_or_else(|r| problems.push(err(&at("expr"), r)));
            if let Some(legend) = &q.legend {
                check_legend(legend).unwrap_or_else(|r| problems.push(err(&at("legend"), r)));
            }
            if p.kind == PanelKind::Table {
                let title = q.title.clone().unwrap_or_else(|| {
                    problems.push(err(&at("title"), "a table column needs a title".into()));
                    "-".into()
                });
                check_text(&title, 1, 60).unwrap_or_else(|r| problems.push(err(&at("title"), r)));
                columns.push(ColumnView {
                    title,
                    unit: q.unit.unwrap_or(p.unit),
                });
            }
            queries.push(QueryTemplate {
                expr: q.expr,
                legend: q.legend,
            });
        }
        let mut links = Vec::new();
        for (j, l) in p.links.into_iter().enumerate() {
            let at = |f: &str| format!("panels[{i}].links[{j}].{f}");
            check_text(&l.title, 1, 60).unwrap_or_else(|r| problems.push(err(&at("title"), r)));
            if !is_id(&l.dashboard) {
                problems.push(err(
                    &at("dashboard"),
                    format!("{:?} is not an id", l.dashboard),
                ));
            }
            if let Some(v) = &l.series_variable {
                if !is_variable_name(v) {
                    problems.push(err(
                        &at("series_variable"),
                        format!("{v:?} is not a variable name"),
                    ));
                }
            }
            links.push(DrillDown {
                title: l.title,
                dashboard: l.dashboard,
                series_variable: l.series_variable,
            });
        }
        panels.push(Panel {
            view: PanelView {
                id: p.id,
                title: p.title,
                description: p.description,
                kind: p.kind,
                unit: p.unit,
                decimals: p.decimals,
                width: p.width,
                height: p.height,
                priority: p.priority,
                stacked: p.stacked,
                thresholds,
                min: p.min,
                max: p.max,
                columns,
                links,
                text,
            },
            queries,
            source,
        });
    }

    let service_variable = variables
        .iter()
        .find(|v| v.label == "$service_label" || v.label == "service")
        .map(|v| v.label.clone());
    let annotations = match parsed.annotations {
        None => match &service_variable {
            Some(label) => AnnotationRule::ByService {
                label: label.clone(),
            },
            None => AnnotationRule::None,
        },
        Some(AnnotationsFile::Word(word)) => {
            match (word.as_str(), &service_variable) {
                ("none", _) => AnnotationRule::None,
                ("all", _) => AnnotationRule::All,
                ("service", Some(label)) => AnnotationRule::ByService {
                    label: label.clone(),
                },
                ("service", None) => {
                    problems.push(err(
                    "annotations",
                    "\"service\" needs a variable whose label is the service label ($service_label or service)".into(),
                ));
                    AnnotationRule::None
                }
                (other, _) => {
                    problems.push(err(
                    "annotations",
                    format!("{other:?}: use \"service\", \"all\", \"none\" or {{ labels = {{ … }} }}"),
                ));
                    AnnotationRule::None
                }
            }
        }
        Some(AnnotationsFile::Labels { labels }) => {
            if labels.is_empty() || labels.keys().any(|k| !is_label_name(k)) {
                problems.push(err(
                    "annotations.labels",
                    "one or more label = \"value\" pairs".into(),
                ));
            }
            AnnotationRule::Labels(labels)
        }
    };
    let view = DashboardView {
        id: id.to_string(),
        title: parsed.title,
        description: parsed.description,
        variables: variables
            .iter()
            .filter_map(|v| {
                let (picker, default) = match &v.kind {
                    VariableKind::Query { .. } | VariableKind::Custom { .. } => {
                        (Picker::Choices, None)
                    }
                    VariableKind::TextBox { default } => (Picker::Text, default.clone()),
                    VariableKind::Interval { default, .. } => (Picker::One, Some(default.clone())),
                    // Nobody picks a constant.
                    VariableKind::Constant { .. } => return None,
                };
                Some(VariableView {
                    name: v.name.clone(),
                    title: v.title.clone(),
                    picker,
                    default,
                })
            })
            .collect(),
        panels: panels.iter().map(|p| p.view.clone()).collect(),
        problem: None,
        range,
        refresh,
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Dashboard {
        view,
        variables,
        panels,
        annotations,
        folder: None,
    })
}

fn check_text(s: &str, min: usize, max: usize) -> Result<(), String> {
    let n = s.chars().count();
    if n < min || n > max {
        return Err(format!("between {min} and {max} characters"));
    }
    if s.chars().any(char::is_control) {
        return Err("no control characters".into());
    }
    Ok(())
}

/// Placeholders that stand for a label name (a variable's `label`, a legend's
/// `{{…}}`) or a metric name (a variable's `values_from`).
const LABEL_PLACEHOLDERS: &[&str] = &[
    "$service_label",
    "$http_status",
    "$http_method",
    "$http_route",
];
const METRIC_PLACEHOLDERS: &[&str] = &["$http_requests", "$http_duration_bucket"];

/// What templates are checked against: every HTTP convention present, so a
/// template must build for each.
fn every_convention() -> Discovered {
    let found = HttpConvention::ALL
        .into_iter()
        .map(|c| (c, Vec::new(), Vec::new(), true))
        .collect();
    Discovered {
        service_label: "service".into(),
        http: Discovered::assign(found),
        metrics: None,
    }
}

/// The template uses known placeholders only, parses, and takes a filter,
/// filled for every HTTP convention.
/// What a file's templates are checked with: its variables' words, a probe
/// value for every label variable, and which names are which.
struct TemplateProbe {
    words: Filter,
    filter: Filter,
    matchers: Vec<String>,
    words_named: Vec<String>,
}

fn check_template(expr: &str, probe: &TemplateProbe) -> Result<(), String> {
    if expr.len() > 4096 {
        return Err("longer than 4096 bytes".into());
    }
    let mut rest = expr;
    while let Some(i) = rest.find('$') {
        // `$1` and `${1}` are label_replace's group references, inside strings.
        if rest[i + 1..].starts_with(|c: char| c == '{' || c.is_ascii_digit()) {
            rest = &rest[i + 1..];
            continue;
        }
        let word: String = rest[i..]
            .chars()
            .skip(1)
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let placeholder = format!("${word}");
        let known = || {
            query::PLACEHOLDERS
                .iter()
                .chain(conventions::PLACEHOLDERS)
                .map(|p| p.to_string())
                .chain(probe.words_named.iter().map(|n| format!("${n}")))
        };
        if !known().any(|p| p == placeholder) {
            return Err(format!(
                "unknown placeholder {placeholder:?}: use {}",
                known().collect::<Vec<_>>().join(", ")
            ));
        }
        rest = &rest[i + 1..];
    }
    for names in query::filter_placeholders(expr).into_iter().flatten() {
        if names.is_empty() {
            return Err("$filter() names no variable: write $filter for all of them".into());
        }
        if let Some(unknown) = names.iter().find(|n| !probe.matchers.contains(n)) {
            return Err(format!(
                "$filter({unknown}): {unknown:?} is not one of this file's label variables"
            ));
        }
    }
    for expansion in every_convention().expansions(expr) {
        let placeholders = Placeholders {
            rate_interval: "1m".into(),
            range: "1h".into(),
            range_seconds: "3600".into(),
            step_ms: "15000".into(),
            names: expansion.names,
        };
        let with = |e: query::QueryError| match expansion.convention {
            Some(c) => format!("{e} (filled for {})", c.spec().title),
            None => e.to_string(),
        };
        query::build(expr, &placeholders, &probe.words).map_err(|e| {
            if expr.contains("$filter") {
                format!(
                    "{} ($filter must stand inside a selector's braces, after its other matchers)",
                    with(e)
                )
            } else {
                with(e)
            }
        })?;
        query::build(expr, &placeholders, &probe.filter.resolved(&placeholders)).map_err(|_| {
            "$filter must stand inside a selector's braces, after its other matchers".to_string()
        })?;
    }
    Ok(())
}

/// A Prometheus duration as a range window takes it: `30s`, `5m`, `1h30m`.
pub(crate) fn is_duration(s: &str) -> bool {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let r = R.get_or_init(|| {
        regex::Regex::new(r"^([0-9]+(ms|s|m|h|d|w|y))+$").expect("a valid pattern")
    });
    s.len() <= 20 && r.is_match(s)
}

/// A variable's kind from its file entry, or `None` after reporting why
/// (through `problem(field, reason)`).
fn variable_kind(v: &VariableFile, problem: &mut dyn FnMut(&str, String)) -> Option<VariableKind> {
    let known = [
        ("values_from", v.values_from.is_some()),
        ("regex", v.regex.is_some()),
        ("values", !v.values.is_empty()),
        ("default", v.default.is_some()),
        ("value", v.value.is_some()),
    ];
    let allowed: &[&str] = match v.kind {
        VariableKindName::Query => &["values_from", "regex"],
        VariableKindName::Custom => &["values"],
        VariableKindName::Textbox => &["default"],
        VariableKindName::Interval => &["values", "default"],
        VariableKindName::Constant => &["value"],
    };
    let mut fine = true;
    for (field, set) in known {
        if set && !allowed.contains(&field) {
            problem(
                field,
                format!("a {:?} variable has no {field}", v.kind).to_lowercase(),
            );
            fine = false;
        }
    }
    // A value the picker offers is one a request may send: the same limits.
    let refused = |values: &[String]| FilterValues::new(&v.name, values.to_vec()).err();
    let kind = match v.kind {
        VariableKindName::Query => {
            let Some(from) = v.values_from.clone() else {
                problem(
                    "values_from",
                    "a query variable needs values_from (a metric or selector)".into(),
                );
                return None;
            };
            if !is_metric_name(&from)
                && !METRIC_PLACEHOLDERS.contains(&from.as_str())
                && !is_selector(&from)
            {
                problem(
                    "values_from",
                    format!("{from:?} is not a metric name or a selector like up{{job=\"node\"}}"),
                );
                fine = false;
            }
            let regex = match v.regex.as_deref() {
                None => None,
                Some(r) => match regex::RegexBuilder::new(r)
                    .size_limit(1 << 20)
                    .build()
                    .ok()
                    .filter(|_| r.len() <= 200)
                {
                    Some(re) => Some(re),
                    None => {
                        problem("regex", format!("{r:?} is not a regex (at most 200 bytes)"));
                        fine = false;
                        None
                    }
                },
            };
            VariableKind::Query {
                values_from: from,
                regex,
            }
        }
        VariableKindName::Custom => {
            if v.values.is_empty() {
                problem(
                    "values",
                    "a custom variable offers at least one value".into(),
                );
                fine = false;
            }
            if let Some(e) = refused(&v.values) {
                problem("values", e.to_string());
                fine = false;
            }
            VariableKind::Custom {
                values: v.values.clone(),
            }
        }
        VariableKindName::Textbox => {
            if let Some(e) = v
                .default
                .as_ref()
                .and_then(|d| refused(std::slice::from_ref(d)))
            {
                problem("default", e.to_string());
                fine = false;
            }
            VariableKind::TextBox {
                default: v.default.clone(),
            }
        }
        VariableKindName::Interval => {
            if v.values.is_empty() || v.values.len() > 20 {
                problem(
                    "values",
                    "an interval variable offers 1 to 20 durations".into(),
                );
                fine = false;
            }
            if let Some(bad) = v.values.iter().find(|d| !is_duration(d)) {
                problem(
                    "values",
                    format!("{bad:?} is not a duration like 30s, 5m or 1h"),
                );
                fine = false;
            }
            let default = v
                .default
                .clone()
                .or_else(|| v.values.first().cloned())
                .unwrap_or_default();
            if !v.values.contains(&default) {
                problem("default", format!("{default:?} is not one of its values"));
                fine = false;
            }
            VariableKind::Interval {
                values: v.values.clone(),
                default,
            }
        }
        VariableKindName::Constant => {
            let value = v.value.clone().unwrap_or_default();
            if value.is_empty() || value.len() > 200 || value.chars().any(char::is_control) {
                problem("value", "a constant's value is 1 to 200 characters".into());
                fine = false;
            }
            VariableKind::Constant { value }
        }
    };
    fine.then_some(kind)
}

/// A series selector (`up{job="node"}`, `{__name__=~"node_.*"}`), nothing else.
fn is_selector(s: &str) -> bool {
    !s.contains('$')
        && s.len() <= 500
        && matches!(
            promql_parser::parser::parse(s),
            Ok(promql_parser::parser::Expr::VectorSelector(_))
        )
}

pub(crate) fn check_legend(legend: &str) -> Result<(), String> {
    check_text(legend, 1, 200)?;
    let mut rest = legend;
    while let Some(i) = rest.find("{{") {
        let after = &rest[i + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| "an unclosed {{ in the legend".to_string())?;
        let name = after[..end].trim();
        if !is_label_name(name) && !LABEL_PLACEHOLDERS.contains(&name) {
            return Err(format!("{{{{{name}}}}} does not name a label"));
        }
        rest = &after[end + 2..];
    }
    Ok(())
}

pub fn is_id(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.len() <= 64
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn is_variable_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && s.len() <= 64
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn is_label_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && s.len() <= 128
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_metric_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && s.len() <= 200
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
title = "Team"
[[variables]]
name = "service"
values_from = "http_requests_total"

[[panels]]
id = "rate"
title = "Rate"
kind = "time_series"
unit = "req/s"
[[panels.queries]]
expr = 'sum by (service) (rate(http_requests_total{$filter}[$rate_interval]))'
legend = "{{service}}"
"#;

    fn error(text: &str) -> FileProblem {
        parse("team.toml", "team", text).unwrap_err()
    }

    #[test]
    fn a_good_file_loads() {
        let d = parse("team.toml", "team", GOOD).unwrap();
        assert_eq!(d.view.id, "team");
        assert_eq!(d.panels[0].view.unit, Unit::RequestsPerSecond);
        assert_eq!(d.variables[0].label, "service");
    }

    #[test]
    fn decimals_are_kept_up_to_six() {
        let with = |d: u8| {
            GOOD.replace(
                "unit = \"req/s\"",
                &format!("unit = \"req/s\"\ndecimals = {d}"),
            )
        };
        let board = parse("team.toml", "team", &with(2)).unwrap();
        assert_eq!(board.panels[0].view.decimals, Some(2));
        assert_eq!(board.panels[0].view.value_text(1234.5), "1.23k req/s");
        let e = error(&with(7));
        assert_eq!(e.field, "panels[0].decimals", "{e}");
    }

    #[test]
    fn grafanas_unit_names_are_understood() {
        for (name, unit) in [
            ("reqps", Unit::RequestsPerSecond),
            ("s", Unit::Seconds),
            ("ms", Unit::Milliseconds),
            ("percentunit", Unit::Ratio),
            ("short", Unit::Short),
            ("decbytes", Unit::DecimalBytes),
            ("Bps", Unit::DecimalBytesPerSecond),
            ("bps", Unit::BitsPerSecond),
            ("celsius", Unit::Celsius),
            ("hertz", Unit::Hertz),
        ] {
            let text = GOOD.replace("unit = \"req/s\"", &format!("unit = \"{name}\""));
            let d = parse("team.toml", "team", &text).unwrap();
            assert_eq!(d.panels[0].view.unit, unit, "{name}");
        }
        let e = error(&GOOD.replace("unit = \"req/s\"", "unit = \"furlongs\""));
        assert!(e.reason.contains("furlongs"), "{e}");
    }

    #[test]
    fn mistakes_name_the_file_field_and_reason() {
        let e = error(&GOOD.replace("kind = \"time_series\"", "kind = \"pie\""));
        assert_eq!(e.file, "team.toml");
        assert_eq!(e.field, "(syntax)", "{e}");
        assert!(e.line.is_some() && e.to_string().contains(": line "), "{e}");
        assert!(e.reason.contains("pie"), "{e}");

        let e = error(&GOOD.replace("title = \"Rate\"", "title = \"Rate\"\ncolour = 1"));
        assert!(e.reason.contains("colour"), "{e}");

        let e = error(&GOOD.replace("[$rate_interval]", "[$rate]"));
        assert_eq!(e.field, "panels[0].queries[0].expr");
        assert!(e.reason.contains("$rate"), "{e}");

        let e = error(&GOOD.replace("sum by (service) (", "sum by (service ("));
        assert_eq!(e.field, "panels[0].queries[0].expr");
        assert!(e.reason.contains("does not parse"), "{e}");

        let e = error(&GOOD.replace("{$filter}", "{$filter,status=\"500\"}"));
        assert!(e.reason.contains("$filter must stand"), "{e}");

        let e = error(&GOOD.replace("{{service}}", "{{ser vice}}"));
        assert_eq!(e.field, "panels[0].queries[0].legend");

        let e = error(&GOOD.replace("name = \"service\"", "name = \"range\""));
        assert_eq!(e.field, "variables[0].name");

        let e = error(&GOOD.replace(
            "kind = \"time_series\"",
            "kind = \"time_series\"\nwidth = 13",
        ));
        assert_eq!(e.field, "panels[0].width");

        let e = error(&GOOD.replace(
            "unit = \"req/s\"",
            "unit = \"req/s\"\nthresholds = { steps = [{ value = 5, level = \"warning\" }, { value = 1, level = \"critical\" }] }",
        ));
        assert_eq!(e.field, "panels[0].thresholds.steps");

        let e = parse("Bad Name.toml", "Bad Name", GOOD).unwrap_err();
        assert_eq!(e.field, "(file name)");
    }

    #[test]
    fn annotations_follow_the_service_variable_unless_the_file_says() {
        let d = parse("team.toml", "team", GOOD).unwrap();
        assert_eq!(
            d.annotations,
            AnnotationRule::ByService {
                label: "service".into()
            }
        );
        let hosts = GOOD.replace("name = \"service\"", "name = \"instance\"");
        let hosts = hosts.replace("by (service)", "by (instance)");
        assert_eq!(
            parse("h.toml", "h", &hosts).unwrap().annotations,
            AnnotationRule::None
        );
        let all = format!("annotations = \"all\"\n{hosts}");
        assert_eq!(
            parse("h.toml", "h", &all).unwrap().annotations,
            AnnotationRule::All
        );
        let team = format!("annotations = {{ labels = {{ team = \"payments\" }} }}\n{GOOD}");
        assert_eq!(
            parse("t.toml", "t", &team).unwrap().annotations,
            AnnotationRule::Labels([("team".to_string(), "payments".to_string())].into())
        );
        let e = error(&format!("annotations = \"service\"\n{hosts}"));
        assert_eq!(e.field, "annotations");
        let e = error(&format!("annotations = \"some\"\n{GOOD}"));
        assert!(e.reason.contains("\"none\""), "{e}");
    }

    #[test]
    fn an_alerts_panel_is_a_stat_without_queries() {
        let alerts = "title = \"A\"\n[[panels]]\nid = \"firing\"\ntitle = \"Firing\"\nkind = \"stat\"\nsource = \"alerts\"\n";
        let d = parse("a.toml", "a", alerts).unwrap();
        assert_eq!(d.panels[0].source, PanelSource::Alerts);
        let e = parse("a.toml", "a", &alerts.replace("\"stat\"", "\"gauge\"")).unwrap_err();
        assert_eq!(e.field, "panels[0].source");
        let e = parse("a.toml", "a", &alerts.replace("\"alerts\"", "\"checks\"")).unwrap_err();
        assert_eq!(e.field, "panels[0].source");
        let no_queries = alerts.replace("source = \"alerts\"\n", "");
        assert_eq!(
            parse("a.toml", "a", &no_queries).unwrap_err().field,
            "panels[0].queries"
        );
    }

    #[test]
    fn tables_need_column_titles_and_ids_are_unique() {
        let table = GOOD.replace("time_series", "table");
        let e = error(&table);
        assert_eq!(e.field, "panels[0].queries[0].title");
        let twice = format!(
            "{GOOD}\n[[panels]]\nid = \"rate\"\ntitle = \"Again\"\nkind = \"stat\"\n[[panels.queries]]\nexpr = 'up'\n"
        );
        assert_eq!(error(&twice).field, "panels[1].id");
    }
}
