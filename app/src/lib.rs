//! The Vantage app: everything the browser shows, compiled twice — into the server
//! (feature `ssr`, rendering complete pages with real data) and into the browser
//! (feature `hydrate`, taking those pages over and keeping them live).

pub mod charts;
pub mod components;
pub mod data;
pub mod format;
pub mod live;
pub mod model;
pub mod pages;
pub mod timing;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode, StaticSegment,
};

use crate::pages::{
    alerts::AlertsPage, dashboard::DashboardPage, embed::EmbedPage, health::HealthPage,
    not_found::NotFound,
};

/// The HTML document around the app. Only the server calls this.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <script nonce=use_nonce() inner_html=components::theme_toggle::APPLY_SCRIPT></script>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <components::boot_scripts::BootScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    live::provide_live_stream();
    live::clock::provide_clock();
    live::time_zone::provide_time_zone();
    view! {
        <Stylesheet id="vantage" href="/style/main.css" />
        <Title text="Vantage" />
        <Router>
            <components::nav_bar::NavBar />
            <main class="page">
                <Routes fallback=NotFound>
                    // Dashboards stream in order: the head (style sheet, the
                    // script that starts compiling the wasm) and the nav go
                    // out at once, the panels when their data is there; the
                    // HTML is complete without scripts either way. Their data
                    // waits on Prometheus; the other pages' data is local.
                    <Route path=StaticSegment("") view=DashboardPage ssr=SsrMode::InOrder />
                    <Route path=path!("/d/:id") view=DashboardPage ssr=SsrMode::InOrder />
                    <Route path=StaticSegment("dashboards") view=pages::dashboards::DashboardsPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("health") view=HealthPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("alerts") view=AlertsPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("login") view=pages::login::LoginPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("shared") view=pages::shared::SharedPage ssr=SsrMode::Async />
                    <Route path=path!("/embed/:dashboard/:panel") view=EmbedPage ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}
