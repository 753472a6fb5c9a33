//! `vantage import grafana FILE… --out DIR`: Grafana dashboards as Vantage
//! dashboard files, with a fidelity report (docs/import.md).
//!
//! Every file written is checked as the server would load it; a panel the
//! check refuses is left out (and said so) rather than the file written
//! broken, so what `import` writes always passes `vantage check`.

pub mod expr;
pub mod grafana;
pub mod report;

use std::{
    collections::{BTreeSet, HashMap},
    path::{Path, PathBuf},
};

use report::{DashboardReport, Note, Refusal, Report};

/// A dashboard JSON larger than this is refused: Grafana's largest real
/// dashboards are a few hundred kilobytes.
const MAX_INPUT_BYTES: u64 = 16 << 20;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot write to {path}: {source}")]
    Out {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Imports every file into `out`; the report says what came over. Inputs
/// that are not Grafana dashboards are in `report.refused`.
pub fn grafana(files: &[PathBuf], out: &Path) -> Result<Report, ImportError> {
    let mut report = Report::default();
    let mut read = Vec::new();
    for path in files {
        let input = path.display().to_string();
        match read_dashboard(path) {
            Ok(dashboard) => read.push((input, dashboard)),
            Err(reason) => report.refused.push(Refusal { input, reason }),
        }
    }
    // Files are named first, so links between the dashboards imported together
    // find each other.
    let mut taken = BTreeSet::new();
    let mut ids_by_uid = HashMap::new();
    let mut ids = Vec::new();
    for (_, dashboard) in &read {
        let id = grafana::unique(grafana::id_for(dashboard), &mut taken);
        if let Some(uid) = grafana::uid_of(dashboard) {
            ids_by_uid.insert(uid.to_string(), id.clone());
        }
        ids.push(id);
    }
    std::fs::create_dir_all(out).map_err(|source| ImportError::Out {
        path: out.to_path_buf(),
        source,
    })?;
    for ((input, dashboard), id) in read.iter().zip(ids) {
        let converted = grafana::convert(input, dashboard, &ids_by_uid);
        let mut dashboard_report = converted.report;
        if let Some(text) = checked(&id, converted.file, &mut dashboard_report) {
            let path = out.join(format!("{id}.toml"));
            std::fs::write(&path, text).map_err(|source| ImportError::Out {
                path: path.clone(),
                source,
            })?;
            dashboard_report.file = path.display().to_string();
        }
        report.dashboards.push(dashboard_report);
    }
    report.count();
    Ok(report)
}

fn read_dashboard(path: &Path) -> Result<serde_json::Value, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("cannot read it: {e}"))?
        .len();
    if size > MAX_INPUT_BYTES {
        return Err(format!(
            "it is {} MiB; a dashboard is at most {} MiB",
            size >> 20,
            MAX_INPUT_BYTES >> 20
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    // serde_json refuses nesting deeper than 128 levels on its own.
    let json: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("not JSON: {e}"))?;
    grafana::into_dashboard(json)
}

/// The file's text once the server's own check accepts it: a panel or
/// variable it refuses is left out, with the reason in the report. `None`
/// when nothing can be written (no panel left).
fn checked(
    id: &str,
    mut file: crate::dashboards::file::DashboardFile,
    report: &mut DashboardReport,
) -> Option<String> {
    let name = format!("{id}.toml");
    // Each round removes at least one panel or variable, or ends.
    loop {
        let text = match toml::to_string_pretty(&file) {
            Ok(t) => t,
            Err(e) => {
                report
                    .notes
                    .push(Note::lost(format!("nothing written: {e}")));
                return None;
            }
        };
        let problems = match crate::dashboards::file::parse_all(&name, id, &text) {
            Ok(_) => return Some(header(report) + &text),
            Err(problems) => problems,
        };
        let mut panels = BTreeSet::new();
        let mut variables = BTreeSet::new();
        for p in &problems {
            if let Some(i) = index_in(&p.field, "panels[") {
                panels.insert(i);
                let id = file.panels.get(i).map(|p| p.id.clone());
                if let Some(panel) = report
                    .panels
                    .iter_mut()
                    .find(|r| r.imported_as.as_ref().map(|a| &a.id) == id.as_ref())
                {
                    panel.imported_as = None;
                    panel.notes.push(Note::lost(format!(
                        "refused by Vantage's check: {}: {}",
                        p.field, p.reason
                    )));
                }
            } else if let Some(i) = index_in(&p.field, "variables[") {
                variables.insert(i);
                report.notes.push(Note::lost(format!(
                    "a variable refused by Vantage's check: {}",
                    p.reason
                )));
            }
        }
        if panels.is_empty() && variables.is_empty() {
            let reasons: Vec<String> = problems.iter().map(|p| p.reason.clone()).collect();
            report.notes.push(Note::lost(format!(
                "nothing written: {}",
                reasons.join("; ")
            )));
            return None;
        }
        for i in panels.into_iter().rev() {
            file.panels.remove(i);
        }
        for i in variables.into_iter().rev() {
            file.variables.remove(i);
        }
    }
}

/// `panels[3].queries[0].expr` → 3 for `panels[`.
fn index_in(field: &str, prefix: &str) -> Option<usize> {
    field.strip_prefix(prefix)?.split(']').next()?.parse().ok()
}

/// Where the file came from, as TOML comments above it.
fn header(report: &DashboardReport) -> String {
    let mut out = format!(
        "# Imported from Grafana ({}) by `vantage import grafana`.\n",
        report
            .schema_version
            .map(|v| format!("schema {v}"))
            .unwrap_or_else(|| "schema unknown".into())
    );
    out.push_str("# What changed or did not come over is in the import's report.\n\n");
    out
}
