use leptos::prelude::*;

use crate::{
    data::{create_embed, DataError},
    model::{EmbedRequest, IssuedEmbed, RelativeRange, TimeRange, ViewQuery},
};

/// How long a shared embed may live, as the dialog offers it.
const LIVES: [(&str, &str); 4] = [
    ("1d", "1 day"),
    ("7d", "7 days"),
    ("30d", "30 days"),
    ("90d", "90 days"),
];

/// Whether the person looking may share (the editor role), asked once a
/// page in the browser: the share buttons wait for it.
#[derive(Clone, Copy)]
pub struct MaySharePanels(LocalResource<bool>);

/// Asks who is looking, for the share buttons below.
pub fn provide_may_share() {
    provide_context(MaySharePanels(LocalResource::new(|| async {
        crate::data::fetch_me()
            .await
            .is_ok_and(|me| me.may(crate::model::Role::Editor))
    })));
}

fn may_share() -> bool {
    use_context::<MaySharePanels>()
        .and_then(|m| m.0.get())
        .unwrap_or(false)
}

/// A panel's "Share" button. Sharing needs the browser (it copies and asks the
/// server for a token), so the button exists only once the page is hydrated,
/// and only for those who may share.
#[component]
pub fn ShareButton(
    dashboard: String,
    panel: String,
    title: Signal<String>,
    #[prop(into)] query: Signal<ViewQuery>,
) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let open = RwSignal::new(false);
    let testid = format!("share-{panel}");
    view! {
        <Show when=move || hydrated.get() && may_share()>
            <button
                type="button"
                class="panel__share"
                data-testid=testid.clone()
                aria-haspopup="dialog"
                on:click=move |_| open.set(true)
            >
                "Share"
            </button>
        </Show>
        <Show when=move || open.get()>
            <ShareDialog
                dashboard=dashboard.clone()
                panel=panel.clone()
                title
                query
                on_close=move || open.set(false)
            />
        </Show>
    }
    // Erased: the dialog's type would otherwise nest inside every panel's.
    .into_any()
}

