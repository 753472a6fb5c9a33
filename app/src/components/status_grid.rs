use leptos::prelude::*;

use crate::{
    components::stat_value::level_word,
    model::{Level, PanelData, ViewQuery},
};

/// One tile per series (a service, a target), coloured by the panel's
/// thresholds and saying its state in words; a tile links to the panel's
/// drill-down view for it.
#[component]
pub fn StatusGrid(
    #[prop(into)] data: Signal<PanelData>,
    #[prop(into)] query: Signal<ViewQuery>,
) -> impl IntoView {
    let tiles = move || {
        data.with(|d| {
            let link = d.view.series_link();
            let view = query.get();
            d.series
                .iter()
                .map(|s| {
                    let value = s.last_value();
                    let level = d.view.thresholds.level(value);
                    let word = match level {
                        Level::Ok => "up",
                        other => level_word(other),
                    };
                    let value_text = value.map(|v| d.view.value_text(v));
                    let name = s.name.clone();
                    let inner = view! {
                        <span class="tile__name">{name.clone()}</span>
                        <span class="tile__state">{word}</span>
                    };
                    let class = format!("tile tile--{}", level.as_str());
                    let tip = value_text.map(|v| format!("{name}: {v}")).unwrap_or_default();
                    match link.and_then(|l| l.href_for(&name, &view)) {
                        Some(href) => {
                            view! {
                                <li>
                                    <a class=class href=href title=tip data-testid="tile" data-level=level.as_str()>
                                        {inner}
                                    </a>
                                </li>
                            }
                            .into_any()
                        }
                        None => view! {
                            <li>
                                <span class=class title=tip data-testid="tile" data-level=level.as_str()>
                                    {inner}
                                </span>
                            </li>
                        }
                        .into_any(),
                    }
                })
                .collect_view()
        })
    };
    view! { <ul class="tiles">{tiles}</ul> }
}
