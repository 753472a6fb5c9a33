//! Who may see what. Every request passes [`gate`]: it finds the user (from a
//! trusted proxy's headers, a session, or anonymous viewing), lets the open
//! paths through for anyone, and answers every other path 401 (the API) or a
//! redirect to the login page (pages) when nobody is signed in.
//!
//! Closed by default: a route added tomorrow needs a login unless
//! [`Access::of`] names it open. Roles are checked where the action is
//! ([`CurrentUser::at_least`]).

pub mod login;
pub mod openid;
pub mod proxy;
pub mod same_origin;
pub mod session;
pub mod users_file;

use std::sync::Arc;

use app::model::{LoginOptions, Me};
pub use app::model::{Role, SignedInBy};
use axum::{
    body::Body,
    extract::State,
    http::{header, HeaderValue, Method, Request},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use serde::{Deserialize, Serialize};

use crate::{config::Config, error::Error};

/// A signed-in user (or the stand-in for anonymous viewing).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// What they are known by, never an e-mail address: `password:NAME`,
    /// `proxy:NAME`, `openid:ISSUER#SUB`.
    pub id: String,
    /// What to call them.
    pub name: String,
    pub role: Role,
    pub by: SignedInBy,
}

impl User {
    /// Nobody signed in, on a server with no login that listens on loopback
    /// only: the machine's own users may do everything, as before logins.
    fn nobody() -> Self {
        Self {
            id: "nobody".into(),
            name: "local user".into(),
            role: Role::Admin,
            by: SignedInBy::Nobody,
        }
    }

    fn anonymous() -> Self {
        Self {
            id: "anonymous".into(),
            name: "anonymous viewer".into(),
            role: Role::Viewer,
            by: SignedInBy::Anonymous,
        }
    }
}

/// Whether a path needs a login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: probes, static files, the login flow, embeds (their token is
    /// their permission) and `/metrics` (its own bearer token, if set).
    Open,
    /// A signed-in user; nobody gets 401 (the API) or the login page.
    SignedIn,
}

/// Paths open to anyone, exactly.
const OPEN_PATHS: &[&str] = &["/healthz", "/readyz", "/metrics", "/login", "/favicon.svg"];
/// Folders open to anyone: the login flow, embeds, and the browser's code
/// and style (public code, no data).
const OPEN_FOLDERS: &[&str] = &["/auth/", "/embed/", "/embed-element/", "/pkg/", "/style/"];

impl Access {
    pub fn of(path: &str) -> Self {
        // A dot segment could climb out of an open folder on its way to a
        // handler that reads paths itself; nothing open has one.
        let climbs = path
            .split('/')
            .any(|s| s == ".." || s == "." || s.to_ascii_lowercase().contains("%2e"));
        if climbs {
            return Self::SignedIn;
        }
        if OPEN_PATHS.contains(&path) || OPEN_FOLDERS.iter().any(|f| path.starts_with(f)) {
            Self::Open
        } else {
            Self::SignedIn
        }
    }
}

/// How people sign in, from the settings.
pub struct Auth {
    users: Option<Arc<users_file::UsersFile>>,
    openid: Option<openid::OpenId>,
    proxy: Option<proxy::ProxyLogin>,
    anonymous: bool,
    /// No login configured, on loopback: everyone is [`User::nobody`].
    open: bool,
    pub sessions: session::SessionRules,
}

impl Auth {
    /// From the settings; fails when the OpenID client secret cannot be read.
    pub fn new(config: &Config) -> Result<Arc<Self>, AuthError> {
        let users = config
            .users_file
            .clone()
            .map(|path| Arc::new(users_file::UsersFile::new(path)));
        let proxy = proxy::ProxyLogin::from_config(config);
        let openid = openid::OpenId::from_config(config).map_err(AuthError)?;
        let login_configured = config.login_configured();
        Ok(Arc::new(Self {
            users,
            openid,
            proxy,
            anonymous: config.anonymous_viewing,
            open: !login_configured && !config.anonymous_viewing,
            sessions: session::SessionRules::of(config),
        }))
    }

    /// Whether a login is configured (else the server is open on loopback,
    /// or anonymous only).
    pub fn login_offered(&self) -> bool {
        self.users.is_some() || self.proxy.is_some() || self.openid.is_some()
    }

    pub fn openid(&self) -> Option<&openid::OpenId> {
        self.openid.as_ref()
    }

    pub fn users(&self) -> Option<&Arc<users_file::UsersFile>> {
        self.users.as_ref()
    }

    pub fn options(&self) -> LoginOptions {
        LoginOptions {
            password: self.users.is_some(),
            open_id: self.openid.as_ref().map(|o| o.name.clone()),
        }
    }

    /// The session's user, else the stand-in that anonymous viewing or an
    /// open server gives everyone (a trusted proxy's user comes first, in
    /// [`gate`]).
    async fn session_user(&self, session: Option<tower_sessions::Session>) -> Option<User> {
        if let Some(session) = session {
            if let Some(user) = self.sessions.user(&session, self.users.as_deref()).await {
                return Some(user);
            }
        }
        if self.anonymous {
            return Some(User::anonymous());
        }
        self.open.then(User::nobody)
    }

    pub fn me(&self, user: &User) -> Me {
        Me {
            name: user.name.clone(),
            role: user.role,
            by: user.by,
            login_offered: self.login_offered(),
        }
    }
}

