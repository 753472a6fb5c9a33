//! Numbers and times the way people read them: 1.2k req/s, 340 ms, 4.1 GiB, 97.3 %.
//! The scaling follows Grafana's for the units it shares (imported dashboards
//! read as they did there): SI steps of 1000, IEC steps of 1024, durations up
//! to minutes, hours and days.

use crate::{live::time_zone::Zone, model::Unit};

/// A value with its unit, short enough for an axis label.
pub fn value(v: f64, unit: Unit) -> String {
    value_with(v, unit, None)
}

/// A value with its unit, with `decimals` fixed (a panel's `decimals`, as
/// Grafana's: digits after the point of the scaled number), or without them
/// about three significant digits.
pub fn value_with(v: f64, unit: Unit, decimals: Option<u8>) -> String {
    if !v.is_finite() {
        return "–".to_string();
    }
    let d = Digits(decimals);
    match unit {
        Unit::None => d.si(v),
        Unit::Short => d.short(v),
        Unit::RequestsPerSecond => format!("{} req/s", d.si(v)),
        Unit::OperationsPerSecond => format!("{} ops/s", d.si(v)),
        Unit::PacketsPerSecond => format!("{} p/s", d.si(v)),
        Unit::Percent => format!("{} %", d.num(v, 1)),
        Unit::Ratio => format!("{} %", d.num(v * 100.0, 1)),
        Unit::Seconds => d.seconds(v),
        Unit::Milliseconds => d.seconds(v / 1000.0),
        Unit::Bytes => d.bytes(v),
        Unit::DecimalBytes => d.si_with(v, "B"),
        Unit::BytesPerSecond => format!("{}/s", d.bytes(v)),
        Unit::DecimalBytesPerSecond => d.si_with(v, "B/s"),
        Unit::BitsPerSecond => d.si_with(v, "b/s"),
        Unit::Celsius => format!("{} °C", d.num(v, 1)),
        Unit::Hertz => d.si_with(v, "Hz"),
    }
}

/// 1234 → "1.2k", 0.25 → "0.25", 3 → "3".
pub fn si(v: f64) -> String {
    Digits(None).si(v)
}

/// How many decimals a scaled number shows: a fixed count, or (`None`) what
/// keeps about three significant digits.
#[derive(Clone, Copy)]
struct Digits(Option<u8>);

impl Digits {
    /// `scaled` with the fixed decimals, or `auto` ones without trailing zeros.
    fn num(self, scaled: f64, auto: usize) -> String {
        match self.0 {
            Some(d) => format!("{scaled:.*}", usize::from(d)),
            None => trim(scaled, auto),
        }
    }

    fn si(self, v: f64) -> String {
        let a = v.abs();
        let (scaled, suffix) = if a >= 1e9 {
            (v / 1e9, "G")
        } else if a >= 1e6 {
            (v / 1e6, "M")
        } else if a >= 1e3 {
            (v / 1e3, "k")
        } else {
            (v, "")
        };
        let auto = digits_for(scaled, !suffix.is_empty());
        format!("{}{suffix}", self.num(scaled, auto))
    }

    /// Grafana's `short`: thousands as K, Mil, Bil, Tri.
    fn short(self, v: f64) -> String {
        const STEPS: [&str; 5] = ["", " K", " Mil", " Bil", " Tri"];
        let (scaled, i) = scaled_by(v, 1000.0, STEPS.len());
        let auto = digits_for(scaled, i > 0);
        format!("{}{}", self.num(scaled, auto), STEPS[i])
    }

    /// A value in an SI-prefixed unit: 1500 B → "1.5 kB", 2e9 Hz → "2 GHz".
    fn si_with(self, v: f64, unit: &str) -> String {
        const PREFIXES: [&str; 6] = ["", "k", "M", "G", "T", "P"];
        let (scaled, i) = scaled_by(v, 1000.0, PREFIXES.len());
        let auto = digits_for(scaled, i > 0);
        format!("{} {}{unit}", self.num(scaled, auto), PREFIXES[i])
    }

    fn bytes(self, v: f64) -> String {
        const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        let (scaled, i) = scaled_by(v, 1024.0, UNITS.len());
        format!("{} {}", self.num(scaled, usize::from(i > 0)), UNITS[i])
    }

