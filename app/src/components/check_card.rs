use leptos::prelude::*;

use crate::{
    charts::sparkline,
    components::chart_svg::ChartSvg,
    format,
    live::time_zone::use_time_zone,
    model::{CheckCard, CheckResult, HealthStatus, Series, TimeRange, Unit, ViewQuery},
};

/// The word and the shape for a status, so colour is never the only sign.
pub fn status_text(status: Option<HealthStatus>) -> (&'static str, &'static str) {
    match status {
        Some(HealthStatus::Up) => ("up", "●"),
        Some(HealthStatus::Degraded) => ("degraded", "▲"),
        Some(HealthStatus::Down) => ("down", "✕"),
        None => ("not checked yet", "○"),
    }
}

/// One health check: status, response time, when it last ran, uptime over the
/// range, a response-time sparkline, the components a detailed endpoint
/// reported, and its latest changes (opened on click, no script needed).
#[component]
pub fn CheckCardView(
    card: CheckCard,
    from_ms: i64,
    to_ms: i64,
    /// The page's range, kept in the drill-down link.
    range: TimeRange,
    /// The page's kiosk mode, kept in the drill-down link too.
    #[prop(optional)]
    kiosk: bool,
    /// A newer result pushed by the stream, if one came.
    #[prop(into)]
    live: Signal<Option<CheckResult>>,
    /// Since when its status holds, from a change pushed by the stream.
    #[prop(into)]
    live_since: Signal<Option<i64>>,
) -> impl IntoView {
    let check = card.check;
    let initial = check.latest.clone();
    let latest = Signal::derive(move || {
        let pushed = live.get();
        match (&initial, pushed) {
            (Some(first), Some(pushed)) if pushed.at_ms >= first.at_ms => Some(pushed),
            (None, Some(pushed)) => Some(pushed),
            (first, _) => first.clone(),
        }
    });
    let status = move || latest.with(|l| l.as_ref().map(|r| r.status));
    let word = move || status_text(status()).0;
    let shape = move || status_text(status()).1;
    let span = (to_ms - from_ms) / 1000;
    let response = move || {
        latest.with(|l| {
            l.as_ref()
                .map(|r| format::value(r.response_ms / 1000.0, Unit::Seconds))
                .unwrap_or_else(|| "–".into())
        })
    };
    let zone = use_time_zone();
    let checked = move || {
        latest.with(|l| {
            l.as_ref()
                .map(|r| format::clock_seconds(r.at_ms / 1000, zone.get()))
                .unwrap_or_else(|| "–".into())
        })
    };
    let uptime = card
        .uptime_percent
        .map(|u| format::value(u, Unit::Percent))
        .unwrap_or_else(|| "–".into());
    // With the date when it is not today.
    let first_since = check.since_ms;
    let since = move || {
        live_since
            .get()
            .or(first_since)
            .map(|s| {
                let old = s < to_ms - 86_400_000;
                format::clock(s / 1000, if old { 3 * 86_400 } else { 0 }, zone.get())
            })
            .unwrap_or_else(|| "–".into())
    };
    let error = move || latest.with(|l| l.as_ref().and_then(|r| r.error.clone()));
    let components =
        move || latest.with(|l| l.as_ref().map(|r| r.components.clone()).unwrap_or_default());
    let series = Series {
        name: check.name.clone(),
        points: card.response,
    };
    let shapes = sparkline::shapes(&series, (from_ms / 1000, to_ms / 1000));
    let changes = card
        .transitions
        .into_iter()
        .map(|t| {
            let from = status_text(t.from).0;
            let to = status_text(Some(t.to)).0;
            view! {
                <li>
                    <time>{move || format::clock(t.at_ms / 1000, span, zone.get())}</time>
                    " "
                    {from}
                    " → "
                    <strong>{to}</strong>
                </li>
            }
        })
        .collect_view();
    let dashboard = ViewQuery {
        range,
        vars: vec![("service".into(), check.service.clone())],
        refresh: None,
        kiosk,
    }
    .href("/d/api");
    view! {
        <article
            class=move || format!("check check--{}", word().replace(' ', "-"))
            data-testid=format!("check-{}", check.name)
            data-status=word
            aria-labelledby=format!("check-title-{}", check.name)
        >
            <header class="check__header">
                <h2 class="check__name" id=format!("check-title-{}", check.name)>
                    {check.name.clone()}
                </h2>
                <span class="check__status" data-testid="check-status">
                    <span aria-hidden="true">{shape}</span>
                    " "
                    {word}
                </span>
            </header>
            <dl class="check__facts">
                <div>
                    <dt>"Response"</dt>
                    <dd data-testid="check-response">{response}</dd>
                </div>
                <div>
                    <dt>"Checked"</dt>
                    <dd data-testid="check-checked">{checked}</dd>
                </div>
                <div>
                    <dt>"Uptime"</dt>
                    <dd data-testid="check-uptime">{uptime}</dd>
                </div>
                <div>
                    <dt>"Since"</dt>
                    <dd>{since}</dd>
                </div>
            </dl>
            {move || {
                error().map(|e| view! { <p class="check__error" data-testid="check-error">{e}</p> })
            }}
            <ChartSvg
                shapes=Signal::stored(shapes)
                width=sparkline::WIDTH
                height=sparkline::HEIGHT
                label=format!("{} response time over the range", check.name)
            />
            <Show when=move || !components().is_empty()>
                <ul class="check__components" aria-label="Components">
                    {move || {
                        components()
                            .into_iter()
                            .map(|c| {
                                let (word, shape) = status_text(Some(c.status));
                                view! {
                                    <li class=format!("component component--{word}")>
                                        <span aria-hidden="true">{shape}</span>
                                        " "
                                        {c.name}
                                        ": "
                                        {c.said}
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
            </Show>
            <details class="check__history">
                <summary>"History"</summary>
                <ol data-testid="check-history">{changes}</ol>
                <p class="check__where">{check.url.clone()}</p>
            </details>
            <a class="check__drill" href=dashboard>
                {format!("{} on the API dashboard", check.service)}
            </a>
        </article>
    }
}
