//! Embeds against the real stack: what a token allows is shown, everything
//! else is refused with a clear 401/403 that reveals nothing of the queries or
//! the data source; images are real SVG and PNG; framing is allowed only where
//! configured.

mod support;

use std::{collections::BTreeMap, time::Duration};

use app::model::RelativeRange;
use axum::{body::Body, http::Request};
use http_body_util::BodyExt;
use support::*;
use tower::ServiceExt;
use vantage::{
    config::{Config, TokenCommand},
    embed::{self, EmbedClaims},
    router, AppState,
};

/// A response's status, headers and body.
async fn fetch(state: &AppState, uri: &str) -> (u16, axum::http::HeaderMap, Vec<u8>) {
    let response = router(state.clone())
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, body.to_vec())
}

/// A token for the overview's request rate over the last hour, for ten minutes.
fn ten_minute_token(state: &AppState) -> String {
    state
        .embeds
        .issue(
            &claims(
                &[],
                vec![RelativeRange::H1.into()],
                vantage::clock::now_seconds() + 600,
            ),
            vantage::embed::keys::MintedBy::command_line(),
        )
        .unwrap()
}

fn claims(vars: &[(&str, &str)], ranges: Vec<app::model::TimeRange>, exp: i64) -> EmbedClaims {
    let mut allowed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in vars {
        allowed
            .entry(k.to_string())
            .or_default()
            .push(v.to_string());
    }
    EmbedClaims {
        id: embed::keys::new_token_id(),
        dashboard: "overview".into(),
        panel: "request_rate".into(),
        vars: allowed,
        ranges,
        exp,
    }
}

/// Words that would mean an answer gave away how the data is fetched.
fn assert_reveals_nothing(body: &[u8], prometheus_url: &str) {
    let text = String::from_utf8_lossy(body);
    let address = prometheus_url.trim_start_matches("http://");
    for secret in [
        // Parts of the overview's queries ("rate(" would match "hydrate(").
        "http_requests_total",
        "_bucket",
        "sum by",
        "histogram_quantile",
        ":9090",
        address,
    ] {
        assert!(!text.contains(secret), "{secret:?} leaked: {text}");
    }
}

