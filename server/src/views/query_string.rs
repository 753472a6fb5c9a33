//! The pieces every request's query string shares: its length limit, the
//! time range (`range=` or `from=`/`to=`), `refresh=`, pixel sizes, and the
//! error for a key the request does not know.

use app::model::{Refresh, TimeRange};

use super::Keys;
use crate::error::{Error, Result};

/// Longest query string accepted; real ones are a few dozen bytes (an embed's
/// token a few hundred).
pub const MAX_QUERY_LEN: usize = 8 * 1024;
/// Narrowest and widest drawing a viewer may ask for, in pixels.
pub const MIN_WIDTH: u32 = 40;
pub const MAX_WIDTH: u32 = 4000;

/// The decoded keys and values, in order (a key may repeat). The typed
/// requests read these pairs rather than deriving serde (serde_html_form): a
/// dashboard's keys are its variables, known only at run time, and the range
/// is three keys read together, so a derive would still leave both by hand.
pub fn pairs(raw: Option<&str>) -> Result<Vec<(String, String)>> {
    let raw = raw.unwrap_or("").trim_start_matches('?');
    if raw.len() > MAX_QUERY_LEN {
        return Err(Error::bad_request("query string too long"));
    }
    Ok(form_urlencoded::parse(raw.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect())
}

/// `range=`, `from=` and `to=` as they come, read into a range at the end.
#[derive(Debug, Default)]
pub struct RangeKeys {
    range: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

impl RangeKeys {
    /// Keeps `value` if `key` is one of the range's keys.
    pub fn take(&mut self, key: &str, value: &str) -> bool {
        let slot = match key {
            "range" => &mut self.range,
            "from" => &mut self.from,
            "to" => &mut self.to,
            _ => return false,
        };
        *slot = Some(value.to_string());
        true
    }

    /// The range they say (the last hour when none is given).
    pub fn range(&self) -> Result<TimeRange> {
        TimeRange::from_params(
            self.range.as_deref(),
            self.from.as_deref(),
            self.to.as_deref(),
        )
        .map_err(|e| Error::bad_request(e.to_string()))
    }

    /// The range they say, or none when no key was given.
    pub fn range_if_given(&self) -> Result<Option<TimeRange>> {
        if self.range.is_none() && self.from.is_none() && self.to.is_none() {
            return Ok(None);
        }
        self.range().map(Some)
    }
}

pub fn refresh(value: &str) -> Result<Refresh> {
    Refresh::parse(value).ok_or_else(|| {
        let choices: Vec<&str> = Refresh::CHOICES.iter().map(|c| c.as_str()).collect();
        Error::bad_request(format!("refresh= is one of {}", choices.join(", ")))
    })
}

/// A size in pixels within `min..=max`.
pub fn pixels(value: &str, min: u32, max: u32, name: &str) -> Result<u32> {
    value
        .parse::<u32>()
        .ok()
        .filter(|v| (min..=max).contains(v))
        .ok_or_else(|| Error::bad_request(format!("{name}= is {min} to {max} pixels")))
}

/// A key the request does not take: refused or ignored, as `K` rules.
/// `takes` says what the request does take.
pub fn unknown<K: Keys>(key: &str, takes: impl FnOnce() -> String) -> Result<()> {
    if !K::REFUSE_UNKNOWN {
        return Ok(());
    }
    let key: String = key.chars().take(40).collect();
    Err(Error::bad_request(format!(
        "unknown parameter {key:?}: {}",
        takes()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::{Api, Page};

    #[test]
    fn limits_and_unknown_keys() {
        assert!(pairs(Some(&"a=b&".repeat(5000))).is_err());
        assert_eq!(
            pairs(Some("?a=1&a=2&b=%2F")).unwrap(),
            [("a", "1"), ("a", "2"), ("b", "/")].map(|(k, v)| (k.to_string(), v.to_string()))
        );
        assert!(pixels("0", 40, 4000, "width").is_err());
        assert_eq!(pixels("300", 40, 4000, "width").unwrap(), 300);
        let err = refresh("2s").unwrap_err();
        assert!(err.to_string().contains("5s, 10s, 30s, 1m, off"), "{err}");
        assert!(unknown::<Page>("x", String::new).is_ok());
        let err = unknown::<Api>("x", || "this takes y=".into()).unwrap_err();
        assert_eq!(err.to_string(), "unknown parameter \"x\": this takes y=");
    }
}
