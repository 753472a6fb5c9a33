//! Marks on time-series charts: when alerts fired and resolved and when health
//! checks changed state, for the services a view is filtered to.

use serde::{Deserialize, Serialize};

use super::Level;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnnotationKind {
    /// An alert: a span from `at_ms` to `end_ms` (still firing without one).
    Alert,
    /// A health check changed state at `at_ms`.
    Health,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Annotation {
    pub kind: AnnotationKind,
    /// Unix milliseconds.
    pub at_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_ms: Option<i64>,
    /// How bad: the alert's severity, or the state a check went to.
    pub level: Level,
    /// The service it is about, if it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// One line: the alert's name, or "checkout: up → down". Data: shown as text.
    pub title: String,
    /// The alert's summary, or the check's name.
    #[serde(default)]
    pub detail: String,
}

impl Annotation {
    /// Whether any of it lies in `[start, end]` (Unix seconds).
    pub fn overlaps(&self, start: i64, end: i64) -> bool {
        let from = self.at_ms / 1000;
        let to = self.end_ms.map_or(i64::MAX, |e| e / 1000);
        from <= end && to >= start && (self.kind == AnnotationKind::Alert || from >= start)
    }
}
