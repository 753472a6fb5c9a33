//! One clock for the page: "updated 5 s ago" everywhere without a timer per
//! panel. It only ticks in the browser; the server's HTML (and the page until
//! hydration) says the absolute time, so both render the same first.

use leptos::prelude::*;

#[derive(Clone, Copy)]
struct Clock(RwSignal<Option<i64>>);

/// Starts the page's clock (once, at the root).
pub fn provide_clock() {
    let now = RwSignal::new(None::<i64>);
    provide_context(Clock(now));
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let tick = move || now.set(Some(js_sys::Date::now() as i64));
        tick();
        if let Ok(handle) = set_interval_with_handle(tick, std::time::Duration::from_secs(1)) {
            on_cleanup(move || handle.clear());
        }
    });
}

/// Now in Unix milliseconds, ticking each second; `None` on the server, before
/// hydration, and where no clock was provided.
pub fn use_now() -> Signal<Option<i64>> {
    match use_context::<Clock>() {
        Some(Clock(now)) => now.into(),
        None => Signal::stored(None),
    }
}
