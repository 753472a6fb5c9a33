//! The checks file: which health endpoints to check, how often, and what counts
//! as up, degraded or down. The format is in `docs/health.md`.

use std::{
    collections::{BTreeMap, HashMap},
    path::Path,
    time::Duration,
};

use reqwest::{Method, Url};
use serde::Deserialize;

use super::rules::{AlertRule, AlertRuleFile};

/// A checks file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChecksFile {
    #[serde(default)]
    settings: SettingsFile,
    #[serde(default)]
    defaults: DefaultsFile,
    #[serde(default)]
    checks: Vec<CheckFile>,
    /// Alert rules; without any, the defaults apply.
    alerts: Option<Vec<AlertRuleFile>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsFile {
    max_concurrent: Option<usize>,
    allow_link_local: Option<bool>,
    max_body_bytes: Option<usize>,
}

/// What every check gets unless it says otherwise.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DefaultsFile {
    interval_seconds: Option<f64>,
    timeout_seconds: Option<f64>,
    degraded_after_ms: Option<u64>,
    down_after_ms: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckFile {
    name: String,
    url: String,
    service: Option<String>,
    method: Option<String>,
    interval_seconds: Option<f64>,
    timeout_seconds: Option<f64>,
    degraded_after_ms: Option<u64>,
    down_after_ms: Option<u64>,
    expect_status: Option<Vec<u16>>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    conditions: Vec<ConditionFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConditionFile {
    /// A JSON pointer into the body, such as `/status`.
    json: String,
    equals: toml::Value,
}

/// Settings for the checker as a whole.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckerSettings {
    /// Checks running at once, at most.
    pub max_concurrent: usize,
    /// Whether link-local and cloud metadata addresses may be checked.
    pub allow_link_local: bool,
    /// A health answer longer than this is an error (and is not read further).
    pub max_body_bytes: usize,
}

impl Default for CheckerSettings {
    fn default() -> Self {
        Self {
            max_concurrent: 256,
            allow_link_local: false,
            max_body_bytes: 256 * 1024,
        }
    }
}

/// One check, ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckSpec {
    pub name: String,
    pub service: String,
    pub url: Url,
    pub method: Method,
    pub interval: Duration,
    pub timeout: Duration,
    pub degraded_after: Duration,
    pub down_after: Duration,
    /// Empty: any 2xx.
    pub expect_status: Vec<u16>,
    pub headers: Vec<(String, String)>,
    pub conditions: Vec<Condition>,
}

/// The body must be JSON with `equals` at `pointer`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub pointer: String,
    pub equals: serde_json::Value,
}

/// The whole file, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ChecksConfig {
    pub settings: CheckerSettings,
    /// In the file's order.
    pub checks: Vec<CheckSpec>,
    pub alerts: Vec<AlertRule>,
    /// Where each check is in `checks`, by name: results are matched to their
    /// check many times a second.
    index: HashMap<String, usize>,
}

impl Default for ChecksConfig {
    fn default() -> Self {
        Self::new(
            CheckerSettings::default(),
            Vec::new(),
            AlertRule::defaults(),
        )
    }
}

pub use app::model::FileProblem;

const DEFAULT_INTERVAL: f64 = 30.0;
const DEFAULT_TIMEOUT: f64 = 10.0;
const DEFAULT_DEGRADED_MS: u64 = 1_000;
const DEFAULT_DOWN_MS: u64 = 5_000;
const MAX_CHECKS: usize = 100_000;

