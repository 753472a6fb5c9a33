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
    /// The answer was bigger than we accept.
    #[error("Prometheus' answer exceeded {limit} bytes")]
    TooLarge { limit: usize },
}
