//! Fires and resolves alerts from committed check results.
//!
//! For each rule and check: the condition must hold on every result for the
//! rule's `hold` time before the alert fires, once; the first result where it
//! no longer holds resolves it; and after a resolution the same alert does not
//! fire again within the rule's cooldown (a flapping service alerts once).

use std::collections::{BTreeMap, HashMap};

use app::model::{Alert, AlertSource, AlertState, CheckResult, HealthStatus};

use super::{AlertRule, RuleCondition};

#[derive(Clone, Debug, PartialEq)]
pub enum AlertChange {
    Fired(Alert),
    Resolved(Alert),
}

impl AlertChange {
    pub fn alert(&self) -> &Alert {
        match self {
            AlertChange::Fired(a) | AlertChange::Resolved(a) => a,
        }
    }
}

#[derive(Default)]
struct RuleState {
    /// The first result of the current run of results that meet the condition.
    holding_since: Option<i64>,
    firing: Option<Alert>,
    resolved_at: Option<i64>,
}

pub struct Engine {
    rules: Vec<AlertRule>,
    /// By (rule, check).
    states: HashMap<(String, String), RuleState>,
}

impl Engine {
    /// An engine that knows the alerts still firing from before a restart, so
    /// they resolve (and do not fire twice).
    pub fn new(rules: Vec<AlertRule>, firing: Vec<Alert>) -> Self {
        let mut engine = Self {
            rules,
            states: HashMap::new(),
        };
        engine.adopt(firing);
        engine
    }

    /// Alerts still firing of checks this replica has just taken over from
    /// another: kept as its own, so they resolve once (and do not fire
    /// again). Ones it already knows stay as they are.
    pub fn adopt(&mut self, firing: Vec<Alert>) {
        for alert in firing {
            let check = alert.labels.get("check").cloned().unwrap_or_default();
            let state = self.states.entry((alert.name.clone(), check)).or_default();
            if state.firing.is_none() {
                state.holding_since = Some(alert.since_ms);
                state.firing = Some(alert);
            }
        }
    }

    /// What it knows of `checks`, forgotten without a change: another
    /// replica runs them now, and resolves their alerts.
    pub fn forget_checks(&mut self, checks: &[String]) {
        self.states.retain(|(_, check), _| !checks.contains(check));
    }

    /// New rules (the checks file changed). Alerts of rules that are gone, or
    /// of checks that are gone, resolve at `now_ms`.
    pub fn set_rules(
        &mut self,
        rules: Vec<AlertRule>,
        is_check: impl Fn(&str) -> bool,
        now_ms: i64,
    ) -> Vec<AlertChange> {
        self.rules = rules;
        let mut changes = Vec::new();
        let rules = &self.rules;
        self.states.retain(|(rule, check), state| {
            let keep = rules.iter().any(|r| &r.name == rule) && is_check(check);
            if !keep {
                if let Some(alert) = state.firing.take() {
                    changes.push(AlertChange::Resolved(resolved(alert, now_ms)));
                }
            }
            keep
        });
        changes
    }

    /// What one committed result of a check of `service` changes.
    pub fn observe(&mut self, service: &str, result: &CheckResult) -> Vec<AlertChange> {
        let mut changes = Vec::new();
        for rule in self
            .rules
            .iter()
            .filter(|r| r.applies_to(&result.check, service))
        {
            let holds = match rule.when {
                RuleCondition::Down => result.status == HealthStatus::Down,
                RuleCondition::Degraded => result.status == HealthStatus::Degraded,
                RuleCondition::SlowerThan(limit) => {
                    result.response_ms > limit.as_secs_f64() * 1000.0
                }
            };
            let state = self
                .states
                .entry((rule.name.clone(), result.check.clone()))
                .or_default();
            if !holds {
                state.holding_since = None;
                if let Some(alert) = state.firing.take() {
                    state.resolved_at = Some(result.at_ms);
                    changes.push(AlertChange::Resolved(resolved(alert, result.at_ms)));
                }
                continue;
            }
            let since = *state.holding_since.get_or_insert(result.at_ms);
            let held_ms = result.at_ms - since;
            let cooling = state
                .resolved_at
                .is_some_and(|at| result.at_ms - at < rule.cooldown.as_millis() as i64);
            if state.firing.is_none() && held_ms >= rule.hold.as_millis() as i64 && !cooling {
                let alert = fired(rule, service, result, since);
                state.firing = Some(alert.clone());
                changes.push(AlertChange::Fired(alert));
            }
        }
        changes
    }

    /// The alerts firing now (to repeat to Alertmanager, which forgets alerts
    /// that are not sent again).
    pub fn firing(&self) -> Vec<Alert> {
        self.states
            .values()
            .filter_map(|s| s.firing.clone())
            .collect()
    }
}

