//! One `AppState` for every handler, and how the server starts it: what can
//! be wrong with the settings is found before any file is made.

use crate::{
    auth::{Auth, BearerToken},
    edge::{rate::RateLimits, stream_slots::StreamSlots},
};
use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use tokio_util::sync::CancellationToken;

use crate::{
    alerts::{alertmanager::AlertmanagerClient, AlertSources, AlertTargets, Alerting},
    annotations::Annotator,
    config::Config,
    dashboards::Dashboards,
    embed::{EmbedKeys, Embeds},
    health::{
        config::ChecksConfig,
        store::{HealthStore, PostgresStore, SqliteStore},
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
    /// Streams each client holds (`max_streams_per_client`).
    pub stream_slots: Arc<StreamSlots>,
    /// Requests each client makes (`rate_limit_per_second`, `mint_limit_per_minute`).
    pub rates: Arc<RateLimits>,
    pub checker: Checker,
    /// Vantage's alerts, Prometheus' and Alertmanager's.
    pub alerts: AlertSources,
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
    /// How people log in, and their sessions.
    pub auth: Arc<Auth>,
    /// What `/metrics` asks for, if anything.
    pub metrics_token: Option<BearerToken>,
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
            PrometheusClient::new(config.prometheus_url.clone(), config.query_timeout())?
                .with_max_concurrency(config.prometheus_max_concurrency);
        let dashboards =
            Dashboards::load_with(config.dashboards_dir.clone(), &config.builtin_dashboards)?;
        for problem in &dashboards.catalog().problems {
            tracing::warn!("{problem}");
        }
        let metrics_token = config
            .metrics_token_file
            .as_deref()
            .map(BearerToken::read)
            .transpose()?;
        let auth = Auth::new(&config)?;
        if let Some(file) = &config.checks_file {
            // Read here only to refuse a broken file before the store exists;
            // the checker reads it again and then follows its changes.
            ChecksConfig::read(file)?;
        }
        let mut made = MadeOnStart::default();
        let state = Self::start(
            config,
            site,
            prometheus,
            dashboards,
            (auth, metrics_token),
            &mut made,
        );
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
        (auth, metrics_token): (Arc<Auth>, Option<BearerToken>),
        made: &mut MadeOnStart,
    ) -> Result<Self, StartError> {
        let keys = match &config.embed_key_file {
            Some(path) => {
                made.note(path);
                EmbedKeys::open(path)?
            }
            None => EmbedKeys::ephemeral(),
        };
        let store: Arc<dyn HealthStore> = match (&config.store_url, &config.store_path) {
            (Some(url), _) => {
                let shared = Arc::new(PostgresStore::open(url)?);
                // Logins then hold on every replica on this store.
                auth.sessions.share_through(Arc::clone(&shared));
                shared
            }
            (None, Some(path)) => {
                made.note_database(path);
                Arc::new(SqliteStore::open(path)?)
            }
            (None, None) => Arc::new(SqliteStore::in_memory()?),
        };
        let panels = Arc::new(
            PanelService::new(prometheus.clone(), dashboards.clone())
                .with_service_label(config.service_label.clone()),
        );
        // The first look at what Prometheus holds, before the first page asks.
        tokio::spawn({
            let panels = Arc::clone(&panels);
            async move {
                panels.discovered().await;
            }
        });
        let shutdown = CancellationToken::new();
        let metrics = Arc::new(Metrics::default());
        let alerting = Alerting::start(
            Arc::clone(&store),
            AlertTargets {
                alertmanager: config.alertmanager_url.clone(),
                webhook: config.alert_webhook_url.clone(),
            },
            shutdown.clone(),
        )?;
        let checker = Checker::start(
            config.checks_file.clone(),
            store,
            metrics.health.clone(),
            Some(Arc::new(alerting.clone())),
            shutdown.clone(),
        )?;
        let alerts = AlertSources {
            alerting,
            checker: checker.clone(),
            prometheus: prometheus.clone(),
            alertmanager: config
                .alertmanager_url
                .clone()
                .map(|url| AlertmanagerClient::new(url, config.query_timeout())),
        };
        panels.count_alerts_with(Arc::new(AlertCount(alerts.clone())));
        let annotator = Annotator::new(alerts.clone());
        let hub = Hub::new(
            Arc::clone(&panels),
            Some(Arc::clone(&annotator)),
            config.refresh_interval(),
            shutdown.clone(),
        );
        hub.limit_topics(config.max_watched_views);
        if !config.stream_deltas {
            hub.send_whole_panels();
        }
        let stream_slots = StreamSlots::new(config.max_streams_per_client);
        let rates = RateLimits::new(
            config.rate_limit_per_second,
            config.mint_limit_per_minute,
            config.login_attempts_per_minute,
        );
        let embeds = Arc::new(Embeds::new(keys, config.embed_origins.clone()));
        let leptos = LeptosOptions::builder()
            .output_name("vantage")
            .site_pkg_dir("pkg")
            .site_addr(config.listen)
            .build();
        Ok(Self {
            auth,
            metrics_token,
            config: Arc::new(config),
            prometheus,
            dashboards,
            panels,
            hub,
            stream_slots,
            rates,
            checker,
            alerts,
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
    Site(#[from] crate::site::SiteError),
    #[error(transparent)]
    Prometheus(#[from] crate::prometheus::PrometheusError),
    /// A dashboard file or the checks file has a mistake.
    #[error(transparent)]
    File(#[from] app::model::FileProblem),
    #[error(transparent)]
    Checker(#[from] crate::health::checker::CheckerError),
    #[error(transparent)]
    Store(#[from] crate::health::store::StoreError),
    #[error(transparent)]
    EmbedKey(#[from] crate::embed::keys::KeyError),
    #[error(transparent)]
    MetricsToken(#[from] crate::auth::TokenFileError),
    #[error(transparent)]
    Login(#[from] crate::auth::AuthError),
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("serving stopped: {0}")]
    Serve(std::io::Error),
}

/// The alert sources counting for panels (`source = "alerts"`): here, where
/// both are known, so neither module imports the other.
struct AlertCount(AlertSources);

impl crate::panels::FiringAlerts for AlertCount {
    fn count<'a>(
        &'a self,
        services: &'a [String],
    ) -> futures::future::BoxFuture<'a, Result<usize, String>> {
        Box::pin(async move {
            crate::alerts::firing_now(&self.0, crate::clock::now_ms(), services)
                .await
                .map_err(|e| e.to_string())
        })
    }
}
