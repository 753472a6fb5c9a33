use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// The relative ranges every view offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum RelativeRange {
    #[serde(rename = "15m")]
    M15,
    #[default]
    #[serde(rename = "1h")]
    H1,
    #[serde(rename = "6h")]
    H6,
    #[serde(rename = "24h")]
    H24,
    #[serde(rename = "7d")]
    D7,
}

impl RelativeRange {
    pub const ALL: [RelativeRange; 5] = [Self::M15, Self::H1, Self::H6, Self::H24, Self::D7];

    pub fn seconds(self) -> i64 {
        match self {
            Self::M15 => 15 * 60,
            Self::H1 => 3600,
            Self::H6 => 6 * 3600,
            Self::H24 => 24 * 3600,
            Self::D7 => 7 * 24 * 3600,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::M15 => "15m",
            Self::H1 => "1h",
            Self::H6 => "6h",
            Self::H24 => "24h",
            Self::D7 => "7d",
        }
    }
}

impl fmt::Display for RelativeRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown range {0:?}: use one of 15m, 1h, 6h, 24h, 7d")]
pub struct UnknownRange(pub String);

impl FromStr for RelativeRange {
    type Err = UnknownRange;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRange(s.chars().take(32).collect()))
    }
}

/// The earliest and latest instants a view may ask for, and its shortest and
/// longest span: bounds that keep every range query sane for Prometheus.
pub const MIN_SPAN_SECONDS: i64 = 60;
pub const MAX_SPAN_SECONDS: i64 = 400 * 86_400;
const LATEST: i64 = 4_102_444_800; // 2100-01-01

/// What a view shows: a range ending now, or a fixed from/to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TimeRange {
    Relative(RelativeRange),
    Absolute { from: i64, to: i64 },
}

impl Default for TimeRange {
    fn default() -> Self {
        Self::Relative(RelativeRange::default())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error(transparent)]
    Unknown(#[from] UnknownRange),
    #[error("{0}= is not a time: use Unix seconds, RFC 3339 (2026-11-22T10:00:00Z) or a UTC date and time (2026-11-22T10:00)")]
    NotATime(&'static str),
    #[error("from= and to= go together")]
    Half,
    #[error("range= and from=/to= exclude each other")]
    Both,
    #[error("from= must be before to=")]
    Reversed,
    #[error("the range is shorter than a minute")]
    TooShort,
    #[error("the range is longer than 400 days")]
    TooLong,
    #[error("the time is outside 1970–2100")]
    OutOfBounds,
}

impl TimeRange {
    /// From the query-string values `range`, `from` and `to`.
    pub fn from_params(
        range: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Self, RangeError> {
        match (range, from, to) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(RangeError::Both),
            (Some(r), None, None) => Ok(Self::Relative(r.parse()?)),
            (None, None, None) => Ok(Self::default()),
            (None, Some(from), Some(to)) => {
                let from = parse_instant(from).ok_or(RangeError::NotATime("from"))?;
                let to = parse_instant(to).ok_or(RangeError::NotATime("to"))?;
                Self::absolute(from, to)
            }
            _ => Err(RangeError::Half),
        }
    }

    pub fn absolute(from: i64, to: i64) -> Result<Self, RangeError> {
        if !(0..=LATEST).contains(&from) || !(0..=LATEST).contains(&to) {
            return Err(RangeError::OutOfBounds);
        }
        if from >= to {
            return Err(RangeError::Reversed);
        }
        let span = to - from;
        if span < MIN_SPAN_SECONDS {
            return Err(RangeError::TooShort);
        }
        if span > MAX_SPAN_SECONDS {
            return Err(RangeError::TooLong);
        }
        Ok(Self::Absolute { from, to })
    }

    pub fn seconds(self) -> i64 {
        match self {
            Self::Relative(r) => r.seconds(),
            Self::Absolute { from, to } => to - from,
        }
    }

    pub fn is_relative(self) -> bool {
        matches!(self, Self::Relative(_))
    }

    /// The span it covers, Unix milliseconds, a relative one ending at `now_ms`.
    pub fn window_ms(self, now_ms: i64) -> (i64, i64) {
        match self {
            Self::Relative(r) => (now_ms - r.seconds() * 1000, now_ms),
            Self::Absolute { from, to } => (from * 1000, to * 1000),
        }
    }

    /// The query-string pairs that name this range.
    pub fn query_pairs(self) -> Vec<(&'static str, String)> {
        match self {
            Self::Relative(r) => vec![("range", r.to_string())],
            Self::Absolute { from, to } => vec![("from", from.to_string()), ("to", to.to_string())],
        }
    }
}

impl From<RelativeRange> for TimeRange {
    fn from(r: RelativeRange) -> Self {
        Self::Relative(r)
    }
}

/// Unix seconds, an RFC 3339 time with an explicit offset, or a date and time
/// without one (what a `datetime-local` input sends), read as UTC as every
/// time Vantage shows is.
fn parse_instant(s: &str) -> Option<i64> {
    if s.len() > 40 {
        return None;
    }
    if let Ok(n) = s.parse::<i64>() {
        return Some(n);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp());
    }
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(s, f).ok())
        .map(|t| t.and_utc().timestamp())
}

