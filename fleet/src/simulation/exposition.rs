//! Writing metric families: the Prometheus text format for `/metrics`, and
//! OpenMetrics with timestamps for backfilling history.

use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

#[derive(Debug, Clone)]
pub struct MetricSample {
    pub name: String,
    /// Already rendered `k="v",…` (escaped).
    pub labels: String,
    pub value: f64,
}

#[derive(Debug, Clone)]
pub struct Family {
    pub name: String,
    pub kind: Kind,
    pub help: String,
    pub samples: Vec<MetricSample>,
}

impl Family {
    pub fn new(name: &str, kind: Kind, help: &str) -> Self {
        Self {
            name: name.to_string(),
            kind,
            help: help.to_string(),
            samples: Vec::new(),
        }
    }

    pub fn push(&mut self, metric: &str, labels: &[(&str, &str)], value: f64) {
        self.push_with(metric, labels, None, value);
    }

    pub fn push_with(
        &mut self,
        metric: &str,
        labels: &[(&str, &str)],
        extra: Option<(&str, &str)>,
        value: f64,
    ) {
        let mut rendered = String::new();
        for (k, v) in labels.iter().chain(extra.as_ref()) {
            if !rendered.is_empty() {
                rendered.push(',');
            }
            let _ = write!(rendered, "{k}=\"{}\"", escape(v));
        }
        self.samples.push(MetricSample {
            name: metric.to_string(),
            labels: rendered,
            value,
        });
    }

    /// The name in an OpenMetrics TYPE line: counters drop their `_total`.
    fn openmetrics_name(&self) -> &str {
        match self.kind {
            Kind::Counter => self.name.strip_suffix("_total").unwrap_or(&self.name),
            _ => &self.name,
        }
    }
}

/// Label values escape `\`, `"` and newlines, as both formats require.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

pub fn text_format(families: &[Family]) -> String {
    let mut out = String::with_capacity(16 * 1024);
    for f in families {
        let _ = writeln!(out, "# HELP {} {}", f.name, f.help);
        let _ = writeln!(out, "# TYPE {} {}", f.name, f.kind.as_str());
        for s in &f.samples {
            let _ = writeln!(out, "{}{{{}}} {}", s.name, s.labels, s.value);
        }
    }
    out
}

/// Collects samples of many families over many timestamps, then writes each
/// family contiguously, as OpenMetrics (and promtool) require.
#[derive(Default)]
pub struct OpenMetricsWriter {
    families: Vec<(String, Kind, String, String)>,
}

impl OpenMetricsWriter {
    pub fn add(&mut self, families: &[Family], extra: &[(&str, &str)], timestamp: i64) {
        let mut suffix = String::new();
        for (k, v) in extra {
            let _ = write!(suffix, ",{k}=\"{}\"", escape(v));
        }
        for f in families {
            let name = f.openmetrics_name();
            let index = match self.families.iter().position(|(n, ..)| n == name) {
                Some(i) => i,
                None => {
                    self.families
                        .push((name.to_string(), f.kind, f.help.clone(), String::new()));
                    self.families.len() - 1
                }
            };
            let body = &mut self.families[index].3;
            for s in &f.samples {
                let _ = writeln!(
                    body,
                    "{}{{{}{}}} {} {}",
                    s.name, s.labels, suffix, s.value, timestamp
                );
            }
        }
    }

    pub fn finish(self) -> String {
        let mut out = String::new();
        for (name, kind, help, body) in self.families {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} {}", kind.as_str());
            out.push_str(&body);
        }
        out.push_str("# EOF\n");
        out
    }
}