    fn seconds(self, v: f64) -> String {
        let a = v.abs();
        if a == 0.0 {
            "0 s".into()
        } else if a < 1e-3 {
            format!("{} µs", self.num(v * 1e6, 0))
        } else if a < 1.0 {
            format!("{} ms", self.num(v * 1e3, usize::from(a < 0.01)))
        } else if a < 120.0 {
            format!("{} s", self.num(v, 1))
        } else if a < 2.0 * 3600.0 {
            format!("{} min", self.num(v / 60.0, 1))
        } else if a < 2.0 * 86_400.0 {
            format!("{} h", self.num(v / 3600.0, 1))
        } else {
            format!("{} d", self.num(v / 86_400.0, 1))
        }
    }
}

/// `v` divided by `step` until under it (at most `steps - 1` times), and how
/// many times.
fn scaled_by(v: f64, step: f64, steps: usize) -> (f64, usize) {
    let mut scaled = v;
    let mut i = 0;
    while scaled.abs() >= step && i < steps - 1 {
        scaled /= step;
        i += 1;
    }
    (scaled, i)
}

/// Decimals that keep about three significant digits.
fn digits_for(scaled: f64, prefixed: bool) -> usize {
    if scaled.abs() >= 100.0 || scaled.fract() == 0.0 {
        0
    } else if scaled.abs() >= 10.0 || prefixed {
        1
    } else {
        2
    }
}

/// Fixed decimals without trailing zeros: 2.50 → "2.5", 3.0 → "3".
fn trim(v: f64, digits: usize) -> String {
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A Unix time as a clock label in `zone`: `14:05`, or `11-21 14:05` when the
/// span covers days.
pub fn clock(unix: i64, span_seconds: i64, zone: Zone) -> String {
    if span_seconds > 2 * 86_400 {
        wall(unix, zone, "%m-%d %H:%M")
    } else {
        wall(unix, zone, "%H:%M")
    }
}

/// A Unix time as `HH:MM:SS` UTC.
/// How long ago, the way people say it: "just now", "42 s ago", "5 min ago",
/// "3 h ago", "2 d ago".
pub fn ago(seconds: i64) -> String {
    match seconds {
        s if s < 2 => "just now".into(),
        s if s < 60 => format!("{s} s ago"),
        s if s < 3600 => format!("{} min ago", s / 60),
        s if s < 86_400 => format!("{} h ago", s / 3600),
        s => format!("{} d ago", s / 86_400),
    }
}

/// A Unix time as a date and time in `zone`: `2026-11-22 14:05`.
pub fn date_time(unix: i64, zone: Zone) -> String {
    wall(unix, zone, "%Y-%m-%d %H:%M")
}

/// A Unix time as `HH:MM:SS` in `zone`.
pub fn clock_seconds(unix: i64, zone: Zone) -> String {
    wall(unix, zone, "%H:%M:%S")
}

/// A Unix time as a `datetime-local` input writes it, in UTC: `2026-11-22T14:05`.
pub fn datetime_local(unix: i64) -> String {
    utc(unix, "%Y-%m-%dT%H:%M")
}

/// A Unix time on the wall clock of `zone` by a `strftime` pattern.
fn wall(unix: i64, zone: Zone, pattern: &str) -> String {
    utc(unix.saturating_add(zone.offset_seconds(unix)), pattern)
}

/// A Unix time in UTC by a `strftime` pattern; a time outside chrono's
/// range (about 262,000 years) shows as `?`.
fn utc(unix: i64, pattern: &str) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp(unix, 0)
        .map(|t| t.format(pattern).to_string())
        .unwrap_or_else(|| "?".into())
}

