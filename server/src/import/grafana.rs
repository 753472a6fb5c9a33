//! A Grafana dashboard's JSON (schema versions 14 to 41: the old `rows` of
//! `graph` panels and the flat `panels` with `type: row`) as a Vantage
//! dashboard file, with a note for everything that changed or was lost.
//!
//! The JSON is read as untyped values, field by field: Grafana's schema grew
//! by accretion over 27 versions and exported files carry every shape of it,
//! so a missing or odd field is a note, never a refusal of the whole file.

use std::collections::{BTreeSet, HashMap};

use app::model::{Level, PanelKind, Unit};
use regex::Regex;
use serde_json::Value;

use super::{
    expr::{self, Picked, Variables},
    report::{DashboardReport, Imported, Note, PanelReport},
};
use crate::dashboards::{
    file::{
        check_legend, is_duration, is_id, DashboardFile, LinkFile, PanelFile, QueryFile, StepFile,
        ThresholdsFile, VariableFile, VariableKindName, RESERVED,
    },
    markdown,
};

/// Limits of a dashboard file (`dashboards/file.rs` checks the same).
const MAX_PANELS: usize = 64;
const MAX_QUERIES: usize = 8;
const MAX_VARIABLES: usize = 8;

/// One dashboard, converted.
pub struct Converted {
    pub file: DashboardFile,
    pub report: DashboardReport,
}

/// The dashboard object of a file: the dashboard itself, or the export
/// API's `{"dashboard": {…}, "meta": {…}}`.
pub fn into_dashboard(mut json: Value) -> Result<Value, String> {
    let root = match json.get_mut("dashboard") {
        Some(inner) if inner.is_object() => inner.take(),
        _ => json,
    };
    if !root.is_object() {
        return Err("not a Grafana dashboard: the JSON is not an object".into());
    }
    let has = |key: &str| root.get(key).is_some_and(Value::is_array);
    if !has("panels") && !has("rows") {
        return Err("not a Grafana dashboard: it has neither panels nor rows".into());
    }
    Ok(root)
}

/// The uid a dashboard is linked by, if any.
pub fn uid_of(dashboard: &Value) -> Option<&str> {
    dashboard.get("uid").and_then(Value::as_str)
}

/// The file name (without `.toml`) a dashboard suggests: from its title
/// (what people read in a URL), else its uid.
pub fn id_for(dashboard: &Value) -> String {
    let uid = slug(uid_of(dashboard).unwrap_or(""), "imported");
    match text(dashboard.get("title"), 120) {
        Some(title) => slug(&title, &uid),
        None => uid,
    }
}

/// Converts one dashboard. `ids_by_uid` names the files of the dashboards
/// imported with it, so links between them come along.
pub fn convert(input: &str, dashboard: &Value, ids_by_uid: &HashMap<String, String>) -> Converted {
    let title = text(dashboard.get("title"), 120).unwrap_or_else(|| "Imported dashboard".into());
    let mut report = DashboardReport {
        input: input.to_string(),
        title: title.clone(),
        schema_version: dashboard.get("schemaVersion").and_then(Value::as_i64),
        ..DashboardReport::default()
    };
    let grafana_panels = flat_panels(dashboard, &mut report.notes);
    let exprs: Vec<&str> = grafana_panels
        .iter()
        .filter_map(|p| p.get("targets").and_then(Value::as_array))
        .flatten()
        .filter_map(|t| str_of(t, "expr"))
        .collect();
    let (variable_files, variables) = variables(dashboard, &exprs, &mut report.notes);
    dashboard_notes(dashboard, &mut report.notes);

    let mut ids = BTreeSet::new();
    let mut panels = Vec::new();
    for (n, panel) in grafana_panels.into_iter().enumerate() {
        let mut panel_report = PanelReport {
            title: text(panel.get("title"), 120).unwrap_or_default(),
            grafana_type: str_of(panel, "type").unwrap_or("graph").to_string(),
            imported_as: None,
            notes: Vec::new(),
        };
        if panels.len() >= MAX_PANELS {
            panel_report.notes.push(Note::lost(format!(
                "a dashboard holds at most {MAX_PANELS} panels"
            )));
        } else if let Some(file) = panel_file(
            panel,
            n,
            &variables,
            ids_by_uid,
            &mut ids,
            &mut panel_report.notes,
        ) {
            panel_report.imported_as = Some(Imported {
                id: file.id.clone(),
                kind: kind_name(file.kind).into(),
            });
            panels.push(file);
        }
        report.panels.push(panel_report);
    }
    let (range, refresh) = opens_with(dashboard, &mut report.notes);
    let file = DashboardFile {
        range,
        refresh,
        title,
        description: text(dashboard.get("description"), 1000).unwrap_or_default(),
        variables: variable_files,
        panels,
        annotations: None,
    };
    Converted { file, report }
}

