use leptos::prelude::*;

use crate::{
    data::fetch_variable_values,
    model::{Picker, VariableView, ViewQuery},
};

/// The dashboard's variables as a plain GET form of multi-selects filled from
/// Prometheus' label values: it works without JavaScript, and the choice lands
/// in the URL (so reload, back/forward and pasted links keep it). Once the page
/// is hydrated, a search box narrows each list (chosen values always stay).
#[component]
pub fn VariablePicker(
    dashboard: String,
    variables: Vec<VariableView>,
    #[prop(into)] query: Signal<ViewQuery>,
) -> impl IntoView {
    if variables.is_empty() {
        return ().into_any();
    }
    // The search boxes need the browser: the server-rendered form has none.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let range_inputs = move || {
        query.with(|q| {
            let refresh = q.refresh.map(|r| ("refresh", r.as_str().to_string()));
            q.range
                .query_pairs()
                .into_iter()
                .chain(refresh)
                .map(|(k, v)| view! { <input type="hidden" name=k value=v /> })
                .collect_view()
        })
    };
    let pickers = variables
        .into_iter()
        .map(|variable| {
            let name = variable.name.clone();
            if variable.picker != Picker::Choices {
                return single(&dashboard, variable, query);
            }
            let values = {
                let (dashboard, name) = (dashboard.clone(), name.clone());
                Resource::new(
                    || (),
                    move |_| fetch_variable_values(dashboard.clone(), name.clone()),
                )
            };
            let chosen = {
                let name = name.clone();
                move || query.with(|q| q.values(&name))
            };
            let search = RwSignal::new(String::new());
            let options = move || {
                let chosen = chosen();
                values.get().map(|result| match result {
                    Ok(values) => {
                        // Chosen values stay offered even if Prometheus forgot them.
                        let mut all = values;
                        for c in &chosen {
                            if !all.contains(c) {
                                all.push(c.clone());
                            }
                        }
                        all.into_iter()
                            .map(|v| {
                                let selected = chosen.contains(&v);
                                let lower = v.to_lowercase();
                                let hidden = move || {
                                    !selected
                                        && search.with(|s| {
                                            !lower.contains(s.trim().to_lowercase().as_str())
                                        })
                                };
                                view! {
                                    <option value=v.clone() selected=selected hidden=hidden>
                                        {v.clone()}
                                    </option>
                                }
                            })
                            .collect_view()
                            .into_any()
                    }
                    Err(_) => {
                        view! { <option disabled=true>"values unavailable"</option> }.into_any()
                    }
                })
            };
            let id = format!("variable-{name}");
            let (label_for, controls) = (id.clone(), id.clone());
            let title = variable.title.clone();
            let search_label = format!("Search {}", variable.title.to_lowercase());
            let search_testid = format!("variable-{name}-search");
            view! {
                <div class="variable">
                    <label class="variable__title" for=label_for>
                        {variable.title}
                    </label>
                    <Show when=move || hydrated.get()>
                        <input
                            type="search"
                            class="variable__search"
                            placeholder=format!("Search {}…", title.to_lowercase())
                            aria-label=search_label.clone()
                            aria-controls=controls.clone()
                            autocomplete="off"
                            data-testid=search_testid.clone()
                            prop:value=move || search.get()
                            on:input=move |ev| search.set(event_target_value(&ev))
                        />
                    </Show>
                    <select
                        id=id
                        name=name.clone()
                        multiple=true
                        size="4"
                        data-testid=format!("variable-{name}")
                    >
                        <Transition fallback=|| ()>{options}</Transition>
                    </select>
                </div>
            }
            .into_any()
        })
        .collect_view();
    view! {
        <form class="variables" method="get" data-testid="variables">
            {range_inputs}
            {pickers}
            <button type="submit" class="variables__apply">
                "Apply"
            </button>
        </form>
    }
    .into_any()
}

/// An interval's list (one value) or a text box: the URL's value, else the
/// variable's default.
fn single(dashboard: &str, variable: VariableView, query: Signal<ViewQuery>) -> AnyView {
    let name = variable.name.clone();
    let id = format!("variable-{name}");
    let current = {
        let (name, default) = (name.clone(), variable.default.clone());
        move || {
            query
                .with(|q| q.values(&name).into_iter().next())
                .or_else(|| default.clone())
        }
    };
    let control = match variable.picker {
        Picker::Text => view! {
            <input
                type="text"
                id=id.clone()
                name=name.clone()
                class="variable__text"
                maxlength="200"
                autocomplete="off"
                value=current().unwrap_or_default()
                data-testid=format!("variable-{name}")
            />
        }
        .into_any(),
        _ => {
            let values = {
                let (dashboard, name) = (dashboard.to_string(), name.clone());
                Resource::new(
                    || (),
                    move |_| fetch_variable_values(dashboard.clone(), name.clone()),
                )
            };
            let options = move || {
                let current = current();
                values.get().map(|result| {
                    result
                        .unwrap_or_default()
                        .into_iter()
                        .map(|v| {
                            let selected = current.as_ref() == Some(&v);
                            view! {
                                <option value=v.clone() selected=selected>
                                    {v.clone()}
                                </option>
                            }
                        })
                        .collect_view()
                })
            };
            view! {
                <select id=id.clone() name=name.clone() data-testid=format!("variable-{name}")>
                    <Transition fallback=|| ()>{options}</Transition>
                </select>
            }
            .into_any()
        }
    };
    view! {
        <div class="variable">
            <label class="variable__title" for=id>
                {variable.title}
            </label>
            {control}
        </div>
    }
    .into_any()
}
