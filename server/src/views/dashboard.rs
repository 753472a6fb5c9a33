//! A dashboard view: its range, the width it is drawn at, how often it
//! refreshes, and one key per dashboard variable (`service=`, …).

use std::marker::PhantomData;

use app::model::{Refresh, TimeRange, ViewQuery, RESERVED_KEYS};

use super::{
    query_string::{self, RangeKeys, MAX_WIDTH, MIN_WIDTH},
    Api, Keys,
};
use crate::{
    dashboards::{Dashboard, VariableKind},
    error::{Error, Result},
    query::{Filter, FilterValues},
};

#[derive(Debug)]
pub struct DashboardRequest<K> {
    pub range: TimeRange,
    /// Pixel width the viewer draws at, if it said.
    pub width: Option<u32>,
    /// How often a stream refreshes, if the viewer chose.
    pub refresh: Option<Refresh>,
    /// Every other key, in order: variables, or (for `K` to judge) mistakes.
    pub vars: Vec<(String, String)>,
    keys: PhantomData<K>,
}

impl<K> Default for DashboardRequest<K> {
    fn default() -> Self {
        Self {
            range: TimeRange::default(),
            width: None,
            refresh: None,
            vars: Vec::new(),
            keys: PhantomData,
        }
    }
}

impl<K: Keys> DashboardRequest<K> {
    pub fn parse(raw: Option<&str>) -> Result<Self> {
        Self::from_pairs(query_string::pairs(raw)?)
    }

    /// From keys already decoded (a stream's, after its own keys are taken).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self> {
        let mut request = Self::default();
        let mut range = RangeKeys::default();
        for (key, value) in pairs {
            if range.take(&key, &value) {
                continue;
            }
            match key.as_str() {
                "refresh" => request.refresh = Some(query_string::refresh(&value)?),
                "width" => {
                    request.width =
                        Some(query_string::pixels(&value, MIN_WIDTH, MAX_WIDTH, "width")?)
                }
                _ => request.vars.push((key, value)),
            }
        }
        request.range = range.range()?;
        Ok(request)
    }

    /// The range as Unix milliseconds, a relative one ending `now_ms`.
    pub fn window_ms(&self, now_ms: i64) -> (i64, i64) {
        self.range.window_ms(now_ms)
    }

    /// The filter these keys set on `dashboard`; a key that is not one of its
    /// variables is `K`'s to refuse or ignore.
    pub fn filter(&self, dashboard: &Dashboard) -> Result<Filter> {
        filter_of::<K>(dashboard, &self.vars)
    }
}

impl DashboardRequest<super::Page> {
    /// What a page was asked for (the app has parsed its URL already).
    pub fn of_page(query: ViewQuery) -> Self {
        Self {
            range: query.range,
            refresh: query.refresh,
            vars: query.vars,
            ..Self::default()
        }
    }
}