/// Everything but RFC 3986's unreserved characters is escaped in a segment.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A URL path segment, percent-encoded: ids are plain, but never trust a URL.
pub fn path_segment(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, SEGMENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_like_people_say_them() {
        assert_eq!(ago(-3), "just now", "a clock a little behind the server's");
        assert_eq!(ago(1), "just now");
        assert_eq!(ago(42), "42 s ago");
        assert_eq!(ago(300), "5 min ago");
        assert_eq!(ago(3 * 3600 + 5), "3 h ago");
        assert_eq!(ago(2 * 86_400), "2 d ago");
    }

    #[test]
    fn values_read_like_people_write_them() {
        assert_eq!(value(1234.0, Unit::RequestsPerSecond), "1.2k req/s");
        assert_eq!(value(0.34, Unit::Seconds), "340 ms");
        assert_eq!(
            value(4.1 * 1024.0 * 1024.0 * 1024.0, Unit::Bytes),
            "4.1 GiB"
        );
        assert_eq!(value(97.31, Unit::Percent), "97.3 %");
        assert_eq!(value(0.9731, Unit::Ratio), "97.3 %");
        assert_eq!(
            value(2.5 * 1024.0 * 1024.0, Unit::BytesPerSecond),
            "2.5 MiB/s"
        );
        assert_eq!(value(3.0, Unit::None), "3");
        // Grafana's units, scaled as Grafana scales them.
        assert_eq!(value(1234.0, Unit::Short), "1.2 K");
        assert_eq!(value(5_600_000.0, Unit::Short), "5.6 Mil");
        assert_eq!(value(12.0, Unit::Short), "12");
        assert_eq!(value(340.0, Unit::Milliseconds), "340 ms");
        assert_eq!(value(90_000.0, Unit::Milliseconds), "90 s");
        assert_eq!(value(300_000.0, Unit::Milliseconds), "5 min");
        assert_eq!(value(3.0 * 3600.0, Unit::Seconds), "3 h");
        assert_eq!(value(3.0 * 86_400.0, Unit::Seconds), "3 d");
        assert_eq!(value(1500.0, Unit::DecimalBytes), "1.5 kB");
        assert_eq!(value(2.5e6, Unit::DecimalBytesPerSecond), "2.5 MB/s");
        assert_eq!(value(1e9, Unit::BitsPerSecond), "1 Gb/s");
        assert_eq!(value(512.0, Unit::DecimalBytes), "512 B");
        assert_eq!(value(2.4e9, Unit::Hertz), "2.4 GHz");
        assert_eq!(value(36.56, Unit::Celsius), "36.6 °C");
        // A panel's decimals fix the digits of the scaled number, zeros kept.
        assert_eq!(value_with(1234.0, Unit::Short, Some(2)), "1.23 K");
        assert_eq!(value_with(3.0, Unit::None, Some(2)), "3.00");
        assert_eq!(value_with(0.5, Unit::Ratio, Some(0)), "50 %");
        assert_eq!(value_with(0.34, Unit::Seconds, Some(1)), "340.0 ms");
        assert_eq!(value_with(2.5 * 1024.0, Unit::Bytes, Some(3)), "2.500 KiB");
        assert_eq!(value_with(f64::NAN, Unit::None, Some(2)), "–");
        assert_eq!(value(0.25, Unit::None), "0.25");
        assert_eq!(value(f64::NAN, Unit::None), "–");
        assert_eq!(value(f64::INFINITY, Unit::Seconds), "–");
    }

    #[test]
    fn path_segments_encode_everything_but_unreserved_characters() {
        assert_eq!(path_segment("api_latency-p95.x~"), "api_latency-p95.x~");
        assert_eq!(path_segment("a/b?c#d é"), "a%2Fb%3Fc%23d%20%C3%A9");
    }

    #[test]
    fn datetime_local_values_are_utc_minutes() {
        assert_eq!(datetime_local(1_795_356_309), "2026-11-22T14:05");
        assert_eq!(datetime_local(0), "1970-01-01T00:00");
    }

    #[test]
    fn clocks_are_utc_and_show_dates_for_long_spans() {
        // 2026-11-22T14:05:09Z
        let t = 1_795_356_309;
        assert_eq!(clock(t, 3600, Zone::Utc), "14:05");
        assert_eq!(clock(t, 7 * 86_400, Zone::Utc), "11-22 14:05");
        assert_eq!(clock_seconds(t, Zone::Utc), "14:05:09");
        assert_eq!(clock(0, 7 * 86_400, Zone::Utc), "01-01 00:00");
        assert_eq!(clock(-1, 60, Zone::Utc), "23:59");
        assert_eq!(clock(i64::MAX, 60, Zone::Utc), "?");
    }
}
