//! The health view (`/api/checks`, the health page) and one check's history.

use std::marker::PhantomData;

use app::model::{TimeRange, RESERVED_KEYS};

use super::{query_string, Api, DashboardRequest, Keys, Page};
use crate::error::Result;

/// Every check over a range, optionally only those of some services.
#[derive(Debug)]
pub struct HealthRequest<K> {
    pub range: TimeRange,
    /// `service=` values (repeatable); none is every service.
    pub services: Vec<String>,
    keys: PhantomData<K>,
}

impl<K: Keys> HealthRequest<K> {
    pub fn parse(raw: Option<&str>) -> Result<Self> {
        // The keys a dashboard view shares with this one (range, refresh),
        // read and checked the same way.
        let view = DashboardRequest::<Page>::parse(raw)?;
        Self::of(view)
    }

    fn of(view: DashboardRequest<Page>) -> Result<Self> {
        let mut services = Vec::new();
        for (key, value) in view.vars {
            match key.as_str() {
                "service" => services.push(value),
                key if RESERVED_KEYS.contains(&key) => {}
                other => query_string::unknown::<K>(other, || {
                    "checks take range=, from=, to= and service=".into()
                })?,
            }
        }
        Ok(Self {
            range: view.range,
            services,
            keys: PhantomData,
        })
    }

    pub fn window_ms(&self, now_ms: i64) -> (i64, i64) {
        self.range.window_ms(now_ms)
    }
}

impl HealthRequest<Page> {
    pub fn of_page(query: app::model::ViewQuery) -> Self {
        Self::of(DashboardRequest::of_page(query)).expect("pages ignore unknown keys")
    }
}

/// One check's history over a range (the API's only: strict).
#[derive(Debug)]
pub struct HistoryRequest {
    pub range: TimeRange,
}

impl HistoryRequest {
    pub fn parse(raw: Option<&str>) -> Result<Self> {
        let view = DashboardRequest::<Api>::parse(raw)?;
        if let Some((key, _)) = view.vars.first() {
            query_string::unknown::<Api>(key, || "history takes range= or from= and to=".into())?;
        }
        Ok(Self { range: view.range })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_refuses_what_the_page_ignores() {
        let query = Some("range=24h&service=a&service=b&utm_source=x");
        let err = HealthRequest::<Api>::parse(query).unwrap_err();
        assert!(err.to_string().contains("checks take"), "{err}");
        let page = HealthRequest::<Page>::parse(query).unwrap();
        assert_eq!(page.services, ["a", "b"]);
        assert!(HistoryRequest::parse(Some("service=a")).is_err());
        assert!(HistoryRequest::parse(Some("range=7d")).is_ok());
    }
}