pub fn kind_name(kind: PanelKind) -> &'static str {
    match kind {
        PanelKind::TimeSeries => "time_series",
        PanelKind::Stat => "stat",
        PanelKind::Gauge => "gauge",
        PanelKind::Bar => "bar",
        PanelKind::Table => "table",
        PanelKind::StatusGrid => "status_grid",
        PanelKind::BarGauge => "bar_gauge",
        PanelKind::Heatmap => "heatmap",
        PanelKind::Text => "text",
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// A string field as text for a title or description: trimmed, control
/// characters gone, at most `max` characters. Markup stays text: Vantage
/// never renders it as HTML.
fn text(v: Option<&Value>, max: usize) -> Option<String> {
    let s: String = v?
        .as_str()?
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let s: String = s.trim().chars().take(max).collect();
    (!s.is_empty()).then_some(s)
}

/// An id from free text: lowercase letters, digits, - and _, at most 64.
fn slug(text: &str, fallback: &str) -> String {
    let mut s = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    let s: String = s.trim_matches('-').chars().take(64).collect();
    let s = s.trim_end_matches('-').to_string();
    if is_id(&s) {
        s
    } else {
        fallback.to_string()
    }
}

/// `id`, or `id-2`, `id-3`… if taken; the one returned is taken then.
pub fn unique(id: String, taken: &mut BTreeSet<String>) -> String {
    let mut candidate = id.clone();
    let mut n = 2;
    while !taken.insert(candidate.clone()) {
        let suffix = format!("-{n}");
        let base: String = id.chars().take(64 - suffix.len()).collect();
        candidate = format!("{base}{suffix}");
        n += 1;
    }
    candidate
}

fn label_values() -> &'static Regex {
    static R: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"^\s*label_values\(\s*(?:([A-Za-z_:][\w:]*)?\s*(\{.*\})?\s*,\s*)?([A-Za-z_]\w*)\s*\)\s*$")
            .unwrap()
    })
}