#[tokio::test]
async fn a_token_shows_its_panel_and_refuses_everything_else() {
    let stack = shared_stack().await;
    let state = state_for(&stack.prometheus_url);
    let now = vantage::clock::now_seconds();
    let one = claims(
        &[("service", "api-gateway")],
        vec![RelativeRange::H1.into(), RelativeRange::H6.into()],
        now + 600,
    );
    let token = state
        .embeds
        .issue(&one, vantage::embed::keys::MintedBy::command_line())
        .unwrap();
    let base = "/embed/overview/request_rate";

    // What it names: the panel, filtered to its service, in its ranges.
    let (status, headers, body) = fetch(&state, &format!("{base}/data?token={token}")).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let data: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let names: Vec<&str> = data["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["api-gateway"], "only the token's service");
    assert!(data["view"]["links"]
        .as_array()
        .is_none_or(|l| l.is_empty()));
    assert!(
        headers.get("access-control-allow-origin").is_none(),
        "no origin allowed"
    );
    assert_reveals_nothing(&body, &stack.prometheus_url);
    let (status, _, _) = fetch(&state, &format!("{base}/data?token={token}&range=6h")).await;
    assert_eq!(status, 200);
    let (status, _, _) = fetch(
        &state,
        &format!("{base}/data?token={token}&service=api-gateway"),
    )
    .await;
    assert_eq!(status, 200);

    // The same token anywhere else, or asking for more: 403.
    let expired = state
        .embeds
        .issue(
            &claims(&[], vec![RelativeRange::H1.into()], now - 1),
            vantage::embed::keys::MintedBy::command_line(),
        )
        .unwrap();
    let tampered = {
        let (signed, signature) = token.rsplit_once('.').unwrap();
        let flipped = if signature.starts_with('A') { "B" } else { "A" };
        format!("{signed}.{flipped}{}", &signature[1..])
    };
    // Wider claims signed with another key: the shape is right, the signature is not.
    let widened = vantage::embed::token::sign(
        &claims(&[], vec![RelativeRange::D7.into()], now + 600),
        b"not the key",
    );
    for (uri, code, words) in [
        (format!("{base}/data"), 401, "needs a token"),
        (format!("{base}/data?token=garbage"), 401, "malformed"),
        (format!("{base}/data?token={tampered}"), 401, "signature"),
        (format!("{base}/data?token={widened}"), 401, "signature"),
        (format!("{base}/data?token={expired}"), 401, "expired"),
        (
            format!("/embed/overview/latency/data?token={token}"),
            403,
            "another panel",
        ),
        (
            format!("/embed/api/request_rate/data?token={token}"),
            403,
            "another panel",
        ),
        (
            format!("/embed/nope/request_rate/data?token={token}"),
            403,
            "another panel",
        ),
        (
            format!("{base}/data?token={token}&range=7d"),
            403,
            "time range",
        ),
        (
            format!("{base}/data?token={token}&range=1h&from=1&to=2"),
            400,
            "",
        ),
        (
            format!("{base}/data?token={token}&service=payments"),
            403,
            "does not allow",
        ),
        (
            format!("{base}/data?token={token}&service=%22%7D%20or%20vector(1)"),
            403,
            "does not allow",
        ),
        (
            format!("{base}/data?token={token}&endpoint=%2Fx"),
            403,
            "does not allow",
        ),
        (format!("{base}.svg?token={tampered}"), 401, "signature"),
        (
            format!("{base}.png?token={token}&range=24h"),
            403,
            "time range",
        ),
        (format!("{base}/data.csv?token={expired}"), 401, "expired"),
        (format!("{base}/stream?token={tampered}"), 401, "signature"),
        (format!("{base}?token={tampered}"), 401, "signature"),
        (
            format!("{base}.png?token={token}&width=100000"),
            400,
            "width=",
        ),
        (format!("{base}.svg?token={token}&height=1"), 400, "height="),
    ] {
        let (status, headers, body) = fetch(&state, &uri).await;
        let text = String::from_utf8_lossy(&body);
        assert_eq!(status, code, "{uri}: {text}");
        let json: serde_json::Value =
            serde_json::from_slice(&body).unwrap_or_else(|_| panic!("{uri}: {text}"));
        assert!(
            json["error"].as_str().unwrap().contains(words),
            "{uri}: {text}"
        );
        assert_eq!(headers["cache-control"], "no-store", "{uri}");
        assert_reveals_nothing(&body, &stack.prometheus_url);
    }

    // Revoked: refused from then on, though its signature is fine.
    state.embeds.keys.revoke(&one.id).unwrap();
    let (status, _, body) = fetch(&state, &format!("{base}/data?token={token}")).await;
    assert_eq!(status, 401, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("revoked"));
}

#[tokio::test]
async fn images_are_real_svg_and_png_of_the_panel() {
    let stack = shared_stack().await;
    let state = state_for(&stack.prometheus_url);
    let token = ten_minute_token(&state);
    let base = "/embed/overview/request_rate";

    let (status, headers, body) = fetch(&state, &format!("{base}.svg?token={token}")).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(headers["content-type"], "image/svg+xml");
    assert!(headers["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age=1"));
    assert!(headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));
    let svg = String::from_utf8(body).unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..100.min(svg.len())]);
    assert!(svg.contains("Request rate"), "the title is drawn");
    assert!(svg.contains("api-gateway"), "the legend names the series");
    assert!(
        svg.matches("<polyline").count() + svg.matches("<path").count() >= 3,
        "lines are drawn"
    );
    assert!(svg.contains(r#"width="800""#) && svg.contains(r#"height="360""#));
    assert_reveals_nothing(svg.as_bytes(), &stack.prometheus_url);

    for (theme, background) in [("light", [0xff, 0xff, 0xff]), ("dark", [0x17, 0x1d, 0x24])] {
        let uri = format!("{base}.png?token={token}&width=640&height=300&theme={theme}");
        let (status, headers, body) = fetch(&state, &uri).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        assert_eq!(headers["content-type"], "image/png");
        let png = image::load_from_memory_with_format(&body, image::ImageFormat::Png)
            .expect("a PNG that decodes")
            .to_rgb8();
        assert_eq!(png.dimensions(), (640, 300));
        // The corner is the theme's background; a good part of the rest is not.
        assert_eq!(png.get_pixel(1, 1).0, background, "{theme}");
        let drawn = png.pixels().filter(|p| p.0 != background).count();
        let total = (640 * 300) as usize;
        assert!(
            drawn > total / 100,
            "{theme}: only {drawn} of {total} pixels drawn"
        );
        let colours: std::collections::HashSet<[u8; 3]> = png.pixels().map(|p| p.0).collect();
        assert!(
            colours.len() > 8,
            "{theme}: text, axes and lines in several colours"
        );
    }

    // A data source that is down: the image says so in its own words, never
    // the data source's (which name its address).
    let dead = format!("http://127.0.0.1:{}", stack::free_port().unwrap());
    let down = state_for(&dead);
    let token = ten_minute_token(&down);
    let (status, _, body) = fetch(&down, &format!("{base}.svg?token={token}")).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("the data source could not answer"));
    assert_reveals_nothing(&body, &dead);
}

