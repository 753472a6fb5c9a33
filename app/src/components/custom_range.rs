use leptos::prelude::*;

use crate::{
    format::datetime_local,
    model::{TimeRange, ViewQuery},
};

/// A fixed from/to, as a plain GET form (works without JavaScript; the range
/// lands in the URL like every other choice). Its fields are UTC (the server
/// reads them without knowing the viewer's zone) and say so; the variables and
/// the refresh choice are kept.
#[component]
pub fn CustomRange(
    /// The page's path, e.g. `/d/api`.
    #[prop(into)]
    path: Signal<String>,
    #[prop(into)] query: Signal<ViewQuery>,
) -> impl IntoView {
    let current = move || match query.with(|q| q.range) {
        TimeRange::Absolute { from, to } => Some((datetime_local(from), datetime_local(to))),
        TimeRange::Relative(_) => None,
    };
    let kept = move || {
        query.with(|q| {
            let refresh = q
                .refresh
                .map(|r| ("refresh".to_string(), r.as_str().to_string()));
            q.vars
                .iter()
                .cloned()
                .chain(refresh)
                .map(|(k, v)| view! { <input type="hidden" name=k value=v /> })
                .collect_view()
        })
    };
    view! {
        <details class="custom-range" data-testid="custom-range">
            <summary class="custom-range__toggle">"Custom"</summary>
            <form method="get" action=move || path.get() class="custom-range__form">
                {kept}
                <label class="custom-range__field">
                    "From (UTC)"
                    <input
                        type="datetime-local"
                        name="from"
                        required=true
                        value=move || current().map(|c| c.0)
                        data-testid="custom-from"
                    />
                </label>
                <label class="custom-range__field">
                    "To (UTC)"
                    <input
                        type="datetime-local"
                        name="to"
                        required=true
                        value=move || current().map(|c| c.1)
                        data-testid="custom-to"
                    />
                </label>
                <button type="submit" class="custom-range__apply">
                    "Show"
                </button>
            </form>
        </details>
    }
    // Erased: the page's view type would otherwise grow past the compiler's limits.
    .into_any()
}
