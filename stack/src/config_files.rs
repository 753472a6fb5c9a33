//! Configuration files for the stack's programs.

use std::{fmt::Write, net::SocketAddr, time::Duration};

use fleet::ServiceInfo;

pub struct ScrapeJob {
    name: String,
    /// (address, instance label, extra labels)
    targets: Vec<(String, Option<String>)>,
}

impl ScrapeJob {
    pub fn single(name: &str, addr: SocketAddr) -> Self {
        Self {
            name: name.to_string(),
            targets: vec![(addr.to_string(), None)],
        }
    }

    /// The fleet: one job, each service's `instance` named after the service, so
    /// backfilled history (labelled the same way) and live samples are one series.
    pub fn fleet(services: &[ServiceInfo]) -> Self {
        Self {
            name: "fleet".into(),
            targets: services
                .iter()
                .map(|s| (s.addr.to_string(), Some(s.name.clone())))
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
        if job.name == "fleet" {
            // The services label their own samples with `service`; honouring it
            // lets the target label below (the same value) put `service` on `up`
            // too, so status panels filter like every other panel.
            let _ = writeln!(out, "    honor_labels: true");
        }
        let _ = writeln!(out, "    static_configs:");
        for (addr, instance) in &job.targets {
            let _ = writeln!(out, "      - targets: ['{addr}']");
            if let Some(instance) = instance {
                let _ = writeln!(
                    out,
                    "        labels:\n          instance: '{instance}'\n          service: '{instance}'"
                );
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
"#;
