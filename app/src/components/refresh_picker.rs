use leptos::prelude::*;

use crate::model::{Refresh, ViewQuery};

/// How often the view refreshes, as links like the range picker (the choice
/// lives in the URL): `auto` is the server's interval, `off` loads once and
/// keeps the page still, e.g. to read a chart while an incident is going on.
/// The server never refreshes faster than its own interval.
#[component]
pub fn RefreshPicker(
    /// The page's path, e.g. `/d/api`.
    #[prop(into)]
    path: Signal<String>,
    #[prop(into)] query: Signal<ViewQuery>,
) -> impl IntoView {
    let choices = std::iter::once(None).chain(Refresh::CHOICES.into_iter().map(Some));
    view! {
        <nav class="range-picker refresh-picker" aria-label="Refresh" data-testid="refresh-picker">
            <span class="refresh-picker__label" aria-hidden="true">
                "↻"
            </span>
            {choices
                .map(|choice| {
                    let selected = move || query.with(|q| q.refresh == choice);
                    let label = choice.map_or("auto", Refresh::as_str);
                    view! {
                        <a
                            href=move || query.with(|q| q.with_refresh(choice).href(&path.get()))
                            class="range-picker__option"
                            class:range-picker__option--selected=selected
                            aria-current=move || selected().then_some("true")
                            aria-label=move || format!("refresh {label}")
                            data-testid=format!("refresh-{label}")
                        >
                            {label}
                        </a>
                    }
                })
                .collect_view()}
        </nav>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_choice_keeps_the_range_and_the_filter() {
        let (q, _) = ViewQuery::parse("range=6h&service=api-gateway&refresh=off");
        assert_eq!(
            q.with_refresh(Some(Refresh::Seconds(30))).href("/d/api"),
            "/d/api?range=6h&service=api-gateway&refresh=30s"
        );
        assert_eq!(
            q.with_refresh(None).href("/d/api"),
            "/d/api?range=6h&service=api-gateway"
        );
    }
}
