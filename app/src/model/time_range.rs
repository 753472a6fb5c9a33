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
}
