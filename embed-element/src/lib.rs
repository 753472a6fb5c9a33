//! The script-tag embed: `vantage-panel.js` defines `<vantage-panel>`, whose
//! shadow root this draws one panel into, with the same components as the
//! pages, talking to Vantage across origins (CORS, for the allowed origins).
//! Built by Trunk (`scripts/build-element`), not by the everyday build.

use leptos::prelude::*;
use wasm_bindgen::prelude::wasm_bindgen;

/// Draws the panel into `target` (a node of the element's shadow root).
/// `base` is Vantage's address; `search` the embed's query string (token,
/// range, variables, theme), exactly as for `/embed/{dashboard}/{panel}`.
#[wasm_bindgen]
pub fn mount_panel(
    target: web_sys::HtmlElement,
    base: String,
    dashboard: String,
    panel: String,
    search: String,
) {
    console_error_panic_hook::set_once();
    let base = base.trim_end_matches('/').to_string();
    let mounted = leptos::mount::mount_to(target, move || {
        app::live::provide_live_stream();
        app::live::clock::provide_clock();
        view! {
            <app::components::embedded_panel::EmbeddedPanel
                base
                dashboard=dashboard
                panel=panel
                search=search
            />
        }
    });
    // The element owns it from now on, for as long as the page lives.
    mounted.forget();
}