/// The filter `vars` set on `dashboard`. An embed's token holds its variables
/// as such pairs; they are the API's (strict) to check: [`Api`].
pub fn filter_of<K: Keys>(dashboard: &Dashboard, vars: &[(String, String)]) -> Result<Filter> {
    let mut chosen: Vec<(&str, Vec<String>)> = Vec::new();
    for (key, value) in vars {
        match dashboard.variable(key) {
            Some(v) => match chosen.iter_mut().find(|(name, _)| *name == v.name) {
                Some((_, values)) => values.push(value.clone()),
                None => chosen.push((&v.name, vec![value.clone()])),
            },
            // Keys of other requests sharing the URL (`dashboard=`, `since=`).
            None if RESERVED_KEYS.contains(&key.as_str()) => {}
            None => query_string::unknown::<K>(key, || {
                let known: Vec<&str> = dashboard
                    .variables
                    .iter()
                    .map(|v| v.name.as_str())
                    .collect();
                if known.is_empty() {
                    "this dashboard has no variables".into()
                } else {
                    format!("this dashboard's variables are {}", known.join(", "))
                }
            })?,
        }
    }
    let mut filter = Filter::default();
    for (name, values) in chosen {
        let variable = dashboard.variable(name).expect("chosen from the dashboard");
        let refuse = |why: String| Err(Error::bad_request(format!("{name}: {why}")));
        match &variable.kind {
            VariableKind::Interval {
                values: offered, ..
            } => match values.as_slice() {
                [one] if offered.contains(one) => filter.set_word(name, one.clone()),
                _ => return refuse(format!("one of {}", offered.join(", "))),
            },
            VariableKind::Constant { .. } => {
                return refuse("a constant, not for a viewer to set".into())
            }
            kind => {
                if let VariableKind::Custom { values: offered } = kind {
                    if let Some(other) = values.iter().find(|v| !offered.contains(v)) {
                        return refuse(format!("{other:?} is not one of its values"));
                    }
                }
                if matches!(kind, VariableKind::TextBox { .. }) && values.len() > 1 {
                    return refuse("a text box holds one value".into());
                }
                let values = FilterValues::new(name, values)
                    .map_err(|e| Error::bad_request(e.to_string()))?;
                filter.insert(&variable.label, values);
            }
        }
    }
    // What the URL leaves unset: an interval's default, a constant's value,
    // a text box's default.
    for v in &dashboard.variables {
        match &v.kind {
            VariableKind::Interval { default, .. } if filter.word(&v.name).is_none() => {
                filter.set_word(&v.name, default.clone())
            }
            VariableKind::Constant { value } => filter.set_word(&v.name, value.clone()),
            VariableKind::TextBox {
                default: Some(default),
            } if filter.get(&v.label).is_none() => {
                let values = FilterValues::new(&v.name, vec![default.clone()])
                    .map_err(|e| Error::bad_request(e.to_string()))?;
                filter.insert(&v.label, values);
            }
            _ => {}
        }
    }
    Ok(filter)
}

/// The filter an embed's token grants (its pairs were checked when issued).
pub fn granted_filter(dashboard: &Dashboard, vars: &[(String, String)]) -> Result<Filter> {
    filter_of::<Api>(dashboard, vars)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::Page;
    use app::model::RelativeRange;

    #[test]
    fn ranges_parse_and_bad_ones_are_refused() {
        assert_eq!(
            DashboardRequest::<Api>::parse(Some("range=24h"))
                .unwrap()
                .range,
            TimeRange::Relative(RelativeRange::H24)
        );
        assert_eq!(
            DashboardRequest::<Api>::parse(None).unwrap().range,
            TimeRange::Relative(RelativeRange::H1)
        );
        let err = DashboardRequest::<Api>::parse(Some("range=1y")).unwrap_err();
        assert!(err.to_string().contains("15m, 1h"), "{err}");
        assert!(DashboardRequest::<Api>::parse(Some(&"a=b&".repeat(5000))).is_err());
        assert!(DashboardRequest::<Api>::parse(Some("from=200&to=100")).is_err());
        assert!(DashboardRequest::<Api>::parse(Some("width=0")).is_err());
        assert!(DashboardRequest::<Api>::parse(Some("width=99999")).is_err());
        assert_eq!(
            DashboardRequest::<Api>::parse(Some("width=300"))
                .unwrap()
                .width,
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
        let query = Some("service=a&service=b&utm_source=x");
        assert!(DashboardRequest::<Api>::parse(query)
            .unwrap()
            .filter(&overview)
            .is_err());
        let f = DashboardRequest::<Page>::parse(query)
            .unwrap()
            .filter(&overview)
            .unwrap();
        assert_eq!(f.get("$service_label").unwrap().values(), ["a", "b"]);
        let err = DashboardRequest::<Api>::parse(Some("endpoint=/x"))
            .unwrap()
            .filter(&overview)
            .unwrap_err();
        assert!(err.to_string().contains("variables are service"), "{err}");
    }
}
