use leptos::{html, prelude::*};
use leptos_router::hooks::use_location;

use crate::{
    components::page_loading::PageLoading,
    data::fetch_dashboard_list,
    model::{DashboardSummary, ViewQuery},
};

/// `/dashboards`: every dashboard, by folder, with a search (`/` focuses it;
/// without JavaScript the search is a GET form, `?q=`).
#[component]
pub fn DashboardsPage() -> impl IntoView {
    let location = use_location();
    let from_url = move || {
        let search = location.search.get();
        form_urlencoded::parse(search.trim_start_matches('?').as_bytes())
            .find(|(k, _)| k == "q")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let search = RwSignal::new(from_url());
    let kiosk = move || ViewQuery::is_kiosk(&location.search.get());
    let input: NodeRef<html::Input> = NodeRef::new();
    focus_on_slash(input);
    let list = Resource::new(|| (), |_| fetch_dashboard_list());
    let groups = move || {
        list.get().map(|found| match found {
            Err(error) => view! {
                <p class="page__problem" role="alert">{error.to_string()}</p>
            }
            .into_any(),
            Ok(all) => {
                let wanted = search.get().to_lowercase();
                let shown: Vec<DashboardSummary> =
                    all.into_iter().filter(|d| matches(d, &wanted)).collect();
                if shown.is_empty() {
                    return view! {
                        <p class="dashboard-list__none" data-testid="dashboard-list-none">
                            "No dashboard's title or id has that."
                        </p>
                    }
                    .into_any();
                }
                by_folder(shown)
                    .into_iter()
                    .map(|(folder, boards)| {
                        let links = boards
                            .into_iter()
                            .map(|d| {
                                let href = d.href(kiosk());
                                view! {
                                    <li>
                                        <a href=href data-testid="dashboard-link">{d.title}</a>
                                        <span class="dashboard-list__id">{d.id}</span>
                                    </li>
                                }
                            })
                            .collect_view();
                        view! {
                            <section class="dashboard-list__folder" data-testid="dashboard-folder">
                                <h2>{folder.unwrap_or_else(|| "Dashboards".into())}</h2>
                                <ul>{links}</ul>
                            </section>
                        }
                    })
                    .collect_view()
                    .into_any()
            }
        })
    };
    view! {
        <header class="page__header">
            <h1 class="page__title" data-testid="page-title">"Dashboards"</h1>
        </header>
        <form class="dashboard-list__search" method="get" action="/dashboards" role="search">
            <label for="dashboard-search">"Search"</label>
            <input
                id="dashboard-search"
                name="q"
                type="search"
                node_ref=input
                data-testid="dashboard-search"
                placeholder="Title or id (press / to search)"
                prop:value=move || search.get()
                on:input=move |ev| search.set(event_target_value(&ev))
            />
        </form>
        <Transition fallback=PageLoading>{groups}</Transition>
    }
}

/// Whether a dashboard's title or id contains `wanted` (lower case).
fn matches(d: &DashboardSummary, wanted: &str) -> bool {
    wanted.is_empty()
        || d.title.to_lowercase().contains(wanted)
        || d.id.to_lowercase().contains(wanted)
}

/// The folder's own dashboards first, then each subfolder's, in order.
fn by_folder(all: Vec<DashboardSummary>) -> Vec<(Option<String>, Vec<DashboardSummary>)> {
    let mut groups: Vec<(Option<String>, Vec<DashboardSummary>)> = Vec::new();
    for d in all {
        match groups.iter_mut().find(|(f, _)| *f == d.folder) {
            Some((_, boards)) => boards.push(d),
            None => groups.push((d.folder.clone(), vec![d])),
        }
    }
    groups.sort_by_key(|(f, _)| f.is_some());
    groups
}

/// `/` anywhere but in a field focuses the search, as on GitHub or Grafana.
#[cfg(feature = "hydrate")]
fn focus_on_slash(input: NodeRef<html::Input>) {
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        let in_field = ev
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            .is_some_and(|e| matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
        if ev.key() == "/" && !in_field {
            if let Some(input) = input.get() {
                ev.prevent_default();
                let _ = input.focus();
            }
        }
    });
    on_cleanup(move || handle.remove());
}

#[cfg(not(feature = "hydrate"))]
fn focus_on_slash(_: NodeRef<html::Input>) {}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(id: &str, title: &str, folder: Option<&str>) -> DashboardSummary {
        DashboardSummary {
            id: id.into(),
            title: title.into(),
            folder: folder.map(str::to_string),
            range: None,
            refresh: None,
        }
    }

    #[test]
    fn a_link_carries_the_range_and_refresh_a_dashboard_opens_with() {
        let plain = d("pay", "Pay", None);
        assert_eq!(plain.href(false), "/d/pay");
        assert_eq!(plain.href(true), "/d/pay?range=1h&kiosk");
        let six = DashboardSummary {
            range: Some(crate::model::RelativeRange::H6),
            refresh: crate::model::Refresh::parse("30s"),
            ..d("a b", "A", None)
        };
        assert_eq!(six.href(false), "/d/a%20b?range=6h&refresh=30s");
    }

    #[test]
    fn search_matches_titles_and_ids_and_groups_keep_the_folder_order() {
        assert!(matches(&d("pay-17", "Checkout latency", None), "latency"));
        assert!(matches(&d("pay-17", "Checkout", None), "pay-1"));
        assert!(!matches(&d("pay-17", "Checkout", None), "billing"));
        let groups = by_folder(vec![
            d("a", "A", Some("payments")),
            d("b", "B", None),
            d("c", "C", Some("payments")),
            d("e", "E", Some("edge")),
        ]);
        let names: Vec<Option<&str>> = groups.iter().map(|(f, _)| f.as_deref()).collect();
        assert_eq!(names, [None, Some("payments"), Some("edge")]);
        assert_eq!(groups[1].1.len(), 2);
    }
}
