//! Health checks as the API and pages see them.

use serde::{Deserialize, Serialize};

use super::Point;

/// What one check said about a service. Ordered from best to worst, so the
/// worst of several is their `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    /// Answered as expected, faster than the degraded threshold.
    Up,
    /// Answered, but slowly (or a component said it is degraded).
    Degraded,
    /// No answer, an error, an unexpected answer, or slower than the down threshold.
    Down,
}

impl HealthStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HealthStatus::Up => "up",
            HealthStatus::Degraded => "degraded",
            HealthStatus::Down => "down",
        }
    }

    /// How a health endpoint's own word for a component reads: `healthy`, `ok`,
    /// `up`, `pass` are up; `degraded`, `warn` degraded; anything else down.
    pub fn from_word(word: &str) -> HealthStatus {
        match word.trim().to_ascii_lowercase().as_str() {
            "up" | "ok" | "healthy" | "pass" | "passing" | "green" => HealthStatus::Up,
            "degraded" | "warn" | "warning" | "yellow" | "slow" => HealthStatus::Degraded,
            _ => HealthStatus::Down,
        }
    }
}

/// One component a detailed health endpoint reported (database, cache, …).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComponentResult {
    pub name: String,
    pub status: HealthStatus,
    /// The endpoint's own word for it, as given.
    pub said: String,
}

/// One run of one check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub check: String,
    /// When the check started, Unix milliseconds.
    pub at_ms: i64,
    pub status: HealthStatus,
    /// Until the answer (or the failure), milliseconds.
    pub response_ms: f64,
    /// The HTTP status, when there was an answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// Why it is not up, in words for a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<ComponentResult>,
}

/// A check as the health page lists it: what it is and how it is now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckSummary {
    pub name: String,
    /// The service it belongs to, as the dashboards' `service` filter names it.
    pub service: String,
    pub url: String,
    pub interval_seconds: u64,
    /// The newest result; `None` until the first run finished.
    pub latest: Option<CheckResult>,
    /// Since when the check has had its current status, Unix milliseconds.
    pub since_ms: Option<i64>,
}

/// A change of status.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    pub check: String,
    pub at_ms: i64,
    /// `None` for the first result a check ever had.
    pub from: Option<HealthStatus>,
    pub to: HealthStatus,
}

/// One step of a check's history: how its runs in that step went.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryPoint {
    /// Start of the step, Unix milliseconds.
    pub at_ms: i64,
    pub up: u32,
    pub degraded: u32,
    pub down: u32,
    /// Mean and worst response time of the step's runs, milliseconds.
    pub mean_ms: f64,
    pub max_ms: f64,
}

/// A check's history over a range.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckHistory {
    pub check: String,
    pub from_ms: i64,
    pub to_ms: i64,
    /// Step of `points`: a run each (0), a minute or an hour, by the range.
    pub step_ms: i64,
    pub points: Vec<HistoryPoint>,
    pub transitions: Vec<Transition>,
    /// Share of runs that were up or degraded (answered), percent; `None` without runs.
    pub uptime_percent: Option<f64>,
}

/// A check as the health page shows it over a range: now, uptime, response
/// times and the latest changes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckCard {
    #[serde(flatten)]
    pub check: CheckSummary,
    /// Share of runs in the range that answered (up or degraded), percent.
    pub uptime_percent: Option<f64>,
    /// Mean response time per step over the range (Unix seconds, ms).
    pub response: Vec<Point>,
    /// The newest status changes in the range, newest first.
    pub transitions: Vec<Transition>,
}

/// Every check over a range.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HealthView {
    pub from_ms: i64,
    pub to_ms: i64,
    pub checks: Vec<CheckCard>,
    /// What is wrong with the checks file, if its last edit had a mistake
    /// (the last good checks keep running).
    #[serde(default)]
    pub problems: Vec<FileProblem>,
    /// Why the health store cannot be reached, while it cannot: checks keep
    /// their newest result here, history is not shown, and they resume
    /// being kept once it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_problem: Option<String>,
}

/// A mistake in a file: which file, where (the line, when the reader knows
/// it: syntax errors), which field, and what is wrong. Dashboards, the checks
/// file, `vantage check` and the API all say a mistake in this one shape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub struct FileProblem {
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// `checks[2].url`, or a word in parentheses for the whole file:
    /// `(syntax)`, `(file)`, `(folder)`, `(file name)`.
    pub field: String,
    pub reason: String,
}

impl FileProblem {
    pub fn new(
        file: impl Into<String>,
        field: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            file: file.into(),
            line: None,
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// A syntax error at byte `at` of `text`.
    pub fn syntax(
        file: impl Into<String>,
        text: &str,
        at: Option<usize>,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            line: at.map(|at| text[..at.min(text.len())].lines().count().max(1)),
            ..Self::new(file, "(syntax)", reason)
        }
    }

    /// The mistake as someone of `role` sees it: an admin whole; anyone else
    /// that the file has one, not what it is (operator files are admins'
    /// business, and their mistakes can quote what the file holds).
    pub fn seen_by(&self, role: super::Role) -> Self {
        if role >= super::Role::Admin {
            return self.clone();
        }
        Self {
            line: None,
            field: "(file)".into(),
            reason: "has a mistake (an admin sees which); the last good version is in use".into(),
            ..self.file_name_only()
        }
    }

    /// The same mistake, its file named by its name alone (what the API
    /// shows: where the server keeps its files is its own business).
    pub fn file_name_only(&self) -> Self {
        let name = self.file.rsplit('/').next().unwrap_or_default().to_string();
        Self {
            file: name,
            ..self.clone()
        }
    }
}

impl std::fmt::Display for FileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(
                f,
                "{}: line {line}: {}: {}",
                self.file, self.field, self.reason
            ),
            None => write!(f, "{}: {}: {}", self.file, self.field, self.reason),
        }
    }
}

/// Alerts as the alerts page shows them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertsView {
    pub alerts: Vec<super::Alert>,
    /// Services the list can be narrowed to: those with checks or alerts.
    #[serde(default)]
    pub services: Vec<String>,
    /// Sources that did not answer (their alerts are missing).
    #[serde(default)]
    pub problems: Vec<String>,
}

/// What is red right now, for the navigation: checks down or degraded, and
/// alerts firing (Vantage's and Prometheus').
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attention {
    pub checks_down: usize,
    pub checks_degraded: usize,
    pub alerts_firing: usize,
}
