//! Alert rules, the `[[alerts]]` tables of the checks file: when a check's
//! results raise an alert, how bad it is, and for which services. The defaults
//! are the ones teams run today. They are read with the checks they judge; the
//! alerts part (`crate::alerts`) runs them.

use std::time::Duration;

use app::model::Severity;
use serde::Deserialize;

/// An `[[alerts]]` table of the checks file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertRuleFile {
    pub name: String,
    /// `down`, `degraded` or `slow`.
    pub when: String,
    pub for_seconds: Option<f64>,
    pub severity: Option<String>,
    /// For `slow`: response time above this.
    pub slower_than_ms: Option<u64>,
    /// Only checks of these services (default: all).
    #[serde(default)]
    pub services: Vec<String>,
    /// Only these checks, by name (default: all).
    #[serde(default)]
    pub checks: Vec<String>,
    /// Never checks of these services.
    #[serde(default)]
    pub exclude_services: Vec<String>,
    pub cooldown_seconds: Option<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RuleCondition {
    Down,
    Degraded,
    SlowerThan(Duration),
}

#[derive(Clone, Debug, PartialEq)]
pub struct AlertRule {
    pub name: String,
    pub when: RuleCondition,
    /// How long the condition must hold before the alert fires.
    pub hold: Duration,
    pub severity: Severity,
    pub services: Vec<String>,
    pub checks: Vec<String>,
    pub exclude_services: Vec<String>,
    /// After it resolves, the same alert does not fire again this soon.
    pub cooldown: Duration,
}

const DEFAULT_COOLDOWN: Duration = Duration::from_secs(300);

impl AlertRule {
    /// Whether the rule watches `check` of `service`.
    pub fn applies_to(&self, check: &str, service: &str) -> bool {
        (self.services.is_empty() || self.services.iter().any(|s| s == service))
            && (self.checks.is_empty() || self.checks.iter().any(|c| c == check))
            && !self.exclude_services.iter().any(|s| s == service)
    }

    /// Down over 30 s is critical, except for front-ends, which may be down
    /// 2 min and then only warn; degraded over 1 min and answers over 5 s for
    /// 2 min are warnings.
    pub fn defaults() -> Vec<AlertRule> {
        let rule =
            |name: &str, when, secs, severity, services: &[&str], exclude: &[&str]| AlertRule {
                name: name.into(),
                when,
                hold: Duration::from_secs(secs),
                severity,
                services: services.iter().map(|s| s.to_string()).collect(),
                checks: Vec::new(),
                exclude_services: exclude.iter().map(|s| s.to_string()).collect(),
                cooldown: DEFAULT_COOLDOWN,
            };
        vec![
            rule(
                "ServiceDown",
                RuleCondition::Down,
                30,
                Severity::Critical,
                &[],
                &["frontend"],
            ),
            rule(
                "FrontendDown",
                RuleCondition::Down,
                120,
                Severity::Warning,
                &["frontend"],
                &[],
            ),
            rule(
                "ServiceDegraded",
                RuleCondition::Degraded,
                60,
                Severity::Warning,
                &[],
                &[],
            ),
            rule(
                "SlowResponses",
                RuleCondition::SlowerThan(Duration::from_secs(5)),
                120,
                Severity::Warning,
                &[],
                &[],
            ),
        ]
    }

    /// Checks one `[[alerts]]` table; the error names the field and why.
    pub fn from_file(raw: AlertRuleFile) -> Result<AlertRule, (&'static str, String)> {
        let name = raw.name.trim().to_string();
        if name.is_empty()
            || name.len() > 100
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(("name", "1 to 100 letters, digits, - or _".into()));
        }
        let when = match (raw.when.as_str(), raw.slower_than_ms) {
            ("down", None) => RuleCondition::Down,
            ("degraded", None) => RuleCondition::Degraded,
            ("slow", Some(ms)) if ms > 0 => RuleCondition::SlowerThan(Duration::from_millis(ms)),
            ("slow", _) => {
                return Err((
                    "slower_than_ms",
                    "a slow rule needs slower_than_ms above 0".into(),
                ))
            }
            ("down" | "degraded", Some(_)) => {
                return Err(("slower_than_ms", "only for when = \"slow\"".into()))
            }
            (other, _) => {
                return Err((
                    "when",
                    format!(
                        "down, degraded or slow, not {:?}",
                        other.chars().take(20).collect::<String>()
                    ),
                ))
            }
        };
        let seconds = |v: Option<f64>, default: f64, field: &'static str| {
            let v = v.unwrap_or(default);
            if !(0.0..=86_400.0 * 7.0).contains(&v) {
                return Err((field, "between 0 and 604800 seconds".to_string()));
            }
            Ok(Duration::from_secs_f64(v))
        };
        let severity = match raw.severity.as_deref().unwrap_or("warning") {
            "critical" => Severity::Critical,
            "warning" => Severity::Warning,
            "info" => Severity::Info,
            other => {
                return Err((
                    "severity",
                    format!(
                        "critical, warning or info, not {:?}",
                        other.chars().take(20).collect::<String>()
                    ),
                ))
            }
        };
        Ok(AlertRule {
            name,
            when,
            hold: seconds(raw.for_seconds, 0.0, "for_seconds")?,
            severity,
            services: raw.services,
            checks: raw.checks,
            exclude_services: raw.exclude_services,
            cooldown: seconds(
                raw.cooldown_seconds,
                DEFAULT_COOLDOWN.as_secs_f64(),
                "cooldown_seconds",
            )?,
        })
    }
}
