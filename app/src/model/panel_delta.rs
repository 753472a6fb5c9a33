//! What changed in a panel between two refreshes: what the stream sends
//! instead of the whole panel once a tab has it.
//!
//! A refresh of a relative range mostly moves the window on: a point or two
//! appear at the end of every series, as many leave at the start, and the
//! newest step is evaluated again. A delta says exactly that per series:
//! "keep what you have from the window's start up to `from`, then these
//! points". Applying it is idempotent (twice is once), and it gives the same
//! panel on any base that agrees with the one it was made from before `from`,
//! so a page whose own load came a moment after the stream's (a newer
//! partial step) still ends up with exactly the stream's panel.

use serde::{Deserialize, Serialize};

use super::{MissingMetric, PanelData, PanelStatus, Point, RangeWindow, Row, Series};

/// One panel's change (the stream's `delta` event). Everything but the
/// series and rows is small and sent whole.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PanelDelta {
    /// The panel's id within the stream's dashboard.
    pub panel: String,
    pub updated_at_ms: i64,
    pub window: RangeWindow,
    pub status: PanelStatus,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<MissingMetric>,
    /// Every series of the new panel, in its order; a series not named here
    /// is gone.
    pub series: Vec<SeriesChange>,
    /// A table's rows, whole, when they changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<Vec<Row>>,
}

/// One series of the new panel. With neither `from` nor `points`, it is the
/// series of that name as the tab has it (trimmed to the new window).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeriesChange {
    pub name: String,
    /// Points at or after this time are replaced by `points`. Left out when
    /// it is the first of `points`' times (the usual case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub points: Vec<Point>,
}

impl SeriesChange {
    /// Where the replacement begins; `None` keeps the series as it is.
    fn replaces_from(&self) -> Option<i64> {
        self.from.or_else(|| self.points.first().map(|p| p.0))
    }
}

impl PanelDelta {
    /// What turns `old` into `new`, when it is only data that changed (the
    /// same panel, the same view); `None` when `new` must be sent whole.
    /// The delta is checked: applied to `old` it gives `new` exactly.
    pub fn between(old: &PanelData, new: &PanelData) -> Option<PanelDelta> {
        if old.panel != new.panel || old.view != new.view {
            return None;
        }
        let mut olds = ByName::new(&old.series);
        let series = new
            .series
            .iter()
            .map(|s| {
                let kept: Vec<Point> = olds
                    .take(&s.name)
                    .map(|o| in_window(&o.points, new.window.start).to_vec())
                    .unwrap_or_default();
                change_of(&s.name, &kept, &s.points)
            })
            .collect();
        let delta = PanelDelta {
            panel: new.panel.panel.clone(),
            updated_at_ms: new.updated_at_ms,
            window: new.window,
            status: new.status.clone(),
            warnings: new.warnings.clone(),
            missing: new.missing.clone(),
            series,
            rows: (old.rows != new.rows).then(|| new.rows.clone()),
        };
        (delta.applied_to(old) == *new).then_some(delta)
    }

    /// The panel this makes of `base`.
    pub fn applied_to(&self, base: &PanelData) -> PanelData {
        let mut olds = ByName::new(&base.series);
        let series = self
            .series
            .iter()
            .map(|change| {
                let old = olds
                    .take(&change.name)
                    .map(|o| in_window(&o.points, self.window.start))
                    .unwrap_or_default();
                let points = match change.replaces_from() {
                    None => old.to_vec(),
                    Some(from) => {
                        let before = old.partition_point(|p| p.0 < from);
                        old[..before]
                            .iter()
                            .chain(&change.points)
                            .copied()
                            .collect()
                    }
                };
                Series {
                    name: change.name.clone(),
                    points,
                }
            })
            .collect();
        PanelData {
            panel: base.panel.clone(),
            view: base.view.clone(),
            window: self.window,
            series,
            rows: self.rows.clone().unwrap_or_else(|| base.rows.clone()),
            status: self.status.clone(),
            warnings: self.warnings.clone(),
            updated_at_ms: self.updated_at_ms,
            missing: self.missing.clone(),
        }
    }
}