/// The share dialog: a link to this view at once; an embed (live frame,
/// image, CSV) once the viewer chose how long it lives and what it may show.
/// The links carry a token for this panel only, never the viewer's own access.
#[component]
fn ShareDialog(
    dashboard: String,
    panel: String,
    title: Signal<String>,
    query: Signal<ViewQuery>,
    on_close: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let expires = RwSignal::new("7d".to_string());
    let keep_filter = RwSignal::new(true);
    let any_range = RwSignal::new(false);
    let issued = RwSignal::new(None::<Result<IssuedEmbed, DataError>>);
    let busy = RwSignal::new(false);
    let origin = page_origin();
    let view_link = {
        let (origin, path) = (origin.clone(), dashboard_path(&dashboard));
        move || format!("{origin}{}", query.get().href(&path))
    };
    let filter_text = move || {
        let vars = query.get().vars;
        if vars.is_empty() {
            "no filter (every series)".to_string()
        } else {
            vars.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let create = {
        let (dashboard, panel) = (dashboard.clone(), panel.clone());
        move |_| {
            let q = query.get_untracked();
            let request = EmbedRequest {
                dashboard: dashboard.clone(),
                panel: panel.clone(),
                ranges: ranges_for(q.range, any_range.get_untracked()),
                vars: if keep_filter.get_untracked() {
                    q.vars.clone()
                } else {
                    Vec::new()
                },
                expires: expires.get_untracked(),
            };
            busy.set(true);
            leptos::task::spawn_local(async move {
                let result = create_embed(request).await;
                issued.set(Some(result));
                busy.set(false);
            });
        }
    };
    // Escape closes the dialog wherever the focus is (a button that was just
    // disabled leaves it on the page).
    let on_key = window_event_listener(leptos::ev::keydown, move |e| {
        if e.key() == "Escape" {
            on_close();
        }
    });
    on_cleanup(move || on_key.remove());
    let results = move || {
        issued.get().map(|result| match result {
            Ok(embed) => {
                let live = format!("{origin}{}", embed.live);
                let iframe = format!(
                    r#"<iframe src="{}" width="800" height="380" style="border:0" title="{}"></iframe>"#,
                    attribute(&live),
                    attribute(&title.get_untracked())
                );
                view! {
                    <CopyField label="Live frame (HTML)" value=iframe testid="share-iframe" />
                    <CopyField label="Live page" value=live testid="share-live" />
                    <CopyField
                        label="Image (PNG)"
                        value=format!("{origin}{}", embed.png)
                        testid="share-png"
                    />
                    <CopyField
                        label="Image (SVG)"
                        value=format!("{origin}{}", embed.svg)
                        testid="share-svg"
                    />
                    <p class="share__row">
                        <a href=embed.csv.clone() download="" data-testid="share-csv">
                            "Download the data (CSV)"
                        </a>
                    </p>
                    <p class="share__note">
                        "Token " <code>{embed.id.clone()}</code>
                        ": revoke it with " <code>{format!("vantage token revoke {}", embed.id)}</code>
                    </p>
                }
                    .into_any()
            }
            Err(e) => {
                view! {
                    <p class="share__error" role="alert" data-testid="share-error">
                        {e.to_string()}
                    </p>
                }
                    .into_any()
            }
        })
    };
    view! {
        <div class="share__backdrop" on:click=move |_| on_close()></div>
        <div
            class="share"
            role="dialog"
            aria-modal="true"
            aria-labelledby="share-title"
            data-testid="share-dialog"
        >
            <header class="share__header">
                <h2 id="share-title">"Share “" {move || title.get()} "”"</h2>
                <button type="button" class="share__close" on:click=move |_| on_close() aria-label="Close">
                    "×"
                </button>
            </header>
            <CopyField label="Link to this view" value=view_link() testid="share-link" />
            <fieldset class="share__embed">
                <legend>"Embed this panel in another site"</legend>
                <label class="share__row">
                    "Link works for "
                    <select
                        data-testid="share-expires"
                        on:change=move |e| expires.set(event_target_value(&e))
                        prop:value=move || expires.get()
                    >
                        {LIVES
                            .into_iter()
                            .map(|(value, text)| view! { <option value=value>{text}</option> })
                            .collect_view()}
                    </select>
                </label>
                <label class="share__row">
                    <input
                        type="checkbox"
                        prop:checked=move || keep_filter.get()
                        on:change=move |e| keep_filter.set(event_target_checked(&e))
                    />
                    " Only this filter: " {filter_text}
                </label>
                <label class="share__row">
                    <input
                        type="checkbox"
                        prop:checked=move || any_range.get()
                        on:change=move |e| any_range.set(event_target_checked(&e))
                    />
                    " Let viewers pick another time range"
                </label>
                <button
                    type="button"
                    class="share__create"
                    data-testid="share-create"
                    on:click=create
                    disabled=move || busy.get()
                >
                    {move || if busy.get() { "Creating…" } else { "Create embed links" }}
                </button>
                {results}
            </fieldset>
        </div>
    }
    .into_any()
}

/// A value to copy: shown in a read-only field (selectable by hand), with a
/// button that puts it on the clipboard.
#[component]
fn CopyField(label: &'static str, value: String, testid: &'static str) -> impl IntoView {
    let copied = RwSignal::new(false);
    let text = value.clone();
    view! {
        <label class="share__field">
            <span>{label}</span>
            <span class="share__copy">
                <input type="text" readonly value=value data-testid=testid on:focus=|e| select_all(&e) />
                <button
                    type="button"
                    on:click=move |_| {
                        copy(&text);
                        copied.set(true);
                    }
                >
                    {move || if copied.get() { "Copied" } else { "Copy" }}
                </button>
            </span>
        </label>
    }
}

/// The ranges a token allows: this view's, and with `any` every relative one.
fn ranges_for(range: TimeRange, any: bool) -> Vec<String> {
    let this = match range {
        TimeRange::Relative(r) => r.as_str().to_string(),
        TimeRange::Absolute { from, to } => format!("{from}..{to}"),
    };
    let mut ranges = vec![this.clone()];
    if any {
        ranges.extend(
            RelativeRange::ALL
                .into_iter()
                .map(|r| r.as_str().to_string())
                .filter(|r| *r != this),
        );
    }
    ranges
}

fn dashboard_path(dashboard: &str) -> String {
    format!("/d/{dashboard}")
}

/// Text for an HTML attribute in a snippet someone pastes into their page.
fn attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(feature = "hydrate")]
fn page_origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

#[cfg(not(feature = "hydrate"))]
fn page_origin() -> String {
    String::new()
}

#[cfg(feature = "hydrate")]
fn copy(text: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(text);
    }
}

#[cfg(not(feature = "hydrate"))]
fn copy(_: &str) {}

#[cfg(feature = "hydrate")]
fn select_all(e: &leptos::ev::FocusEvent) {
    use wasm_bindgen::JsCast;
    if let Some(input) = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
    {
        input.select();
    }
}

#[cfg(not(feature = "hydrate"))]
fn select_all(_: &leptos::ev::FocusEvent) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_snippets() {
        assert_eq!(ranges_for(RelativeRange::H6.into(), false), ["6h"]);
        assert_eq!(
            ranges_for(RelativeRange::H6.into(), true),
            ["6h", "15m", "1h", "24h", "7d"]
        );
        assert_eq!(
            ranges_for(TimeRange::Absolute { from: 10, to: 20 }, false),
            ["10..20"]
        );
        assert_eq!(
            attribute(r#"a "b" <c> & d"#),
            "a &quot;b&quot; &lt;c&gt; &amp; d"
        );
    }
}