fn fired(rule: &AlertRule, service: &str, result: &CheckResult, since: i64) -> Alert {
    let what = match rule.when {
        RuleCondition::Down => "is down".to_string(),
        RuleCondition::Degraded => "is degraded".to_string(),
        RuleCondition::SlowerThan(limit) => {
            format!("answers slower than {} ms", limit.as_millis())
        }
    };
    let mut summary = format!("{} {what}", result.check);
    if let Some(error) = &result.error {
        summary.push_str(": ");
        summary.push_str(error);
    }
    let labels = BTreeMap::from([
        ("alertname".to_string(), rule.name.clone()),
        ("check".to_string(), result.check.clone()),
        ("service".to_string(), service.to_string()),
        ("severity".to_string(), rule.severity.as_str().to_string()),
        ("source".to_string(), "vantage".to_string()),
    ]);
    Alert {
        id: format!("vantage:{}:{}:{since}", rule.name, result.check),
        source: AlertSource::Vantage,
        name: rule.name.clone(),
        severity: rule.severity,
        state: AlertState::Firing,
        since_ms: since,
        ended_ms: None,
        service: Some(service.to_string()),
        summary: summary.clone(),
        labels,
        annotations: BTreeMap::from([("summary".to_string(), summary)]),
    }
}

fn resolved(mut alert: Alert, at_ms: i64) -> Alert {
    alert.state = AlertState::Resolved;
    alert.ended_ms = Some(at_ms);
    alert
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use app::model::Severity;

    use super::*;

    fn rule(hold: u64, cooldown: u64) -> AlertRule {
        AlertRule {
            name: "ServiceDown".into(),
            when: RuleCondition::Down,
            hold: Duration::from_secs(hold),
            severity: Severity::Critical,
            services: vec![],
            checks: vec![],
            exclude_services: vec!["frontend".into()],
            cooldown: Duration::from_secs(cooldown),
        }
    }

    fn result(at_s: i64, status: HealthStatus) -> CheckResult {
        CheckResult {
            check: "auth".into(),
            at_ms: at_s * 1000,
            status,
            response_ms: 3.0,
            http_status: Some(503),
            error: Some("answered HTTP 503".into()),
            components: vec![],
        }
    }

    /// Feeds statuses one a second; returns (second, fired?) for each change.
    fn run(engine: &mut Engine, from: i64, statuses: &[HealthStatus]) -> Vec<(i64, bool)> {
        let mut out = Vec::new();
        for (i, s) in statuses.iter().enumerate() {
            let at = from + i as i64;
            for c in engine.observe("auth", &result(at, *s)) {
                out.push((at, matches!(c, AlertChange::Fired(_))));
            }
        }
        out
    }

    use HealthStatus::{Down as D, Up as U};

    #[test]
    fn fires_after_the_hold_once_and_resolves_on_recovery() {
        let mut e = Engine::new(vec![rule(30, 300)], vec![]);
        let mut statuses = vec![D; 40];
        statuses.extend([U, U]);
        assert_eq!(run(&mut e, 0, &statuses), [(30, true), (40, false)]);
    }

    #[test]
    fn a_short_outage_does_not_fire_and_the_cooldown_stops_repeats() {
        let mut e = Engine::new(vec![rule(2, 60)], vec![]);
        assert!(run(&mut e, 0, &[D, U, D, U]).is_empty(), "never held 2 s");
        assert_eq!(run(&mut e, 10, &[D, D, D, U]), [(12, true), (13, false)]);
        // Down again 20 s later: within the cooldown, no new alert.
        assert!(run(&mut e, 33, &[D, D, D, D, U]).is_empty());
        // After the cooldown it may fire again.
        assert_eq!(run(&mut e, 100, &[D, D, D]), [(102, true)]);
    }

    #[test]
    fn a_rule_for_named_checks_watches_only_those() {
        let mut only = rule(0, 0);
        only.checks = vec!["payments".into()];
        let mut e = Engine::new(vec![only], vec![]);
        assert!(
            e.observe("auth-service", &result(0, D)).is_empty(),
            "auth is not named"
        );
        let mut payments = result(1, D);
        payments.check = "payments".into();
        assert_eq!(e.observe("billing", &payments).len(), 1);
    }

    #[test]
    fn rules_skip_excluded_services_and_survive_a_restart() {
        let mut e = Engine::new(vec![rule(0, 0)], vec![]);
        let mut r = result(0, D);
        assert!(e.observe("frontend", &r).is_empty());
        let fired = e.observe("auth-service", &r);
        assert_eq!(fired.len(), 1);
        // A new engine told what was firing resolves it rather than firing again.
        let mut again = Engine::new(vec![rule(0, 0)], e.firing());
        r.at_ms += 1000;
        assert!(again.observe("auth-service", &r).is_empty());
        r.status = U;
        let changes = again.observe("auth-service", &r);
        assert!(matches!(&changes[..], [AlertChange::Resolved(a)] if a.ended_ms == Some(1000)));
    }
}