/// The dashboard's variables: query (label values), custom and text box
/// variables that narrow a label become label variables of the file;
/// interval variables become interval variables; constants are written into
/// the queries. Every one's saved value is kept for the places a variable of
/// the file cannot serve.
fn variables(
    dashboard: &Value,
    exprs: &[&str],
    notes: &mut Vec<Note>,
) -> (Vec<VariableFile>, Variables) {
    let mut files = Vec::new();
    let mut vars = Variables::default();
    let list = dashboard
        .pointer("/templating/list")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut labels_taken = BTreeSet::new();
    let mut names_taken = BTreeSet::new();
    for v in &list {
        let Some(name) = str_of(v, "name").filter(|n| !n.is_empty()) else {
            continue;
        };
        let kind = str_of(v, "type").unwrap_or("query");
        vars.saved.insert(name.to_string(), saved_value(v));
        let fixed = |why: String| Note::lost(format!("{why}: fixed to {:?}", saved_value(v)));
        let title = text(v.get("label"), 60).or_else(|| Some(name.to_string()));
        let query = v
            .get("query")
            .and_then(|q| {
                q.as_str()
                    .or_else(|| q.get("query").and_then(Value::as_str))
            })
            .unwrap_or("");
        let file = match kind {
            "datasource" => {
                notes.push(Note::changed(format!(
                    "${name} chose a data source; Vantage has one, its prometheus_url"
                )));
                continue;
            }
            "constant" => {
                vars.quiet.insert(name.to_string());
                continue;
            }
            "interval" => {
                let values: Vec<String> = query
                    .split(',')
                    .map(|d| d.trim().to_string())
                    .filter(|d| is_duration(d))
                    .take(20)
                    .collect();
                if values.is_empty() {
                    notes.push(fixed(format!("${name} offers no duration Vantage reads")));
                    continue;
                }
                if query.split(',').any(|d| d.trim() == "auto") {
                    notes.push(Note::changed(format!(
                        "${name}'s \"auto\" is left out (use $rate_interval for a window fitted to the step)"
                    )));
                }
                let saved = saved_value(v);
                let default = values.contains(&saved).then_some(saved);
                let file_name = unique(variable_name(name), &mut names_taken);
                vars.words.insert(name.to_string(), file_name.clone());
                VariableFile {
                    name: file_name,
                    title,
                    kind: VariableKindName::Interval,
                    values,
                    default,
                    ..VariableFile::default()
                }
            }
            "query" if !label_values().is_match(query) => {
                notes.push(fixed(format!(
                    "${name} ({}): only label_values(…) queries are pickers",
                    query.chars().take(60).collect::<String>()
                )));
                continue;
            }
            "custom" | "textbox" | "query" => {
                let Some(label) = matched_label(exprs, name) else {
                    if !exprs.iter().any(|e| uses(e, name)) {
                        notes.push(Note::changed(format!(
                            "${name} is in no query: left out (titles and legends keep its saved value)"
                        )));
                    } else if kind == "query" || kind == "custom" {
                        notes.push(fixed(format!(
                            "${name} is not a matcher's whole value in any query"
                        )));
                    } else {
                        notes.push(fixed(format!("${name} (text box) narrows no label")));
                    }
                    continue;
                };
                if files.len() >= MAX_VARIABLES || !labels_taken.insert(label.clone()) {
                    notes.push(fixed(format!(
                        "${name}: a dashboard has at most {MAX_VARIABLES} variables, one per label"
                    )));
                    continue;
                }
                let file_name = unique(variable_name(name), &mut names_taken);
                let mut file = VariableFile {
                    name: file_name.clone(),
                    title,
                    label: Some(label.clone()),
                    ..VariableFile::default()
                };
                match kind {
                    "custom" => {
                        file.kind = VariableKindName::Custom;
                        file.values = query
                            .split(',')
                            .map(|x| x.trim().to_string())
                            .filter(|x| {
                                !x.is_empty() && x.len() <= 200 && !x.chars().any(char::is_control)
                            })
                            .take(64)
                            .collect();
                        file.values.dedup();
                        if file.values.is_empty() {
                            labels_taken.remove(&label);
                            notes.push(fixed(format!("${name} offers no values")));
                            continue;
                        }
                    }
                    "textbox" => {
                        file.kind = VariableKindName::Textbox;
                        file.default = Some(saved_value(v)).filter(|d| {
                            !d.is_empty() && d.len() <= 200 && !d.chars().any(char::is_control)
                        });
                    }
                    _ => {
                        let Some(c) = label_values().captures(query) else {
                            continue; // checked above
                        };
                        let values_label = c[3].to_string();
                        if values_label != label {
                            notes.push(Note::changed(format!(
                                "${name} offers values of {values_label}: it narrows {values_label}, and where a query matches {label} by it, the saved value is kept"
                            )));
                        }
                        // A selector naming other variables (a chained picker) is
                        // not kept: its metric's values are offered.
                        let chained = c.get(2).filter(|s| s.as_str().contains('$'));
                        if let Some(sel) = chained {
                            notes.push(Note::changed(format!(
                                "${name}'s choices are every {values_label} of {}, not only those of {}",
                                c.get(1).map_or("its metric", |m| m.as_str()),
                                sel.as_str()
                            )));
                        }
                        let selector = match (
                            c.get(1),
                            c.get(2).filter(|s| s.as_str() != "{}" && chained.is_none()),
                        ) {
                            (Some(m), Some(sel)) => Some(format!("{}{}", m.as_str(), sel.as_str())),
                            (Some(m), None) => Some(m.as_str().to_string()),
                            (None, Some(sel)) => Some(sel.as_str().to_string()),
                            (None, None) => metric_filtered_by(exprs, &label, name),
                        };
                        let Some(selector) = selector.filter(|s| !s.contains('$')) else {
                            labels_taken.remove(&label);
                            notes.push(fixed(format!(
                                "${name}: no metric (without variables) to take {values_label}'s values from"
                            )));
                            continue;
                        };
                        file.label = Some(values_label.clone());
                        file.values_from = Some(selector);
                        file.regex = str_of(v, "regex")
                            .map(grafana_regex)
                            .filter(|r| !r.is_empty());
                    }
                }
                vars.pickers.insert(
                    name.to_string(),
                    Picked {
                        label: file.label.clone().unwrap_or(label),
                        name: file_name,
                    },
                );
                file
            }
            other => {
                notes.push(fixed(format!(
                    "${name} ({other} variable) has no counterpart"
                )));
                continue;
            }
        };
        if v.get("multi").and_then(Value::as_bool) == Some(false)
            && file.kind == VariableKindName::Query
        {
            notes.push(Note::changed(format!(
                "${name} took one value in Grafana; here a viewer may choose several"
            )));
        }
        files.push(file);
    }
    (files, vars)
}

