//! OpenID Connect logins against a real provider: the npm package
//! `oidc-provider` (certified) on loopback, with a confidential test client
//! and two users in different groups. A client without a browser walks the
//! provider's own login and consent forms; Vantage must come out with a
//! session for the user the provider vouched for, the role their groups
//! give, and refuse an answer it did not ask for, one used twice, or one
//! whose `state` is not its own.

mod support;

use std::collections::HashMap;

use reqwest::{header, redirect::Policy, Client, StatusCode, Url};
use stack::openid::{OpenIdProvider, CLIENT_ID, CLIENT_SECRET};
use tokio::net::TcpListener;
use vantage::{config::Config, AppState};

/// Cookies by name, as a browser would keep them for one site (paths are
/// not told apart: the provider's cookies have names of their own).
#[derive(Default, Clone)]
struct Jar(HashMap<String, String>);

impl Jar {
    fn take(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all(header::SET_COOKIE) {
            let Ok(value) = value.to_str() else { continue };
            let pair = value.split(';').next().unwrap_or("");
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty() || value.contains("expires=Thu, 01 Jan 1970") {
                    self.0.remove(name);
                } else {
                    self.0.insert(name.to_string(), value.to_string());
                }
            }
        }
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn session(&self) -> Option<String> {
        self.0
            .get("vantage_session")
            .map(|v| format!("vantage_session={v}"))
    }
}

struct Setup {
    vantage: String,
    provider: OpenIdProvider,
    client: Client,
}

async fn setup() -> Setup {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let provider = OpenIdProvider::start(&format!("http://{addr}/auth/openid/callback"))
        .await
        .expect("the OpenID provider starts (scripts/setup --tests installs it)");
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("client.secret");
    std::fs::write(&secret, format!("{CLIENT_SECRET}\n")).unwrap();
    let state = AppState::new(Config {
        listen: addr,
        prometheus_url: "http://127.0.0.1:9".parse().unwrap(),
        openid_issuer: Some(provider.issuer.parse().unwrap()),
        openid_client_id: Some(CLIENT_ID.into()),
        openid_client_secret_file: Some(secret),
        openid_name: "Test Provider".into(),
        openid_scopes: vec!["profile".into(), "email".into(), "groups".into()],
        editor_groups: vec!["vantage-editors".into()],
        ..Config::default()
    })
    .unwrap();
    support::serve_on(listener, state, support::TEST_LIMITS);
    Setup {
        vantage: format!("http://{addr}"),
        provider,
        client: Client::builder().redirect(Policy::none()).build().unwrap(),
    }
}

/// A form's `action` in the provider's page.
fn form_action(html: &str) -> String {
    let at = html.find("action=\"").expect("a form") + "action=\"".len();
    html[at..].split('"').next().unwrap().to_string()
}

/// Begins a login at Vantage and walks the provider's forms as `user`,
/// up to (not into) the redirect back to Vantage; returns that callback URL.
async fn through_the_provider(s: &Setup, vantage_jar: &mut Jar, user: &str) -> Url {
    let begin = s
        .client
        .get(format!("{}/auth/openid?next=%2Fd%2Foverview", s.vantage))
        .send()
        .await
        .unwrap();
    assert_eq!(begin.status(), StatusCode::SEE_OTHER);
    vantage_jar.take(&begin);
    let issuer = Url::parse(&s.provider.issuer).unwrap();
    let mut at = issuer
        .join(begin.headers()[header::LOCATION].to_str().unwrap())
        .unwrap();
    assert!(at.as_str().starts_with(&s.provider.issuer), "{at}");
    let query: HashMap<_, _> = at.query_pairs().into_owned().collect();
    assert_eq!(query["code_challenge_method"], "S256", "PKCE");
    for key in ["code_challenge", "state", "nonce"] {
        assert!(query.get(key).is_some_and(|v| v.len() >= 16), "{key}: {at}");
    }
    let mut jar = Jar::default();
    for _ in 0..12 {
        let response = s
            .client
            .get(at.clone())
            .header(header::COOKIE, jar.header())
            .send()
            .await
            .unwrap();
        jar.take(&response);
        let response = if response.status() == StatusCode::OK {
            // The provider's login form, then its consent form.
            let html = response.text().await.unwrap();
            let action = issuer.join(&form_action(&html)).unwrap();
            let fields: Vec<(&str, &str)> = if html.contains("name=\"login\"") {
                vec![("prompt", "login"), ("login", user), ("password", "any")]
            } else {
                vec![("prompt", "consent")]
            };
            let body = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(fields)
                .finish();
            let posted = s
                .client
                .post(action)
                .header(header::COOKIE, jar.header())
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            jar.take(&posted);
            posted
        } else {
            response
        };
        assert!(response.status().is_redirection(), "{}", response.status());
        let next = issuer
            .join(response.headers()[header::LOCATION].to_str().unwrap())
            .unwrap();
        if next.as_str().starts_with(&s.vantage) {
            return next;
        }
        at = next;
    }
    panic!("the provider never sent the browser back");
}

