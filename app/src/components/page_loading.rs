use leptos::prelude::*;

/// What a page shows while its data loads (only when navigating in the
/// browser: the server sends pages complete).
#[component]
pub fn PageLoading() -> impl IntoView {
    view! {
        <p class="page__loading" data-testid="page-loading" aria-busy="true">
            "Loading…"
        </p>
    }
}
