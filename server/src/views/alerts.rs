//! The alerts view (`/api/alerts`, the alerts page): a range, and which
//! severities and services to show.

use std::marker::PhantomData;

use app::model::{Severity, TimeRange, ViewQuery, RESERVED_KEYS};

use super::{query_string, DashboardRequest, Keys, Page};
use crate::error::{Error, Result};

#[derive(Debug)]
pub struct AlertsRequest<K> {
    pub range: TimeRange,
    /// `severity=` values (repeatable); none is every severity.
    pub severities: Vec<Severity>,
    /// `service=` values (repeatable); none is every service.
    pub services: Vec<String>,
    keys: PhantomData<K>,
}

impl<K: Keys> AlertsRequest<K> {
    pub fn parse(raw: Option<&str>) -> Result<Self> {
        Self::of(DashboardRequest::<Page>::parse(raw)?)
    }

    fn of(view: DashboardRequest<Page>) -> Result<Self> {
        let mut request = Self {
            range: view.range,
            severities: Vec::new(),
            services: Vec::new(),
            keys: PhantomData,
        };
        for (key, value) in view.vars {
            match key.as_str() {
                "severity" => request.severities.push(match value.as_str() {
                    "critical" => Severity::Critical,
                    "warning" => Severity::Warning,
                    "info" => Severity::Info,
                    _ => return Err(Error::bad_request("severity= is critical, warning or info")),
                }),
                "service" if !value.is_empty() && value.len() <= 200 => {
                    request.services.push(value)
                }
                // The page's "all services" choice.
                "service" if value.is_empty() && !K::REFUSE_UNKNOWN => {}
                "service" => {
                    return Err(Error::bad_request(
                        "a service= value is empty or longer than 200 bytes",
                    ))
                }
                key if RESERVED_KEYS.contains(&key) => {}
                other => query_string::unknown::<K>(other, || {
                    "alerts take range=, from=, to=, severity= and service=".into()
                })?,
            }
        }
        Ok(request)
    }

    pub fn window_ms(&self, now_ms: i64) -> (i64, i64) {
        self.range.window_ms(now_ms)
    }
}

impl AlertsRequest<Page> {
    pub fn of_page(query: ViewQuery) -> Result<Self> {
        Self::of(DashboardRequest::of_page(query))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::Api;

    #[test]
    fn severities_and_services() {
        let request = AlertsRequest::<Api>::parse(Some("severity=critical&service=api")).unwrap();
        assert_eq!(request.severities, [Severity::Critical]);
        assert_eq!(request.services, ["api"]);
        assert!(AlertsRequest::<Api>::parse(Some("severity=loud")).is_err());
        assert!(AlertsRequest::<Api>::parse(Some("service=")).is_err());
        assert!(AlertsRequest::<Page>::parse(Some("service=")).is_ok());
        assert!(AlertsRequest::<Api>::parse(Some("x=1")).is_err());
        assert!(AlertsRequest::<Page>::parse(Some("x=1")).is_ok());
    }
}