/// Whether `expr` refers to the variable in any spelling.
fn uses(expr: &str, name: &str) -> bool {
    [format!("${{{name}"), format!("[[{name}")]
        .iter()
        .any(|s| expr.contains(s.as_str()))
        || expr.match_indices(&format!("${name}")).any(|(i, m)| {
            !expr[i + m.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// A Grafana regex (`/pattern/flags`) as the pattern itself.
fn grafana_regex(r: &str) -> String {
    let r = r.trim();
    match r
        .strip_prefix('/')
        .and_then(|rest| rest.rfind('/').map(|end| &rest[..end]))
    {
        Some(inner) => inner.to_string(),
        None => r.to_string(),
    }
}

/// The label a variable narrows: the first matcher anywhere whose whole
/// value is the variable (`instance=~"$node"`).
fn matched_label(exprs: &[&str], name: &str) -> Option<String> {
    let pattern = format!(
        r#"([A-Za-z_]\w*)\s*=~?\s*["'](?:\$\{{{0}(?::\w+)?\}}|\${0}\b|\[\[{0}(?::\w+)?\]\])["']"#,
        regex::escape(name)
    );
    let re = Regex::new(&pattern).ok()?;
    exprs
        .iter()
        .find_map(|e| re.captures(e).map(|c| c[1].to_string()))
}

/// A Vantage variable name (the query-string key) from Grafana's.
fn variable_name(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(60)
        .collect();
    if s.starts_with(|c: char| c.is_ascii_digit()) || RESERVED.contains(&s.as_str()) {
        s = format!("v_{s}");
    }
    s
}

/// What a variable is fixed to where a picker cannot serve: its saved value,
/// or a pattern for every value when "All" (or several) was saved.
fn saved_value(v: &Value) -> String {
    let current = v.pointer("/current/value");
    let all = v
        .get("allValue")
        .and_then(Value::as_str)
        .filter(|a| !a.is_empty())
        .unwrap_or(".*");
    match current {
        Some(Value::String(s)) if s == "$__all" => all.to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(values)) => {
            let values: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
            if values.is_empty() || values.contains(&"$__all") {
                all.to_string()
            } else if values.len() == 1 {
                values[0].to_string()
            } else {
                values.join("|")
            }
        }
        _ => match str_of(v, "type") {
            Some("constant" | "textbox") => str_of(v, "query").unwrap_or("").to_string(),
            Some("custom" | "interval") => str_of(v, "query")
                .and_then(|q| q.split(',').next())
                .unwrap_or("")
                .trim()
                .to_string(),
            _ => all.to_string(),
        },
    }
}

/// A metric whose selector narrows `label` by `$name`, for a variable of
/// `label_values(label)` (no metric of its own).
fn metric_filtered_by(exprs: &[&str], label: &str, name: &str) -> Option<String> {
    let pattern = format!(
        r#"([A-Za-z_:][\w:]*)\{{[^}}]*\b{}\s*=~?\s*"\$(?:\{{)?{}\b"#,
        regex::escape(label),
        regex::escape(name)
    );
    let re = Regex::new(&pattern).ok()?;
    exprs
        .iter()
        .find_map(|e| re.captures(e).map(|c| c[1].to_string()))
}

/// Every panel in grid order: rows flattened (a collapsed row's panels
/// too), the old schema's `rows` read as rows.
fn flat_panels<'a>(dashboard: &'a Value, notes: &mut Vec<Note>) -> Vec<&'a Value> {
    let mut out = Vec::new();
    let mut rows = 0;
    fn walk<'a>(panels: &'a [Value], out: &mut Vec<&'a Value>, rows: &mut usize) {
        for p in panels {
            if str_of(p, "type") == Some("row") {
                *rows += 1;
                if let Some(inner) = p.get("panels").and_then(Value::as_array) {
                    walk(inner, out, rows);
                }
            } else {
                out.push(p);
            }
        }
    }
    if let Some(panels) = dashboard.get("panels").and_then(Value::as_array) {
        walk(panels, &mut out, &mut rows);
    }
    if let Some(old_rows) = dashboard.get("rows").and_then(Value::as_array) {
        for row in old_rows {
            rows += 1;
            if let Some(panels) = row.get("panels").and_then(Value::as_array) {
                walk(panels, &mut out, &mut rows);
            }
        }
    }
    if rows > 0 {
        notes.push(Note::changed(format!(
            "{rows} row(s): their panels follow one another in one grid, without the rows' headings"
        )));
    }
    out
}

