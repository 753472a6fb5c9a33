/// P(X ≤ x) for a log-normal latency with the given median and sigma.
pub fn lognormal_cdf(x: f64, median: f64, sigma: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let z = (x.ln() - median.ln()) / (sigma * std::f64::consts::SQRT_2);
    0.5 * (1.0 + erf(z))
}

/// The error function (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7).
fn erf(x: f64) -> f64 {
    let sign = x.signum();
    let x = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    sign * (1.0 - poly * (-x * x).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_splits_the_distribution() {
        assert!((lognormal_cdf(0.1, 0.1, 0.6) - 0.5).abs() < 1e-6);
        assert!(lognormal_cdf(10.0, 0.1, 0.6) > 0.999);
        assert!(lognormal_cdf(0.001, 0.1, 0.6) < 0.001);
    }
}
