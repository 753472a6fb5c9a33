use leptos::prelude::*;

use crate::model::RelativeRange;

/// The time range choices, as links: they work without JavaScript, in a new tab,
/// and with back/forward, because the range lives in the URL.
#[component]
pub fn RangePicker(#[prop(into)] current: Signal<RelativeRange>) -> impl IntoView {
    view! {
        <nav class="range-picker" aria-label="Time range" data-testid="range-picker">
            {RelativeRange::ALL
                .into_iter()
                .map(|r| {
                    let selected = move || current.get() == r;
                    view! {
                        <a
                            href=format!("?range={r}")
                            class="range-picker__option"
                            class:range-picker__option--selected=selected
                            aria-current=move || selected().then_some("true")
                        >
                            {r.as_str()}
                        </a>
                    }
                })
                .collect_view()}
        </nav>
    }
}
