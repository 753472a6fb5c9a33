use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::{
    data::{fetch_attention, fetch_dashboard_list},
    live::{use_stream_state, StreamState},
    pages::dashboard::HOME,
};

/// Dashboards the top bar links to itself; the rest are a click away on the
/// list page, so the bar does not grow with the number of dashboards.
const IN_NAV: usize = 4;

/// The top bar, except on an embed (the panel alone: no way into the rest
/// of Vantage, and none of its data in the page), on the login page (nothing
/// to show before a login) and in a kiosk (a TV wall has no use for it). Decided before the bar is made, so neither asks for
/// the catalog or the counts.
#[component]
pub fn NavBar() -> impl IntoView {
    let location = use_location();
    let shown = move || {
        let path = location.pathname.get();
        !path.starts_with("/embed/")
            && path != "/login"
            && !crate::model::ViewQuery::is_kiosk(&location.search.get())
    };
    view! {
        <Show when=shown>
            <Bar />
        </Show>
    }
}

/// The bar itself: the first dashboards (the current one marked), the list
/// of all of them, health, alerts, and whether the page is live.
#[component]
fn Bar() -> impl IntoView {
    let state = use_stream_state();
    let location = use_location();
    let (class, text) = (
        move || match state.get() {
            StreamState::Live => "stream-state stream-state--live",
            StreamState::Connecting => "stream-state stream-state--connecting",
            StreamState::Offline => "stream-state stream-state--offline",
            StreamState::Paused => "stream-state stream-state--paused",
        },
        move || match state.get() {
            StreamState::Live => "live",
            StreamState::Connecting => "connecting…",
            StreamState::Offline => "offline: retrying",
            StreamState::Paused => "paused",
        },
    );
    let dashboards = Resource::new(|| (), |_| fetch_dashboard_list());
    let current = move || {
        let path = location.pathname.get();
        match path.strip_prefix("/d/") {
            Some(id) => id.to_string(),
            None if path == "/" => HOME.to_string(),
            None => String::new(),
        }
    };
    let links = move || {
        dashboards.get().map(|list| {
            let list = list.unwrap_or_default();
            let more = list.len() > IN_NAV;
            let shortcuts = list
                .into_iter()
                .take(IN_NAV)
                .map(|d| {
                    let id = d.id.clone();
                    let href = d.href(false);
                    let is_current = move || current() == id;
                    view! {
                        <a
                            class="nav-bar__shortcut"
                            href=href
                            aria-current=move || is_current().then_some("page")
                        >
                            {d.title}
                        </a>
                    }
                })
                .collect_view();
            let on_list = move || location.pathname.get() == "/dashboards";
            view! {
                {shortcuts}
                // On a phone the shortcuts give way and this link is the
                // way to every dashboard, so it says so.
                <a
                    href="/dashboards"
                    data-testid="nav-all-dashboards"
                    aria-label="All dashboards"
                    aria-current=move || on_list().then_some("page")
                >
                    <span class="wide-only-shown">{if more { "More…" } else { "All dashboards" }}</span>
                    <span class="narrow-only-shown">"Dashboards"</span>
                </a>
            }
        })
    };
    // What is red, asked again on every navigation (pages stream their own news).
    let attention = Resource::new(move || location.pathname.get(), |_| fetch_attention());
    let health_badge = move || {
        attention.get().and_then(|a| a.ok()).and_then(|a| {
            let (class, text) = if a.checks_down > 0 {
                (
                    "nav-badge nav-badge--bad",
                    format!("{} down", a.checks_down),
                )
            } else if a.checks_degraded > 0 {
                (
                    "nav-badge nav-badge--warn",
                    format!("{} degraded", a.checks_degraded),
                )
            } else {
                return None;
            };
            Some(view! { <span class=class data-testid="nav-health-badge">{text}</span> })
        })
    };
    let alerts_badge = move || {
        attention
            .get()
            .and_then(|a| a.ok())
            .filter(|a| a.alerts_firing > 0)
            .map(|a| {
                view! {
                    <span class="nav-badge nav-badge--bad" data-testid="nav-alerts-badge">
                        {format!("{} firing", a.alerts_firing)}
                    </span>
                }
            })
    };
    view! {
        <header class="nav-bar">
            <a class="nav-bar__brand" href="/">
                "Vantage"
            </a>
            <nav class="nav-bar__links" aria-label="Views" data-testid="nav">
                <Transition fallback=|| ()>{links}</Transition>
                <a href="/health" aria-current=move || (location.pathname.get() == "/health").then_some("page")>
                    "Health"
                    <Transition fallback=|| ()>{health_badge}</Transition>
                </a>
                <a href="/alerts" aria-current=move || (location.pathname.get() == "/alerts").then_some("page")>
                    "Alerts"
                    <Transition fallback=|| ()>{alerts_badge}</Transition>
                </a>
            </nav>
            <crate::components::zone_toggle::ZoneToggle />
            <crate::components::theme_toggle::ThemeToggle />
            <crate::components::user_menu::UserMenu />
            // Only dashboards stream (health and alerts pages do not yet).
            // On a phone, the mark alone (the words stay for screen readers).
            <Show when=move || !current().is_empty()>
                <span class=class data-testid="stream-state" title=text>
                    <span class="wide-only">{text}</span>
                </span>
            </Show>
        </header>
    }
}
