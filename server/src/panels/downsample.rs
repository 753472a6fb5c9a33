//! M4 downsampling: per pixel column, keep the first, last, smallest and largest
//! point, so a line drawn from the result looks exactly like one drawn from all
//! points (Jugel et al., "M4: A Visualization-Oriented Time Series Data
//! Aggregation", VLDB 2014) while sending at most four points per column.

use app::model::Point;

/// Reduces `points` (ascending time) to at most four per column across
/// `[start, end]` split into `columns`; gaps (`None`) are kept, once per
/// column, so breaks in a line survive.
pub fn m4(points: &[Point], start: i64, end: i64, columns: usize) -> Vec<Point> {
    if columns == 0 || points.len() <= columns * 4 || end <= start {
        return points.to_vec();
    }
    let span = (end - start) as f64;
    let column = |t: i64| -> usize {
        let c = ((t - start) as f64 / span * columns as f64).floor();
        (c.max(0.0) as usize).min(columns - 1)
    };
    let mut out = Vec::with_capacity(columns * 4);
    let mut i = 0;
    while i < points.len() {
        let col = column(points[i].0);
        let mut j = i;
        while j < points.len() && column(points[j].0) == col {
            j += 1;
        }
        let group = &points[i..j];
        let mut keep: Vec<usize> = vec![0, group.len() - 1];
        let numbers = group
            .iter()
            .enumerate()
            .filter_map(|(k, p)| p.1.map(|v| (k, v)));
        if let Some((k, _)) = numbers.clone().min_by(|a, b| a.1.total_cmp(&b.1)) {
            keep.push(k);
        }
        if let Some((k, _)) = numbers.max_by(|a, b| a.1.total_cmp(&b.1)) {
            keep.push(k);
        }
        if let Some(k) = group.iter().position(|p| p.1.is_none()) {
            keep.push(k);
        }
        keep.sort_unstable();
        keep.dedup();
        out.extend(keep.into_iter().map(|k| group[k]));
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_series_pass_untouched() {
        let pts: Vec<Point> = (0..10).map(|t| Point(t, Some(t as f64))).collect();
        assert_eq!(m4(&pts, 0, 9, 10), pts);
    }

    #[test]
    fn every_column_keeps_its_extremes_and_ends() {
        // 10,000 points of a sawtooth with one spike and one gap, into 100 columns.
        let mut pts: Vec<Point> = (0..10_000)
            .map(|t| Point(t, Some((t % 7) as f64)))
            .collect();
        pts[4321].1 = Some(1000.0);
        pts[8765].1 = None;
        let out = m4(&pts, 0, 9_999, 100);
        assert!(out.len() <= 100 * 5, "{}", out.len());
        assert!(out.len() >= 100 * 3, "{}", out.len());
        assert!(
            out.contains(&Point(4321, Some(1000.0))),
            "the spike survives"
        );
        assert!(out.contains(&Point(8765, None)), "the gap survives");
        assert_eq!(out.first(), pts.first());
        assert_eq!(out.last(), pts.last());
        assert!(out.windows(2).all(|w| w[0].0 < w[1].0), "still ascending");
        // Per column the min and max are those of the input.
        for c in 0..100 {
            let of = |p: &&Point| p.0 / 100 == c;
            let want = pts.iter().filter(of).filter_map(|p| p.1);
            let got = out.iter().filter(of).filter_map(|p| p.1);
            let (wmin, wmax) = want.fold((f64::MAX, f64::MIN), |a, v| (a.0.min(v), a.1.max(v)));
            let (gmin, gmax) = got.fold((f64::MAX, f64::MIN), |a, v| (a.0.min(v), a.1.max(v)));
            assert_eq!((wmin, wmax), (gmin, gmax), "column {c}");
        }
    }
}
