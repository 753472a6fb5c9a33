//! `/shared`: the panels shared with embed tokens, each with its scope (the
//! panel, ranges, filter values), its expiry, who shared it and whether it
//! still opens; a revoke button ends one for good. Editors see their own,
//! admins everyone's; a viewer is refused (403). The revoke is a form, so
//! it works before hydration and without scripts.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    components::page_loading::PageLoading,
    data::{fetch_shared_panels, ErrorKind},
    live::time_zone::use_time_zone,
    model::{SharedPanel, TokenState},
};

#[component]
pub fn SharedPage() -> impl IntoView {
    let shared = Resource::new(|| (), |_| fetch_shared_panels());
    let zone = use_time_zone();
    view! {
        <Title text="Shared panels · Vantage" />
        <section class="shared" data-testid="shared-panels">
            <h1>"Shared panels"</h1>
            <Transition fallback=PageLoading>
                {move || {
                    shared
                        .get()
                        .map(|result| match result {
                            Ok(list) if list.tokens.is_empty() => view! {
                                <p data-testid="shared-none">
                                    "Nothing is shared yet. A panel's Share button makes a link or an image for another page."
                                </p>
                            }
                            .into_any(),
                            Ok(list) => {
                                let whose = if list.everyone {
                                    "Every panel shared with a token, by anyone."
                                } else {
                                    "The panels you shared with a token."
                                };
                                let rows = list
                                    .tokens
                                    .into_iter()
                                    .map(|t| view! { <Row token=t zone /> })
                                    .collect_view();
                                let everyone = list.everyone;
                                view! {
                                    <p>{whose}</p>
                                    <table class="shared__table">
                                        <thead>
                                            <tr>
                                                <th scope="col">"Panel"</th>
                                                <th scope="col">"May show"</th>
                                                <th scope="col">"Expires"</th>
                                                <th scope="col">"Shared by"</th>
                                                <th scope="col">"State"</th>
                                                <th scope="col"><span class="wide-only">"Revoke"</span></th>
                                            </tr>
                                        </thead>
                                        <tbody>{rows}</tbody>
                                    </table>
                                    {everyone.then(|| view! { <RotateKey /> })}
                                }
                                .into_any()
                            }
                            Err(e) => {
                                #[cfg(feature = "ssr")]
                                if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                                    let status = match e.kind {
                                        ErrorKind::Forbidden => http::StatusCode::FORBIDDEN,
                                        ErrorKind::Unauthorized => http::StatusCode::UNAUTHORIZED,
                                        _ => http::StatusCode::INTERNAL_SERVER_ERROR,
                                    };
                                    response.set_status(status);
                                }
                                let refused = e.kind == ErrorKind::Forbidden;
                                view! {
                                    <p class="shared__refused" role="alert" data-testid="shared-refused">
                                        {if refused {
                                            format!("You may not see this page: {e}.")
                                        } else {
                                            format!("The shared panels could not be listed: {e}.")
                                        }}
                                    </p>
                                }
                                .into_any()
                            }
                        })
                }}
            </Transition>
        </section>
    }
}

/// An admin's way to end every token at once (a key that leaked): a new
/// signing key, after saying so.
#[component]
fn RotateKey() -> impl IntoView {
    view! {
        <form class="shared__rotate" method="post" action="/api/embed-key/rotate" data-testid="rotate-key">
            <h2>"End every shared panel"</h2>
            <label>
                <input type="checkbox" name="confirm" value="yes" required />
                " Every link, frame and image shared so far stops working, for everyone."
            </label>
            <button type="submit">"Rotate the signing key"</button>
        </form>
    }
}

#[component]
fn Row(token: SharedPanel, zone: Signal<crate::live::time_zone::Zone>) -> impl IntoView {
    let scope = {
        let mut parts = vec![token.ranges.join(", ")];
        parts.extend(
            token
                .vars
                .iter()
                .map(|(name, values)| format!("{name} = {}", values.join(" or "))),
        );
        parts.retain(|p| !p.is_empty());
        parts.join("; ")
    };
    let (state, class) = match token.state {
        TokenState::Active => ("active", "shared__state shared__state--active"),
        TokenState::Expired => ("expired", "shared__state shared__state--expired"),
        TokenState::Revoked => ("revoked", "shared__state shared__state--revoked"),
    };
    let expires = token.expires_at;
    let minted_at = token.minted_at;
    let by = token.minted_by.clone().unwrap_or_else(|| "unknown".into());
    let active = token.state == TokenState::Active;
    let action = format!(
        "/api/embed-tokens/{}/revoke",
        crate::format::path_segment(&token.id)
    );
    let label = format!("Revoke {} of {}", token.panel, token.dashboard);
    view! {
        <tr data-testid=format!("shared-{}", token.id) data-state=state>
            <td>
                <a href=format!("/d/{}", crate::format::path_segment(&token.dashboard))>{token.dashboard.clone()}</a>
                " / " {token.panel.clone()}
            </td>
            <td>{scope}</td>
            <td>{move || crate::format::date_time(expires, zone.get())}</td>
            <td>
                {by}
                {move || minted_at.map(|at| format!(", {}", crate::format::date_time(at, zone.get())))}
            </td>
            <td><span class=class>{state}</span></td>
            <td>
                {active.then(|| view! {
                    <form method="post" action=action.clone()>
                        <button type="submit" class="shared__revoke" aria-label=label.clone() data-testid="revoke">
                            "Revoke"
                        </button>
                    </form>
                })}
            </td>
        </tr>
    }
}
