use leptos::prelude::*;

use crate::{
    format,
    model::{Alert, AlertSource, AlertState},
};

/// One alert: severity and state in words (colour is never the only sign),
/// what it is about, since when, where it comes from, and its labels on click.
#[component]
pub fn AlertItem(alert: Alert, span_seconds: i64) -> impl IntoView {
    let severity = alert.severity.as_str();
    let state = match alert.state {
        AlertState::Firing => "firing",
        AlertState::Pending => "pending",
        AlertState::Resolved => "resolved",
    };
    let source = match alert.source {
        AlertSource::Vantage => "health check",
        AlertSource::Prometheus => "Prometheus rule",
        AlertSource::Alertmanager => "Alertmanager",
    };
    let zone = crate::live::time_zone::use_time_zone();
    let when = move |ms: i64| {
        let zone = zone.get();
        format!(
            "{} {}",
            format::clock(ms / 1000, span_seconds.max(3 * 86_400), zone),
            zone.label(ms / 1000)
        )
    };
    let (since_ms, ended_ms) = (alert.since_ms, alert.ended_ms);
    let since = move || when(since_ms);
    let ended = move || ended_ms.map(when);
    let labels = alert
        .labels
        .iter()
        .chain(alert.annotations.iter())
        .map(|(k, v)| {
            view! {
                <div>
                    <dt>{k.clone()}</dt>
                    <dd>{v.clone()}</dd>
                </div>
            }
        })
        .collect_view();
    view! {
        <li
            class=format!("alert alert--{severity} alert--{state}")
            data-testid="alert"
            data-name=alert.name.clone()
            data-state=state
            data-severity=severity
        >
            <span class="alert__severity">{severity}</span>
            <span class="alert__state">{state}</span>
            <strong class="alert__name">{alert.name.clone()}</strong>
            {alert.service.clone().map(|s| view! { <span class="alert__service">{s}</span> })}
            <span class="alert__summary">{alert.summary.clone()}</span>
            <span class="alert__time">
                "since "
                {since}
                {move || ended().map(|e| format!(", resolved {e}"))}
            </span>
            <span class="alert__source">{source}</span>
            <details class="alert__labels">
                <summary>"Labels"</summary>
                <dl>{labels}</dl>
            </details>
        </li>
    }
}
