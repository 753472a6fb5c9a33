use leptos::prelude::*;

use crate::{format, model::PanelStatus};

/// How fresh a panel is, in words (colour is never the only signal).
#[component]
pub fn PanelStatusBadge(
    #[prop(into)] status: Signal<PanelStatus>,
    #[prop(into)] updated_at_ms: Signal<i64>,
) -> impl IntoView {
    let class = move || match status.get() {
        PanelStatus::Live => "badge badge--live",
        PanelStatus::Stale { .. } => "badge badge--stale",
        PanelStatus::Error { .. } => "badge badge--error",
    };
    let text = move || {
        let at = format::clock_seconds(updated_at_ms.get() / 1000);
        match status.get() {
            PanelStatus::Live => format!("updated {at} UTC"),
            PanelStatus::Stale { reason } => format!("stale since {at} UTC: {reason}"),
            PanelStatus::Error { message } => format!("error: {message}"),
        }
    };
    view! {
        <span class=class data-testid="panel-status" role="status">
            {text}
        </span>
    }
}