/// A login setting that cannot be used, for the operator.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct AuthError(String);

/// The user of a request as the gate found it, for handlers.
#[derive(Clone, Debug)]
pub struct CurrentUser(pub Option<User>);

impl CurrentUser {
    /// The user's role; nobody signed in is less than a viewer, but nothing
    /// past the gate meets nobody, so they count as one.
    pub fn role(&self) -> Role {
        self.0.as_ref().map_or(Role::Viewer, |u| u.role)
    }

    /// The user, if their role is at least `role`: 401 for nobody, 403 for
    /// too small a role.
    pub fn at_least(&self, role: Role) -> Result<&User, Error> {
        match &self.0 {
            None => Err(Error::new(
                crate::error::ErrorKind::Unauthorized,
                "sign in first",
            )),
            Some(user) if user.role >= role => Ok(user),
            Some(user) => Err(Error::new(
                crate::error::ErrorKind::Forbidden,
                format!(
                    "this needs the {role} role; {} is a {}",
                    user.name, user.role
                ),
            )),
        }
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for CurrentUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.extensions.get::<User>().cloned()))
    }
}

/// The user of the request a page is rendering (the request's parts are in
/// Leptos' context while it renders).
pub fn user_rendering() -> Option<User> {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<User>().cloned())
}

/// Finds the request's user and keeps the closed paths closed.
pub async fn gate(
    State(auth): State<Arc<Auth>>,
    mut request: Request<Body>,
    next: Next,
) -> Response {
    let user = match auth.proxy.as_ref().and_then(|p| p.user_of(&request)) {
        Some(user) => Some(user),
        None => {
            let session = request
                .extensions()
                .get::<tower_sessions::Session>()
                .cloned();
            auth.session_user(session).await
        }
    };
    let access = Access::of(request.uri().path());
    let signed_in = user.is_some();
    if let Some(user) = user {
        request.extensions_mut().insert(user);
    }
    if access == Access::SignedIn && !signed_in {
        return refuse(&request);
    }
    let mut response = next.run(request).await;
    // What needs a login is nobody else's to keep: no cache in between.
    if access == Access::SignedIn && !auth.open {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Nobody signed in: the API says 401, a page sends the browser to the login
/// page, which sends it back after.
fn refuse(request: &Request<Body>) -> Response {
    let path = request.uri().path();
    let page =
        matches!(*request.method(), Method::GET | Method::HEAD) && !path.starts_with("/api/");
    let mut response = if page {
        let back = request
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        Redirect::to(&login::login_page_for(back)).into_response()
    } else {
        Error::new(crate::error::ErrorKind::Unauthorized, "sign in first").into_response()
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_named_paths_are_open() {
        for open in [
            "/healthz",
            "/readyz",
            "/metrics",
            "/login",
            "/auth/login",
            "/embed/overview/request_rate",
            "/pkg/vantage.js",
            "/style/main.css",
            "/favicon.svg",
        ] {
            assert_eq!(Access::of(open), Access::Open, "{open}");
        }
        for closed in [
            "/",
            "/d/overview",
            "/api/checks",
            "/api/stream",
            "/api/embed-tokens",
            "/login/../api/checks",
            "/auth/../api/checks",
            "/pkg/%2e%2e/api/checks",
            "/healthz/x",
            "/loginx",
            "/authx",
            "/embed",
            "/no-such-page",
        ] {
            assert_eq!(Access::of(closed), Access::SignedIn, "{closed}");
        }
    }

    #[test]
    fn roles_are_ordered() {
        let user = |role| {
            CurrentUser(Some(User {
                role,
                ..User::anonymous()
            }))
        };
        assert!(user(Role::Editor).at_least(Role::Editor).is_ok());
        assert!(user(Role::Admin).at_least(Role::Editor).is_ok());
        let e = user(Role::Viewer).at_least(Role::Editor).unwrap_err();
        assert_eq!(e.status(), axum::http::StatusCode::FORBIDDEN);
        let e = CurrentUser(None).at_least(Role::Viewer).unwrap_err();
        assert_eq!(e.status(), axum::http::StatusCode::UNAUTHORIZED);
    }
}

/// A bearer token read from a file (`metrics_token_file`), kept as its
/// digest: comparing digests takes the same time however much of a guess
/// is right.
#[derive(Clone)]
pub struct BearerToken([u8; 32]);

#[derive(Debug, thiserror::Error)]
#[error("metrics_token_file {path}: {reason}")]
pub struct TokenFileError {
    path: std::path::PathBuf,
    reason: String,
}

impl BearerToken {
    pub fn read(path: &std::path::Path) -> Result<Self, TokenFileError> {
        let fail = |reason: String| TokenFileError {
            path: path.to_owned(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
        let token = text.trim();
        if token.len() < 16 {
            return Err(fail("the token is shorter than 16 characters".into()));
        }
        Ok(Self(Self::digest(token.as_bytes())))
    }

    fn digest(bytes: &[u8]) -> [u8; 32] {
        use sha2::Digest;
        sha2::Sha256::digest(bytes).into()
    }

    /// Whether the request carries `Authorization: Bearer <the token>`.
    pub fn allows(&self, headers: &axum::http::HeaderMap) -> bool {
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| Self::digest(given.trim().as_bytes()) == self.0)
    }
}