/// The concrete window a query covered: Unix seconds, inclusive, and the step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeWindow {
    pub start: i64,
    pub end: i64,
    pub step: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_range_round_trips_through_its_name() {
        for r in RelativeRange::ALL {
            assert_eq!(r.as_str().parse::<RelativeRange>(), Ok(r));
        }
    }

    #[test]
    fn unknown_ranges_are_refused_and_the_echo_is_bounded() {
        let long = "9".repeat(10_000);
        let err = long.parse::<RelativeRange>().unwrap_err();
        assert_eq!(err.0.len(), 32);
        assert!("1H".parse::<RelativeRange>().is_err());
        assert!("".parse::<RelativeRange>().is_err());
    }

    #[test]
    fn absolute_ranges_are_checked() {
        let ok = TimeRange::from_params(None, Some("1700000000"), Some("2023-11-14T23:13:20Z"));
        assert_eq!(
            ok,
            Ok(TimeRange::Absolute {
                from: 1_700_000_000,
                to: 1_700_003_600
            })
        );
        let p = |f: &str, t: &str| TimeRange::from_params(None, Some(f), Some(t));
        assert_eq!(p("200", "100"), Err(RangeError::Reversed));
        assert_eq!(p("100", "130"), Err(RangeError::TooShort));
        assert_eq!(p("0", "99999999"), Err(RangeError::TooLong));
        assert_eq!(p("yesterday", "100"), Err(RangeError::NotATime("from")));
        assert_eq!(p("1e9", "100"), Err(RangeError::NotATime("from")));
        // What a datetime-local input sends, read as UTC.
        assert_eq!(
            p("2023-11-14T22:13", "2023-11-14T23:13:20"),
            Ok(TimeRange::Absolute {
                from: 1_699_999_980,
                to: 1_700_003_600
            })
        );
        assert_eq!(p("2023-11-14T22", "100"), Err(RangeError::NotATime("from")));
        assert_eq!(
            p("2023-13-14T22:13", "100"),
            Err(RangeError::NotATime("from"))
        );
        assert_eq!(p("-5", "100"), Err(RangeError::OutOfBounds));
        assert_eq!(p("100", "99999999999999"), Err(RangeError::OutOfBounds));
        assert_eq!(
            TimeRange::from_params(None, Some("100"), None),
            Err(RangeError::Half)
        );
        assert_eq!(
            TimeRange::from_params(Some("1h"), Some("100"), Some("200")),
            Err(RangeError::Both)
        );
        assert_eq!(
            TimeRange::from_params(None, None, None),
            Ok(TimeRange::Relative(RelativeRange::H1))
        );
    }
}
