//! What the server-rendered pages read data from: the same services as the API.
//! A dashboard page also starts its view's stream with the data it shows.

use std::sync::Arc;

use app::{
    data::{
        ssr::{BoxFuture, PageSource, SharedPageSource},
        DashboardData, DataError,
    },
    model::{
        AlertsView, Attention, DashboardSummary, HealthView, LoginOptions, Me, PanelData,
        SharedPanels, ViewQuery,
    },
};
use futures::future::join_all;

use crate::{
    alerts::AlertSources,
    annotations::Annotator,
    auth::{Auth, User},
    clock::now_ms,
    embed::{
        request::{load_panel, EmbedQuery},
        Embeds,
    },
    error::Error,
    health::Checker,
    hub::{Hub, TopicKey},
    panels::PanelService,
    state::AppState,
    views::{AlertsRequest, DashboardRequest, HealthRequest},
};

/// The panels, the checker and the alerts' sources, for pages.
struct Source {
    panels: Arc<PanelService>,
    checker: Checker,
    alerts: AlertSources,
    embeds: Arc<Embeds>,
    annotator: Arc<Annotator>,
    /// Started with what a page loaded, so its stream need not load it again.
    hub: Hub,
    auth: Arc<Auth>,
}

impl Source {
    /// The gate lets nobody render a page that needs a login; this is a
    /// second wall, for a page that is open (the login page, an embed) and
    /// asks for what it should not.
    fn signed_in(&self) -> Result<User, DataError> {
        crate::auth::user_rendering()
            .ok_or_else(|| DataError::new(app::data::ErrorKind::Unauthorized, "sign in first"))
    }
}

impl PageSource for Source {
    fn dashboards(&self) -> Vec<DashboardSummary> {
        if self.signed_in().is_err() {
            return Vec::new();
        }
        self.panels.dashboards().catalog().summaries()
    }

    fn dashboard(
        &self,
        id: String,
        query: ViewQuery,
    ) -> BoxFuture<'_, Result<DashboardData, DataError>> {
        Box::pin(async move {
            let role = self.signed_in()?.role;
            let board = self.panels.dashboard(&id).map_err(Error::from)?;
            let view = DashboardRequest::of_page(query);
            let (range, every) = (view.range, self.hub.every(view.refresh));
            // Pages ignore keys that are not variables: links add their own.
            let filter = view.filter(&board)?;
            let key = TopicKey {
                dashboard: id,
                range,
                filter,
                every,
                panel: None,
            };
            // A view being watched shows what its topic sent: the deltas its
            // stream gets next are of that (and it costs Prometheus nothing).
            let (panels, annotations, since) = match self.hub.watched(&key, &board.view) {
                Some(watched) => {
                    self.panels.preload_variable_values(&board).await;
                    (watched.panels, watched.annotations, Some(watched.since))
                }
                None => {
                    // The pickers' values load beside the panels: the picker
                    // asks for them once the panels are drawn, and finds
                    // them ready.
                    let (panels, annotations, ()) = futures::join!(
                        join_all(self.panels.panel_loads(&board, range, &key.filter)),
                        self.annotator.for_view(
                            &board.annotations,
                            &key.filter,
                            range.window_ms(crate::clock::now_ms())
                        ),
                        self.panels.preload_variable_values(&board),
                    );
                    let panels: Vec<PanelData> =
                        panels.into_iter().filter_map(Result::ok).collect();
                    let since = self.hub.seed(key, &board.view, &panels, &annotations);
                    (panels, annotations, since)
                }
            };
            let mut view = board.view.clone();
            view.problem = view.problem.map(|p| p.seen_by(role));
            Ok(DashboardData {
                view,
                panels,
                annotations,
                stream_since: since.map(|id| id.to_string()),
            })
        })
    }

    fn health(&self, query: ViewQuery) -> BoxFuture<'_, Result<HealthView, DataError>> {
        Box::pin(async move {
            let role = self.signed_in()?.role;
            let request = HealthRequest::of_page(query);
            let (from_ms, to_ms) = request.window_ms(now_ms());
            let mut view = crate::health::view(&self.checker, from_ms, to_ms, &request.services)
                .await
                .map_err(Error::internal)?;
            view.problems = view.problems.iter().map(|p| p.seen_by(role)).collect();
            Ok(view)
        })
    }

    fn alerts(&self, query: ViewQuery) -> BoxFuture<'_, Result<AlertsView, DataError>> {
        Box::pin(async move {
            self.signed_in()?;
            let filter = AlertsRequest::of_page(query)?;
            crate::alerts::view(
                &self.alerts,
                filter.window_ms(now_ms()),
                &filter.severities,
                &filter.services,
            )
            .await
            .map_err(|e| Error::internal(e).into())
        })
    }

    fn embed_panel(
        &self,
        dashboard: String,
        panel: String,
        search: String,
    ) -> BoxFuture<'_, Result<PanelData, DataError>> {
        Box::pin(async move {
            let query = EmbedQuery::parse(Some(&search))?;
            let (data, _) =
                load_panel(&self.embeds, &self.panels, &dashboard, &panel, &query).await?;
            Ok(data)
        })
    }

    fn attention(&self) -> BoxFuture<'_, Attention> {
        Box::pin(async move {
            if self.signed_in().is_err() {
                return Attention::default();
            }
            crate::alerts::attention(&self.alerts, now_ms()).await
        })
    }

    fn me(&self) -> Result<Me, DataError> {
        Ok(self.auth.me(&self.signed_in()?))
    }

    fn login_options(&self) -> LoginOptions {
        self.auth.options()
    }

    fn shared_panels(&self) -> Result<SharedPanels, DataError> {
        let user = crate::auth::CurrentUser(Some(self.signed_in()?));
        let user = user.at_least(crate::auth::Role::Editor)?;
        let everyone = user.role >= crate::auth::Role::Admin;
        Ok(self.embeds.shared_panels(&user.id, everyone))
    }

    fn variable_values(
        &self,
        dashboard: String,
        variable: String,
    ) -> BoxFuture<'_, Result<Vec<String>, DataError>> {
        Box::pin(async move {
            self.signed_in()?;
            self.panels
                .variable_values(&dashboard, &variable)
                .await
                .map(|(values, _)| values)
                .map_err(|e| Error::from(e).into())
        })
    }
}

pub fn shared(state: &AppState) -> SharedPageSource {
    Arc::new(Source {
        panels: Arc::clone(&state.panels),
        checker: state.checker.clone(),
        alerts: state.alerts.clone(),
        embeds: Arc::clone(&state.embeds),
        annotator: Arc::clone(&state.annotator),
        hub: state.hub.clone(),
        auth: Arc::clone(&state.auth),
    })
}
