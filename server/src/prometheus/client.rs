use std::{
    collections::BTreeMap,
    collections::HashMap,
    error::Error as _,
    sync::{
        atomic::{AtomicU64, AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use reqwest::Url;
use serde::de::DeserializeOwned;

use super::{
    error::PrometheusError,
    response::{AlertsData, Answer, Envelope, MetricMetadata, QueryData, TargetsData},
};

/// Answers bigger than this are refused rather than buffered: a panel never needs it.
const DEFAULT_MAX_BODY: usize = 32 * 1024 * 1024;

/// A `query_range` request. Times are Unix seconds, the step in seconds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RangeQuery {
    pub query: String,
    pub start: i64,
    pub end: i64,
    pub step: i64,
}

/// Queries in flight to Prometheus by default (its own `--query.max-concurrency`
/// is 20; Vantage leaves room for other users).
pub const DEFAULT_MAX_CONCURRENCY: usize = 16;

#[derive(Clone)]
pub struct PrometheusClient {
    http: reqwest::Client,
    base: Url,
    timeout: Duration,
    max_body: usize,
    queue: Arc<Queue>,
}

/// At most `limit` requests to Prometheus at once, shared by every clone of
/// the client. One past it waits its turn, up to the query timeout, so a
/// burst (thirty filters, a page of cache-busting images) queues here
/// instead of piling onto Prometheus; one that waits too long fails as
/// [`PrometheusError::Busy`].
struct Queue {
    permits: tokio::sync::Semaphore,
    limit: usize,
    waiting: AtomicUsize,
    waited_out: AtomicU64,
}

/// How loaded the queue is, for `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueLoad {
    pub limit: usize,
    pub in_flight: usize,
    pub waiting: usize,
    /// Requests that gave up waiting, since start.
    pub waited_out: u64,
}

impl Queue {
    fn new(limit: usize) -> Self {
        let limit = limit.max(1);
        Self {
            permits: tokio::sync::Semaphore::new(limit),
            limit,
            waiting: AtomicUsize::new(0),
            waited_out: AtomicU64::new(0),
        }
    }

    async fn turn(
        &self,
        within: Duration,
    ) -> Result<tokio::sync::SemaphorePermit<'_>, PrometheusError> {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let permit = tokio::time::timeout(within, self.permits.acquire()).await;
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        match permit {
            Ok(Ok(permit)) => Ok(permit),
            // Timed out (the semaphore is never closed).
            _ => {
                self.waited_out.fetch_add(1, Ordering::Relaxed);
                Err(PrometheusError::Busy {
                    limit: self.limit,
                    waited: within,
                })
            }
        }
    }
}

