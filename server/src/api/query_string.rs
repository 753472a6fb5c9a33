//! The query string shared by pages and the API (`range=`, later `from=`/`to=`,
//! `service=`), parsed with errors that say what was wrong.

use app::model::RelativeRange;

use crate::{error::ApiError, query::ServiceFilter};

/// Longest query string accepted; real ones are a few dozen bytes.
const MAX_QUERY_LEN: usize = 8 * 1024;

#[derive(Debug, Default)]
pub struct ViewParams {
    pub range: RelativeRange,
    pub dashboard: Option<String>,
    pub services: ServiceFilter,
}

impl ViewParams {
    pub fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let raw = raw.unwrap_or("");
        if raw.len() > MAX_QUERY_LEN {
            return Err(ApiError::BadRequest("query string too long".into()));
        }
        let mut params = ViewParams::default();
        let mut services = Vec::new();
        for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
            match key.as_ref() {
                "range" => {
                    params.range = value.parse().map_err(|e: app::model::UnknownRange| {
                        ApiError::BadRequest(e.to_string())
                    })?
                }
                "dashboard" => params.dashboard = Some(value.into_owned()),
                "service" => services.push(value.into_owned()),
                // Unknown keys are ignored, as browsers and proxies add their own.
                _ => {}
            }
        }
        params.services =
            ServiceFilter::new(services).map_err(|e| ApiError::BadRequest(e.to_string()))?;
        Ok(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_and_bad_ones_are_refused() {
        assert_eq!(
            ViewParams::parse(Some("range=24h")).unwrap().range,
            RelativeRange::H24
        );
        assert_eq!(ViewParams::parse(None).unwrap().range, RelativeRange::H1);
        let err = ViewParams::parse(Some("range=1y")).unwrap_err();
        assert!(matches!(err, ApiError::BadRequest(m) if m.contains("15m, 1h")));
        assert!(ViewParams::parse(Some(&"a=b&".repeat(5000))).is_err());
    }
}
