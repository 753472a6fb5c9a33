//! "Now", read in one place. Wall-clock time is what results are stored at,
//! what pages show and where a relative range ends (Prometheus keeps wall-clock
//! time too); timers and deadlines use tokio's monotonic clock instead, which
//! tests can pause and advance (`tokio::time::pause`).

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Seconds since the Unix epoch (what tokens' `exp` counts in).
pub fn now_seconds() -> i64 {
    now_ms().div_euclid(1000)
}
