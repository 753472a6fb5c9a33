//! The `vantage` server: configuration, the Prometheus client, the hub and its
//! stream, the JSON API and the server-rendered app. `main.rs` only calls [`run`].

pub mod alerts;
pub mod annotations;
pub mod api;
pub mod auth;
pub mod clock;
pub mod commands;
pub mod config;
pub mod conventions;
pub mod dashboards;
pub mod edge;
pub mod embed;
pub mod error;
pub mod file_watch;
pub mod health;
pub mod hub;
pub mod import;
pub mod metrics;
pub mod panels;
pub mod private_file;
pub mod prometheus;
pub mod query;
pub mod site;
mod ssr_source;
pub mod state;
pub mod views;

pub use state::{AppState, StartError};

use std::{sync::Arc, time::Duration};

use axum::{
    body::Body,
    extract::{Path, State},
    http::{header, HeaderName, HeaderValue, Request},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::{
    compression::CompressionLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

use crate::config::Config;

/// Longest a plain API request may take; the stream is exempt.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The paths of the app's pages, as Leptos routes them (for a test that
/// walks every route).
pub fn page_paths() -> Vec<String> {
    generate_route_list(app::App)
        .into_iter()
        .map(|r| r.path().to_string())
        .collect()
}

pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let api = Router::new()
        .route("/api/dashboards", get(api::panels::list))
        .route("/api/dashboards/{dashboard}", get(api::panels::get))
        .route(
            "/api/dashboards/{dashboard}/annotations",
            get(api::panels::annotations),
        )
        .route(
            "/api/dashboards/{dashboard}/panels/{panel}",
            get(api::panels::get_panel),
        )
        .route(
            "/api/dashboards/{dashboard}/variables/{variable}/values",
            get(api::panels::variable_values),
        )
        .route("/api/services", get(api::services::list))
        .route("/api/checks", get(api::checks::list))
        .route("/api/alerts", get(api::alerts::list))
        .route("/api/attention", get(api::alerts::attention))
        .route("/api/checks/{check}/history", get(api::checks::history))
        .route("/api/me", get(api::login::me))
        .route("/auth/options", get(api::login::options))
        .route("/auth/logout", axum::routing::post(api::login::log_out))
        .route(
            "/api/embed-tokens",
            axum::routing::post(api::embed::issue)
                .layer(axum::extract::DefaultBodyLimit::max(
                    api::embed::MAX_MINT_BODY,
                ))
                .get(api::embed::list_tokens),
        )
        .route(
            "/api/embed-tokens/{id}/revoke",
            axum::routing::post(api::embed::revoke_token),
        )
        .route(
            "/api/embed-key/rotate",
            axum::routing::post(api::embed::rotate_key),
        )
        .route("/metrics", get(api::ops::metrics))
        .route("/healthz", get(api::ops::healthz))
        .route("/readyz", get(api::ops::readyz))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::GATEWAY_TIMEOUT,
            REQUEST_TIMEOUT,
        ));
    let stream = Router::new().route("/api/stream", get(api::stream::stream));

    let options = state.leptos.clone();
    let source = ssr_source::shared(&state);
    // The embed page shares its path with the embed images, so one handler
    // serves both (see `embed_page_or_image`); every other page is Leptos'.
    let routes: Vec<_> = generate_route_list(app::App)
        .into_iter()
        .filter(|r| !r.path().starts_with("/embed/"))
        .collect();
    // Pages that a handler of its own decides on before they render: the
    // embed page (its token) and the login page shown again after a refusal.
    let page = leptos_axum::render_app_async_with_context(
        {
            let source = source.clone();
            move || {
                edge::headers::provide_nonce();
                provide_context(source.clone())
            }
        },
        {
            let options = options.clone();
            move || app::shell(options.clone())
        },
    );
    let embed_page = page.clone();
    let callback_page = page.clone();
    let login = Router::new()
        .route(
            "/auth/login",
            axum::routing::post(
                move |state: State<AppState>,
                      peer: edge::Peer,
                      session: tower_sessions::Session,
                      req: Request<Body>| {
                    api::login::log_in(state, peer, session, req, page.clone())
                },
            ),
        )
        .route("/auth/openid", get(api::login::openid_begin))
        .route(
            "/auth/openid/callback",
            get(
                move |state: State<AppState>,
                      peer: edge::Peer,
                      session: tower_sessions::Session,
                      req: Request<Body>| {
                    api::login::openid_callback(state, peer, session, req, callback_page.clone())
                },
            ),
        );
    let embeds = Router::new()
        .route(
            "/embed/{dashboard}/{panel}",
            get(
                move |state: State<AppState>, path: Path<(String, String)>, req: Request<Body>| {
                    embed_page_or_image(state, path, req, embed_page.clone())
                },
            ),
        )
        .merge(
            Router::new()
                .route("/embed/{dashboard}/{panel}/data", get(api::embed::data))
                .route("/embed/{dashboard}/{panel}/data.csv", get(api::embed::csv))
                .route("/embed/{dashboard}/{panel}/stream", get(api::embed::stream))
                .layer(api::embed::cross_origin_reads(&state)),
        );
    let pages = Router::new()
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                edge::headers::provide_nonce();
                provide_context(source.clone())
            },
            move || app::shell(options.clone()),
        )
        .fallback({
            let options = state.leptos.clone();
            let not_found = leptos_axum::render_app_to_stream_with_context(
                edge::headers::provide_nonce,
                move || app::shell(options.clone()),
            );
            move |state: State<AppState>, request: Request<Body>| {
                static_file_or_not_found(state, request, not_found.clone())
            }
        })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            dashboard_address,
        ))
        .layer(axum::middleware::from_fn(edge::page_query_cap));

    Router::new()
        .merge(api)
        .merge(stream)
        .merge(embeds)
        .merge(login)
        .merge(pages)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state.auth),
            auth::gate,
        ))
        .layer(state.auth.sessions.layer())
        .layer(axum::middleware::from_fn_with_state(
            auth::same_origin::Origins::new(&state.config.public_url),
            auth::same_origin::check,
        ))
        .layer(axum::middleware::from_fn(edge::headers::security))
        // The default predicate already leaves text/event-stream alone.
        .layer(CompressionLayer::new())
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), id)
            }),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.rates.clone(),
            edge::rate::limit,
        ))
        .layer(axum::middleware::from_fn_with_state(
            edge::host::AllowedHosts::new(&state.config.public_url),
            edge::host::check,
        ))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(axum::middleware::from_fn_with_state(
            edge::request_id::TrustedProxies::new(&state.config.trusted_proxies),
            edge::request_id::believe_only_proxies,
        ))
        .with_state(state)
}

