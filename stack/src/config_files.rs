//! Configuration files for the stack's programs.

use std::{fmt::Write, net::SocketAddr, time::Duration};

use fleet::ServiceInfo;

pub struct ScrapeJob {
    name: String,
    /// Keep the labels a target puts on its own samples when they clash with
    /// the target labels below.
    honor_labels: bool,
    /// (address, target labels)
    targets: Vec<(String, Vec<(&'static str, String)>)>,
}

impl ScrapeJob {
    pub fn single(name: &str, addr: SocketAddr) -> Self {
        Self {
            name: name.to_string(),
            honor_labels: false,
            targets: vec![(addr.to_string(), Vec::new())],
        }
    }

    /// The fleet: one job, each service's `instance` named after the service, so
    /// backfilled history (labelled the same way) and live samples are one series.
    /// Each target is also labelled `service`, so `up` filters like every other
    /// panel; the services label their own samples with the same value, which
    /// `honor_labels` keeps as it is.
    pub fn fleet(services: &[ServiceInfo]) -> Self {
        Self {
            name: "fleet".into(),
            honor_labels: true,
            targets: services
                .iter()
                .map(|s| {
                    let labels = vec![("instance", s.name.clone()), ("service", s.name.clone())];
                    (s.addr.to_string(), labels)
                })
                .collect(),
        }
    }
}

pub fn prometheus(interval: Duration, jobs: &[ScrapeJob], alertmanager: Option<&str>) -> String {
    let secs = interval.as_secs().max(1);
    let mut out = format!(
        "global:\n  scrape_interval: {secs}s\n  evaluation_interval: {secs}s\nrule_files:\n  - rules.yml\n"
    );
    if let Some(am) = alertmanager {
        let _ = write!(
            out,
            "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['{am}']\n"
        );
    }
    out.push_str("scrape_configs:\n");
    for job in jobs {
        let _ = writeln!(out, "  - job_name: '{}'", job.name);
        if job.honor_labels {
            let _ = writeln!(out, "    honor_labels: true");
        }
        let _ = writeln!(out, "    static_configs:");
        for (addr, labels) in &job.targets {
            let _ = writeln!(out, "      - targets: ['{addr}']");
            if !labels.is_empty() {
                let _ = writeln!(out, "        labels:");
                for (k, v) in labels {
                    let _ = writeln!(out, "          {k}: '{v}'");
                }
            }
        }
    }
    out
}

/// The process exporter groups processes by program name.
pub const PROCESS_EXPORTER: &str =
    "process_names:\n  - name: \"{{.Comm}}\"\n    cmdline:\n      - '.+'\n";

/// Alertmanager with one receiver that keeps alerts (the API lists them).
pub const ALERTMANAGER: &str = "route:\n  receiver: keep\n  group_wait: 1s\n  group_interval: 5s\nreceivers:\n  - name: keep\n";

/// A few rules so the Alerts view has Prometheus alerts to show.
pub const RULES: &str = r#"groups:
  - name: fleet
    rules:
      - alert: TargetDown
        expr: up == 0
        for: 30s
        labels:
          severity: critical
        annotations:
          summary: "{{ $labels.instance }} of {{ $labels.job }} is down"
      - alert: HighErrorRate
        expr: sum by (service) (rate(http_requests_total{status=~"5.."}[1m])) / sum by (service) (rate(http_requests_total[1m])) > 0.1
        for: 1m
        labels:
          severity: warning
        annotations:
          summary: "{{ $labels.service }} fails more than 10 % of requests"
      - alert: ServiceFailing
        expr: sum by (service) (rate(http_requests_total{status=~"5.."}[15s])) / sum by (service) (rate(http_requests_total[15s])) > 0.5
        for: 5s
        labels:
          severity: critical
        annotations:
          summary: "{{ $labels.service }} fails most of its requests"
"#;