/// The range and refresh a dashboard opens with, as Vantage's nearest
/// choices (said when not the same).
fn opens_with(dashboard: &Value, notes: &mut Vec<Note>) -> (Option<String>, Option<String>) {
    use app::model::{Refresh, RelativeRange};
    let seconds = |text: &str| -> Option<i64> {
        let (n, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit())?);
        let n: i64 = n.parse().ok()?;
        Some(match unit {
            "s" => n,
            "m" => n * 60,
            "h" => n * 3600,
            "d" => n * 86_400,
            "w" => n * 7 * 86_400,
            _ => return None,
        })
    };
    let from = dashboard.pointer("/time/from").and_then(Value::as_str);
    let to = dashboard
        .pointer("/time/to")
        .and_then(Value::as_str)
        .unwrap_or("now");
    let range = match from.map(|f| (f, f.strip_prefix("now-").and_then(seconds))) {
        None => None,
        Some((_, Some(span))) if to == "now" => {
            let nearest = RelativeRange::ALL
                .into_iter()
                .min_by_key(|r| (r.seconds() - span).abs())
                .unwrap_or_default();
            if nearest.seconds() != span {
                notes.push(Note::changed(format!(
                    "its time range ({} to now) opens as {nearest}, the nearest Vantage offers",
                    from.unwrap_or_default()
                )));
            }
            Some(nearest.to_string())
        }
        Some((from, _)) => {
            notes.push(Note::changed(format!(
                "its time range ({from} to {to}) is not kept: it opens at 1h"
            )));
            None
        }
    };
    let refresh = match dashboard.get("refresh").and_then(Value::as_str) {
        None | Some("") => None,
        Some(text) => match (Refresh::parse(text), seconds(text)) {
            (Some(r), _) => Some(r.as_str().to_string()),
            (None, Some(every)) => {
                let nearest = Refresh::CHOICES
                    .into_iter()
                    .filter_map(|r| match r {
                        Refresh::Seconds(s) => Some((r, i64::from(s))),
                        Refresh::Off => None,
                    })
                    .min_by_key(|(_, s)| (s - every).abs())
                    .map(|(r, _)| r)
                    .unwrap_or(Refresh::Seconds(30));
                notes.push(Note::changed(format!(
                    "refresh {text} became {}, the nearest Vantage offers",
                    nearest.as_str()
                )));
                Some(nearest.as_str().to_string())
            }
            (None, None) => {
                notes.push(Note::changed(format!(
                    "refresh {text:?} is not kept: the server's refresh_seconds applies"
                )));
                None
            }
        },
    };
    (range, refresh)
}

fn dashboard_notes(dashboard: &Value, notes: &mut Vec<Note>) {
    if dashboard
        .get("links")
        .and_then(Value::as_array)
        .is_some_and(|l| !l.is_empty())
    {
        notes.push(Note::lost(
            "the dashboard's own links (Vantage's navigation lists every dashboard)",
        ));
    }
    let queried_annotations = dashboard
        .pointer("/annotations/list")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter(|a| a.get("builtIn").and_then(Value::as_i64) != Some(1))
                .count()
        })
        .unwrap_or(0);
    if queried_annotations > 0 {
        notes.push(Note::lost(format!(
            "{queried_annotations} annotation query(ies): Vantage marks its alerts and health changes instead"
        )));
    }
}

/// The panel's kind in Vantage, or why it has none.
fn kind_for(panel: &Value) -> Result<(PanelKind, Option<Note>), String> {
    let grafana = str_of(panel, "type").unwrap_or("graph");
    let custom = panel.pointer("/fieldConfig/defaults/custom");
    let bars = panel.get("bars").and_then(Value::as_bool) == Some(true)
        || custom
            .and_then(|c| c.get("drawStyle"))
            .and_then(Value::as_str)
            == Some("bars");
    Ok(match grafana {
        "graph" | "timeseries" if bars => (PanelKind::Bar, None),
        "graph" | "timeseries" => (PanelKind::TimeSeries, None),
        "stat" | "singlestat" => (PanelKind::Stat, None),
        "gauge" => (PanelKind::Gauge, None),
        "bargauge" => (PanelKind::BarGauge, None),
        "table" | "table-old" => (
            PanelKind::Table,
            Some(Note::changed(
                "a table of one column per query and one row per legend; Grafana's transformations and column styles are not kept",
            )),
        ),
        "heatmap" => (PanelKind::Heatmap, None),
        "text" => (PanelKind::Text, None),
        other => return Err(format!("Vantage has no {other} panel")),
    })
}

