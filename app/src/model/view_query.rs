//! What a view's URL says beyond its path: the time range and the variables'
//! values. Pages read it from the location, links write it, the API takes it.

use serde::{Deserialize, Serialize};

use super::{RangeError, TimeRange, VariableView};

/// Keys that are not variables (the server refuses variables named like these).
pub const RESERVED_KEYS: &[&str] = &[
    "range",
    "from",
    "to",
    "dashboard",
    "panel",
    "width",
    "height",
    "refresh",
    "theme",
    "token",
    "since",
    "kiosk",
];

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ViewQuery {
    pub range: TimeRange,
    /// Variable values in URL order: `(name, value)`, a name repeated for several.
    pub vars: Vec<(String, String)>,
    /// How often the view refreshes; `None` is the server's setting.
    #[serde(default)]
    pub refresh: Option<Refresh>,
    /// `kiosk`: no navigation and no controls (a TV wall); every link keeps it.
    #[serde(default)]
    pub kiosk: bool,
}

/// A view's refresh choice (`refresh=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Refresh {
    /// Loaded once, never refreshed.
    Off,
    Seconds(u32),
}

impl Refresh {
    /// The choices a picker offers.
    pub const CHOICES: [Refresh; 5] = [
        Refresh::Seconds(5),
        Refresh::Seconds(10),
        Refresh::Seconds(30),
        Refresh::Seconds(60),
        Refresh::Off,
    ];

    pub fn parse(text: &str) -> Option<Refresh> {
        Self::CHOICES.into_iter().find(|c| c.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Refresh::Off => "off",
            Refresh::Seconds(5) => "5s",
            Refresh::Seconds(10) => "10s",
            Refresh::Seconds(30) => "30s",
            Refresh::Seconds(60) => "1m",
            Refresh::Seconds(_) => "custom",
        }
    }
}

impl ViewQuery {
    /// From a query string (with or without `?`). A bad range falls back to the
    /// default and says why, so a page can still show something.
    pub fn parse(search: &str) -> (Self, Option<RangeError>) {
        let search = search.strip_prefix('?').unwrap_or(search);
        let (mut range, mut from, mut to) = (None, None, None);
        let mut vars = Vec::new();
        // An unknown refresh choice is the server's setting.
        let mut refresh = None;
        let mut kiosk = false;
        for (k, v) in form_urlencoded::parse(search.as_bytes()) {
            match k.as_ref() {
                "refresh" => refresh = Refresh::parse(&v),
                "kiosk" => kiosk = is_on(&v),
                "range" => range = Some(v.into_owned()),
                "from" => from = Some(v.into_owned()),
                "to" => to = Some(v.into_owned()),
                key if RESERVED_KEYS.contains(&key) => {}
                _ => vars.push((k.into_owned(), v.into_owned())),
            }
        }
        match TimeRange::from_params(range.as_deref(), from.as_deref(), to.as_deref()) {
            Ok(range) => (
                Self {
                    range,
                    vars,
                    refresh,
                    kiosk,
                },
                None,
            ),
            Err(e) => (
                Self {
                    range: TimeRange::default(),
                    vars,
                    refresh,
                    kiosk,
                },
                Some(e),
            ),
        }
    }

    /// Only the values of these variables (what the API accepts for a dashboard).
    pub fn for_variables(&self, variables: &[VariableView]) -> Self {
        Self {
            range: self.range,
            vars: self
                .vars
                .iter()
                .filter(|(k, _)| variables.iter().any(|v| &v.name == k))
                .cloned()
                .collect(),
            refresh: self.refresh,
            // How a page looks is not the API's business.
            kiosk: false,
        }
    }

    /// Whether a query string asks for kiosk mode, without parsing the rest.
    pub fn is_kiosk(search: &str) -> bool {
        let search = search.strip_prefix('?').unwrap_or(search);
        form_urlencoded::parse(search.as_bytes()).any(|(k, v)| k == "kiosk" && is_on(&v))
    }

    pub fn values(&self, name: &str) -> Vec<String> {
        self.vars
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    pub fn with_range(&self, range: TimeRange) -> Self {
        Self {
            range,
            ..self.clone()
        }
    }

    pub fn with_refresh(&self, refresh: Option<Refresh>) -> Self {
        Self {
            refresh,
            ..self.clone()
        }
    }

    /// `range=1h&service=a`, values percent-encoded. The range is always
    /// written, so a pasted link shows the same view whatever the default.
    pub fn to_query(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.range.query_pairs() {
            out.append_pair(k, &v);
        }
        for (k, v) in &self.vars {
            out.append_pair(k, v);
        }
        if let Some(refresh) = self.refresh {
            out.append_pair("refresh", refresh.as_str());
        }
        if self.kiosk {
            out.append_key_only("kiosk");
        }
        out.finish()
    }

    /// `?…` for a link, or the bare path when there is nothing to say.
    pub fn href(&self, path: &str) -> String {
        let q = self.to_query();
        if q.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{q}")
        }
    }
}

/// `kiosk`, `kiosk=1`, `kiosk=true` are on; `kiosk=0` and `kiosk=false` off.
fn is_on(value: &str) -> bool {
    !matches!(value, "0" | "false" | "off")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kiosk_mode_is_kept_by_links_and_not_sent_to_the_api() {
        let (q, _) = ViewQuery::parse("?range=6h&kiosk&service=a");
        assert!(q.kiosk && ViewQuery::is_kiosk("?range=6h&kiosk"));
        assert_eq!(q.values("service"), ["a"], "not a variable");
        assert_eq!(q.href("/d/api"), "/d/api?range=6h&service=a&kiosk");
        assert!(ViewQuery::parse(&q.to_query()).0.kiosk);
        assert!(!ViewQuery::parse("kiosk=0").0.kiosk && !ViewQuery::is_kiosk("kiosk=false"));
        assert!(!q.for_variables(&[]).kiosk);
    }

    #[test]
    fn round_trips_and_encodes() {
        let (q, err) =
            ViewQuery::parse("?range=6h&service=api-gateway&service=a%26b%3D%22c%22&width=3");
        assert!(err.is_none());
        assert_eq!(
            q.range,
            TimeRange::Relative(super::super::RelativeRange::H6)
        );
        assert_eq!(q.values("service"), ["api-gateway", "a&b=\"c\""]);
        assert_eq!(
            q.to_query(),
            "range=6h&service=api-gateway&service=a%26b%3D%22c%22"
        );
        assert_eq!(ViewQuery::parse(&q.to_query()).0, q);
        assert_eq!(ViewQuery::default().href("/d/api"), "/d/api?range=1h");
    }

    #[test]
    fn a_bad_range_falls_back_and_says_why() {
        let (q, err) = ViewQuery::parse("range=1y&service=x");
        assert_eq!(q.range, TimeRange::default());
        assert!(err.is_some());
        assert_eq!(q.values("service"), ["x"]);
    }

    #[test]
    fn the_refresh_choice_round_trips_and_unknown_ones_fall_back() {
        let (q, _) = ViewQuery::parse("range=1h&refresh=30s&service=a");
        assert_eq!(q.refresh, Some(Refresh::Seconds(30)));
        assert_eq!(q.to_query(), "range=1h&service=a&refresh=30s");
        assert_eq!(
            ViewQuery::parse("refresh=off").0.refresh,
            Some(Refresh::Off)
        );
        assert_eq!(ViewQuery::parse("refresh=1ms").0.refresh, None);
        assert!(ViewQuery::parse("refresh=1m").0.vars.is_empty());
    }
}
