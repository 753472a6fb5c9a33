//! Marks on the browser's performance timeline, so a benchmark (and anyone
//! with the browser's performance panel open) sees where the time to an
//! interactive page goes: the wasm started, the page hydrated, the stream
//! went live. On the server these do nothing.

/// Hydration is about to start (the wasm is compiled and running).
pub const HYDRATE_START: &str = "vantage:hydrate-start";
/// A dashboard's panels are hydrated (and respond to input).
pub const HYDRATED: &str = "vantage:hydrated";
/// The tab's stream said hello for the first time.
pub const LIVE: &str = "vantage:live";

/// Puts `name` on the timeline (once per name is enough for the benchmark;
/// later marks of the same name add entries and harm nothing).
pub fn mark(name: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(name);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = name;
}