/// The change that turns a series' `kept` points into `new`: the first point
/// where they differ and everything after it.
fn change_of(name: &str, kept: &[Point], new: &[Point]) -> SeriesChange {
    let same = kept
        .iter()
        .zip(new)
        .take_while(|(a, b)| same_point(a, b))
        .count();
    let (from, points) = match (kept.get(same), new.get(same)) {
        (None, None) => (None, Vec::new()),
        // New points only, or a change: from where the first new one is,
        // unless an old point from before it has to go too.
        (old, Some(first)) => {
            let from = old.map_or(first.0, |o| o.0.min(first.0));
            ((from != first.0).then_some(from), new[same..].to_vec())
        }
        // The new series is shorter: its tail is cut.
        (Some(old), None) => (Some(old.0), Vec::new()),
    };
    SeriesChange {
        name: name.to_string(),
        from,
        points,
    }
}

/// Equal as they would be drawn: NaN never reaches a point (it is a gap).
fn same_point(a: &Point, b: &Point) -> bool {
    a.0 == b.0 && a.1.map(f64::to_bits) == b.1.map(f64::to_bits)
}

/// The points at or after `start` (points are in time order).
fn in_window(points: &[Point], start: i64) -> &[Point] {
    &points[points.partition_point(|p| p.0 < start)..]
}

/// Series looked up by name, each taken once: two series of one name (a
/// legend that drops the label telling them apart) pair up in order.
struct ByName<'a> {
    series: Vec<Option<&'a Series>>,
}

impl<'a> ByName<'a> {
    fn new(series: &'a [Series]) -> Self {
        Self {
            series: series.iter().map(Some).collect(),
        }
    }

    fn take(&mut self, name: &str) -> Option<&'a Series> {
        self.series
            .iter_mut()
            .find(|s| s.is_some_and(|s| s.name == name))?
            .take()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::model::{PanelKind, PanelRef, PanelView, Thresholds, Unit};

    fn panel(window: RangeWindow, series: Vec<Series>) -> PanelData {
        PanelData {
            panel: PanelRef {
                dashboard: "d".into(),
                panel: "p".into(),
            },
            view: PanelView {
                id: "p".into(),
                title: "P".into(),
                description: String::new(),
                kind: PanelKind::TimeSeries,
                unit: Unit::None,
                decimals: None,
                width: 6,
                height: 1,
                priority: 1,
                stacked: false,
                thresholds: Thresholds::default(),
                min: None,
                max: None,
                columns: Vec::new(),
                links: Vec::new(),
                text: Vec::new(),
            },
            window,
            series,
            rows: Vec::new(),
            status: PanelStatus::Live,
            warnings: Vec::new(),
            updated_at_ms: window.end * 1000,
            missing: Vec::new(),
        }
    }

    fn grid(name: &str, from: i64, to: i64, step: i64, value: impl Fn(i64) -> f64) -> Series {
        Series {
            name: name.into(),
            points: (from / step..=to / step)
                .map(|k| Point(k * step, Some(value(k * step))))
                .collect(),
        }
    }

    fn window(start: i64, end: i64) -> RangeWindow {
        RangeWindow {
            start,
            end,
            step: 15,
        }
    }

    #[test]
    fn a_window_that_moves_on_sends_only_its_new_points() {
        let old = panel(window(0, 600), vec![grid("a", 0, 600, 15, |t| t as f64)]);
        let new = panel(window(30, 630), vec![grid("a", 30, 630, 15, |t| t as f64)]);
        let delta = PanelDelta::between(&old, &new).unwrap();
        assert_eq!(
            delta.series,
            vec![SeriesChange {
                name: "a".into(),
                from: None,
                points: vec![Point(615, Some(615.0)), Point(630, Some(630.0))],
            }]
        );
        assert_eq!(delta.applied_to(&old), new);
        // Twice is once: a duplicate delivery changes nothing.
        assert_eq!(delta.applied_to(&delta.applied_to(&old)), new);
    }

