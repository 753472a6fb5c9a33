//! Which zone times are shown in: the browser's own by default, or UTC, kept
//! in the browser like the theme. The server cannot know the viewer's zone: it
//! renders UTC and says so, and the browser switches after hydration, so the
//! first HTML and the hydrated page agree before it does.

use leptos::prelude::*;

/// Where the choice is kept in the browser.
const KEY: &str = "vantage-time-zone";

#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum Zone {
    /// The server's, the images', and the viewer's when chosen.
    #[default]
    Utc,
    /// The browser's own zone, with its summer time.
    Local,
}

impl Zone {
    /// Seconds to add to a Unix time for the wall clock of this zone then.
    pub fn offset_seconds(self, unix: i64) -> i64 {
        match self {
            Zone::Utc => 0,
            Zone::Local => local_offset_seconds(unix),
        }
    }

    /// How the zone is named next to a time: `UTC`, `UTC+9`, `UTC-3:30`.
    pub fn label(self, unix: i64) -> String {
        offset_label(self.offset_seconds(unix))
    }
}

/// `UTC`, `UTC+9`, `UTC-3:30` for an offset in seconds.
fn offset_label(offset: i64) -> String {
    if offset == 0 {
        return "UTC".into();
    }
    let sign = if offset < 0 { '-' } else { '+' };
    let (h, m) = (offset.abs() / 3600, offset.abs() % 3600 / 60);
    match m {
        0 => format!("UTC{sign}{h}"),
        m => format!("UTC{sign}{h}:{m:02}"),
    }
}

#[derive(Clone, Copy)]
struct Chosen(RwSignal<Zone>);

/// The page's zone (once, at the root): UTC until the browser reads its choice.
pub fn provide_time_zone() {
    let zone = RwSignal::new(Zone::Utc);
    provide_context(Chosen(zone));
    Effect::new(move |_| zone.set(read()));
}

/// The zone times are shown in now (UTC where none was provided: images).
pub fn use_time_zone() -> Signal<Zone> {
    match use_context::<Chosen>() {
        Some(Chosen(zone)) => zone.into(),
        None => Signal::stored(Zone::Utc),
    }
}

/// Shows times in `zone` from now on, and keeps the choice.
pub fn choose_time_zone(zone: Zone) {
    if let Some(Chosen(chosen)) = use_context::<Chosen>() {
        chosen.set(zone);
    }
    write(zone);
}

#[cfg(feature = "hydrate")]
fn local_offset_seconds(unix: i64) -> i64 {
    // getTimezoneOffset is minutes *behind* UTC at that instant (summer time included).
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(unix as f64 * 1000.0));
    -(date.get_timezone_offset() as i64) * 60
}

#[cfg(not(feature = "hydrate"))]
fn local_offset_seconds(_: i64) -> i64 {
    0
}

#[cfg(feature = "hydrate")]
fn read() -> Zone {
    let stored = web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(KEY).ok().flatten());
    match stored.as_deref() {
        Some("utc") => Zone::Utc,
        _ => Zone::Local,
    }
}

#[cfg(feature = "hydrate")]
fn write(zone: Zone) {
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = match zone {
            Zone::Utc => storage.set_item(KEY, "utc"),
            Zone::Local => storage.remove_item(KEY),
        };
    }
}

#[cfg(not(feature = "hydrate"))]
fn read() -> Zone {
    let _ = KEY;
    Zone::Utc
}

#[cfg(not(feature = "hydrate"))]
fn write(_: Zone) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_is_named_and_has_no_offset() {
        assert_eq!(Zone::Utc.offset_seconds(1_800_000_000), 0);
        assert_eq!(Zone::Utc.label(1_800_000_000), "UTC");
        assert_eq!(offset_label(9 * 3600), "UTC+9");
        assert_eq!(offset_label(-(3 * 3600 + 1800)), "UTC-3:30");
        assert_eq!(offset_label(5 * 3600 + 2700), "UTC+5:45");
    }
}
