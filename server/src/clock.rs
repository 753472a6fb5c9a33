//! "Now", read in one place. Wall-clock time is what results are stored at,
//! what pages show, where a relative range ends and when a token expires
//! (Prometheus keeps wall-clock time too); timers and deadlines use tokio's
//! monotonic clock.
//!
//! The wall clock follows tokio's clock: it is the system's time moved by
//! however far tokio's clock is from the real monotonic one. Unpaused (the
//! product), tokio's clock is the monotonic clock itself, so this is the
//! system's time exactly; a test that pauses tokio's clock
//! (`#[tokio::test(start_paused = true)]`, `tokio::time::advance`) drives
//! "now" with it, so expiries, durations and retention are tested by moving
//! time instead of sleeping.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    let system = SystemTime::now();
    let real = std::time::Instant::now();
    let driven = tokio::time::Instant::now().into_std();
    // Paused tokio time runs behind the real clock (or ahead, once advanced
    // past it); unpaused, both are read from the same clock and agree.
    let wall = if driven >= real {
        system.checked_add(driven - real)
    } else {
        system.checked_sub(real - driven)
    };
    wall.unwrap_or(system)
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Seconds since the Unix epoch (what tokens' `exp` counts in).
pub fn now_seconds() -> i64 {
    now_ms().div_euclid(1000)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn system_ms() -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64
    }

    #[tokio::test]
    async fn unpaused_it_is_the_system_clock() {
        let before = system_ms();
        let now = now_ms();
        let after = system_ms();
        assert!((before..=after).contains(&now), "{before} {now} {after}");
    }

    #[tokio::test(start_paused = true)]
    async fn paused_it_moves_only_when_the_test_moves_it() {
        let start = now_ms();
        // Real time passes; the driven clock does not.
        std::thread::sleep(Duration::from_millis(50));
        assert!((now_ms() - start).abs() <= 1, "{start} {}", now_ms());
        // An hour passes in no time.
        tokio::time::advance(Duration::from_secs(3600)).await;
        let later = now_ms() - start;
        assert!(
            (3_600_000..3_600_000 + 10).contains(&later),
            "advanced {later} ms"
        );
        assert_eq!(now_seconds(), now_ms().div_euclid(1000));
    }
}