    #[test]
    fn a_late_sample_replaces_the_last_step_and_what_follows() {
        let old = panel(window(0, 600), vec![grid("a", 0, 600, 15, |_| 1.0)]);
        let mut new = panel(window(15, 615), vec![grid("a", 15, 615, 15, |_| 1.0)]);
        new.series[0].points[38].1 = Some(2.0); // t = 585, already sent as 1.0
        let delta = PanelDelta::between(&old, &new).unwrap();
        assert_eq!(delta.series[0].from, None);
        assert_eq!(delta.series[0].points.first(), Some(&Point(585, Some(2.0))));
        assert_eq!(delta.applied_to(&old), new);
    }

    #[test]
    fn series_that_appear_or_go_are_drawn_or_removed() {
        let old = panel(
            window(0, 600),
            vec![
                grid("a", 0, 600, 15, |_| 1.0),
                grid("b", 0, 600, 15, |_| 2.0),
            ],
        );
        let new = panel(
            window(0, 600),
            vec![
                grid("a", 0, 600, 15, |_| 1.0),
                grid("c", 300, 600, 15, |_| 3.0),
            ],
        );
        let delta = PanelDelta::between(&old, &new).unwrap();
        let names: Vec<_> = delta.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "c"]);
        assert!(delta.series[0].points.is_empty(), "a unchanged: named only");
        assert_eq!(delta.series[1].points.len(), 21);
        assert_eq!(delta.applied_to(&old), new);
    }

    #[test]
    fn a_delta_on_a_slightly_newer_base_gives_the_same_panel() {
        // The stream's panel at 600, a page's own load at 607 (its newest
        // step evaluated later), the stream's next refresh at 615.
        let stream = panel(window(0, 600), vec![grid("a", 0, 600, 15, |_| 1.0)]);
        let mut page = panel(window(0, 600), vec![grid("a", 0, 600, 15, |_| 1.0)]);
        page.series[0].points.last_mut().unwrap().1 = Some(1.5);
        let mut next = panel(window(15, 615), vec![grid("a", 15, 615, 15, |_| 1.0)]);
        next.series[0].points[38].1 = Some(1.7);
        let delta = PanelDelta::between(&stream, &next).unwrap();
        assert_eq!(delta.applied_to(&page), next);
    }

    #[test]
    fn a_changed_view_is_sent_whole() {
        let old = panel(window(0, 600), vec![]);
        let mut new = old.clone();
        new.view.title = "Q".into();
        assert_eq!(PanelDelta::between(&old, &new), None);
    }

    fn points() -> impl Strategy<Value = Vec<Point>> {
        // Strictly increasing times on a coarse grid, values or gaps.
        proptest::collection::btree_map(0i64..60, proptest::option::weighted(0.9, -5i32..5), 0..30)
            .prop_map(|m| {
                m.into_iter()
                    .map(|(k, v)| Point(k * 10, v.map(f64::from)))
                    .collect()
            })
    }

    fn series_set() -> impl Strategy<Value = Vec<Series>> {
        proptest::collection::vec(("[abc]", points()), 0..5).prop_map(|v| {
            v.into_iter()
                .map(|(name, points)| Series { name, points })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn a_delta_always_makes_the_new_panel(
            old in series_set(),
            new in series_set(),
            start in 0i64..300,
            rows in proptest::bool::ANY,
        ) {
            let old = panel(window(0, 600), old);
            let mut new = panel(window(start, start + 600), new);
            // The new panel holds only points of its window.
            for s in &mut new.series {
                s.points.retain(|p| p.0 >= start);
            }
            if rows {
                new.rows = vec![Row { key: "k".into(), values: vec![Some(1.0)] }];
            }
            let delta = PanelDelta::between(&old, &new).expect("only data changed");
            prop_assert_eq!(delta.applied_to(&old), new.clone());
            prop_assert_eq!(delta.applied_to(&delta.applied_to(&old)), new);
        }
    }
}