impl PrometheusClient {
    /// A client for the API under `base` (for example `http://127.0.0.1:9090`, or
    /// `https://thanos.example/prometheus/` behind a path prefix).
    pub fn new(base: Url, timeout: Duration) -> Result<Self, PrometheusError> {
        let mut base = base;
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(3).min(timeout))
            // The API never redirects; following one could lead anywhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("vantage/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| PrometheusError::Unreachable {
                url: base.to_string(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            http,
            base,
            timeout,
            max_body: DEFAULT_MAX_BODY,
            queue: Arc::new(Queue::new(DEFAULT_MAX_CONCURRENCY)),
        })
    }

    /// At most `limit` requests in flight at once (clones made after this
    /// share the new limit).
    pub fn with_max_concurrency(mut self, limit: usize) -> Self {
        self.queue = Arc::new(Queue::new(limit));
        self
    }

    pub fn queue_load(&self) -> QueueLoad {
        let q = &self.queue;
        QueueLoad {
            limit: q.limit,
            in_flight: q.limit - q.permits.available_permits(),
            waiting: q.waiting.load(Ordering::Relaxed),
            waited_out: q.waited_out.load(Ordering::Relaxed),
        }
    }

    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// The upstream query timeout: a little shorter than ours, so Prometheus stops
    /// work that nobody will wait for and answers with its own timeout error.
    fn upstream_timeout(&self) -> String {
        let ms = self.timeout.as_millis().saturating_sub(250).max(100);
        format!("{}ms", ms)
    }

    pub async fn query(
        &self,
        query: &str,
        time: Option<i64>,
    ) -> Result<Answer<QueryData>, PrometheusError> {
        let mut params = vec![
            ("query", query.to_string()),
            ("timeout", self.upstream_timeout()),
        ];
        if let Some(t) = time {
            params.push(("time", t.to_string()));
        }
        self.get("api/v1/query", &params).await
    }

    pub async fn query_range(&self, q: &RangeQuery) -> Result<Answer<QueryData>, PrometheusError> {
        let params = [
            ("query", q.query.clone()),
            ("start", q.start.to_string()),
            ("end", q.end.to_string()),
            ("step", q.step.to_string()),
            ("timeout", self.upstream_timeout()),
        ];
        self.get("api/v1/query_range", &params).await
    }

    pub async fn labels(&self, matchers: &[&str]) -> Result<Answer<Vec<String>>, PrometheusError> {
        let params: Vec<_> = matchers
            .iter()
            .map(|m| ("match[]", m.to_string()))
            .collect();
        self.get("api/v1/labels", &params).await
    }

    /// Values of one label. The name is checked against Prometheus' label-name
    /// syntax because it becomes part of the path.
    pub async fn label_values(
        &self,
        name: &str,
        matchers: &[&str],
    ) -> Result<Answer<Vec<String>>, PrometheusError> {
        if !is_label_name(name) {
            return Err(PrometheusError::Api {
                status: 400,
                error_type: "bad_data".into(),
                message: "invalid label name".into(),
            });
        }
        let params: Vec<_> = matchers
            .iter()
            .map(|m| ("match[]", m.to_string()))
            .collect();
        self.get(&format!("api/v1/label/{name}/values"), &params)
            .await
    }

    pub async fn series(
        &self,
        matchers: &[&str],
        start: Option<i64>,
        end: Option<i64>,
    ) -> Result<Answer<Vec<BTreeMap<String, String>>>, PrometheusError> {
        let mut params: Vec<_> = matchers
            .iter()
            .map(|m| ("match[]", m.to_string()))
            .collect();
        if let Some(s) = start {
            params.push(("start", s.to_string()));
        }
        if let Some(e) = end {
            params.push(("end", e.to_string()));
        }
        self.get("api/v1/series", &params).await
    }

    pub async fn targets(&self) -> Result<Answer<TargetsData>, PrometheusError> {
        self.get("api/v1/targets", &[("state", "active".to_string())])
            .await
    }

    pub async fn alerts(&self) -> Result<Answer<AlertsData>, PrometheusError> {
        self.get("api/v1/alerts", &[]).await
    }

    pub async fn metadata(
        &self,
        metric: Option<&str>,
    ) -> Result<Answer<HashMap<String, Vec<MetricMetadata>>>, PrometheusError> {
        let params: Vec<_> = metric
            .map(|m| ("metric", m.to_string()))
            .into_iter()
            .collect();
        self.get("api/v1/metadata", &params).await
    }

    /// Whether the engine answers a trivial query: what `/readyz` means by ready.
    pub async fn ping(&self) -> Result<(), PrometheusError> {
        self.query("1", None).await.map(|_| ())
    }

    async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        params: &[(&str, String)],
    ) -> Result<Answer<T>, PrometheusError> {
        let url = self
            .base
            .join(path)
            .map_err(|e| PrometheusError::Unreachable {
                url: self.base.to_string(),
                reason: e.to_string(),
            })?;
        // Held until the whole answer is read. The wait counts against the
        // query's one deadline: a query that waited sends with what is left,
        // so a page still waits at most one timeout.
        let deadline = tokio::time::Instant::now() + self.timeout;
        let _turn = self.queue.turn(self.timeout).await?;
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            return Err(PrometheusError::Timeout(self.timeout));
        }
        let response = self
            .http
            .get(url)
            .query(params)
            .timeout(left)
            .send()
            .await
            .map_err(|e| self.transport_error(e))?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = self.read_capped(response).await?;

        let mut envelope: Envelope<T> =
            serde_json::from_slice(&body).map_err(|e| PrometheusError::NotPrometheus {
                url: self.base.to_string(),
                status,
                detail: if content_type.contains("json") {
                    format!(", unreadable JSON: {e}")
                } else if content_type.is_empty() {
                    String::new()
                } else {
                    format!(", {content_type}")
                },
            })?;
        let warnings = envelope.all_warnings();
        match (envelope.status.as_str(), envelope.data) {
            ("success", Some(data)) => Ok(Answer {
                data,
                warnings,
                infos: envelope.infos,
            }),
            ("error", _) => Err(PrometheusError::Api {
                status,
                error_type: envelope.error_type.unwrap_or_else(|| "unknown".into()),
                message: envelope.error.unwrap_or_default(),
            }),
            _ => Err(PrometheusError::NotPrometheus {
                url: self.base.to_string(),
                status,
                detail: ", no data in a success answer".into(),
            }),
        }
    }

    async fn read_capped(
        &self,
        mut response: reqwest::Response,
    ) -> Result<Vec<u8>, PrometheusError> {
        if response
            .content_length()
            .is_some_and(|n| n > self.max_body as u64)
        {
            return Err(PrometheusError::TooLarge {
                limit: self.max_body,
            });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(e))?
        {
            if body.len() + chunk.len() > self.max_body {
                return Err(PrometheusError::TooLarge {
                    limit: self.max_body,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn transport_error(&self, e: reqwest::Error) -> PrometheusError {
        if e.is_timeout() {
            return PrometheusError::Timeout(self.timeout);
        }
        // The innermost cause is the useful part ("Connection refused"); reqwest's
        // own text repeats the URL with the query in it.
        let mut reason = e.to_string();
        let mut source = e.source();
        while let Some(s) = source {
            reason = s.to_string();
            source = s.source();
        }
        PrometheusError::Unreachable {
            url: self.base.to_string(),
            reason,
        }
    }
}

/// Prometheus' label-name syntax: `[a-zA-Z_][a-zA-Z0-9_]*`.
pub fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_names_follow_prometheus_syntax() {
        assert!(is_label_name("service"));
        assert!(is_label_name("_x9"));
        assert!(!is_label_name("9x"));
        assert!(!is_label_name(""));
        assert!(!is_label_name("a/../b"));
        assert!(!is_label_name("a b"));
    }

    #[test]
    fn a_base_without_a_trailing_slash_keeps_its_prefix() {
        let c = PrometheusClient::new("http://h:1/prom".parse().unwrap(), Duration::from_secs(1))
            .unwrap();
        assert_eq!(
            c.base_url().join("api/v1/query").unwrap().as_str(),
            "http://h:1/prom/api/v1/query"
        );
    }
}
