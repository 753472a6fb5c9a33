use leptos::prelude::*;

use crate::{
    components::{page_loading::PageLoading, panel_card::PanelCard},
    data::fetch_embed_panel,
    live::use_live_stream,
    model::{Refresh, ViewQuery},
};

/// One embedded panel: complete in the first HTML (in a frame), then live over
/// its own stream, which like its data only the token opens. `base` is where
/// Vantage is: empty in its own frame, its address in the script-tag element
/// on another site. `theme=light|dark` in `search` overrides the system's.
#[component]
pub fn EmbeddedPanel(
    base: String,
    #[prop(into)] dashboard: Signal<String>,
    #[prop(into)] panel: Signal<String>,
    #[prop(into)] search: Signal<String>,
) -> impl IntoView {
    let query = Memo::new(move |_| ViewQuery::parse(&search.get()).0);
    let theme = move || {
        form_urlencoded::parse(search.get().as_bytes())
            .find(|(k, _)| k == "theme")
            .map(|(_, v)| v.into_owned())
            .filter(|v| v == "light" || v == "dark")
    };

    let live = use_live_stream();
    let stream_base = base.clone();
    live.follow_url(Signal::derive(move || {
        (query.get().refresh != Some(Refresh::Off)).then(|| {
            format!(
                "{stream_base}/embed/{}/{}/stream?{}",
                crate::format::path_segment(&dashboard.get()),
                crate::format::path_segment(&panel.get()),
                search.get()
            )
        })
    }));

    let loaded = Resource::new(
        move || (dashboard.get(), panel.get(), search.get()),
        move |(dashboard, panel, search)| fetch_embed_panel(base.clone(), dashboard, panel, search),
    );

    view! {
        <div class="embed__panel" data-theme=theme data-testid="embed">
            <Transition fallback=PageLoading>
                {move || {
                    loaded
                        .get()
                        .map(|result| match result {
                            Ok(initial) => {
                                let data = live.panel(initial);
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