/// Everything no route claims: a file of the site (the bundle, the style
/// sheet, the script-tag embed, the icon), or the app's "not found" page as a 404.
async fn static_file_or_not_found<F, Fut>(
    State(state): State<AppState>,
    request: Request<Body>,
    render_page: F,
) -> Response
where
    F: FnOnce(Request<Body>) -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    let element = request.uri().path().starts_with("/embed-element/");
    if let Some(mut response) = state.site.file(request.uri(), request.headers()).await {
        // The script-tag embed's loader and wasm: public code that other sites
        // load as a module, so readable from any origin (its data needs a
        // token and an allowed origin).
        if element {
            response.headers_mut().insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
        }
        return response;
    }
    if element {
        return (
            axum::http::StatusCode::NOT_FOUND,
            "no such file of the script-tag embed",
        )
            .into_response();
    }
    // The app's "not found" page has the navigation, which is for those
    // signed in; an open folder's missing file is a plain 404.
    if request.extensions().get::<auth::User>().is_none() {
        return (axum::http::StatusCode::NOT_FOUND, "not found").into_response();
    }
    let mut response = render_page(request).await;
    // The app's fallback route draws "not found"; a status set on purpose
    // (a redirect) stays.
    if response.status() == axum::http::StatusCode::OK {
        *response.status_mut() = axum::http::StatusCode::NOT_FOUND;
    }
    response
}

