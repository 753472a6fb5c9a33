//! Markup in label values (service names, legends) is text on every view:
//! a stack whose history holds hostile labels.

mod support;

use std::time::Duration;

use stack::{Stack, StackOptions};
use support::*;

/// OpenMetrics history for one service whose name and labels are markup: 20
/// minutes of requests and `up`, ending now.
fn hostile_history() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let (service, endpoint) = ("<script>alert(1)</script>", "/<img src=x onerror=alert(2)>");
    let mut requests = String::from("# TYPE http_requests counter\n");
    let mut up = String::from("# TYPE up gauge\n");
    for i in 0..80u64 {
        let t = now - 1200 + i * 15;
        requests.push_str(&format!(
            "http_requests_total{{job=\"fleet\",instance=\"hostile\",service=\"{service}\",endpoint=\"{endpoint}\",method=\"GET\",status=\"200\"}} {} {t}\n",
            i * 30
        ));
        up.push_str(&format!(
            "up{{job=\"fleet\",instance=\"hostile\",service=\"{service}\"}} 1 {t}\n"
        ));
    }
    requests + &up + "# EOF\n"
}

#[tokio::test]
async fn markup_in_service_names_and_labels_is_text_on_every_view() {
    let stack = Stack::start(StackOptions {
        alertmanager: false,
        extra_history: Some(hostile_history()),
        ..StackOptions::default()
    })
    .await
    .expect("the stack starts");
    stack
        .wait_for_data(
            r#"up{service="<script>alert(1)</script>"}"#,
            Duration::from_secs(30),
        )
        .await
        .expect("the hostile series in Prometheus");
    let state = state_for(&stack.prometheus_url);
    for page in [
        "/?range=15m",
        "/d/api?range=15m",
        "/d/overview?range=15m&service=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    ] {
        let (status, html) = get(&state, page).await;
        assert_eq!(status, 200, "{page}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{page} shows the service name as text"
        );
        assert!(!html.contains("<script>alert(1)"), "{page}: never markup");
        assert!(!html.contains("<img src=x"), "{page}: never markup");
    }
    // Views where the service may show up only through a label (a node, an
    // alert) never carry its markup either.
    for page in [
        "/d/system?range=15m",
        "/d/infrastructure?range=15m",
        "/health",
        "/alerts",
    ] {
        let (status, html) = get(&state, page).await;
        assert_eq!(status, 200, "{page}");
        assert!(!html.contains("<script>alert(1)"), "{page}: never markup");
        assert!(!html.contains("<img src=x"), "{page}: never markup");
    }
    // The API hands the same names over as JSON strings, for the browser to
    // put in text nodes.
    let (_, services) = get(&state, "/api/services").await;
    assert!(
        services.contains(r#""<script>alert(1)</script>""#),
        "{services}"
    );
}