fn panel_file(
    panel: &Value,
    n: usize,
    variables: &Variables,
    ids_by_uid: &HashMap<String, String>,
    ids: &mut BTreeSet<String>,
    notes: &mut Vec<Note>,
) -> Option<PanelFile> {
    let (kind, kind_note) = match kind_for(panel) {
        Ok(k) => k,
        Err(reason) => {
            notes.push(Note::lost(reason));
            return None;
        }
    };
    notes.extend(kind_note);
    if let Some(source) = panel.pointer("/datasource/type").and_then(Value::as_str) {
        if source != "prometheus" && !source.starts_with("${") {
            notes.push(Note::lost(format!(
                "its data source is {source}, not Prometheus"
            )));
            return None;
        }
    }
    let title = match text(panel.get("title"), 120) {
        Some(t) => expr::fixed_text(&t, variables),
        None => {
            notes.push(Note::changed("it had no title; it is called by its place"));
            format!("Panel {}", n + 1)
        }
    };
    let content = (kind == PanelKind::Text).then(|| text_content(panel, notes));
    let queries = match kind {
        PanelKind::Text => Vec::new(),
        _ => queries(panel, kind, variables, notes),
    };
    if queries.is_empty() && kind != PanelKind::Text {
        notes.push(Note::lost(
            "no query of it could be imported, so the panel is left out",
        ));
        return None;
    }
    let defaults = panel.pointer("/fieldConfig/defaults");
    let field = |key: &str| defaults.and_then(|d| d.get(key));
    let unit = unit(panel, notes);
    let (field_min, field_max) = (
        field("min").and_then(Value::as_f64),
        field("max").and_then(Value::as_f64),
    );
    let (min, max) = match kind {
        PanelKind::Gauge | PanelKind::BarGauge => match (field_min, field_max) {
            (Some(a), Some(b)) if a >= b => (None, None),
            other => other,
        },
        // Axis bounds of a chart over time.
        PanelKind::TimeSeries | PanelKind::Bar => match (field_min, field_max) {
            (Some(a), Some(b)) if a >= b => (None, None),
            other => other,
        },
        _ => {
            if field_min.is_some() || field_max.is_some() {
                notes.push(Note::lost("its axis minimum and maximum"));
            }
            (None, None)
        }
    };
    let decimals = field("decimals")
        .or_else(|| panel.get("decimals"))
        .and_then(Value::as_u64)
        .map(|d| {
            if d > 6 {
                notes.push(Note::changed(format!(
                    "{d} decimals became 6, the most Vantage shows"
                )));
            }
            d.min(6) as u8
        });
    if field("displayName").is_some_and(|d| d.as_str().is_some_and(|s| !s.is_empty())) {
        notes.push(Note::lost(
            "its display name for series (legends name them)",
        ));
    }
    if let Some(overrides) = panel
        .pointer("/fieldConfig/overrides")
        .and_then(Value::as_array)
    {
        if !overrides.is_empty() {
            notes.push(Note::lost(format!("{} field override(s)", overrides.len())));
        }
    }
    if let Some(var) = str_of(panel, "repeat").filter(|r| !r.is_empty()) {
        notes.push(Note::changed(format!(
            "repeated for each value of ${var} in Grafana; here one panel shows them all"
        )));
    }
    let stacked = kind == PanelKind::TimeSeries
        && (panel.get("stack").and_then(Value::as_bool) == Some(true)
            || defaults
                .and_then(|d| d.pointer("/custom/stacking/mode"))
                .and_then(Value::as_str)
                .is_some_and(|m| m != "none"));
    let (width, height) = size(panel);
    let id = unique(slug(&title, &format!("panel-{}", n + 1)), ids);
    Some(PanelFile {
        id,
        title,
        description: text(panel.get("description"), 1000).unwrap_or_default(),
        kind,
        unit,
        decimals,
        width,
        height,
        priority: 50,
        stacked,
        // Percentage thresholds are of the field's range, whatever the kind.
        thresholds: thresholds(panel, field_min, field_max, notes),
        min,
        max,
        queries,
        source: None,
        links: links(panel, ids_by_uid, notes),
        content,
    })
}

