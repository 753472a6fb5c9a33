/// Why a call to Prometheus failed, with the message Prometheus itself gave.
#[derive(Debug, thiserror::Error)]
pub enum PrometheusError {
    /// Nothing answered (connection refused, DNS, TLS).
    #[error("Prometheus is not reachable: {reason}")]
    Unreachable { url: String, reason: String },
    /// Our own deadline passed before the answer came.
    #[error("Prometheus did not answer within {0:?}")]
    Timeout(std::time::Duration),
    /// Prometheus answered with its error envelope: `bad_data`, `execution`, `timeout`, …
    #[error("Prometheus refused the query ({error_type}): {message}")]
    Api {
        status: u16,
        error_type: String,
        message: String,
    },
    /// Something answered, but not with the Prometheus API (wrong URL, a proxy page, …).
    #[error("the configured Prometheus URL does not answer like the Prometheus HTTP API (HTTP {status}{detail})")]
    NotPrometheus {
        url: String,
        status: u16,
        detail: String,
    },
    /// Vantage's own limit of queries in flight was reached and this one
    /// waited its whole deadline for a turn.
    #[error("{limit} queries to Prometheus were in flight for {waited:?}; this one was not sent")]
    Busy {
        limit: usize,
        waited: std::time::Duration,
    },
    /// The answer was bigger than we accept.
    #[error("Prometheus' answer exceeded {limit} bytes")]
    TooLarge { limit: usize },
}

impl PrometheusError {
    /// What a viewer is told: the kind of failure, never Prometheus' own
    /// words (they quote the query and can echo what a viewer typed), nor
    /// addresses. The whole error goes to the log, with the request's id.
    pub fn for_viewers(&self) -> String {
        match self {
            Self::Unreachable { .. } => "Prometheus is not reachable".to_string(),
            Self::Timeout(_) | Self::TooLarge { .. } => self.to_string(),
            Self::Busy { .. } => "Vantage is asking Prometheus all it allows at once; this panel waited its turn too long and tries again at the next refresh".to_string(),
            Self::Api { error_type, .. } => {
                // Prometheus' error types are a short fixed list; anything
                // else (a proxy's own envelope) is not repeated.
                let kind = match error_type.as_str() {
                    "bad_data" | "execution" | "timeout" | "canceled" | "internal"
                    | "unavailable" | "not_found" => error_type.as_str(),
                    _ => "error",
                };
                format!("Prometheus refused this panel's query ({kind})")
            }
            Self::NotPrometheus { .. } => {
                "the configured Prometheus URL does not answer like the Prometheus HTTP API"
                    .to_string()
            }
        }
    }

    /// Logs the whole error and returns what a viewer is told.
    pub fn logged_for_viewers(&self) -> String {
        match self {
            Self::Api { .. } | Self::NotPrometheus { .. } | Self::Busy { .. } => {
                tracing::warn!(error = %self, "Prometheus did not answer a query")
            }
            _ => tracing::debug!(error = %self, "Prometheus did not answer a query"),
        }
        self.for_viewers()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewers_read_the_kind_of_failure_not_prometheus_words() {
        let refused = PrometheusError::Api {
            status: 400,
            error_type: "bad_data".into(),
            message: "1:14: parse error: unexpected character inside braces: '\\ufffd'".into(),
        };
        assert_eq!(
            refused.for_viewers(),
            "Prometheus refused this panel's query (bad_data)"
        );
        let proxy = PrometheusError::Api {
            status: 400,
            error_type: "<script>".into(),
            message: String::new(),
        };
        assert!(!proxy.for_viewers().contains("script"));
        let away = PrometheusError::Unreachable {
            url: "http://10.0.0.9:9090".into(),
            reason: "connection refused (10.0.0.9:9090)".into(),
        };
        assert_eq!(away.for_viewers(), "Prometheus is not reachable");
    }
}
