//! A tab's one stream (`/api/stream`): a dashboard view, or the health or
//! alerts page's events. Lenient like the pages it serves.

use super::{query_string, DashboardRequest, Page};
use crate::error::{Error, Result};

#[derive(Debug)]
pub enum StreamRequest {
    Dashboard {
        dashboard: String,
        view: DashboardRequest<Page>,
        /// The event a page's server-rendered data is (`since=`).
        since: Option<String>,
    },
    Health,
    Alerts,
}

impl StreamRequest {
    pub fn parse(raw: Option<&str>) -> Result<Self> {
        let mut pairs = query_string::pairs(raw)?;
        let mut take = |name: &str| {
            let at = pairs.iter().position(|(k, _)| k == name)?;
            Some(pairs.remove(at).1)
        };
        let (view, dashboard, since) = (take("view"), take("dashboard"), take("since"));
        match view.as_deref() {
            Some("health") => return Ok(Self::Health),
            Some("alerts") => return Ok(Self::Alerts),
            Some(_) => return Err(Error::bad_request("view= is health or alerts")),
            None => {}
        }
        let view = DashboardRequest::from_pairs(pairs)?;
        let dashboard = dashboard.ok_or_else(|| Error::bad_request("dashboard= is required"))?;
        Ok(Self::Dashboard {
            dashboard,
            view,
            since,
        })
    }
}
