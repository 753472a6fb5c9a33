//! Shared pieces of the benchmarks.

/// How many `query_range` requests Prometheus has served, from its own
/// `prometheus_http_requests_total` (read from its `/metrics`, so no scrape lag).
pub async fn range_queries_served(prometheus_url: &str) -> f64 {
    let Ok(response) = reqwest::get(format!("{prometheus_url}/metrics")).await else {
        return f64::NAN;
    };
    let text = response.text().await.unwrap_or_default();
    text.lines()
        .filter(|l| {
            l.starts_with("prometheus_http_requests_total{")
                && l.contains(r#"handler="/api/v1/query_range""#)
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Raises the open-file limit to its hard maximum: a thousand viewers are a
/// thousand sockets on each side.
pub fn raise_open_files_limit() {
    // SAFETY: plain get/setrlimit on our own process.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}
