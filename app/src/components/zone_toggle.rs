use leptos::prelude::*;

use crate::live::time_zone::{choose_time_zone, use_time_zone, Zone};

/// Times in the browser's zone or in UTC, kept in the browser. The server's
/// page says "UTC" (it cannot know the viewer's zone); the browser's own zone
/// applies once it has hydrated, unless UTC was chosen.
#[component]
pub fn ZoneToggle() -> impl IntoView {
    let zone = use_time_zone();
    let now = crate::live::clock::use_now();
    let flip = move |_| {
        choose_time_zone(match zone.get_untracked() {
            Zone::Utc => Zone::Local,
            Zone::Local => Zone::Utc,
        })
    };
    // "Times: local (UTC+9)" on a desk, "UTC+9" on a phone: the words
    // around the zone are hidden there (still read out), not removed.
    let text = move || match zone.get() {
        Zone::Utc => view! { <span class="wide-only">"Times: "</span>"UTC" }.into_any(),
        Zone::Local => {
            let now = now.get().unwrap_or_default() / 1000;
            let label = Zone::Local.label(now);
            view! {
                <span class="wide-only">"Times: local ("</span>
                {label}
                <span class="wide-only">")"</span>
            }
            .into_any()
        }
    };
    view! {
        <button
            type="button"
            class="theme-toggle"
            data-testid="zone-toggle"
            data-zone=move || match zone.get() {
                Zone::Utc => "utc",
                Zone::Local => "local",
            }
            on:click=flip
            title="Show times in this browser's zone or in UTC"
        >
            {text}
        </button>
    }
}
