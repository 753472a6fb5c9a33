use leptos::prelude::*;

use crate::model::RelativeRange;

/// The time range choices, as links: they work without JavaScript, in a new tab,
/// and with back/forward, because the range lives in the URL.
#[component]
pub fn RangePicker(
    #[prop(into)] current: Signal<RelativeRange>,
    /// The service filter, kept in every link.
    #[prop(into)]
    services: Signal<Vec<String>>,
) -> impl IntoView {
    view! {
        <nav class="range-picker" aria-label="Time range" data-testid="range-picker">
            {RelativeRange::ALL
                .into_iter()
                .map(|r| {
                    let selected = move || current.get() == r;
                    view! {
                        <a
                            href=move || view_query(r, &services.get())
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

/// `?range=…&service=…` for a view, values percent-encoded.
pub fn view_query(range: RelativeRange, services: &[String]) -> String {
    let mut q = format!("?range={range}");
    for s in services {
        q.push_str("&service=");
        q.push_str(&encode_query_value(s));
    }
    q
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_filter_and_encode_it() {
        let q = view_query(
            RelativeRange::H6,
            &["api-gateway".into(), "a&b=\"c\"".into()],
        );
        assert_eq!(q, "?range=6h&service=api-gateway&service=a%26b%3D%22c%22");
    }
}
