//! The login flow over HTTP: the form's `POST /auth/login`, `POST
//! /auth/logout`, the OpenID Connect round trip (`GET /auth/openid`, `GET
//! /auth/openid/callback`), and what the pages ask (`GET /api/me`, `GET
//! /auth/options`). A refused login is the login page again, with 401 and
//! one reason for a wrong name and a wrong password alike, so the answer
//! does not tell which names exist.

use axum::{
    body::Body,
    extract::State,
    http::{header, HeaderValue, Method, Request, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Json,
};
use serde::Deserialize;
use tower_sessions::Session;

use crate::{
    auth::{
        login::{failed, login_page, safe_next},
        session::SessionRules,
        CurrentUser, Role, SignedInBy, User,
    },
    edge::Peer,
    error::Error,
    state::AppState,
};

/// Most a login form may send.
const MAX_FORM: usize = 8 * 1024;

#[derive(Deserialize)]
struct LoginForm {
    name: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// The login page again, with `reason` and `status` (the request's parts
/// keep its nonce and the rest of what the page is rendered with).
async fn login_again<F, Fut>(
    mut parts: axum::http::request::Parts,
    reason: &str,
    next: &str,
    status: StatusCode,
    render_page: F,
) -> Response
where
    F: FnOnce(Request<Body>) -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    parts.method = Method::GET;
    parts.uri = login_page(Some(reason), next).parse().unwrap_or_default();
    let mut page = render_page(Request::from_parts(parts, Body::empty())).await;
    *page.status_mut() = status;
    page
}

/// `POST /auth/login` (a form: `name`, `password`, `next`). On success a new
/// session and a redirect to `next`; else `render_page` draws the login page
/// again with the reason, answered 401 (or 429 past the attempts allowed).
pub async fn log_in<F, Fut>(
    State(state): State<AppState>,
    Peer(peer): Peer,
    session: Session,
    request: Request<Body>,
    render_page: F,
) -> Response
where
    F: FnOnce(Request<Body>) -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    let Some(users) = state.auth.users() else {
        return Error::not_found("no password logins here (no users_file is set)").into_response();
    };
    let (parts, body) = request.into_parts();
    let form = match axum::body::to_bytes(body, MAX_FORM).await {
        Ok(bytes) => serde_urlencoded::from_bytes::<LoginForm>(&bytes).ok(),
        Err(_) => return Error::bad_request("the login form is too long").into_response(),
    };
    let Some(form) = form else {
        return Error::bad_request("a login is a form with name and password").into_response();
    };
    let next = safe_next(&form.next).to_string();
    if let Err(wait) = state.rates.login_attempt(peer) {
        let mut page = login_again(
            parts,
            failed::LIMIT,
            &next,
            StatusCode::TOO_MANY_REQUESTS,
            render_page,
        )
        .await;
        page.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(wait.as_secs().max(1)),
        );
        return page;
    }
    let name = form.name.trim().to_string();
    let password = form.password;
    // Argon2 takes tens of milliseconds of a core: off the async threads.
    let checked = {
        let (users, name) = (std::sync::Arc::clone(users), name.clone());
        tokio::task::spawn_blocking(move || users.verify(&name, &password))
            .await
            .ok()
            .flatten()
    };
    let Some(role) = checked else {
        tracing::warn!(target: "vantage::audit", user = %name, client = ?peer, "login refused: wrong name or password");
        return login_again(
            parts,
            failed::WRONG,
            &next,
            StatusCode::UNAUTHORIZED,
            render_page,
        )
        .await;
    };
    let user = User {
        id: format!("password:{name}"),
        name,
        role,
        by: SignedInBy::Password,
    };
    tracing::info!(target: "vantage::audit", user = %user.id, role = %user.role, client = ?peer, "logged in");
    if let Err(e) = state.auth.sessions.begin(&session, user).await {
        return e.into_response();
    }
    Redirect::to(&next).into_response()
}