/// A dashboard's page address. One that names no range (or refresh) is sent
/// on with the dashboard's own, so the URL says what is shown. A dashboard
/// page that does not exist still renders (it says so and links back), as a
/// 404 for link checkers and monitors; dashboards stream, so the status is
/// decided here, before the page starts, from the catalog the page reads.
async fn dashboard_address(
    State(state): State<AppState>,
    request: Request<Body>,
    next: axum::middleware::Next,
) -> Response {
    let board = request
        .uri()
        .path()
        .strip_prefix("/d/")
        .and_then(|id| percent_encoding::percent_decode_str(id).decode_utf8().ok())
        .map(|id| state.dashboards.get(&id));
    // A link that names no range (or no refresh) opens the dashboard as its
    // file says: sent to the same address with them, so the URL says it.
    if let Some(Some(board)) = &board {
        let query = request.uri().query().unwrap_or("");
        let has = |key: &str| form_urlencoded::parse(query.as_bytes()).any(|(k, _)| k == key);
        let mut added = Vec::new();
        if let Some(range) = board.view.range {
            if !has("range") && !has("from") && !has("to") {
                added.push(format!("range={range}"));
            }
        }
        if let Some(refresh) = board.view.refresh {
            if !has("refresh") {
                added.push(format!("refresh={}", refresh.as_str()));
            }
        }
        if !added.is_empty() {
            let joined = match query {
                "" => added.join("&"),
                q => format!("{q}&{}", added.join("&")),
            };
            let to = format!("{}?{joined}", request.uri().path());
            return axum::response::Redirect::to(&to).into_response();
        }
    }
    let missing = matches!(board, Some(None));
    let mut response = next.run(request).await;
    if missing {
        *response.status_mut() = axum::http::StatusCode::NOT_FOUND;
    }
    response
}

/// `/embed/{dashboard}/{panel}` is the live page, `….svg` and `….png` its
/// images. The page is refused (not rendered) unless the token allows it, and
/// may be framed by the configured origins only.
async fn embed_page_or_image<F, Fut>(
    State(state): State<AppState>,
    Path((dashboard, file)): Path<(String, String)>,
    req: Request<Body>,
    render_page: F,
) -> Response
where
    F: FnOnce(Request<Body>) -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    let query = req.uri().query().map(str::to_owned);
    if let Some((panel, format)) = api::embed::image_format(&file) {
        return api::embed::image(&state, &dashboard, panel, format, query.as_deref())
            .await
            .into_response();
    }
    let allowed = embed::request::EmbedQuery::parse(query.as_deref()).and_then(|q| {
        embed::request::authorize(&state.embeds, &state.panels, &dashboard, &file, &q)
    });
    if let Err(e) = allowed {
        return api::embed::EmbedError(e).into_response();
    }
    let mut response = render_page(req).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        api::embed::frame_policy(&state),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// How often the operator's dashboard folder is checked for changes.
const DASHBOARD_POLL: Duration = Duration::from_secs(2);

/// Serves until Ctrl-C or SIGTERM, then ends streams and finishes open requests.
pub async fn run(config: Config) -> Result<(), StartError> {
    // The address first: a port in use is found before any file is made.
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Listen {
            address: config.listen,
            source,
        })?;
    let state = AppState::new(config.clone())?;
    tokio::spawn(
        state
            .dashboards
            .clone()
            .watch(DASHBOARD_POLL, state.shutdown.clone()),
    );

    // Say at start whether Prometheus answers; serve either way, so the pages can
    // show the error and recover when it comes back.
    match state.prometheus.ping().await {
        Ok(()) => tracing::info!(url = %config.prometheus_url, "Prometheus answers"),
        Err(e) => tracing::warn!(
            url = %config.prometheus_url,
            "{e}. Serving anyway: panels show this error until Prometheus answers."
        ),
    }

    let local = listener.local_addr().map_err(StartError::Serve)?;
    match &config.site_root {
        Some(folder) => tracing::info!("serving the browser bundle in {}", folder.display()),
        None => tracing::debug!("serving the browser bundle inside the binary"),
    }
    tracing::info!("Vantage serves http://{local}/");

    let shutdown = state.shutdown.clone();
    let app = router(state);
    edge::listener::serve(
        listener,
        app,
        edge::listener::Limits::of(&config),
        async move {
            shutdown_signal().await;
            tracing::info!("shutting down");
            shutdown.cancel();
        },
    )
    .await
    .map_err(StartError::Serve)?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}
