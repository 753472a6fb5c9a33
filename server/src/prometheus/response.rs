//! Shapes of the Prometheus HTTP API's answers.

use std::collections::BTreeMap;

use serde::{de, Deserialize, Deserializer};

/// The success envelope's payload together with the warnings that came with it.
/// Warnings mean partial data (for example one Thanos store down): keep them.
#[derive(Debug, Clone)]
pub struct Answer<T> {
    pub data: T,
    pub warnings: Vec<String>,
    pub infos: Vec<String>,
}

/// `{"status": "success"|"error", …}` as sent on the wire.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope<T> {
    pub status: String,
    pub data: Option<T>,
    #[serde(rename = "errorType")]
    pub error_type: Option<String>,
    pub error: Option<String>,
    #[serde(default)]
    pub warnings: Vec<String>,
    #[serde(default)]
    pub infos: Vec<String>,
    /// VictoriaMetrics cluster's word for partial data (a storage node did
    /// not answer): it sends this instead of a warning.
    #[serde(default, rename = "isPartial")]
    pub is_partial: bool,
}

/// What a partial answer without words of its own is said as.
pub const PARTIAL: &str = "partial response: a storage node of the data source did not answer";

impl<T> Envelope<T> {
    /// The answer's warnings, VictoriaMetrics' `isPartial` among them.
    pub fn all_warnings(&mut self) -> Vec<String> {
        let mut warnings = std::mem::take(&mut self.warnings);
        if self.is_partial && warnings.is_empty() {
            warnings.push(PARTIAL.to_string());
        }
        warnings
    }
}

/// A sample value. Prometheus sends numbers as strings so that `NaN`, `+Inf` and
/// `-Inf` survive JSON; they parse to the matching `f64`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub timestamp: f64,
    pub value: f64,
}

impl<'de> Deserialize<'de> for Sample {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (timestamp, text): (f64, String) = Deserialize::deserialize(d)?;
        let value = parse_value(&text)
            .ok_or_else(|| de::Error::custom(format!("not a sample value: {text:?}")))?;
        Ok(Sample { timestamp, value })
    }
}

/// Parses a Prometheus sample value: a Go float, or `NaN`, `+Inf`, `-Inf`.
pub fn parse_value(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ => text.parse::<f64>().ok(),
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct InstantSample {
    pub metric: BTreeMap<String, String>,
    pub value: Sample,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RangeSeries {
    pub metric: BTreeMap<String, String>,
    #[serde(default)]
    pub values: Vec<Sample>,
}

/// The `data` of `/api/v1/query` and `/api/v1/query_range`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "resultType", content = "result", rename_all = "lowercase")]
pub enum QueryData {
    Vector(Vec<InstantSample>),
    Matrix(Vec<RangeSeries>),
    Scalar(Sample),
    String((f64, String)),
}

#[derive(Debug, Clone, Deserialize)]
pub struct TargetsData {
    #[serde(rename = "activeTargets", default)]
    pub active_targets: Vec<Target>,
    #[serde(rename = "droppedTargets", default)]
    pub dropped_targets: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Target {
    #[serde(rename = "scrapePool", default)]
    pub scrape_pool: String,
    #[serde(rename = "scrapeUrl", default)]
    pub scrape_url: String,
    pub labels: BTreeMap<String, String>,
    pub health: String,
    #[serde(rename = "lastError", default)]
    pub last_error: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AlertsData {
    pub alerts: Vec<Alert>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Alert {
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    pub state: String,
    #[serde(rename = "activeAt")]
    pub active_at: Option<String>,
    pub value: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MetricMetadata {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub help: String,
    #[serde(default)]
    pub unit: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_values_parse_to_their_floats() {
        assert!(parse_value("NaN").unwrap().is_nan());
        assert_eq!(parse_value("+Inf"), Some(f64::INFINITY));
        assert_eq!(parse_value("-Inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_value("1e-3"), Some(0.001));
        assert_eq!(parse_value("-0.5"), Some(-0.5));
        assert_eq!(parse_value("twelve"), None);
        assert_eq!(parse_value(""), None);
    }

    #[test]
    fn a_matrix_with_special_values_decodes() {
        let body = r#"{"status":"success","warnings":["store x down"],"data":{"resultType":"matrix","result":[
            {"metric":{"service":"a"},"values":[[1700000000,"1.5"],[1700000015,"NaN"],[1700000030,"+Inf"]]}]}}"#;
        let env: Envelope<QueryData> = serde_json::from_str(body).unwrap();
        assert_eq!(env.warnings, vec!["store x down"]);
        let QueryData::Matrix(series) = env.data.unwrap() else {
            panic!("expected a matrix")
        };
        assert_eq!(series[0].metric["service"], "a");
        assert_eq!(series[0].values[0].value, 1.5);
        assert!(series[0].values[1].value.is_nan());
        assert!(series[0].values[2].value.is_infinite());
    }

    #[test]
    fn victoria_metrics_partial_answers_are_warnings() {
        let mut partial: Envelope<QueryData> = serde_json::from_str(
            r#"{"status":"success","isPartial":true,"data":{"resultType":"vector","result":[]}}"#,
        )
        .unwrap();
        assert_eq!(partial.all_warnings(), [PARTIAL]);
        let mut whole: Envelope<QueryData> = serde_json::from_str(
            r#"{"status":"success","isPartial":false,"data":{"resultType":"vector","result":[]}}"#,
        )
        .unwrap();
        assert!(whole.all_warnings().is_empty());
        // Thanos and Mimir say it in words: those are kept as they are.
        let mut thanos: Envelope<QueryData> = serde_json::from_str(
            r#"{"status":"success","warnings":["store a down"],"data":{"resultType":"vector","result":[]}}"#,
        )
        .unwrap();
        assert_eq!(thanos.all_warnings(), ["store a down"]);
    }

    #[test]
    fn the_error_envelope_keeps_type_and_message() {
        let body = r#"{"status":"error","errorType":"bad_data","error":"parse error at char 5"}"#;
        let env: Envelope<QueryData> = serde_json::from_str(body).unwrap();
        assert_eq!(env.status, "error");
        assert_eq!(env.error_type.as_deref(), Some("bad_data"));
        assert_eq!(env.error.as_deref(), Some("parse error at char 5"));
        assert!(env.data.is_none());
    }

    #[test]
    fn a_garbage_value_is_an_error_not_a_zero() {
        let body = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"x"]}]}}"#;
        assert!(serde_json::from_str::<Envelope<QueryData>>(body).is_err());
    }
}
