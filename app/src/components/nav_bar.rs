use leptos::prelude::*;

use crate::live::{use_stream_state, StreamState};

/// The top bar: where you are, and whether the page is live.
#[component]
pub fn NavBar() -> impl IntoView {
    let state = use_stream_state();
    let (class, text) = (
        move || match state.get() {
            StreamState::Live => "stream-state stream-state--live",
            StreamState::Connecting => "stream-state stream-state--connecting",
            StreamState::Offline => "stream-state stream-state--offline",
        },
        move || match state.get() {
            StreamState::Live => "live",
            StreamState::Connecting => "connecting…",
            StreamState::Offline => "offline: retrying",
        },
    );
    view! {
        <header class="nav-bar">
            <a class="nav-bar__brand" href="/">
                "Vantage"
            </a>
            <nav class="nav-bar__links" aria-label="Dashboards">
                <a href="/" aria-current="page">
                    "Overview"
                </a>
            </nav>
            <span class=class data-testid="stream-state">
                {text}
            </span>
        </header>
    }
}
