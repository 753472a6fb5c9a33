use leptos::prelude::*;

use crate::{format, model::PanelData};

/// A table: one row per legend key, one column per query, sortable by any
/// column (click a heading; again to reverse). Sorted by key until then.
#[component]
pub fn DataTable(#[prop(into)] data: Signal<PanelData>) -> impl IntoView {
    // None: by key; Some(i): by column i.
    let sort = RwSignal::new((None::<usize>, false));
    let headings = move || {
        data.with(|d| {
            std::iter::once((None, "name".to_string()))
                .chain(
                    d.view
                        .columns
                        .iter()
                        .enumerate()
                        .map(|(i, c)| (Some(i), c.title.clone())),
                )
                .map(|(column, title)| {
                    let state = move || {
                        let (by, descending) = sort.get();
                        match (by == column, descending) {
                            (true, false) => "ascending",
                            (true, true) => "descending",
                            _ => "none",
                        }
                    };
                    view! {
                        <th scope="col" aria-sort=state>
                            <button
                                type="button"
                                class="table__sort"
                                on:click=move |_| {
                                    sort.update(|(by, descending)| {
                                        *descending = *by == column && !*descending;
                                        *by = column;
                                    })
                                }
                            >
                                {title}
                            </button>
                        </th>
                    }
                })
                .collect_view()
        })
    };
    let rows = move || {
        let (by, descending) = sort.get();
        data.with(|d| {
            let mut rows = d.rows.clone();
            if let Some(i) = by {
                rows.sort_by(|a, b| {
                    let (x, y) = (
                        a.values.get(i).copied().flatten(),
                        b.values.get(i).copied().flatten(),
                    );
                    // Rows without a value go last either way.
                    match (x, y) {
                        (Some(x), Some(y)) => x.total_cmp(&y),
                        (Some(_), None) => std::cmp::Ordering::Less,
                        (None, Some(_)) => std::cmp::Ordering::Greater,
                        (None, None) => std::cmp::Ordering::Equal,
                    }
                });
            }
            if descending {
                rows.reverse();
            }
            rows.into_iter()
                .map(|row| {
                    let cells = row
                        .values
                        .iter()
                        .zip(&d.view.columns)
                        .map(|(v, c)| {
                            let text = v
                                .map(|v| format::value_with(v, c.unit, d.view.decimals))
                                .unwrap_or_else(|| "–".into());
                            view! { <td class="table__number">{text}</td> }
                        })
                        .collect_view();
                    view! {
                        <tr>
                            <th scope="row">{row.key}</th>
                            {cells}
                        </tr>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="data-table">
                <thead>
                    <tr>{headings}</tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