/// A text panel's content as Markdown: Grafana's Markdown as it is; its HTML
/// mode's markup (and Markdown's raw HTML) is shown as text, never run.
fn text_content(panel: &Value, notes: &mut Vec<Note>) -> String {
    let content = panel
        .pointer("/options/content")
        .or_else(|| panel.get("content"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let mode = panel
        .pointer("/options/mode")
        .or_else(|| panel.get("mode"))
        .and_then(Value::as_str)
        .unwrap_or("markdown");
    if mode != "markdown" {
        notes.push(Note::changed(format!(
            "its {mode} content is shown as text (Vantage shows Markdown, never a dashboard's HTML)"
        )));
    }
    let mut content: String = content.chars().take(markdown::MAX_LEN).collect();
    if content.trim().is_empty() {
        notes.push(Note::changed("it had no text"));
        content = "(empty)".into();
    }
    content
}

fn queries(
    panel: &Value,
    kind: PanelKind,
    variables: &Variables,
    notes: &mut Vec<Note>,
) -> Vec<QueryFile> {
    let targets = panel
        .get("targets")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut out = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        if t.get("hide").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        let name = str_of(t, "refId").unwrap_or("?").to_string();
        let Some(raw) = str_of(t, "expr").filter(|e| !e.trim().is_empty()) else {
            notes.push(Note::lost(format!("query {name}: not a PromQL query")));
            continue;
        };
        if out.len() >= MAX_QUERIES || (kind == PanelKind::Gauge && !out.is_empty()) {
            notes.push(Note::lost(format!(
                "query {name}: a {} shows at most {} queries",
                kind_name(kind),
                if kind == PanelKind::Gauge {
                    1
                } else {
                    MAX_QUERIES
                }
            )));
            continue;
        }
        let translated = match expr::translate(raw, variables) {
            Ok(t) => t,
            Err(reason) => {
                notes.push(Note::lost(format!("query {name}: {reason}")));
                continue;
            }
        };
        for change in translated.changes {
            notes.push(Note::changed(format!("query {name}: {change}")));
        }
        if t.get("instant").and_then(Value::as_bool) == Some(true) && !kind.is_instant() {
            notes.push(Note::changed(format!(
                "query {name}: an instant query, drawn over time"
            )));
        }
        if str_of(t, "interval").is_some_and(|i| !i.is_empty()) {
            notes.push(Note::lost(format!(
                "query {name}: its minimum step (Vantage's step follows the range and width)"
            )));
        }
        let legend = str_of(t, "legendFormat")
            .filter(|l| !l.is_empty() && *l != "__auto")
            .map(|l| expr::fixed_text(l, variables))
            // A legend the file format refuses is left to the default.
            .filter(|l| check_legend(l).is_ok());
        let title = (kind == PanelKind::Table).then(|| {
            legend
                .clone()
                .filter(|l| !l.contains("{{"))
                .unwrap_or_else(|| format!("Value {}", i + 1))
        });
        out.push(QueryFile {
            expr: translated.expr,
            legend,
            title,
            unit: None,
        });
    }
    out
}

fn unit(panel: &Value, notes: &mut Vec<Note>) -> Unit {
    let name = panel
        .pointer("/fieldConfig/defaults/unit")
        .and_then(Value::as_str)
        .or_else(|| str_of(panel, "format"))
        .or_else(|| panel.pointer("/yaxes/0/format").and_then(Value::as_str));
    match name {
        None | Some("") => Unit::None,
        Some(name) => serde_json::from_value(Value::String(name.into())).unwrap_or_else(|_| {
            notes.push(Note::lost(format!(
                "its unit {name:?}: shown as a plain number"
            )));
            Unit::None
        }),
    }
}

/// A colour as a level: reds are critical, oranges and yellows warnings,
/// the rest ok.
fn level_of(color: &str) -> Level {
    let c = color.to_ascii_lowercase();
    if c.contains("red") {
        return Level::Critical;
    }
    if ["orange", "yellow", "amber"].iter().any(|w| c.contains(w)) {
        return Level::Warning;
    }
    let rgb: Option<(u8, u8, u8)> = if let Some(hex) = c.strip_prefix('#') {
        (hex.len() >= 6)
            .then(|| {
                Some((
                    u8::from_str_radix(&hex[0..2], 16).ok()?,
                    u8::from_str_radix(&hex[2..4], 16).ok()?,
                    u8::from_str_radix(&hex[4..6], 16).ok()?,
                ))
            })
            .flatten()
    } else if let Some(inner) = c.strip_prefix("rgba(").or_else(|| c.strip_prefix("rgb(")) {
        let parts: Vec<u8> = inner
            .trim_end_matches(')')
            .split(',')
            .take(3)
            .filter_map(|p| p.trim().parse().ok())
            .collect();
        (parts.len() == 3).then(|| (parts[0], parts[1], parts[2]))
    } else {
        None
    };
    match rgb {
        Some((r, g, _)) if r > 180 && g < 100 => Level::Critical,
        Some((r, g, _)) if r > 180 && g >= 100 => Level::Warning,
        _ => Level::Ok,
    }
}

fn thresholds(
    panel: &Value,
    min: Option<f64>,
    max: Option<f64>,
    notes: &mut Vec<Note>,
) -> Option<ThresholdsFile> {
    let mut base = Level::Ok;
    let mut steps: Vec<StepFile> = Vec::new();
    if let Some(t) = panel.pointer("/fieldConfig/defaults/thresholds") {
        let percentage = str_of(t, "mode") == Some("percentage");
        let (lo, hi) = (min.unwrap_or(0.0), max.unwrap_or(100.0));
        for step in t
            .get("steps")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let level = level_of(str_of(step, "color").unwrap_or(""));
            match step.get("value").and_then(Value::as_f64) {
                None => base = level,
                Some(v) => steps.push(StepFile {
                    value: if percentage {
                        lo + (hi - lo) * v / 100.0
                    } else {
                        v
                    },
                    level,
                }),
            }
        }
        if percentage && !steps.is_empty() {
            notes.push(Note::changed(format!(
                "percentage thresholds became values between {lo} and {hi}"
            )));
        }
    } else if let Some(list) = str_of(panel, "thresholds").filter(|t| !t.is_empty()) {
        // singlestat: "80,90" with three colours, or graph's list of objects.
        let levels = [Level::Warning, Level::Critical];
        for (i, v) in list
            .split(',')
            .filter_map(|v| v.trim().parse::<f64>().ok())
            .enumerate()
        {
            steps.push(StepFile {
                value: v,
                level: levels[i.min(1)],
            });
        }
    }
    steps.retain(|s| s.value.is_finite());
    steps.sort_by(|a, b| a.value.total_cmp(&b.value));
    steps.dedup_by(|b, a| a.value == b.value);
    if steps.is_empty() && base == Level::Ok {
        return None;
    }
    // One level after another: a step to the level already in force says nothing.
    let mut kept: Vec<StepFile> = Vec::new();
    let mut current = base;
    for s in steps {
        if s.level != current {
            current = s.level;
            kept.push(s);
        }
    }
    notes.push(Note::changed(
        "threshold colours became levels (ok, warning, critical)",
    ));
    Some(ThresholdsFile { base, steps: kept })
}

