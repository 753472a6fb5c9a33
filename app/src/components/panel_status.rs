use leptos::prelude::*;

use crate::{format, live::clock::use_now, model::PanelStatus};

/// How fresh a panel is, in words (colour is never the only signal): once the
/// page runs, "updated 5 s ago", with the exact time on hover.
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
    let now = use_now();
    let zone = crate::live::time_zone::use_time_zone();
    let at = move || {
        let t = updated_at_ms.get() / 1000;
        let zone = zone.get();
        format!("{} {}", format::clock_seconds(t, zone), zone.label(t))
    };
    let text = move || {
        let when = match now.get() {
            Some(now) => format::ago((now - updated_at_ms.get()) / 1000),
            None => at(),
        };
        match status.get() {
            PanelStatus::Live => format!("updated {when}"),
            PanelStatus::Stale { reason } => format!("stale since {when}: {reason}"),
            PanelStatus::Error { message } => format!("error: {message}"),
        }
    };
    // Not a live region: its text changes every second.
    view! {
        <span class=class data-testid="panel-status" title=at>
            {text}
        </span>
    }
}
