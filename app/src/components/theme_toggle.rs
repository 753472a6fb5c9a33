use leptos::prelude::*;

/// Where the choice is kept in the browser.
const KEY: &str = "vantage-theme";

/// Applies a kept choice before the first paint (no flash of the other
/// theme). A constant, never data.
pub const APPLY_SCRIPT: &str = "try{var t=localStorage.getItem('vantage-theme');if(t==='light'||t==='dark')document.documentElement.dataset.theme=t}catch(e){}";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Theme {
    System,
    Light,
    Dark,
}

impl Theme {
    fn next(self) -> Theme {
        match self {
            Theme::System => Theme::Light,
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::System,
        }
    }

    fn word(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
}

/// Light, dark, or the system's choice, kept in the browser. Without
/// JavaScript the page follows the system.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    // Rendered as "system" on the server; the browser reads its choice after
    // hydration, so the first HTML and the hydrated page agree.
    let theme = RwSignal::new(Theme::System);
    Effect::new(move |_| {
        theme.set(read());
    });
    let cycle = move |_| {
        let next = theme.get_untracked().next();
        theme.set(next);
        write(next);
    };
    view! {
        <button
            type="button"
            class="theme-toggle"
            data-testid="theme-toggle"
            on:click=cycle
            title="Switch between the system's theme, light and dark"
        >
            <span class="wide-only">"Theme: "</span>
            {move || theme.get().word()}
        </button>
    }
}

#[cfg(feature = "hydrate")]
fn read() -> Theme {
    let stored = web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(KEY).ok().flatten());
    match stored.as_deref() {
        Some("light") => Theme::Light,
        Some("dark") => Theme::Dark,
        _ => Theme::System,
    }
}

#[cfg(feature = "hydrate")]
fn write(theme: Theme) {
    let Some(window) = web_sys::window() else {
        return;
    };
    if let Ok(Some(storage)) = window.local_storage() {
        let _ = match theme {
            Theme::System => storage.remove_item(KEY),
            other => storage.set_item(KEY, other.word()),
        };
    }
    if let Some(root) = window.document().and_then(|d| d.document_element()) {
        let _ = match theme {
            Theme::System => root.remove_attribute("data-theme"),
            other => root.set_attribute("data-theme", other.word()),
        };
    }
}

#[cfg(not(feature = "hydrate"))]
fn read() -> Theme {
    let _ = KEY;
    Theme::System
}

#[cfg(not(feature = "hydrate"))]
fn write(_: Theme) {}
