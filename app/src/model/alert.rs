//! Alerts as the API and pages see them: Vantage's own (from health checks)
//! and those Prometheus' rules raise, in one shape.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }

    /// A `severity` label's value; anything unknown reads as a warning.
    pub fn from_label(label: &str) -> Severity {
        match label.trim().to_ascii_lowercase().as_str() {
            "critical" | "page" | "error" => Severity::Critical,
            "info" | "none" => Severity::Info,
            _ => Severity::Warning,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    /// Its condition holds but not yet for long enough (Prometheus' pending).
    Pending,
    Firing,
    Resolved,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertSource {
    /// Raised by Vantage from its health checks.
    Vantage,
    /// Raised by a Prometheus alerting rule.
    Prometheus,
    /// Held by Alertmanager (from any other sender).
    Alertmanager,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Stable for one alert: the same through firing and resolved.
    pub id: String,
    pub source: AlertSource,
    pub name: String,
    pub severity: Severity,
    pub state: AlertState,
    /// Since when it has been pending or firing, Unix milliseconds.
    pub since_ms: i64,
    /// When it resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_ms: Option<i64>,
    /// The service it is about, when it says (a `service` label).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    pub summary: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}
