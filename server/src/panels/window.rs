//! Which window and step a range query covers.

use app::model::{RangeWindow, TimeRange};

/// Prometheus refuses range queries with more points than this.
pub const MAX_POINTS: i64 = 11_000;
/// A point every two pixels is as fine as a line can show.
const POINTS_PER_COLUMN: i64 = 55;
/// Steps that repeat well on a clock, so repeated queries hit the same timestamps.
const NICE_STEPS: &[i64] = &[
    5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400,
    172_800, 604_800,
];

/// Points a panel `width` grid columns wide can use (a 12-column row is about
/// 1,320 px on a desk).
pub fn points_for(width: u8) -> i64 {
    (i64::from(width.clamp(1, 12)) * POINTS_PER_COLUMN).max(60)
}

/// The window and step for a range: about `points` points, a step from a fixed
/// list (so repeated queries hit the same timestamps and share caches), never
/// more than Prometheus' point limit, and the window aligned to the step.
pub fn window_for(range: TimeRange, now: i64, points: i64) -> RangeWindow {
    let span = range.seconds();
    let points = points.clamp(2, MAX_POINTS - 1);
    let wanted = (span + points - 1) / points;
    let step = NICE_STEPS
        .iter()
        .copied()
        .find(|s| *s >= wanted)
        .unwrap_or_else(|| wanted.max(1));
    match range {
        TimeRange::Relative(_) => {
            let end = now.div_euclid(step) * step;
            RangeWindow {
                start: end - span,
                end,
                step,
            }
        }
        TimeRange::Absolute { from, to } => RangeWindow {
            start: from.div_euclid(step) * step,
            end: to.div_euclid(step) * step + if to % step == 0 { 0 } else { step },
            step,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::model::{RelativeRange, MAX_SPAN_SECONDS, MIN_SPAN_SECONDS};

    #[test]
    fn windows_stay_under_the_point_limit_and_align_to_the_step() {
        let now = 1_795_356_309;
        for width in [1u8, 3, 6, 12] {
            for range in RelativeRange::ALL {
                let w = window_for(range.into(), now, points_for(width));
                let points = (w.end - w.start) / w.step + 1;
                assert!(points <= points_for(width) + 1, "{range}: {points}");
                assert_eq!(w.end % w.step, 0);
                assert_eq!(w.end - w.start, range.seconds());
                assert!(w.end <= now && now - w.end < w.step);
            }
        }
        let half = points_for(6);
        assert_eq!(window_for(RelativeRange::M15.into(), now, half).step, 5);
        assert_eq!(window_for(RelativeRange::H1.into(), now, half).step, 15);
        assert_eq!(window_for(RelativeRange::D7.into(), now, half).step, 3600);
    }

    #[test]
    fn absolute_windows_cover_the_range_within_the_limit() {
        for (from, to) in [
            (1_700_000_000, 1_700_000_000 + MIN_SPAN_SECONDS),
            (1_700_000_123, 1_700_086_789),
            (0, MAX_SPAN_SECONDS),
        ] {
            let range = TimeRange::absolute(from, to).unwrap();
            // Even a caller asking for absurd resolution stays under the limit.
            for points in [60, 660, 1_000_000] {
                let w = window_for(range, 0, points);
                assert!(w.start <= from && w.end >= to);
                assert!((w.end - w.start) / w.step < MAX_POINTS, "{w:?}");
            }
        }
    }
}