impl ChecksConfig {
    fn new(settings: CheckerSettings, checks: Vec<CheckSpec>, alerts: Vec<AlertRule>) -> Self {
        let index = checks
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.clone(), i))
            .collect();
        Self {
            settings,
            checks,
            alerts,
            index,
        }
    }

    /// The check called `name`.
    pub fn check(&self, name: &str) -> Option<&CheckSpec> {
        self.index.get(name).map(|i| &self.checks[*i])
    }

    pub fn read(path: &Path) -> Result<Self, FileProblem> {
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(path)
            .map_err(|e| FileProblem::new(&file, "(file)", e.kind().to_string()))?;
        Self::parse(&file, &text)
    }

    pub fn parse(file: &str, text: &str) -> Result<Self, FileProblem> {
        let err = |field: String, reason: String| FileProblem::new(file, field, reason);
        let raw: ChecksFile = toml::from_str(text)
            .map_err(|e| FileProblem::syntax(file, text, e.span().map(|s| s.start), e.message()))?;
        let settings = CheckerSettings {
            max_concurrent: raw.settings.max_concurrent.unwrap_or(256),
            allow_link_local: raw.settings.allow_link_local.unwrap_or(false),
            max_body_bytes: raw.settings.max_body_bytes.unwrap_or(256 * 1024),
        };
        if !(1..=10_000).contains(&settings.max_concurrent) {
            return Err(err(
                "settings.max_concurrent".into(),
                "between 1 and 10000".into(),
            ));
        }
        if !(1..=16 << 20).contains(&settings.max_body_bytes) {
            return Err(err(
                "settings.max_body_bytes".into(),
                "between 1 and 16 MiB".into(),
            ));
        }
        if raw.checks.len() > MAX_CHECKS {
            return Err(err("checks".into(), format!("at most {MAX_CHECKS} checks")));
        }
        let d = &raw.defaults;
        let mut checks = Vec::with_capacity(raw.checks.len());
        let mut names = std::collections::HashSet::new();
        for (i, c) in raw.checks.into_iter().enumerate() {
            let at = |f: &str| format!("checks[{i}].{f}");
            let name = c.name.trim().to_string();
            if name.is_empty() || name.len() > 100 || name.chars().any(char::is_control) {
                return Err(err(
                    at("name"),
                    "1 to 100 characters, no control characters".into(),
                ));
            }
            if !names.insert(name.clone()) {
                return Err(err(at("name"), format!("{name:?} is used twice")));
            }
            let url = Url::parse(&c.url).map_err(|e| err(at("url"), e.to_string()))?;
            if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
                return Err(err(at("url"), "an http or https URL with a host".into()));
            }
            if !url.username().is_empty() || url.password().is_some() {
                return Err(err(
                    at("url"),
                    "no credentials in the URL: use headers".into(),
                ));
            }
            let method = match c.method.as_deref().unwrap_or("GET").to_ascii_uppercase() {
                m if ["GET", "HEAD", "POST", "OPTIONS"].contains(&m.as_str()) => {
                    Method::from_bytes(m.as_bytes()).expect("a known method")
                }
                m => {
                    return Err(err(
                        at("method"),
                        format!("GET, HEAD, POST or OPTIONS, not {m:?}"),
                    ))
                }
            };
            let seconds = |v: Option<f64>, default: f64, field: &str, range: (f64, f64)| {
                let v = v.unwrap_or(default);
                if !(range.0..=range.1).contains(&v) {
                    return Err(err(
                        at(field),
                        format!("between {} and {} seconds", range.0, range.1),
                    ));
                }
                Ok(Duration::from_secs_f64(v))
            };
            let interval = seconds(
                c.interval_seconds.or(d.interval_seconds),
                DEFAULT_INTERVAL,
                "interval_seconds",
                (1.0, 86_400.0),
            )?;
            let timeout = seconds(
                c.timeout_seconds.or(d.timeout_seconds),
                DEFAULT_TIMEOUT,
                "timeout_seconds",
                (0.1, 300.0),
            )?;
            let degraded_after = Duration::from_millis(
                c.degraded_after_ms
                    .or(d.degraded_after_ms)
                    .unwrap_or(DEFAULT_DEGRADED_MS),
            );
            let down_after = Duration::from_millis(
                c.down_after_ms
                    .or(d.down_after_ms)
                    .unwrap_or(DEFAULT_DOWN_MS),
            );
            if degraded_after >= down_after {
                return Err(err(
                    at("degraded_after_ms"),
                    format!(
                        "must be below down_after_ms ({} ms)",
                        down_after.as_millis()
                    ),
                ));
            }
            if timeout < down_after {
                return Err(err(
                    at("timeout_seconds"),
                    format!(
                        "must be at least down_after_ms ({} ms), or nothing could be down for slowness",
                        down_after.as_millis()
                    ),
                ));
            }
            if timeout > interval.max(Duration::from_secs(1)) * 10 {
                return Err(err(at("timeout_seconds"), "at most ten intervals".into()));
            }
            let expect_status = c.expect_status.unwrap_or_default();
            if let Some(bad) = expect_status.iter().find(|s| !(100..=599).contains(*s)) {
                return Err(err(
                    at("expect_status"),
                    format!("{bad} is not an HTTP status"),
                ));
            }
            let mut headers = Vec::new();
            for (k, v) in c.headers {
                if reqwest::header::HeaderName::from_bytes(k.as_bytes()).is_err()
                    || reqwest::header::HeaderValue::from_str(&v).is_err()
                {
                    return Err(err(
                        at(&format!("headers.{k}")),
                        "not a valid HTTP header".into(),
                    ));
                }
                headers.push((k, v));
            }
            let mut conditions = Vec::new();
            for (j, cond) in c.conditions.into_iter().enumerate() {
                if !(cond.json.is_empty() || cond.json.starts_with('/')) {
                    return Err(err(
                        at(&format!("conditions[{j}].json")),
                        "a JSON pointer such as /status".into(),
                    ));
                }
                let equals = serde_json::to_value(&cond.equals)
                    .map_err(|e| err(at(&format!("conditions[{j}].equals")), e.to_string()))?;
                conditions.push(Condition {
                    pointer: cond.json,
                    equals,
                });
            }
            let service = c.service.unwrap_or_else(|| name.clone());
            checks.push(CheckSpec {
                name,
                service,
                url,
                method,
                interval,
                timeout,
                degraded_after,
                down_after,
                expect_status,
                headers,
                conditions,
            });
        }
        let alerts = match raw.alerts {
            None => AlertRule::defaults(),
            Some(rules) => {
                let mut alerts: Vec<AlertRule> = Vec::with_capacity(rules.len());
                for (i, rule) in rules.into_iter().enumerate() {
                    let rule = AlertRule::from_file(rule)
                        .map_err(|(field, reason)| err(format!("alerts[{i}].{field}"), reason))?;
                    if alerts.iter().any(|r| r.name == rule.name) {
                        return Err(err(
                            format!("alerts[{i}].name"),
                            format!("{:?} is used twice", rule.name),
                        ));
                    }
                    alerts.push(rule);
                }
                alerts
            }
        };
        Ok(ChecksConfig::new(settings, checks, alerts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ChecksConfig, FileProblem> {
        ChecksConfig::parse("checks.toml", text)
    }

    #[test]
    fn defaults_are_the_usual_thresholds() {
        let c =
            parse("[[checks]]\nname = \"auth\"\nurl = \"http://127.0.0.1:8001/health\"\n").unwrap();
        let check = &c.checks[0];
        assert_eq!(check.interval, Duration::from_secs(30));
        assert_eq!(check.degraded_after, Duration::from_secs(1));
        assert_eq!(check.down_after, Duration::from_secs(5));
        assert_eq!(check.service, "auth");
        assert_eq!(check.method, Method::GET);
    }

    #[test]
    fn mistakes_name_the_field_and_the_reason() {
        for (text, field, words) in [
            ("[[checks]]\nname = \"a\"\nurl = \"ftp://x/\"\n", "checks[0].url", "http"),
            ("[[checks]]\nname = \"a\"\nurl = \"not a url\"\n", "checks[0].url", "relative"),
            (
                "[[checks]]\nname = \"a\"\nurl = \"http://u:p@x/\"\n",
                "checks[0].url",
                "credentials",
            ),
            (
                "[[checks]]\nname = \"a\"\nurl = \"http://x/\"\ndegraded_after_ms = 6000\n",
                "checks[0].degraded_after_ms",
                "below down_after_ms",
            ),
            (
                "[[checks]]\nname = \"a\"\nurl = \"http://x/\"\ntimeout_seconds = 2\n",
                "checks[0].timeout_seconds",
                "at least down_after_ms",
            ),
            (
                "[[checks]]\nname = \"a\"\nurl = \"http://x/\"\ninterval_seconds = 0\n",
                "checks[0].interval_seconds",
                "between",
            ),
            (
                "[[checks]]\nname = \"a\"\nurl = \"http://x/\"\n[[checks]]\nname = \"a\"\nurl = \"http://y/\"\n",
                "checks[1].name",
                "twice",
            ),
            (
                "[[checks]]\nname = \"a\"\nurl = \"http://x/\"\nmethod = \"DELETE\"\n",
                "checks[0].method",
                "GET",
            ),
            (
                "[[checks]]\nname = \"a\"\nurl = \"http://x/\"\nexpect_status = [700]\n",
                "checks[0].expect_status",
                "700",
            ),
            (
                "[[checks]]\nname = \"a\"\nurl = \"http://x/\"\nheaders = { \"X-A\" = \"line\\nbreak\" }\n",
                "checks[0].headers.X-A",
                "header",
            ),
            (
                "[[checks]]\nname = \"a\"\nurl = \"http://x/\"\nintervall = 3\n",
                "(syntax)",
                "intervall",
            ),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!(e.field, field, "{text}: {e}");
            assert!(e.reason.contains(words), "{text}: {e}");
            assert_eq!(e.file, "checks.toml");
        }
    }

    #[test]
    fn alert_rules_default_to_the_usual_ones_and_mistakes_are_named() {
        let c = parse("").unwrap();
        let names: Vec<&str> = c.alerts.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "ServiceDown",
                "FrontendDown",
                "ServiceDegraded",
                "SlowResponses"
            ]
        );
        let c = parse("[[alerts]]\nname = \"Down\"\nwhen = \"down\"\nfor_seconds = 5\nseverity = \"critical\"\n").unwrap();
        assert_eq!(c.alerts.len(), 1, "rules given replace the defaults");
        for (text, field) in [
            (
                "[[alerts]]\nname = \"A\"\nwhen = \"sideways\"\n",
                "alerts[0].when",
            ),
            (
                "[[alerts]]\nname = \"A\"\nwhen = \"slow\"\n",
                "alerts[0].slower_than_ms",
            ),
            (
                "[[alerts]]\nname = \"A\"\nwhen = \"down\"\nseverity = \"meh\"\n",
                "alerts[0].severity",
            ),
            (
                "[[alerts]]\nname = \"A\"\nwhen = \"down\"\nfor_seconds = -1\n",
                "alerts[0].for_seconds",
            ),
            (
                "[[alerts]]\nname = \"A B\"\nwhen = \"down\"\n",
                "alerts[0].name",
            ),
        ] {
            assert_eq!(parse(text).unwrap_err().field, field, "{text}");
        }
    }

    #[test]
    fn conditions_and_headers_are_kept() {
        let c = parse(
            "[[checks]]\nname = \"a\"\nurl = \"http://x/health\"\nheaders = { Authorization = \"Bearer t\" }\n[[checks.conditions]]\njson = \"/status\"\nequals = \"healthy\"\n",
        )
        .unwrap();
        assert_eq!(
            c.checks[0].headers,
            [("Authorization".into(), "Bearer t".into())]
        );
        assert_eq!(c.checks[0].conditions[0].pointer, "/status");
        assert_eq!(
            c.checks[0].conditions[0].equals,
            serde_json::json!("healthy")
        );
    }
}
