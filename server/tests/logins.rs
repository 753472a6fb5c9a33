//! Logins as a team meets them: local users written by the command line,
//! sessions in cookies, roles, the routes that stay open and the ones that
//! do not, anonymous viewing, `/metrics` behind its token, and the refusal to
//! serve a network with no login. Served through the real listener (so the
//! server knows each client's address); no Prometheus is needed, as no
//! answer here waits on a query.

mod support;

use std::{path::Path, process::Stdio};

use reqwest::{header, redirect::Policy, Client, StatusCode};
use tokio::net::TcpListener;
use vantage::{config::Config, AppState};

const NO_PROMETHEUS: &str = "http://127.0.0.1:9";

async fn serve(config: Config) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    support::serve_on(
        listener,
        AppState::new(config).unwrap(),
        support::TEST_LIMITS,
    );
    format!("http://{addr}")
}

fn config_with_users(users: &Path) -> Config {
    Config {
        prometheus_url: NO_PROMETHEUS.parse().unwrap(),
        users_file: Some(users.to_owned()),
        ..Config::default()
    }
}

/// `vantage user …` as an operator runs it, the password on standard input.
fn vantage_user(users: &Path, args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vantage"))
        .arg("--users-file")
        .arg(users)
        .arg("user")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn add_user(users: &Path, name: &str, role: &str, password: &str) {
    let out = vantage_user(
        users,
        &["add", name, "--role", role, "--password-stdin"],
        &format!("{password}\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn client() -> Client {
    Client::builder().redirect(Policy::none()).build().unwrap()
}

async fn log_in(base: &str, name: &str, password: &str, next: &str) -> reqwest::Response {
    client()
        .post(format!("{base}/auth/login"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form(&[
            ("name", name),
            ("password", password),
            ("next", next),
        ]))
        .send()
        .await
        .unwrap()
}

/// The session cookie a response sets, as `name=value`, and its attributes.
fn session_cookie(response: &reqwest::Response) -> Option<(String, String)> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("vantage_session="))
        .map(|c| {
            let (pair, attributes) = c.split_once(';').unwrap_or((c, ""));
            (pair.to_string(), attributes.to_string())
        })
}

async fn get(base: &str, path: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut request = client().get(format!("{base}{path}"));
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.send().await.unwrap()
}

async fn mint(base: &str, cookie: Option<&str>, extra: &[(&str, &str)]) -> reqwest::Response {
    let mut request = client()
        .post(format!("{base}/api/embed-tokens"))
        .json(&serde_json::json!({
            "dashboard": "overview",
            "panel": "request_rate",
            "ranges": ["1h"],
            "expires": "1d"
        }));
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

/// A page without its nonces (they differ on every answer).
fn without_nonces(html: &str) -> String {
    regex::Regex::new(r#"nonce="[^"]*""#)
        .unwrap()
        .replace_all(html, "")
        .into_owned()
}

#[tokio::test]
async fn a_user_added_on_the_command_line_logs_in_sees_the_dashboards_and_logs_out() {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users.toml");
    add_user(&users, "ana", "editor", "correct horse battery");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&users).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the users file is its owner's only");
    }
    let text = std::fs::read_to_string(&users).unwrap();
    assert!(!text.contains("correct horse"), "no password in the file");
    let base = serve(config_with_users(&users)).await;

    // Nobody signed in: a page sends the browser to the login, the API says 401.
    let page = get(&base, "/d/overview?range=6h", None).await;
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        page.headers()[header::LOCATION],
        "/login?next=%2Fd%2Foverview%3Frange%3D6h"
    );
    let api = get(&base, "/api/checks", None).await;
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(api.headers()[header::CACHE_CONTROL], "no-store");
    let body: serde_json::Value = api.json().await.unwrap();
    assert_eq!(body["kind"], "unauthorized");

    // The login page offers the form, and no data: no navigation, no catalog.
    let login = get(&base, "/login?next=%2Fd%2Foverview", None).await;
    assert_eq!(login.status(), StatusCode::OK);
    let html = login.text().await.unwrap();
    assert!(html.contains(r#"data-testid="login-form""#), "{html}");
    assert!(
        html.contains(r#"value="/d/overview""#),
        "the way back is kept"
    );
    assert!(
        !html.contains("API performance"),
        "no dashboard titles before a login"
    );
    assert!(!html.contains(r#"data-testid="nav""#));

    // A wrong password and an unknown name get the same answer, and no session.
    let wrong = log_in(&base, "ana", "not her password", "/").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(session_cookie(&wrong).is_none());
    let wrong = without_nonces(&wrong.text().await.unwrap());
    let unknown = log_in(&base, "nobody-here", "not her password", "/").await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert!(session_cookie(&unknown).is_none());
    assert_eq!(without_nonces(&unknown.text().await.unwrap()), wrong);
    assert!(wrong.contains("Wrong name or password."), "{wrong}");

    // The right password: a session, and back to where the browser was going.
    let ok = log_in(&base, "ana", "correct horse battery", "/d/overview").await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(ok.headers()[header::LOCATION], "/d/overview");
    let (cookie, attributes) = session_cookie(&ok).expect("a session cookie");
    let attributes = attributes.to_ascii_lowercase();
    assert!(attributes.contains("httponly"), "{attributes}");
    assert!(attributes.contains("samesite=lax"), "{attributes}");
    assert!(attributes.contains("path=/"), "{attributes}");
    assert!(
        !attributes.contains("secure"),
        "plain http on loopback: {attributes}"
    );

    let me: serde_json::Value = get(&base, "/api/me", Some(&cookie))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["name"], "ana");
    assert_eq!(me["role"], "editor");
    assert_eq!(me["by"], "password");
    let page = get(&base, "/d/overview", Some(&cookie)).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()[header::CACHE_CONTROL], "no-store");
    let html = page.text().await.unwrap();
    assert!(
        html.contains(r#"data-testid="user-name""#),
        "the page says who"
    );
    assert!(html.contains(">ana<"), "{html}");
    assert!(html.contains(r#"action="/auth/logout""#));

    // An editor mints.
    assert_eq!(
        mint(&base, Some(&cookie), &[]).await.status(),
        StatusCode::OK
    );

    // Logging out ends the session on the server: the same cookie is worth nothing.
    let out = client()
        .post(format!("{base}/auth/logout"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(out.headers()[header::LOCATION], "/login");
    assert_eq!(
        get(&base, "/api/me", Some(&cookie)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        mint(&base, Some(&cookie), &[]).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_viewer_may_not_share_and_a_removed_user_is_signed_out_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users.toml");
    add_user(&users, "bo", "viewer", "viewer password");
    add_user(&users, "cy", "admin", "admin password");
    let base = serve(config_with_users(&users)).await;
    let (bo, _) = session_cookie(&log_in(&base, "bo", "viewer password", "/").await).unwrap();
    let (cy, _) = session_cookie(&log_in(&base, "cy", "admin password", "/").await).unwrap();

    let refused = mint(&base, Some(&bo), &[]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["kind"], "forbidden");
    assert!(body["error"].as_str().unwrap().contains("editor"), "{body}");
    assert_eq!(
        get(&base, "/api/checks", Some(&bo)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        mint(&base, Some(&cy), &[]).await.status(),
        StatusCode::OK,
        "admins share too"
    );

    // Removed from the file: the next request finds no user.
    let out = vantage_user(&users, &["remove", "bo"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        get(&base, "/api/checks", Some(&bo)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // A role changed in the file holds at once.
    add_user(&users, "cy", "viewer", "admin password");
    assert_eq!(
        mint(&base, Some(&cy), &[]).await.status(),
        StatusCode::FORBIDDEN
    );

    // The command line refuses a password on its command line and a bad name.
    let out = vantage_user(&users, &["add", "dee", "--role", "viewer"], "");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--password-stdin"));
    let out = vantage_user(&users, &["add", "d e", "--password-stdin"], "long enough\n");
    assert!(!out.status.success());
    let out = vantage_user(
        &users,
        &["add", "dee", "--role", "owner", "--password-stdin"],
        "long enough\n",
    );
    assert!(!out.status.success());
}

#[tokio::test]
async fn repeated_failed_logins_are_refused_for_a_while_even_with_the_right_password() {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users.toml");
    add_user(&users, "ana", "viewer", "correct horse battery");
    let base = serve(Config {
        login_attempts_per_minute: 3,
        ..config_with_users(&users)
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            log_in(&base, "ana", "guess", "/").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let limited = log_in(&base, "ana", "correct horse battery", "/").await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key(header::RETRY_AFTER));
    assert!(session_cookie(&limited).is_none());
    assert!(limited.text().await.unwrap().contains("Too many attempts"));
    let metrics = get(&base, "/metrics", None).await.text().await.unwrap();
    assert!(
        metrics.contains(r#"vantage_limit_refusals_total{limit="login_rate"} 1"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn requests_from_another_site_that_change_something_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users.toml");
    add_user(&users, "ana", "editor", "correct horse battery");
    let base = serve(config_with_users(&users)).await;
    let host = base.trim_start_matches("http://").to_string();

    // A login planted by another site's form.
    let planted = client()
        .post(format!("{base}/auth/login"))
        .header(header::ORIGIN, "http://evil.example")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form(&[
            ("name", "ana"),
            ("password", "correct horse battery"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(planted.status(), StatusCode::FORBIDDEN);
    assert!(session_cookie(&planted).is_none());

    let (cookie, _) =
        session_cookie(&log_in(&base, "ana", "correct horse battery", "/").await).unwrap();
    for headers in [
        vec![("origin", "http://evil.example")],
        vec![("origin", "null")],
        vec![("sec-fetch-site", "cross-site")],
        vec![("sec-fetch-site", "same-site")],
    ] {
        let refused = mint(&base, Some(&cookie), &headers).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{headers:?}");
        let body = refused.text().await.unwrap();
        assert!(!body.contains("token"), "no token: {body}");
    }
    // Vantage's own page, as a browser says it.
    let own = format!("http://{host}");
    let ok = mint(
        &base,
        Some(&cookie),
        &[("origin", own.as_str()), ("sec-fetch-site", "same-origin")],
    )
    .await;
    assert_eq!(ok.status(), StatusCode::OK);
}

/// Every route, without a session: the API 401, a page the login page,
/// and only the open ones open. Pages come from the app's own route list,
/// so a new page is walked without being added here; a path no route
/// claims is closed too.
#[tokio::test]
async fn with_a_login_configured_every_route_but_the_open_ones_needs_a_session() {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users.toml");
    add_user(&users, "ana", "editor", "correct horse battery");
    let base = serve(config_with_users(&users)).await;
    let (cookie, _) =
        session_cookie(&log_in(&base, "ana", "correct horse battery", "/").await).unwrap();

    let api = [
        "/api/dashboards",
        "/api/dashboards/overview",
        "/api/dashboards/overview/annotations",
        "/api/dashboards/overview/panels/request_rate",
        "/api/dashboards/overview/variables/service/values",
        "/api/services",
        "/api/checks",
        "/api/checks/x/history",
        "/api/alerts",
        "/api/attention",
        "/api/me",
        "/api/embed-tokens",
        "/api/stream?dashboard=overview",
        "/api/no-such-route",
    ];
    for path in api {
        let refused = get(&base, path, None).await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "{path}");
        let allowed = get(&base, path, Some(&cookie)).await;
        assert_ne!(
            allowed.status(),
            StatusCode::UNAUTHORIZED,
            "{path} with a session"
        );
    }
    assert_eq!(
        mint(&base, None, &[]).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let mut pages: Vec<String> = vantage::page_paths()
        .into_iter()
        .filter(|p| !p.starts_with("/embed/") && p != "/login")
        .map(|p| {
            p.split('/')
                .map(|s| if s.starts_with(':') { "overview" } else { s })
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect();
    assert!(pages.len() >= 5, "{pages:?}");
    pages.push("/a-page-added-tomorrow".into());
    for path in &pages {
        let path = if path.is_empty() { "/" } else { path };
        let refused = get(&base, path, None).await;
        assert_eq!(refused.status(), StatusCode::SEE_OTHER, "{path}");
        let to = refused.headers()[header::LOCATION].to_str().unwrap();
        assert!(to.starts_with("/login"), "{path} → {to}");
        let body = refused.text().await.unwrap();
        assert!(!body.contains("overview"), "{path} leaks nothing: {body}");
    }

    // Open to anyone: probes, the login flow, static files, embeds (which
    // ask for their token instead).
    for (path, status) in [
        ("/healthz", StatusCode::OK),
        ("/readyz", StatusCode::SERVICE_UNAVAILABLE),
        ("/metrics", StatusCode::OK),
        ("/login", StatusCode::OK),
        ("/auth/options", StatusCode::OK),
        ("/style/main.css", StatusCode::OK),
        ("/favicon.svg", StatusCode::OK),
        ("/embed/overview/request_rate", StatusCode::UNAUTHORIZED),
        (
            "/embed/overview/request_rate/data",
            StatusCode::UNAUTHORIZED,
        ),
        ("/embed/overview/request_rate.svg", StatusCode::UNAUTHORIZED),
    ] {
        assert_eq!(get(&base, path, None).await.status(), status, "{path}");
    }
    // An open folder's missing file is a plain 404, not the app's page with
    // its navigation.
    let missing = get(&base, "/auth/no-such-thing", None).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(!missing.text().await.unwrap().contains("nav"));
}

#[tokio::test]
async fn anonymous_viewing_shows_dashboards_to_anyone_and_shares_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users.toml");
    add_user(&users, "ana", "editor", "correct horse battery");
    let base = serve(Config {
        anonymous_viewing: true,
        ..config_with_users(&users)
    })
    .await;
    let page = get(&base, "/d/overview", None).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Viewing anonymously"), "{html}");
    assert!(html.contains(r#"href="/login""#), "a login is offered");
    let me: serde_json::Value = get(&base, "/api/me", None).await.json().await.unwrap();
    assert_eq!(me["by"], "anonymous");
    assert_eq!(me["role"], "viewer");
    assert_eq!(mint(&base, None, &[]).await.status(), StatusCode::FORBIDDEN);
    // A login still makes an editor.
    let (cookie, _) =
        session_cookie(&log_in(&base, "ana", "correct horse battery", "/").await).unwrap();
    assert_eq!(
        mint(&base, Some(&cookie), &[]).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn metrics_ask_for_their_token_when_one_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("metrics.token");
    std::fs::write(&token, "s3cret-metrics-token-0123\n").unwrap();
    let base = serve(Config {
        prometheus_url: NO_PROMETHEUS.parse().unwrap(),
        metrics_token_file: Some(token),
        ..Config::default()
    })
    .await;
    let bare = get(&base, "/metrics", None).await;
    assert_eq!(bare.status(), StatusCode::UNAUTHORIZED);
    assert!(!bare.text().await.unwrap().contains("vantage_"));
    for wrong in [
        "Bearer nope",
        "Bearer s3cret-metrics-token-012",
        "s3cret-metrics-token-0123",
    ] {
        let refused = client()
            .get(format!("{base}/metrics"))
            .header(header::AUTHORIZATION, wrong)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "{wrong}");
    }
    let ok = client()
        .get(format!("{base}/metrics"))
        .header(header::AUTHORIZATION, "Bearer s3cret-metrics-token-0123")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(ok.text().await.unwrap().contains("vantage_"));
}

#[test]
fn serving_a_network_with_no_login_is_refused_and_says_how_to_choose() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vantage"))
        .args([
            "--listen",
            "0.0.0.0:0",
            "--public-url",
            "https://vantage.example.com",
        ])
        .env_remove("VANTAGE_USERS_FILE")
        .env_remove("VANTAGE_ANONYMOUS_VIEWING")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    for words in [
        "no login is configured",
        "users_file",
        "proxy_user_header",
        "anonymous_viewing",
    ] {
        assert!(said.contains(words), "{said}");
    }
}

#[tokio::test]
async fn shared_panels_list_their_scope_and_are_revoked_by_whoever_may() {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users.toml");
    add_user(&users, "ana", "editor", "ana's password");
    add_user(&users, "eve", "editor", "eve's password");
    add_user(&users, "bo", "viewer", "bo's password");
    add_user(&users, "cy", "admin", "cy's password");
    let base = serve(config_with_users(&users)).await;
    let session = |name: &'static str, password: &'static str| {
        let base = base.clone();
        async move {
            session_cookie(&log_in(&base, name, password, "/").await)
                .unwrap()
                .0
        }
    };
    let (ana, eve, bo, cy) = (
        session("ana", "ana's password").await,
        session("eve", "eve's password").await,
        session("bo", "bo's password").await,
        session("cy", "cy's password").await,
    );
    let minted: serde_json::Value = mint(&base, Some(&ana), &[]).await.json().await.unwrap();
    let ana_token = minted["id"].as_str().unwrap().to_string();
    let live = minted["live"].as_str().unwrap().to_string();
    let minted: serde_json::Value = mint(&base, Some(&eve), &[]).await.json().await.unwrap();
    let eve_token = minted["id"].as_str().unwrap().to_string();

    let list = |cookie: String| {
        let base = base.clone();
        async move { get(&base, "/api/embed-tokens", Some(&cookie)).await }
    };
    // An editor sees their own, with its scope and who made it.
    let mine: serde_json::Value = list(ana.clone()).await.json().await.unwrap();
    let tokens = mine["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 1, "{mine}");
    assert_eq!(tokens[0]["id"], ana_token.as_str());
    assert_eq!(tokens[0]["panel"], "request_rate");
    assert_eq!(tokens[0]["ranges"], serde_json::json!(["1h"]));
    assert_eq!(tokens[0]["minted_by"], "ana");
    assert_eq!(tokens[0]["state"], "active");
    assert_eq!(mine["everyone"], false);
    // An admin sees everyone's; a viewer nothing.
    let all: serde_json::Value = list(cy.clone()).await.json().await.unwrap();
    assert_eq!(all["tokens"].as_array().unwrap().len(), 2);
    assert_eq!(all["everyone"], true);
    assert_eq!(list(bo.clone()).await.status(), StatusCode::FORBIDDEN);

    // The page: the list for an editor, a refusal (403) for a viewer.
    let page = get(&base, "/shared", Some(&ana)).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!(r#"data-testid="shared-{ana_token}""#)),
        "{html}"
    );
    assert!(!html.contains(&eve_token), "not another editor's");
    let refused = get(&base, "/shared", Some(&bo)).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let html = refused.text().await.unwrap();
    assert!(html.contains(r#"data-testid="shared-refused""#));
    assert!(!html.contains(&ana_token));

    let revoke = |cookie: String, id: String, as_form: bool| {
        let base = base.clone();
        async move {
            let mut request = client()
                .post(format!("{base}/api/embed-tokens/{id}/revoke"))
                .header(header::COOKIE, cookie);
            if as_form {
                request = request
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body("");
            }
            request.send().await.unwrap()
        }
    };
    // Not another editor's; not by a viewer; an unknown id is said to be.
    assert_eq!(
        revoke(ana.clone(), eve_token.clone(), false).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        revoke(bo.clone(), ana_token.clone(), false).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        revoke(ana.clone(), "no-such-token".into(), false)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // One's own, from the page's form: back to the list, and the embed is shut.
    assert_eq!(get(&base, &live, None).await.status(), StatusCode::OK);
    let done = revoke(ana.clone(), ana_token.clone(), true).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(done.headers()[header::LOCATION], "/shared");
    assert_eq!(
        get(&base, &live, None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let mine: serde_json::Value = list(ana.clone()).await.json().await.unwrap();
    assert_eq!(mine["tokens"][0]["state"], "revoked");
    // An admin revokes anyone's.
    assert_eq!(
        revoke(cy.clone(), eve_token.clone(), false).await.status(),
        StatusCode::NO_CONTENT
    );

    // Rotating the key ends every token: an admin's to do, and said twice.
    let fresh: serde_json::Value = mint(&base, Some(&ana), &[]).await.json().await.unwrap();
    let fresh = fresh["live"].as_str().unwrap().to_string();
    assert_eq!(get(&base, &fresh, None).await.status(), StatusCode::OK);
    let rotate = |cookie: String, body: &'static str| {
        let base = base.clone();
        async move {
            client()
                .post(format!("{base}/api/embed-key/rotate"))
                .header(header::COOKIE, cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        rotate(ana.clone(), "confirm=yes").await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(rotate(cy.clone(), "").await, StatusCode::BAD_REQUEST);
    assert_eq!(get(&base, &fresh, None).await.status(), StatusCode::OK);
    assert_eq!(
        rotate(cy.clone(), "confirm=yes").await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        get(&base, &fresh, None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let page = get(&base, "/shared", Some(&cy)).await.text().await.unwrap();
    assert!(
        page.contains("Nothing is shared yet"),
        "the old key's list went with it"
    );
}

#[tokio::test]
async fn the_mistakes_of_operator_files_are_an_admins_to_read() {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users.toml");
    add_user(&users, "bo", "viewer", "viewer password");
    add_user(&users, "cy", "admin", "admin password");
    let boards = dir.path().join("dashboards");
    std::fs::create_dir(&boards).unwrap();
    std::fs::write(
        boards.join("team.toml"),
        "title = \"Team\"\n[[panels]]\nid = 7\n",
    )
    .unwrap();
    let base = serve(Config {
        dashboards_dir: Some(boards),
        ..config_with_users(&users)
    })
    .await;
    let (bo, _) = session_cookie(&log_in(&base, "bo", "viewer password", "/").await).unwrap();
    let (cy, _) = session_cookie(&log_in(&base, "cy", "admin password", "/").await).unwrap();
    let problems = |cookie: String| {
        let base = base.clone();
        async move {
            let list: serde_json::Value = get(&base, "/api/dashboards", Some(&cookie))
                .await
                .json()
                .await
                .unwrap();
            list["problems"].clone()
        }
    };
    let seen_by_admin = problems(cy).await;
    assert_eq!(seen_by_admin[0]["file"], "team.toml", "{seen_by_admin}");
    assert_ne!(
        seen_by_admin[0]["field"], "(file)",
        "the field at fault: {seen_by_admin}"
    );
    let seen_by_viewer = problems(bo).await;
    assert_eq!(seen_by_viewer[0]["file"], "team.toml");
    assert_eq!(seen_by_viewer[0]["field"], "(file)");
    assert!(
        seen_by_viewer[0]["reason"]
            .as_str()
            .unwrap()
            .contains("an admin sees which"),
        "{seen_by_viewer}"
    );
    assert_ne!(seen_by_viewer[0]["reason"], seen_by_admin[0]["reason"]);
}
