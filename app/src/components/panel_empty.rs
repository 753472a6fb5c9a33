use leptos::prelude::*;

use crate::model::MissingMetric;

/// What an empty panel says: which metrics the data source lacks and what
/// provides them, or (when it has them all) that nothing matches.
#[component]
pub fn PanelEmpty(#[prop(into)] missing: Signal<Vec<MissingMetric>>) -> impl IntoView {
    // Type-erased: the panel card's view type is deep enough already.
    move || {
        let missing = missing.get();
        if missing.is_empty() {
            return view! {
                <p class="panel__empty" data-testid="panel-empty">
                    "No data: the data source answered, but no series match this range and filter."
                </p>
            }
            .into_any();
        }
        view! {
            <div class="panel__empty" data-testid="panel-empty" data-missing="true">
                <p>"No data: the data source has no metric this panel needs."</p>
                <ul class="panel__missing">
                    {missing
                        .into_iter()
                        .map(|m| {
                            view! {
                                <li data-testid="missing-metric">
                                    <code>{m.metric}</code>
                                    ", from "
                                    {m.source}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </div>
        }
        .into_any()
    }
}
