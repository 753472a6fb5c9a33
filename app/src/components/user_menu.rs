//! Who is signed in, in the top bar, with the way out: the name and role of
//! a login, and a logout that ends the session on the server (a form, so it
//! works before the page is hydrated, and without scripts).

use leptos::prelude::*;

use crate::{
    data::fetch_me,
    model::{Me, SignedInBy},
};

#[component]
pub fn UserMenu() -> impl IntoView {
    let me = Resource::new(|| (), |_| fetch_me());
    let shown = move || {
        me.get()
            .and_then(Result::ok)
            .map(|me| view! { <Signed me /> })
    };
    view! { <Transition fallback=|| ()>{shown}</Transition> }
}

#[component]
fn Signed(me: Me) -> impl IntoView {
    match me.by {
        // Nobody to name: no login is set and Vantage serves this machine only.
        SignedInBy::Nobody => ().into_any(),
        SignedInBy::Anonymous => view! {
            <div class="user-menu" data-testid="user-menu">
                <span class="user-menu__name wide-only">"Viewing anonymously"</span>
                {me.login_offered.then(|| view! { <a href="/login" data-testid="log-in">"Log in"</a> })}
            </div>
        }
        .into_any(),
        _ => {
            let can_log_out = me.can_log_out();
            let shares = me.may(crate::model::Role::Editor);
            view! {
                <div class="user-menu" data-testid="user-menu">
                    {shares.then(|| view! {
                        <a href="/shared" data-testid="nav-shared">"Shared"<span class="wide-only">" panels"</span></a>
                    })}
                    <span class="user-menu__name" data-testid="user-name" title=format!("{} ({})", me.name, me.role)>
                        {me.name.clone()}
                    </span>
                    <span class="user-menu__role wide-only" data-testid="user-role">{me.role.name()}</span>
                    {can_log_out.then(|| view! {
                        <form class="user-menu__logout" method="post" action="/auth/logout">
                            <button type="submit" data-testid="log-out">"Log out"</button>
                        </form>
                    })}
                </div>
            }
            .into_any()
        }
    }
}
