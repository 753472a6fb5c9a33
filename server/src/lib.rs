//! The `vantage` server: configuration, the Prometheus client, the hub and its
//! stream, the JSON API and the server-rendered app. `main.rs` only calls [`run`].

pub mod alerts;
pub mod annotations;
pub mod api;
pub mod commands;
pub mod config;
pub mod dashboards;
pub mod embed;
pub mod error;
pub mod health;
pub mod hub;
pub mod metrics;
pub mod panels;
pub mod prometheus;
pub mod query;
pub mod site;
mod ssr_source;

use std::{sync::Arc, time::Duration};

use axum::{
    body::Body,
    extract::{FromRef, Path, State},
    http::{header, HeaderName, HeaderValue, Request},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tokio_util::sync::CancellationToken;
use tower_http::{
    compression::CompressionLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

use crate::{
    alerts::alertmanager::AlertmanagerClient,
    annotations::Annotator,
    config::Config,
    dashboards::Dashboards,
    embed::{EmbedKeys, Embeds},
    health::{
        checker::AlertTargets,
        config::ChecksConfig,
        store::{HealthStore, SqliteStore},
        Checker,
    },
    hub::Hub,
    metrics::Metrics,
    panels::PanelService,
    prometheus::PrometheusClient,
    site::Site,
};

/// Everything a request handler may need, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub prometheus: PrometheusClient,
    pub dashboards: Dashboards,
    pub panels: Arc<PanelService>,
    pub hub: Hub,
    pub checker: Checker,
    /// Set when `alertmanager_url` is: its alerts are listed with ours.
    pub alertmanager: Option<AlertmanagerClient>,
    /// Alerts and health changes as marks on charts.
    pub annotator: Arc<Annotator>,
    pub metrics: Arc<Metrics>,
    /// Embed tokens' key, revocations and allowed origins.
    pub embeds: Arc<Embeds>,
    pub leptos: LeptosOptions,
    /// The browser bundle and static files.
    pub site: Site,
    /// Cancelled on shutdown: ends refreshers and open streams.
    pub shutdown: CancellationToken,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

impl AppState {
    /// Everything the server runs, started: needs a Tokio runtime (the health
    /// checks begin at once). Everything that can be wrong with the settings
    /// is found before a file is made; a start that fails after that removes
    /// what it made, so a failed start leaves nothing behind.
    pub fn new(config: Config) -> Result<Self, StartError> {
        let site = Site::from_setting(config.site_root.as_deref())?;
        let prometheus =
            PrometheusClient::new(config.prometheus_url.clone(), config.query_timeout())?;
        let dashboards = Dashboards::load(config.dashboards_dir.clone())?;
        for problem in &dashboards.catalog().problems {
            tracing::warn!("{problem}");
        }
        if let Some(file) = &config.checks_file {
            // Read here only to refuse a broken file before the store exists;
            // the checker reads it again and then follows its changes.
            ChecksConfig::read(file)?;
        }
        let mut made = MadeOnStart::default();
        let state = Self::start(config, site, prometheus, dashboards, &mut made);
        if state.is_err() {
            made.remove();
        }
        state
    }

    fn start(
        config: Config,
        site: Site,
        prometheus: PrometheusClient,
        dashboards: Dashboards,
        made: &mut MadeOnStart,
    ) -> Result<Self, StartError> {
        let keys = match &config.embed_key_file {
            Some(path) => {
                made.note(path);
                EmbedKeys::open(path)?
            }
            None => EmbedKeys::ephemeral(),
        };
        let store: Arc<dyn HealthStore> = Arc::new(match &config.store_path {
            Some(path) => {
                made.note_database(path);
                SqliteStore::open(path)?
            }
            None => SqliteStore::in_memory()?,
        });
        let panels = Arc::new(PanelService::new(prometheus.clone(), dashboards.clone()));
        let shutdown = CancellationToken::new();
        let metrics = Arc::new(Metrics::default());
        let checker = Checker::start(
            config.checks_file.clone(),
            store,
            metrics.health.clone(),
            AlertTargets {
                alertmanager: config.alertmanager_url.clone(),
                webhook: config.alert_webhook_url.clone(),
            },
            shutdown.clone(),
        )?;
        let alertmanager = config
            .alertmanager_url
            .clone()
            .map(|url| AlertmanagerClient::new(url, config.query_timeout()));
        let annotator = Annotator::new(checker.clone(), prometheus.clone(), alertmanager.clone());
        let hub = Hub::new(
            Arc::clone(&panels),
            Some(Arc::clone(&annotator)),
            config.refresh_interval(),
            shutdown.clone(),
        );
        let embeds = Arc::new(Embeds::new(keys, config.embed_origins.clone()));
        let leptos = LeptosOptions::builder()
            .output_name("vantage")
            .site_pkg_dir("pkg")
            .site_addr(config.listen)
            .build();
        Ok(Self {
            config: Arc::new(config),
            prometheus,
            dashboards,
            panels,
            hub,
            checker,
            alertmanager,
            annotator,
            metrics,
            embeds,
            leptos,
            site,
            shutdown,
        })
    }
}

/// Files that did not exist before this start made them.
#[derive(Default)]
struct MadeOnStart(Vec<std::path::PathBuf>);

impl MadeOnStart {
    fn note(&mut self, path: &std::path::Path) {
        if !path.exists() {
            self.0.push(path.to_owned());
        }
    }

    /// An SQLite database with its write-ahead log and shared-memory files.
    fn note_database(&mut self, path: &std::path::Path) {
        for suffix in ["", "-wal", "-shm"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            self.note(std::path::Path::new(&name));
        }
    }

    fn remove(&self) {
        for path in &self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Why the server could not start, for the operator; each keeps its cause.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Site(#[from] site::SiteError),
    #[error(transparent)]
    Prometheus(#[from] prometheus::PrometheusError),
    #[error(transparent)]
    Dashboards(#[from] dashboards::file::FileError),
    #[error(transparent)]
    Checks(#[from] health::config::ChecksError),
    #[error(transparent)]
    Checker(#[from] health::checker::CheckerError),
    #[error(transparent)]
    Store(#[from] health::store::StoreError),
    #[error(transparent)]
    EmbedKey(#[from] embed::keys::KeyError),
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("serving stopped: {0}")]
    Serve(std::io::Error),
}

/// Longest a plain API request may take; the stream is exempt.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

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
        .route("/api/embed-tokens", axum::routing::post(api::embed::issue))
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
    let embed_page = leptos_axum::render_app_async_with_context(
        {
            let source = source.clone();
            move || provide_context(source.clone())
        },
        {
            let options = options.clone();
            move || app::shell(options.clone())
        },
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
        .route("/embed/{dashboard}/{panel}/data", get(api::embed::data))
        .route("/embed/{dashboard}/{panel}/data.csv", get(api::embed::csv))
        .route("/embed/{dashboard}/{panel}/stream", get(api::embed::stream));
    let pages = Router::new()
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(source.clone()),
            move || app::shell(options.clone()),
        )
        .fallback({
            let options = state.leptos.clone();
            let not_found = leptos_axum::render_app_to_stream_with_context(
                || (),
                move || app::shell(options.clone()),
            );
            move |state: State<AppState>, request: Request<Body>| {
                static_file_or_not_found(state, request, not_found.clone())
            }
        })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            missing_dashboard_is_not_found,
        ));

    Router::new()
        .merge(api)
        .merge(stream)
        .merge(embeds)
        .merge(pages)
        // Only embeds may ever be framed (they set their own policy).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors 'none'"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
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
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
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
    let mut response = render_page(request).await;
    // The app's fallback route draws "not found"; a status set on purpose
    // (a redirect) stays.
    if response.status() == axum::http::StatusCode::OK {
        *response.status_mut() = axum::http::StatusCode::NOT_FOUND;
    }
    response
}

/// A dashboard page that does not exist still renders (it says so and links
/// back), as a 404 for link checkers and monitors. Dashboards stream, so the
/// status is decided here, before the page starts, from the catalog the page
/// reads.
async fn missing_dashboard_is_not_found(
    State(state): State<AppState>,
    request: Request<Body>,
    next: axum::middleware::Next,
) -> Response {
    let missing = request
        .uri()
        .path()
        .strip_prefix("/d/")
        .and_then(|id| percent_encoding::percent_decode_str(id).decode_utf8().ok())
        .is_some_and(|id| state.dashboards.get(&id).is_none());
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
        return e.into_response();
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
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            tracing::info!("shutting down");
            shutdown.cancel();
        })
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
