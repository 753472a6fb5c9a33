//! The login page: a form for a name and password (when a users file is
//! set), a button for the identity provider (when one is). A plain form
//! posted to `/auth/login`, so it works before hydration and without
//! scripts; a refused login comes back here with `?failed=` and a reason
//! that does not say whether the name exists.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{data::fetch_login_options, model::LoginOptions};

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let failed = move || query.with(|q| q.get("failed"));
    let next = move || query.with(|q| q.get("next")).unwrap_or_default();
    let options = Resource::new(|| (), |_| fetch_login_options());
    let reason = move || {
        failed().map(|why| {
            let text = match why.as_str() {
                "wrong" => "Wrong name or password.",
                "limit" => "Too many attempts from here: wait a minute, then try again.",
                "openid" => "The single sign-on did not complete. Try again.",
                "provider" => "The identity provider cannot be reached. Try again later.",
                _ => "Log in again.",
            };
            view! { <p class="login__error" role="alert" data-testid="login-error">{text}</p> }
        })
    };
    let ways = move || {
        options.get().map(|o| {
            let LoginOptions { password, open_id } = o.unwrap_or_default();
            let none = !password && open_id.is_none();
            view! {
                {password.then(|| view! {
                    <form class="login__form" method="post" action="/auth/login" data-testid="login-form">
                        <label>
                            "Name"
                            <input name="name" autocomplete="username" required autofocus data-testid="login-name" />
                        </label>
                        <label>
                            "Password"
                            <input
                                type="password"
                                name="password"
                                autocomplete="current-password"
                                required
                                data-testid="login-password"
                            />
                        </label>
                        <input type="hidden" name="next" prop:value=next value=next />
                        <button type="submit" data-testid="login-submit">"Log in"</button>
                    </form>
                })}
                {open_id.map(|name| {
                    let href = move || {
                        format!(
                            "/auth/openid?next={}",
                            form_urlencoded::byte_serialize(next().as_bytes()).collect::<String>()
                        )
                    };
                    view! {
                        // Out of the app: the router must let the browser go.
                        <a class="login__openid" href=href rel="external" data-testid="login-openid">
                            {format!("Log in with {name}")}
                        </a>
                    }
                })}
                {none.then(|| view! {
                    <p>"This Vantage has no login set up; ask whoever runs it."</p>
                })}
            }
        })
    };
    view! {
        <Title text="Log in · Vantage" />
        <section class="login" data-testid="login">
            <h1>"Log in to Vantage"</h1>
            {reason}
            <Suspense fallback=|| ()>{ways}</Suspense>
        </section>
    }
}
