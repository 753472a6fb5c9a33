use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_params_map};

use crate::{
    components::{page_loading::PageLoading, panel_card::PanelCard},
    data::fetch_embed_panel,
    live::use_live_stream,
    model::{Refresh, ViewQuery},
};

/// `/embed/{dashboard}/{panel}?token=…`: one panel and nothing else, for a
/// frame in someone else's page. Complete in the first HTML, then live over
/// its own stream (which, like its data, only the token opens). It fills its
/// frame; `theme=light|dark` overrides the system's choice.
#[component]
pub fn EmbedPage() -> impl IntoView {
    let params = use_params_map();
    let location = use_location();
    let dashboard = Memo::new(move |_| params.read().get("dashboard").unwrap_or_default());
    let panel = Memo::new(move |_| params.read().get("panel").unwrap_or_default());
    // The whole query string (token, range, variables) goes to the server as is.
    let search = Memo::new(move |_| location.search.get().trim_start_matches('?').to_string());
    let query = Memo::new(move |_| ViewQuery::parse(&search.get()).0);
    let theme = move || {
        form_urlencoded::parse(search.get().as_bytes())
            .find(|(k, _)| k == "theme")
            .map(|(_, v)| v.into_owned())
            .filter(|v| v == "light" || v == "dark")
    };

    let live = use_live_stream();
    live.follow_url(Signal::derive(move || {
        (query.get().refresh != Some(Refresh::Off)).then(|| {
            format!(
                "/embed/{}/{}/stream?{}",
                segment(&dashboard.get()),
                segment(&panel.get()),
                search.get()
            )
        })
    }));

    let loaded = Resource::new(
        move || (dashboard.get(), panel.get(), search.get()),
        |(dashboard, panel, search)| fetch_embed_panel(dashboard, panel, search),
    );

    view! {
        <div class="embed" data-theme=theme data-testid="embed">
            <Transition fallback=PageLoading>
                {move || {
                    loaded
                        .get()
                        .map(|result| match result {
                            Ok(initial) => {
                                let id = initial.panel.panel.clone();
                                let data = Signal::derive(move || {
                                    live.latest(&id)
                                        .filter(|pushed| pushed.updated_at_ms >= initial.updated_at_ms)
                                        .unwrap_or_else(|| initial.clone())
                                });
                                view! { <PanelCard data query embedded=true /> }.into_any()
                            }
                            Err(error) => {
                                view! {
                                    <p class="embed__error" role="alert" data-testid="embed-error">
                                        {error.to_string()}
                                    </p>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
        </div>
    }
}

/// A path segment, percent-encoded (ids are plain, but never trust a URL).
fn segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
