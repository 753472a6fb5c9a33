//! A typed client for the Prometheus HTTP API (and engines that speak it:
//! Thanos, Mimir, VictoriaMetrics). Only the fixed set of read endpoints below is
//! ever called; nothing from a request chooses the path.

mod client;
mod error;
mod response;

pub use client::{is_label_name, PrometheusClient, QueueLoad, RangeQuery, DEFAULT_MAX_CONCURRENCY};
pub use error::PrometheusError;
pub use response::{
    Alert, AlertsData, Answer, InstantSample, MetricMetadata, QueryData, RangeSeries, Sample,
    Target, TargetsData,
};
