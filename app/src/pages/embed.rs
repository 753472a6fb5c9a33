use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_params_map};

use crate::components::embedded_panel::EmbeddedPanel;

/// `/embed/{dashboard}/{panel}?token=…`: one panel and nothing else, for a
/// frame in someone else's page. It fills its frame.
#[component]
pub fn EmbedPage() -> impl IntoView {
    let params = use_params_map();
    let location = use_location();
    let dashboard = Signal::derive(move || params.read().get("dashboard").unwrap_or_default());
    let panel = Signal::derive(move || params.read().get("panel").unwrap_or_default());
    // The whole query string (token, range, variables) goes to the server as is.
    let search = Signal::derive(move || location.search.get().trim_start_matches('?').to_string());
    view! {
        <div class="embed embed--frame">
            <EmbeddedPanel base=String::new() dashboard panel search />
        </div>
    }
}
