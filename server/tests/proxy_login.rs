//! Logins done by a reverse proxy: Debian's nginx authenticates people
//! (`auth_basic`) and names them, with their groups, in headers. Vantage
//! believes those headers from the proxy's address only; the same headers
//! sent straight to Vantage name nobody.

mod support;

use reqwest::{header, Client, StatusCode};
use stack::login_proxy::{LoginProxy, ProxyUser, PROXY_SOURCE};
use tokio::net::TcpListener;
use vantage::{config::Config, AppState};

#[tokio::test]
async fn nginx_names_the_user_and_the_same_headers_from_anyone_else_are_ignored() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let vantage = listener.local_addr().unwrap();
    let state = AppState::new(Config {
        prometheus_url: "http://127.0.0.1:9".parse().unwrap(),
        proxy_user_header: Some("X-Forwarded-User".into()),
        proxy_groups_header: Some("X-Forwarded-Groups".into()),
        trusted_proxies: vec![format!("{PROXY_SOURCE}/32").parse().unwrap()],
        editor_groups: vec!["vantage-editors".into()],
        admin_groups: vec!["vantage-admins".into()],
        ..Config::default()
    })
    .unwrap();
    support::serve_on(listener, state, support::TEST_LIMITS);
    let proxy = LoginProxy::start(
        vantage,
        &[
            ProxyUser {
                name: "ana",
                password: "ana's password",
                groups: "staff,vantage-editors",
            },
            ProxyUser {
                name: "bo",
                password: "bo's password",
                groups: "staff",
            },
        ],
    )
    .await
    .expect("nginx starts (scripts/setup installs it)");
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let me = |base: String, user: Option<(&'static str, &'static str)>, forged: bool| {
        let client = client.clone();
        async move {
            let mut request = client.get(format!("{base}/api/me"));
            if let Some((name, password)) = user {
                request = request.basic_auth(name, Some(password));
            }
            if forged {
                request = request
                    .header("X-Forwarded-User", "cy")
                    .header("X-Forwarded-Groups", "vantage-admins");
            }
            request.send().await.unwrap()
        }
    };

    // Through the proxy: who nginx authenticated, with the role their groups give.
    let ana = me(proxy.url.clone(), Some(("ana", "ana's password")), false).await;
    assert_eq!(ana.status(), StatusCode::OK);
    let id = ana.headers()["x-request-id"].to_str().unwrap().to_string();
    let ana: serde_json::Value = ana.json().await.unwrap();
    assert_eq!(ana["name"], "ana");
    assert_eq!(ana["role"], "editor");
    assert_eq!(ana["by"], "proxy");
    // The proxy's request id is kept (nginx's are 32 hex digits; Vantage's own are UUIDs).
    assert_eq!(id.len(), 32, "{id}");
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");

    let bo: serde_json::Value = me(proxy.url.clone(), Some(("bo", "bo's password")), false)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(bo["role"], "viewer");

    // A client's own headers through the proxy are replaced by nginx's.
    let bo: serde_json::Value = me(proxy.url.clone(), Some(("bo", "bo's password")), true)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(bo["name"], "bo");
    assert_eq!(bo["role"], "viewer");

    // nginx refuses a wrong password itself.
    let refused = me(proxy.url.clone(), Some(("ana", "guess")), false).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(refused.headers().contains_key(header::WWW_AUTHENTICATE));

    // Straight to Vantage, the same headers name nobody.
    let direct = format!("http://{vantage}");
    let forged = me(direct.clone(), None, true).await;
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    let page = client
        .get(format!("{direct}/d/overview"))
        .header("X-Forwarded-User", "ana")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);

    // An editor through the proxy shares a panel; a viewer may not.
    let mint = |user: (&'static str, &'static str)| {
        let client = client.clone();
        let url = format!("{}/api/embed-tokens", proxy.url);
        async move {
            client
                .post(url)
                .basic_auth(user.0, Some(user.1))
                .json(&serde_json::json!({
                    "dashboard": "overview", "panel": "request_rate",
                    "ranges": ["1h"], "expires": "1d"
                }))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(mint(("ana", "ana's password")).await, StatusCode::OK);
    assert_eq!(mint(("bo", "bo's password")).await, StatusCode::FORBIDDEN);
}
