//! Reading Alertmanager's own list (`GET /api/v2/alerts`), so the alerts page
//! shows what it holds from other sources too.

use std::{collections::BTreeMap, time::Duration};

use app::model::{Alert, AlertSource, AlertState, Severity};
use reqwest::Url;
use serde::Deserialize;

/// `path` below Alertmanager's base URL, which may carry a path prefix.
pub fn api_url(base: &Url, path: &str) -> Url {
    let mut base = base.clone();
    if !base.path().ends_with('/') {
        base.set_path(&format!("{}/", base.path()));
    }
    base.join(path).unwrap_or(base)
}

#[derive(Clone)]
pub struct AlertmanagerClient {
    base: Url,
    client: reqwest::Client,
}

#[derive(Deserialize)]
struct Gettable {
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    #[serde(rename = "startsAt")]
    starts_at: String,
    #[serde(default)]
    fingerprint: String,
}

/// Answers larger than this are refused rather than read.
const MAX_ANSWER: usize = 16 << 20;

impl AlertmanagerClient {
    pub fn new(base: Url, timeout: Duration) -> Self {
        Self {
            base,
            client: reqwest::Client::builder()
                .timeout(timeout)
                .build()
                .unwrap_or_default(),
        }
    }

    /// Active alerts that are neither silenced nor inhibited, except those
    /// Vantage sent itself (it lists its own from its store).
    pub async fn alerts(&self) -> Result<Vec<Alert>, String> {
        let mut url = api_url(&self.base, "api/v2/alerts");
        url.query_pairs_mut()
            .append_pair("active", "true")
            .append_pair("silenced", "false")
            .append_pair("inhibited", "false");
        let response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|_| "Alertmanager is not reachable".to_string())?;
        if !response.status().is_success() {
            return Err(format!(
                "Alertmanager answered HTTP {}",
                response.status().as_u16()
            ));
        }
        if response.content_length().unwrap_or(0) as usize > MAX_ANSWER {
            return Err("Alertmanager's answer is too large".into());
        }
        let listed: Vec<Gettable> = response
            .json()
            .await
            .map_err(|_| "Alertmanager's answer is not its API".to_string())?;
        Ok(listed
            .into_iter()
            .filter(|a| a.labels.get("source").map(String::as_str) != Some("vantage"))
            .map(|a| {
                let name = a.labels.get("alertname").cloned().unwrap_or_default();
                let summary = a
                    .annotations
                    .get("summary")
                    .or_else(|| a.annotations.get("description"))
                    .cloned()
                    .unwrap_or_else(|| name.clone());
                Alert {
                    id: format!("alertmanager:{}", a.fingerprint),
                    source: AlertSource::Alertmanager,
                    severity: Severity::from_label(
                        a.labels.get("severity").map_or("", String::as_str),
                    ),
                    state: AlertState::Firing,
                    since_ms: chrono::DateTime::parse_from_rfc3339(&a.starts_at)
                        .map(|t| t.timestamp_millis())
                        .unwrap_or(0),
                    ended_ms: None,
                    service: a.labels.get("service").cloned(),
                    summary,
                    annotations: a.annotations,
                    labels: a.labels,
                    name,
                }
            })
            .collect())
    }
}
