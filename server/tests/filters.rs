//! Dashboard variables as filters: they narrow every query, and hostile or
//! bad values never widen one or reach Prometheus; one stack for all.

mod support;

use support::*;

#[tokio::test]
async fn a_service_filter_narrows_the_series_and_hostile_values_never_widen_it() {
    let stack = shared_stack().await;
    let state = state_for(&stack.prometheus_url);
    let names = |body: &str| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["status"]["kind"], "live", "{body}");
        series_names(body)
    };
    let base = "/api/dashboards/overview/panels/request_rate?range=15m";

    let (status, all) = get(&state, base).await;
    assert_eq!(status, 200);
    assert_eq!(names(&all).len(), fleet_service_names().len());

    let (_, one) = get(&state, &format!("{base}&service=auth-service")).await;
    assert_eq!(names(&one), vec!["auth-service"]);
    let (_, two) = get(
        &state,
        &format!("{base}&service=auth-service&service=frontend"),
    )
    .await;
    assert_eq!(names(&two), vec!["auth-service", "frontend"]);

    // Each reaches Prometheus as a literal value: it parses, matches nothing, and
    // never widens the match or breaks out of the matcher.
    for hostile in [
        "%22%7D%20or%20vector(1)%20or%20%7Bx%3D%22", // "} or vector(1) or {x="
        ".*",
        "auth-service%7Cfrontend", // auth-service|frontend
        "(%3Fi)AUTH-SERVICE",      // (?i)AUTH-SERVICE
        "auth.service",
        "C%3A%5Ctemp",           // C:\temp
        "%5C%22%7D",             // \"}
        "%3Cb%3Ebold%3C%2Fb%3E", // <b>bold</b>
    ] {
        let (status, body) = get(&state, &format!("{base}&service={hostile}")).await;
        assert_eq!(status, 200, "{hostile}: {body}");
        assert!(
            names(&body).is_empty(),
            "{hostile} widened the match: {body}"
        );
    }

    for refused in ["a%0Ab", "%00", "", &"x".repeat(300)] {
        let (status, body) = get(&state, &format!("{base}&service={refused}")).await;
        assert_eq!(status, 400, "{refused:?}: {body}");
        assert!(body.contains("service="), "{body}");
    }

    // The page takes the same filter and shows only that service.
    let (status, html) = get(&state, "/?range=15m&service=frontend").await;
    assert_eq!(status, 200);
    let panel = html
        .split(r#"data-testid="panel-request_rate""#)
        .nth(1)
        .and_then(|rest| rest.split("</section>").next())
        .expect("the request rate panel");
    assert!(panel.contains(">frontend<"), "{panel}");
    assert!(!panel.contains(">auth-service<"));
    assert!(
        html.contains("service=frontend"),
        "range links keep the filter"
    );
}

