//! The browser entry point: take over the server-rendered page.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    app::timing::mark(app::timing::HYDRATE_START);
    leptos::mount::hydrate_body(app::App);
}
