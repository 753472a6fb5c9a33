use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_params_map};

use crate::{
    components::{
        page_loading::PageLoading, panel_card::PanelCard, range_picker::RangePicker,
        refresh_picker::RefreshPicker, variable_picker::VariablePicker,
    },
    data::{fetch_dashboard, DataError, ErrorKind},
    live::{provide_annotations, use_live_stream},
    model::{ViewQuery, BROKEN_FILE},
    timing,
};

/// The dashboard shown at `/`.
pub const HOME: &str = "overview";

/// A dashboard from its file: every panel in the grid, complete in the first
/// HTML, then kept live by the tab's stream.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let params = use_params_map();
    let location = use_location();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_else(|| HOME.to_string()));
    let parsed = Memo::new(move |_| ViewQuery::parse(&location.search.get()));
    let query = Memo::new(move |_| parsed.get().0);
    let range_problem = move || parsed.get().1.map(|e| e.to_string());
    let path = Signal::derive(move || format!("/d/{}", id.get()));

    let live = use_live_stream();
    crate::components::share_dialog::provide_may_share();

    let dashboard = Resource::new(
        move || (id.get(), query.get()),
        |(id, query)| fetch_dashboard(id, query),
    );

    view! {
        <Transition fallback=PageLoading>
            {move || {
                dashboard
                    .get()
                    .map(|result| match result {
                        Ok(loaded) => {
                            let view = loaded.view.clone();
                            // Effects run once the view around them is
                            // built: here, once the panels are hydrated.
                            Effect::new(|_| timing::mark(timing::HYDRATED));
                            // The data's own view (what this branch shows);
                            // a new view's data replaces the branch and its stream.
                            live.follow(
                                &id.get_untracked(),
                                &query.get_untracked(),
                                loaded.stream_since,
                            );
                            provide_annotations(live.annotations(loaded.annotations));
                            let panels = loaded
                                .panels
                                .into_iter()
                                .map(|initial| {
                                    let data = live.panel(initial);
                                    view! { <PanelCard data query /> }
                                })
                                .collect_view();
                            view! {
                                <header class="page__header">
                                    <div>
                                        <h1 class="page__title" data-testid="page-title">
                                            {view.title.clone()}
                                        </h1>
                                        <p class="page__description">{view.description.clone()}</p>
                                    </div>
                                    // Type-erased: the page's view type is deep enough already.
                                    {move || {
                                        (!query.with(|q| q.kiosk))
                                            .then(|| {
                                                view! {
                                                    <div class="page__pickers">
                                                        <RangePicker path query />
                                                        <RefreshPicker path query />
                                                    </div>
                                                }
                                                    .into_any()
                                            })
                                    }}
                                </header>
                                {view
                                    .problem
                                    .clone()
                                    .map(|problem| {
                                        view! {
                                            <p class="page__problem" role="alert" data-testid="file-problem">
                                                "This dashboard's file has a mistake; its last good version is shown. "
                                                <code>{problem.to_string()}</code>
                                            </p>
                                        }
                                            .into_any()
                                    })}
                                <Show when=move || range_problem().is_some()>
                                    <p class="page__problem" role="alert" data-testid="range-problem">
                                        {range_problem}
                                        ". Showing the last hour."
                                    </p>
                                </Show>
                                {(!query.with_untracked(|q| q.kiosk))
                                    .then(|| {
                                        view! {
                                            <VariablePicker
                                                dashboard=view.id.clone()
                                                variables=view.variables.clone()
                                                query
                                            />
                                        }
                                            .into_any()
                                    })}
                                <div class="grid">{panels}</div>
                            }
                                .into_any()
                        }
                        Err(error) => {
                            // Nothing to keep live: the nav says so.
                            live.follow_url(Signal::stored(None));
                            view! { <DashboardFailure error /> }.into_any()
                        }
                    })
            }}
        </Transition>
    }
}

/// A dashboard that could not be loaded at all says why.
#[component]
fn DashboardFailure(error: DataError) -> impl IntoView {
    let title = match error.kind {
        ErrorKind::NotFound if error.message.starts_with(BROKEN_FILE) => {
            "This dashboard's file has a mistake"
        }
        ErrorKind::NotFound => "No such dashboard",
        _ => "This dashboard could not be loaded",
    };
    view! {
        <section class="page__problem" data-testid="dashboard-error" role="alert">
            <h1 class="page__title">{title}</h1>
            <p>{error.to_string()}</p>
            <p>
                <a href="/">"Back to the overview"</a>
            </p>
        </section>
    }
}