#[tokio::test]
async fn filters_narrow_every_variable_and_bad_input_never_reaches_prometheus() {
    let stack = shared_stack_alone().await;
    let state = state_for(&stack.prometheus_url);
    let names = series_names;
    let base = "/api/dashboards/api/panels/rate_by_endpoint?range=15m";
    let (_, all) = get(&state, base).await;
    assert!(names(&all).len() > 20, "{all}");
    let (_, one) = get(&state, &format!("{base}&service=auth-service")).await;
    let mut one = names(&one);
    one.sort();
    assert_eq!(
        one,
        [
            "auth-service /login",
            "auth-service /token/refresh",
            "auth-service /token/verify"
        ]
    );
    let (_, narrow) = get(
        &state,
        &format!("{base}&service=auth-service&endpoint=%2Flogin"),
    )
    .await;
    assert_eq!(names(&narrow), ["auth-service /login"]);
    // The table takes the same filter.
    let (_, table) = get(
        &state,
        "/api/dashboards/api/panels/summary?range=15m&service=auth-service&endpoint=%2Flogin",
    )
    .await;
    let table: serde_json::Value = serde_json::from_str(&table).unwrap();
    assert_eq!(table["rows"].as_array().unwrap().len(), 1, "{table}");
    assert_eq!(table["rows"][0]["key"], "auth-service /login");

    // Hostile values of a variable other than service are literals too: they
    // match nothing and never widen the match.
    for hostile in [
        "%7B%7D",                                    // {}
        "%22%7D%20or%20vector(1)%20or%20%7Bx%3D%22", // "} or vector(1) or {x="
        "%2F.*",                                     // /.*
        "%FF%FE%80",                                 // not UTF-8
    ] {
        let (status, body) = get(&state, &format!("{base}&endpoint={hostile}")).await;
        assert_eq!(status, 200, "{hostile}: {body}");
        assert!(
            names(&body).is_empty(),
            "{hostile} widened the match: {body}"
        );
    }

    // Refused before any query is built: Prometheus serves nothing for them.
    let queries = || async {
        stack.requests_served("/api/v1/query_range").await
            + stack.requests_served("/api/v1/query").await
    };
    let before = queries().await;
    let p = "/api/dashboards/overview/panels/request_rate";
    for (uri, words) in [
        (format!("{p}?from=1700003600&to=1700000000"), "before"),
        (format!("{p}?from=yesterday&to=now"), "not a time"),
        (format!("{p}?from=0&to=99999999999"), "outside"),
        (format!("{p}?from=0&to=999999999"), "longer than"),
        (
            format!("{p}?from=1700000000&to=1700000010"),
            "shorter than a minute",
        ),
        (format!("{p}?from=1700000000"), "go together"),
        (format!("{p}?range=1h&from=1&to=100000"), "exclude"),
        (format!("{p}?range=1h&width=0"), "width="),
        (format!("{p}?endpoint=%2Flogin"), "variables are service"),
        (format!("{p}?instance=x"), "unknown parameter"),
        (format!("{p}?service=%00"), "control characters"),
        (
            "/api/dashboards/api/panels/rate_by_endpoint?endpoint=a%0Ab".to_string(),
            "control characters",
        ),
        (format!("{p}?service={}", "a".repeat(9000)), "too long"),
        (
            format!("{p}?service={}", "x".repeat(201)),
            "longer than 200",
        ),
        (
            format!("{p}?{}", "service=a&".repeat(65)),
            "too many service= values",
        ),
        (
            "/api/dashboards/overview/variables/nope/values".to_string(),
            "no such variable",
        ),
    ] {
        let (status, body) = get(&state, &uri).await;
        assert!((400..500).contains(&status), "{uri}: {status} {body}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        let message = json["error"].as_str().unwrap();
        assert!(message.contains(words), "{uri}: {message}");
        assert!(
            !message.contains("http_requests_total"),
            "no query text: {message}"
        );
    }
    assert_eq!(
        queries().await,
        before,
        "refused requests reached Prometheus"
    );
}

#[tokio::test]
async fn a_query_prometheus_refuses_tells_viewers_its_kind_not_prometheus_words() {
    let stack = shared_stack().await;
    let dir = tempfile::tempdir().unwrap();
    // A dashboard whose query parses but Prometheus refuses to run (a label
    // name with spaces): its reason quotes the query.
    std::fs::write(
        dir.path().join("refused.toml"),
        "title = \"Refused\"\n[[panels]]\nid = \"bad\"\ntitle = \"Bad\"\nkind = \"stat\"\n[[panels.queries]]\nexpr = 'count_values(\"not a label\", up)'\n",
    )
    .unwrap();
    let state = vantage::AppState::new(vantage::config::Config {
        prometheus_url: stack.prometheus_url.parse().unwrap(),
        dashboards_dir: Some(dir.path().to_path_buf()),
        ..vantage::config::Config::default()
    })
    .unwrap();
    for uri in [
        "/api/dashboards/refused/panels/bad?range=15m".to_string(),
        "/api/dashboards/overview/panels/request_rate?range=15m&service=%ff".to_string(),
    ] {
        let (status, body) = get(&state, &uri).await;
        assert!(
            status == 200 || (400..500).contains(&status),
            "{uri}: {status}"
        );
        for words in [
            "parse error",
            "invalid label",
            "not a label",
            "unexpected",
            "127.0.0.1",
        ] {
            assert!(
                !body.contains(words),
                "{uri}: Prometheus' words reached a viewer: {body}"
            );
        }
        if uri.contains("refused") {
            assert!(
                body.contains("Prometheus refused this panel's query (bad_data)")
                    || body.contains("Prometheus refused this panel's query (execution)"),
                "{uri}: {body}"
            );
        }
    }
}