async fn come_back(s: &Setup, jar: &Jar, callback: &Url) -> reqwest::Response {
    let mut request = s.client.get(callback.clone());
    if let Some(cookie) = jar.session() {
        request = request.header(header::COOKIE, cookie);
    }
    request.send().await.unwrap()
}

async fn me(s: &Setup, cookie: &str) -> serde_json::Value {
    s.client
        .get(format!("{}/api/me", s.vantage))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn mint(s: &Setup, cookie: &str) -> StatusCode {
    s.client
        .post(format!("{}/api/embed-tokens", s.vantage))
        .header(header::COOKIE, cookie)
        .json(&serde_json::json!({
            "dashboard": "overview", "panel": "request_rate",
            "ranges": ["1h"], "expires": "1d"
        }))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn the_provider_vouches_for_users_their_groups_give_roles_and_forged_answers_are_refused() {
    let s = setup().await;

    // The login page offers the provider.
    let login = s
        .client
        .get(format!("{}/login", s.vantage))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(login.contains("Log in with Test Provider"), "{login}");

    // ana: an editor by her group.
    let mut jar = Jar::default();
    let callback = through_the_provider(&s, &mut jar, "ana").await;
    let before = jar.session().expect("the login in progress has a session");
    let back = come_back(&s, &jar, &callback).await;
    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    assert_eq!(back.headers()[header::LOCATION], "/d/overview");
    jar.take(&back);
    let ana = jar.session().unwrap();
    assert_ne!(ana, before, "a new session id at login");
    let who = me(&s, &ana).await;
    assert_eq!(who["name"], "ana");
    assert_eq!(who["role"], "editor");
    assert_eq!(who["by"], "open_id");
    assert_eq!(mint(&s, &ana).await, StatusCode::OK);
    let page = s
        .client
        .get(format!("{}/d/overview", s.vantage))
        .header(header::COOKIE, &ana)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);

    // The same answer twice: the login it belonged to is over.
    let again = come_back(&s, &jar, &callback).await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    assert!(again.text().await.unwrap().contains("did not complete"));
    // An answer this browser never asked for.
    let stranger = come_back(&s, &Jar::default(), &callback).await;
    assert_eq!(stranger.status(), StatusCode::UNAUTHORIZED);

    // bo: a viewer, who may not share.
    let mut jar = Jar::default();
    let callback = through_the_provider(&s, &mut jar, "bo").await;
    let back = come_back(&s, &jar, &callback).await;
    jar.take(&back);
    let bo = jar.session().unwrap();
    let who = me(&s, &bo).await;
    assert_eq!(who["name"], "bo");
    assert_eq!(who["role"], "viewer");
    assert_eq!(mint(&s, &bo).await, StatusCode::FORBIDDEN);

    // A state that is not the one this browser was given.
    let mut jar = Jar::default();
    let mut callback = through_the_provider(&s, &mut jar, "ana").await;
    let pairs: Vec<(String, String)> = callback
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "state" {
                "forged-state-value".into()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    callback.query_pairs_mut().clear().extend_pairs(pairs);
    let forged = come_back(&s, &jar, &callback).await;
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    assert!(jar.session().is_some());
    jar.take(&forged);
    // No session came of it.
    let cookie = jar.session().unwrap_or_default();
    let refused = s
        .client
        .get(format!("{}/api/me", s.vantage))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);

    // The provider said no.
    let denied = s
        .client
        .get(format!(
            "{}/auth/openid/callback?error=access_denied&state=x",
            s.vantage
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), StatusCode::UNAUTHORIZED);
}
