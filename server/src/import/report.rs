//! The fidelity report: per dashboard and panel, what it was imported as,
//! and everything that did not come over or came over changed, with why.

use serde::Serialize;

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub dashboards: Vec<DashboardReport>,
    /// Inputs that could not be read as a Grafana dashboard.
    pub refused: Vec<Refusal>,
    pub totals: Totals,
}

#[derive(Debug, Serialize)]
pub struct Refusal {
    pub input: String,
    pub reason: String,
}

#[derive(Debug, Default, Serialize)]
pub struct DashboardReport {
    pub input: String,
    pub title: String,
    /// The file written (under `--out`).
    pub file: String,
    pub schema_version: Option<i64>,
    pub panels: Vec<PanelReport>,
    /// What of the dashboard itself (variables, time, links) changed or was lost.
    pub notes: Vec<Note>,
}

#[derive(Debug, Serialize)]
pub struct PanelReport {
    /// Grafana's title and type.
    pub title: String,
    pub grafana_type: String,
    /// The Vantage panel id and kind; `None` when it was left out.
    pub imported_as: Option<Imported>,
    pub notes: Vec<Note>,
}

#[derive(Debug, Serialize)]
pub struct Imported {
    pub id: String,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fidelity {
    /// Came over, but not as it was.
    Changed,
    /// Did not come over.
    Lost,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Note {
    pub fidelity: Fidelity,
    pub what: String,
}

impl Note {
    pub fn changed(what: impl Into<String>) -> Self {
        Self {
            fidelity: Fidelity::Changed,
            what: what.into(),
        }
    }
    pub fn lost(what: impl Into<String>) -> Self {
        Self {
            fidelity: Fidelity::Lost,
            what: what.into(),
        }
    }
}

#[derive(Debug, Default, Serialize)]
pub struct Totals {
    pub dashboards: usize,
    pub refused: usize,
    pub panels: usize,
    pub panels_imported: usize,
    pub panels_as_they_were: usize,
    pub panels_left_out: usize,
    pub changed: usize,
    pub lost: usize,
}

impl Report {
    pub fn count(&mut self) {
        let mut t = Totals {
            dashboards: self.dashboards.len(),
            refused: self.refused.len(),
            ..Totals::default()
        };
        for d in &self.dashboards {
            let notes = d.notes.iter().chain(d.panels.iter().flat_map(|p| &p.notes));
            for n in notes {
                match n.fidelity {
                    Fidelity::Changed => t.changed += 1,
                    Fidelity::Lost => t.lost += 1,
                }
            }
            for p in &d.panels {
                t.panels += 1;
                match &p.imported_as {
                    Some(_) if p.notes.is_empty() => {
                        t.panels_imported += 1;
                        t.panels_as_they_were += 1;
                    }
                    Some(_) => t.panels_imported += 1,
                    None => t.panels_left_out += 1,
                }
            }
        }
        self.totals = t;
    }

    /// The report for a person: a block per dashboard, a line per panel.
    pub fn text(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        for d in &self.dashboards {
            let _ = writeln!(out, "{} ({:?}) -> {}", d.input, d.title, d.file);
            for n in &d.notes {
                let _ = writeln!(out, "  {}", line(n));
            }
            for p in &d.panels {
                match &p.imported_as {
                    Some(i) => {
                        let _ = writeln!(
                            out,
                            "  panel {:?} ({}) -> {} {}",
                            p.title, p.grafana_type, i.kind, i.id
                        );
                    }
                    None => {
                        let _ =
                            writeln!(out, "  panel {:?} ({}) left out", p.title, p.grafana_type);
                    }
                }
                for n in &p.notes {
                    let _ = writeln!(out, "    {}", line(n));
                }
            }
        }
        for r in &self.refused {
            let _ = writeln!(out, "{}: not imported: {}", r.input, r.reason);
        }
        let t = &self.totals;
        let _ = writeln!(
            out,
            "{} dashboard(s) imported, {} refused; panels: {} of {} imported ({} as they were), {} left out; {} change(s), {} loss(es)",
            t.dashboards,
            t.refused,
            t.panels_imported,
            t.panels,
            t.panels_as_they_were,
            t.panels_left_out,
            t.changed,
            t.lost
        );
        out
    }
}

fn line(n: &Note) -> String {
    match n.fidelity {
        Fidelity::Changed => format!("changed: {}", n.what),
        Fidelity::Lost => format!("lost: {}", n.what),
    }
}
