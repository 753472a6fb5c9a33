use leptos::prelude::*;

use crate::{
    components::custom_range::CustomRange,
    live::time_zone::Zone,
    model::{RelativeRange, TimeRange, ViewQuery},
};

/// The time range choices, as links: they work without JavaScript, in a new tab,
/// and with back/forward, because the range lives in the URL. Variables' values
/// are kept in every link. "Custom" opens a from/to form.
#[component]
pub fn RangePicker(
    /// The page's path, e.g. `/d/api`.
    #[prop(into)]
    path: Signal<String>,
    #[prop(into)] query: Signal<ViewQuery>,
) -> impl IntoView {
    view! {
        <nav class="range-picker" aria-label="Time range" data-testid="range-picker">
            {RelativeRange::ALL
                .into_iter()
                .map(|r| {
                    let selected = move || query.with(|q| q.range == TimeRange::Relative(r));
                    view! {
                        <a
                            href=move || query.with(|q| q.with_range(r.into()).href(&path.get()))
                            class="range-picker__option"
                            class:range-picker__option--selected=selected
                            aria-current=move || selected().then_some("true")
                        >
                            {r.as_str()}
                        </a>
                    }
                })
                .collect_view()}
            <Show when=move || query.with(|q| !q.range.is_relative())>
                <span class="range-picker__option range-picker__option--selected" aria-current="true">
                    {move || absolute_label(query.with(|q| q.range))}
                </span>
            </Show>
        </nav>
        <CustomRange path query />
    }
}

fn absolute_label(range: TimeRange) -> String {
    match range {
        TimeRange::Absolute { from, to } => {
            let span = to - from;
            format!(
                "{} – {} UTC",
                // In UTC, as the custom range's fields are.
                crate::format::clock(from, span.max(86_400 * 2), Zone::Utc),
                crate::format::clock(to, span.max(86_400 * 2), Zone::Utc)
            )
        }
        TimeRange::Relative(r) => r.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_filter_and_encode_it() {
        let (q, _) = ViewQuery::parse("service=api-gateway&service=a%26b%3D%22c%22");
        assert_eq!(
            q.with_range(RelativeRange::H6.into()).href("/d/api"),
            "/d/api?range=6h&service=api-gateway&service=a%26b%3D%22c%22"
        );
    }
}