#[tokio::test]
async fn only_embeds_may_be_framed_and_only_by_allowed_origins() {
    let stack = shared_stack().await;
    let config = Config {
        prometheus_url: stack.prometheus_url.parse().unwrap(),
        refresh_seconds: 1,
        embed_origins: vec!["http://127.0.0.1:8123".into()],
        ..Config::default()
    };
    let state = AppState::new(config).unwrap();
    let token = state
        .embeds
        .issue(
            &claims(
                &[("service", "api-gateway")],
                vec![RelativeRange::H1.into()],
                vantage::clock::now_seconds() + 600,
            ),
            vantage::embed::keys::MintedBy::command_line(),
        )
        .unwrap();

    // The live page: complete with the panel's data, framable by the portal only.
    let (status, headers, body) = fetch(
        &state,
        &format!("/embed/overview/request_rate?token={token}&theme=dark"),
    )
    .await;
    let html = String::from_utf8_lossy(&body);
    assert_eq!(status, 200, "{html}");
    let policy = headers["content-security-policy"].to_str().unwrap();
    assert!(
        policy.ends_with("; frame-ancestors 'self' http://127.0.0.1:8123"),
        "{policy}"
    );
    assert!(policy.contains("'nonce-"), "{policy}");
    assert!(html.contains(r#"data-testid="embed""#) && html.contains(r#"data-theme="dark""#));
    assert!(
        html.contains(r#"data-testid="chart-request_rate""#),
        "the chart is in the HTML"
    );
    assert!(html.contains("api-gateway"));
    assert!(
        !html.contains(r#"data-testid="nav""#),
        "no way into the rest of Vantage"
    );
    assert_reveals_nothing(html.as_bytes(), &stack.prometheus_url);

    // Without a valid token there is no page at all.
    let (status, _, body) = fetch(&state, "/embed/overview/request_rate").await;
    assert_eq!(status, 401);
    assert!(!String::from_utf8_lossy(&body).contains("<html"));

    // Every other page refuses to be framed.
    for page in ["/", "/d/api", "/health", "/alerts"] {
        let (_, headers, _) = fetch(&state, page).await;
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(
            policy.ends_with("; frame-ancestors 'none'"),
            "{page}: {policy}"
        );
    }

    // Data across origins: readable by the allowed origin only.
    let request = |origin: &'static str| {
        Request::get(format!("/embed/overview/request_rate/data?token={token}"))
            .header("origin", origin)
            .body(Body::empty())
            .unwrap()
    };
    let response = router(state.clone())
        .oneshot(request("http://127.0.0.1:8123"))
        .await
        .unwrap();
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "http://127.0.0.1:8123"
    );
    let response = router(state.clone())
        .oneshot(request("http://evil.example"))
        .await
        .unwrap();
    assert!(response
        .headers()
        .get("access-control-allow-origin")
        .is_none());
}

#[tokio::test]
async fn the_embed_stream_carries_its_panel_only() {
    let stack = shared_stack().await;
    let state = state_for(&stack.prometheus_url);
    let token = state
        .embeds
        .issue(
            &claims(
                &[("service", "api-gateway")],
                vec![RelativeRange::M15.into()],
                vantage::clock::now_seconds() + 600,
            ),
            vantage::embed::keys::MintedBy::command_line(),
        )
        .unwrap();
    let (addr, server) = serve(state).await;
    let mut body = reqwest::get(format!(
        "http://{addr}/embed/overview/request_rate/stream?token={token}"
    ))
    .await
    .unwrap()
    .events();
    // Two refreshes (1 s apart): every event is this panel, for its service only.
    let text = read_panels(&mut body, 2, Duration::from_secs(20)).await;
    let events: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter_map(|d| serde_json::from_str(d).ok())
        .filter(|v: &serde_json::Value| v.get("panel").is_some())
        .collect();
    assert!(events.len() >= 2, "{text}");
    for event in &events {
        assert_eq!(event["panel"]["panel"], "request_rate", "{text}");
        let names: Vec<&str> = event["series"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["api-gateway"]);
    }
    assert_reveals_nothing(text.as_bytes(), &stack.prometheus_url);
    drop(body);
    server.abort();
}

#[tokio::test]
async fn the_embed_page_carries_its_panel_only() {
    let stack = shared_stack().await;
    let state = state_for(&stack.prometheus_url);
    let token = ten_minute_token(&state);
    let (status, _, body) = fetch(
        &state,
        &format!("/embed/overview/request_rate?token={token}"),
    )
    .await;
    let page = String::from_utf8_lossy(&body);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Request rate"), "the panel is there");
    // Not the navigation, nor what it would have asked for: the catalog
    // (other dashboards' ids and titles) and the alert and health counts.
    for absent in [
        "nav-bar",
        "/d/infrastructure",
        "Infrastructure",
        "API performance",
        "alerts_firing",
        "checks_down",
        "/health",
    ] {
        assert!(!page.contains(absent), "the embed page carries {absent:?}");
    }
    assert_reveals_nothing(&body, &stack.prometheus_url);
}

#[tokio::test]
async fn the_cli_issues_revokes_and_rotates() {
    let stack = shared_stack().await;
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        prometheus_url: stack.prometheus_url.parse().unwrap(),
        embed_key_file: Some(dir.path().join("embed.key")),
        ..Config::default()
    };
    let issue = TokenCommand::Issue {
        dashboard: "overview".into(),
        panel: "request_rate".into(),
        ranges: vec!["1h".into()],
        vars: vec!["service=api-gateway".into()],
        expires: "1h".into(),
        base_url: "http://vantage.example".parse().unwrap(),
    };
    let printed = embed::cli::run(&config, &issue).unwrap();
    let line = |name: &str| {
        printed
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap()
            .trim()
            .to_string()
    };
    let token = line("token:");
    let id = line("token id:")
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    assert!(
        line("svg:").starts_with("http://vantage.example/embed/overview/request_rate.svg?token=")
    );

    // A server on the same key file takes it...
    let state = AppState::new(config.clone()).unwrap();
    let data = format!("/embed/overview/request_rate/data?token={token}");
    assert_eq!(fetch(&state, &data).await.0, 200);
    // ...until it is revoked (by another process: the CLI).
    embed::cli::run(&config, &TokenCommand::Revoke { id }).unwrap();
    assert_eq!(fetch(&state, &data).await.0, 401);
    // A fresh token works, and rotating the key ends it.
    let printed = embed::cli::run(&config, &issue).unwrap();
    let token = printed
        .lines()
        .find_map(|l| l.strip_prefix("token:"))
        .unwrap()
        .trim()
        .to_string();
    let data = format!("/embed/overview/request_rate/data?token={token}");
    assert_eq!(fetch(&state, &data).await.0, 200);
    embed::cli::run(&config, &TokenCommand::RotateKey).unwrap();
    let (status, _, body) = fetch(&state, &data).await;
    assert_eq!(status, 401, "{}", String::from_utf8_lossy(&body));

    // Mistakes are refused before anything is signed.
    for (dashboard, panel, vars) in [
        ("overview", "nope", vec![]),
        ("nope", "request_rate", vec![]),
        ("overview", "request_rate", vec!["nope=x".to_string()]),
    ] {
        let bad = TokenCommand::Issue {
            dashboard: dashboard.into(),
            panel: panel.into(),
            ranges: vec!["1h".into()],
            vars,
            expires: "1h".into(),
            base_url: "http://vantage.example".parse().unwrap(),
        };
        assert!(embed::cli::run(&config, &bad).is_err());
    }
}

#[tokio::test]
async fn the_share_dialog_gets_a_working_token_and_mistakes_are_refused() {
    let stack = shared_stack().await;
    let state = state_for(&stack.prometheus_url);
    let post = |body: serde_json::Value, content_type: &'static str| {
        let state = state.clone();
        async move {
            let response = router(state)
                .oneshot(
                    Request::post("/api/embed-tokens")
                        .header("content-type", content_type)
                        .body(Body::from(body.to_string()))
                        .unwrap(),
                )
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            (status, String::from_utf8_lossy(&body).into_owned())
        }
    };
    let asked = serde_json::json!({
        "dashboard": "overview", "panel": "request_rate",
        "ranges": ["1h"], "vars": [["service", "api-gateway"]], "expires": "7d"
    });
    let (status, body) = post(asked.clone(), "application/json").await;
    assert_eq!(status, 200, "{body}");
    let issued: app::model::IssuedEmbed = serde_json::from_str(&body).unwrap();
    assert!((issued.expires_at - vantage::clock::now_seconds() - 7 * 86_400).abs() < 60);
    let (status, _, body) = fetch(&state, &issued.png).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let (status, headers, body) = fetch(&state, &issued.csv).await;
    assert_eq!(status, 200);
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = String::from_utf8(body).unwrap();
    assert!(
        csv.starts_with("series,time,value\r\napi-gateway,"),
        "{csv}"
    );
    assert!(
        csv.lines().skip(1).all(|l| l.starts_with("api-gateway,")),
        "only its service"
    );
    // What it shares is exactly what was asked.
    let (status, _, _) = fetch(&state, &format!("{}&service=payments", issued.live)).await;
    assert_eq!(status, 403);

    for (change, words) in [
        (serde_json::json!({"panel": "nope"}), "no panel"),
        (serde_json::json!({"dashboard": "nope"}), "no dashboard"),
        (serde_json::json!({"vars": [["nope", "x"]]}), "no variable"),
        (serde_json::json!({"ranges": ["1y"]}), "unknown range"),
        (serde_json::json!({"ranges": []}), "at least one range"),
        (serde_json::json!({"expires": "forever"}), "duration"),
        (serde_json::json!({"expires": "9999d"}), "366 days"),
    ] {
        let mut body = asked.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, text) = post(body, "application/json").await;
        assert_eq!(status, 400, "{change}: {text}");
        assert!(text.contains(words), "{change}: {text}");
    }
    // Only JSON: a form post from another site (no CORS preflight) is refused.
    let (status, _) = post(asked, "application/x-www-form-urlencoded").await;
    assert_eq!(status, 415);
}