#[derive(Deserialize)]
pub struct Begin {
    #[serde(default)]
    next: String,
}

/// `GET /auth/openid?next=…`: to the identity provider, with what to check
/// on the way back kept in the session.
pub async fn openid_begin(
    State(state): State<AppState>,
    session: Session,
    axum::extract::Query(begin): axum::extract::Query<Begin>,
) -> Response {
    let Some(openid) = state.auth.openid() else {
        return Error::not_found("no OpenID Connect logins here (no openid_issuer is set)")
            .into_response();
    };
    let next = safe_next(&begin.next);
    match openid.begin(next).await {
        Ok((url, pending)) => {
            if let Err(e) = session
                .insert(crate::auth::openid::PENDING_KEY, pending)
                .await
            {
                return Error::internal(e).into_response();
            }
            Redirect::to(&url).into_response()
        }
        Err(e) => {
            tracing::warn!("an OpenID login could not begin: {e}");
            Redirect::to(&login_page(Some(failed::PROVIDER), next)).into_response()
        }
    }
}

#[derive(Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /auth/openid/callback`: the provider's answer. A session for the
/// user it vouches for and a redirect to where they were going; else the
/// login page again, the reason in the log.
pub async fn openid_callback<F, Fut>(
    State(state): State<AppState>,
    Peer(peer): Peer,
    session: Session,
    request: Request<Body>,
    render_page: F,
) -> Response
where
    F: FnOnce(Request<Body>) -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    let Some(openid) = state.auth.openid() else {
        return Error::not_found("no OpenID Connect logins here (no openid_issuer is set)")
            .into_response();
    };
    let (parts, _) = request.into_parts();
    let answer: Callback = match serde_urlencoded::from_str(parts.uri.query().unwrap_or("")) {
        Ok(answer) => answer,
        Err(_) => return Error::bad_request("not an OpenID Connect answer").into_response(),
    };
    let pending: Option<crate::auth::openid::Pending> = session
        .remove(crate::auth::openid::PENDING_KEY)
        .await
        .ok()
        .flatten();
    let finished = match (&answer.error, &answer.code, &answer.state) {
        (None, Some(code), Some(given)) => openid.finish(pending, code, given).await,
        (Some(error), _, _) => Err(crate::auth::openid::OpenIdError::Refused(error.clone())),
        _ => Err(crate::auth::openid::OpenIdError::Refused(
            "no code came back".into(),
        )),
    };
    match finished {
        Ok((user, next)) => {
            tracing::info!(target: "vantage::audit", user = %user.id, role = %user.role, client = ?peer, "logged in");
            if let Err(e) = state.auth.sessions.begin(&session, user).await {
                return e.into_response();
            }
            Redirect::to(safe_next(&next)).into_response()
        }
        Err(e) => {
            tracing::warn!(target: "vantage::audit", client = ?peer, "OpenID login refused: {e}");
            let reason = if e.status() == StatusCode::BAD_GATEWAY {
                failed::PROVIDER
            } else {
                failed::OPENID
            };
            login_again(parts, reason, "/", e.status(), render_page).await
        }
    }
}

/// `POST /auth/logout`: ends the session on the server.
pub async fn log_out(user: CurrentUser, session: Session) -> Response {
    if let Some(user) = &user.0 {
        tracing::info!(target: "vantage::audit", user = %user.id, "logged out");
    }
    SessionRules::end(&session).await;
    Redirect::to("/login").into_response()
}

/// `GET /api/me`: who is signed in.
pub async fn me(
    State(state): State<AppState>,
    user: CurrentUser,
) -> crate::error::Result<Json<app::model::Me>> {
    let user = user.at_least(Role::Viewer)?;
    Ok(Json(state.auth.me(user)))
}

/// `GET /auth/options`: the ways to sign in.
pub async fn options(State(state): State<AppState>) -> Json<app::model::LoginOptions> {
    Json(state.auth.options())
}