/// Grid size: Grafana's 24 columns (or the old rows' 12 spans) to Vantage's
/// 12, its row units of 30 px to Vantage's chart heights.
fn size(panel: &Value) -> (u8, u8) {
    let width = match panel.pointer("/gridPos/w").and_then(Value::as_u64) {
        Some(w) => w.div_ceil(2),
        None => panel.get("span").and_then(Value::as_u64).unwrap_or(6),
    };
    let height = match panel.pointer("/gridPos/h").and_then(Value::as_u64) {
        Some(h) if h <= 10 => 1,
        Some(h) if h <= 16 => 2,
        Some(h) if h <= 22 => 3,
        Some(_) => 4,
        None => 1,
    };
    (width.clamp(1, 12) as u8, height)
}

fn links(
    panel: &Value,
    ids_by_uid: &HashMap<String, String>,
    notes: &mut Vec<Note>,
) -> Vec<LinkFile> {
    let mut out = Vec::new();
    for link in panel
        .get("links")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let url = str_of(link, "url").unwrap_or("");
        let target = url
            .strip_prefix("/d/")
            .and_then(|rest| rest.split(['/', '?']).next())
            .and_then(|uid| ids_by_uid.get(uid));
        match target {
            Some(id) if out.len() < 4 => out.push(LinkFile {
                title: text(link.get("title"), 60).unwrap_or_else(|| id.clone()),
                dashboard: id.clone(),
                series_variable: None,
            }),
            _ => notes.push(Note::lost(
                "a link that does not lead to a dashboard imported with it (Vantage links only to its own dashboards)",
            )),
        }
    }
    out
}
