//! The query string shared by pages and the API: `range=` or `from=`/`to=`,
//! `width=`, and one key per dashboard variable (`service=`, …), parsed with
//! errors that say what was wrong.

use app::model::{Refresh, TimeRange};

use crate::{
    dashboards::{file::RESERVED, Dashboard},
    error::ApiError,
    query::{Filter, FilterValues},
};

/// Longest query string accepted; real ones are a few dozen bytes.
const MAX_QUERY_LEN: usize = 8 * 1024;
/// Narrowest and widest drawing a caller may ask for, in pixels.
pub const MIN_WIDTH: u32 = 40;
pub const MAX_WIDTH: u32 = 4000;

#[derive(Debug, Default)]
pub struct ViewParams {
    pub range: TimeRange,
    pub dashboard: Option<String>,
    /// Pixel width the caller draws at, if it said.
    pub width: Option<u32>,
    /// How often a stream refreshes, if the caller chose.
    pub refresh: Option<Refresh>,
    /// Every other key, in order: variables, or mistakes.
    pub others: Vec<(String, String)>,
}

impl ViewParams {
    pub fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let raw = raw.unwrap_or("");
        if raw.len() > MAX_QUERY_LEN {
            return Err(ApiError::BadRequest("query string too long".into()));
        }
        let mut params = ViewParams::default();
        let (mut range, mut from, mut to) = (None, None, None);
        for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
            match key.as_ref() {
                "range" => range = Some(value.into_owned()),
                "from" => from = Some(value.into_owned()),
                "to" => to = Some(value.into_owned()),
                "dashboard" => params.dashboard = Some(value.into_owned()),
                "refresh" => {
                    let choice = Refresh::parse(&value).ok_or_else(|| {
                        let choices: Vec<&str> =
                            Refresh::CHOICES.iter().map(|c| c.as_str()).collect();
                        ApiError::BadRequest(format!("refresh= is one of {}", choices.join(", ")))
                    })?;
                    params.refresh = Some(choice);
                }
                "width" => {
                    let width = value
                        .parse::<u32>()
                        .ok()
                        .filter(|w| (MIN_WIDTH..=MAX_WIDTH).contains(w))
                        .ok_or_else(|| {
                            ApiError::BadRequest(format!(
                                "width= is a number of pixels from {MIN_WIDTH} to {MAX_WIDTH}"
                            ))
                        })?;
                    params.width = Some(width);
                }
                _ => params.others.push((key.into_owned(), value.into_owned())),
            }
        }
        params.range = TimeRange::from_params(range.as_deref(), from.as_deref(), to.as_deref())
            .map_err(|e| ApiError::BadRequest(e.to_string()))?;
        Ok(params)
    }

    /// The range as Unix milliseconds, a relative one ending `now_ms`.
    pub fn window_ms(&self, now_ms: i64) -> (i64, i64) {
        self.range.window_ms(now_ms)
    }

    /// The filter these parameters set on `dashboard`. Strict (the API): a key
    /// that is not one of its variables is refused. Lenient (pages): ignored,
    /// since links and browsers add keys of their own.
    pub fn filter(&self, dashboard: &Dashboard, strict: bool) -> Result<Filter, ApiError> {
        let mut chosen: Vec<(&str, Vec<String>)> = Vec::new();
        for (key, value) in &self.others {
            match dashboard.variable(key) {
                Some(v) => match chosen.iter_mut().find(|(name, _)| *name == v.name) {
                    Some((_, values)) => values.push(value.clone()),
                    None => chosen.push((&v.name, vec![value.clone()])),
                },
                None if strict && !RESERVED.contains(&key.as_str()) => {
                    let known: Vec<&str> = dashboard
                        .variables
                        .iter()
                        .map(|v| v.name.as_str())
                        .collect();
                    let key: String = key.chars().take(40).collect();
                    return Err(ApiError::BadRequest(if known.is_empty() {
                        format!("unknown parameter {key:?}: this dashboard has no variables")
                    } else {
                        format!(
                            "unknown parameter {key:?}: this dashboard's variables are {}",
                            known.join(", ")
                        )
                    }));
                }
                None => {}
            }
        }
        let mut filter = Filter::default();
        for (name, values) in chosen {
            let variable = dashboard.variable(name).expect("chosen from the dashboard");
            let values =
                FilterValues::new(name, values).map_err(|e| ApiError::BadRequest(e.to_string()))?;
            filter.insert(&variable.label, values);
        }
        Ok(filter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::model::RelativeRange;

    #[test]
    fn ranges_parse_and_bad_ones_are_refused() {
        assert_eq!(
            ViewParams::parse(Some("range=24h")).unwrap().range,
            TimeRange::Relative(RelativeRange::H24)
        );
        assert_eq!(
            ViewParams::parse(None).unwrap().range,
            TimeRange::Relative(RelativeRange::H1)
        );
        let err = ViewParams::parse(Some("range=1y")).unwrap_err();
        assert!(matches!(err, ApiError::BadRequest(m) if m.contains("15m, 1h")));
        assert!(ViewParams::parse(Some(&"a=b&".repeat(5000))).is_err());
        assert!(ViewParams::parse(Some("from=200&to=100")).is_err());
        assert!(ViewParams::parse(Some("width=0")).is_err());
        assert!(ViewParams::parse(Some("width=99999")).is_err());
        assert_eq!(
            ViewParams::parse(Some("width=300")).unwrap().width,
            Some(300)
        );
    }

    #[test]
    fn variables_come_from_the_dashboard_only() {
        let overview = crate::dashboards::built_in()
            .unwrap()
            .into_iter()
            .find(|d| d.id() == "overview")
            .unwrap();
        let p = ViewParams::parse(Some("service=a&service=b&utm_source=x")).unwrap();
        assert!(p.filter(&overview, true).is_err());
        let f = p.filter(&overview, false).unwrap();
        assert_eq!(f.get("service").unwrap().values(), ["a", "b"]);
        let p = ViewParams::parse(Some("endpoint=/x")).unwrap();
        let err = p.filter(&overview, true).unwrap_err();
        assert!(matches!(err, ApiError::BadRequest(m) if m.contains("variables are service")));
    }
}
