use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <section class="not-found" data-testid="not-found">
            <h1>"Not found"</h1>
            <p>"There is no view at this address. " <a href="/">"Go to the overview"</a> "."</p>
        </section>
    }
}
