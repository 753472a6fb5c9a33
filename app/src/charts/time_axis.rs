//! A time axis whose ticks fall on round clock times (every 5 min, 1 h, 6 h, …),
//! not on round numbers of seconds as a plain integer axis would place them.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};

/// Tick spacings people read easily, in seconds.
const TICK_STEPS: &[i64] = &[
    60,
    120,
    300,
    600,
    900,
    1800,
    3600,
    2 * 3600,
    3 * 3600,
    6 * 3600,
    12 * 3600,
    86_400,
    2 * 86_400,
    7 * 86_400,
];

/// Unix seconds from `start` to `end`.
#[derive(Clone, Debug)]
pub struct TimeAxis {
    pub start: i64,
    pub end: i64,
}

impl Ranged for TimeAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = i64;

    fn map(&self, value: &i64, limit: (i32, i32)) -> i32 {
        let span = (self.end - self.start).max(1) as f64;
        let ratio = (*value - self.start) as f64 / span;
        limit.0 + (ratio * (limit.1 - limit.0) as f64).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<i64> {
        ticks(self.start, self.end, hint.max_num_points())
    }

    fn range(&self) -> Range<i64> {
        self.start..self.end
    }
}

/// Round times within `start..=end`, at most `max` of them.
pub fn ticks(start: i64, end: i64, max: usize) -> Vec<i64> {
    if max == 0 || end <= start {
        return Vec::new();
    }
    let span = end - start;
    let step = TICK_STEPS
        .iter()
        .copied()
        .find(|s| span / s < max as i64)
        .unwrap_or(30 * 86_400);
    let first = (start + step - 1).div_euclid(step) * step;
    (0..)
        .map(|i| first + i * step)
        .take_while(|t| *t <= end)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_fall_on_round_times_and_respect_the_budget() {
        let end = 1_795_356_309;
        for (span, max) in [
            (900, 6),
            (3600, 6),
            (21_600, 6),
            (86_400, 6),
            (7 * 86_400, 6),
        ] {
            let t = ticks(end - span, end, max);
            assert!(!t.is_empty() && t.len() <= max, "{span}: {t:?}");
            let step = t.get(1).map(|b| b - t[0]).unwrap_or(60);
            assert!(t.iter().all(|x| x % step == 0), "{span}: {t:?}");
        }
        assert_eq!(ticks(0, 3600, 6), vec![0, 900, 1800, 2700, 3600]);
    }
}
