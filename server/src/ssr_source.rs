//! What the server-rendered pages read data from: the same services as the API.
//! A dashboard page also starts its view's stream with the data it shows.

use std::sync::Arc;

use app::{
    data::{
        ssr::{BoxFuture, PageSource, SharedPageSource},
        DashboardData, DataError,
    },
    model::{AlertsView, Attention, DashboardSummary, HealthView, PanelData, ViewQuery},
};
use futures::future::join_all;

use crate::{
    alerts::alertmanager::AlertmanagerClient,
    annotations::Annotator,
    api::{alerts::AlertFilter, checks::services_of, query_string::ViewParams},
    embed::{
        request::{load_panel, EmbedError, EmbedQuery},
        Embeds,
    },
    health::{probe::unix_ms, Checker},
    hub::{Hub, TopicKey},
    panels::{LoadError, PanelService},
    prometheus::PrometheusClient,
};

/// The panels, the checker, Prometheus and Alertmanager, for pages.
struct Source {
    panels: Arc<PanelService>,
    checker: Checker,
    prometheus: PrometheusClient,
    alertmanager: Option<AlertmanagerClient>,
    embeds: Arc<Embeds>,
    annotator: Arc<Annotator>,
    /// Started with what a page loaded, so its stream need not load it again.
    hub: Hub,
}

/// The page's query string as the API reads it; pages ignore unknown keys.
fn params_of(query: ViewQuery) -> ViewParams {
    ViewParams {
        range: query.range,
        others: query.vars,
        ..Default::default()
    }
}

fn page_error(e: LoadError) -> DataError {
    match e {
        LoadError::Upstream(message) => DataError::Unavailable(message),
        other => DataError::NotFound(other.to_string()),
    }
}

impl PageSource for Source {
    fn dashboards(&self) -> Vec<DashboardSummary> {
        self.panels.dashboards().catalog().summaries()
    }

    fn dashboard(
        &self,
        id: String,
        query: ViewQuery,
    ) -> BoxFuture<'_, Result<DashboardData, DataError>> {
        Box::pin(async move {
            let board = self.panels.dashboard(&id).map_err(page_error)?;
            let range = query.range;
            let every = self.hub.every(query.refresh);
            let params = params_of(query);
            // Pages ignore keys that are not variables: links add their own.
            let filter = params
                .filter(&board, false)
                .map_err(|e| DataError::BadRequest(e.to_string()))?;
            // The pickers' values load beside the panels: the picker asks for
            // them once the panels are drawn, and finds them ready.
            let (panels, annotations, ()) = futures::join!(
                join_all(self.panels.panel_loads(&board, range, &filter)),
                self.annotator
                    .for_view(&filter, range.window_ms(crate::panels::now_ms())),
                self.panels.preload_variable_values(&board),
            );
            let panels: Vec<PanelData> = panels.into_iter().filter_map(Result::ok).collect();
            let key = TopicKey {
                dashboard: id,
                range,
                filter,
                every,
                panel: None,
            };
            let since = self.hub.seed(key, &board.view, &panels, &annotations);
            Ok(DashboardData {
                view: board.view.clone(),
                panels,
                annotations,
                stream_since: since.map(|id| id.to_string()),
            })
        })
    }

    fn health(&self, query: ViewQuery) -> BoxFuture<'_, Result<HealthView, DataError>> {
        Box::pin(async move {
            let params = params_of(query);
            let services = services_of(&params, false).unwrap_or_default();
            let (from_ms, to_ms) = params.window_ms(unix_ms());
            crate::health::view(&self.checker, from_ms, to_ms, &services)
                .await
                .map_err(|e| DataError::Unavailable(e.to_string()))
        })
    }

    fn alerts(&self, query: ViewQuery) -> BoxFuture<'_, Result<AlertsView, DataError>> {
        Box::pin(async move {
            let params = params_of(query);
            let filter = AlertFilter::from_params(&params, false)
                .map_err(|e| DataError::BadRequest(e.to_string()))?;
            let sources = crate::alerts::AlertSources {
                checker: &self.checker,
                prometheus: &self.prometheus,
                alertmanager: self.alertmanager.as_ref(),
            };
            crate::alerts::view(
                &sources,
                params.window_ms(unix_ms()),
                &filter.severities,
                &filter.services,
            )
            .await
            .map_err(|e| DataError::Unavailable(e.to_string()))
        })
    }

    fn embed_panel(
        &self,
        dashboard: String,
        panel: String,
        search: String,
    ) -> BoxFuture<'_, Result<PanelData, DataError>> {
        Box::pin(async move {
            let query = EmbedQuery::parse(Some(search.trim_start_matches('?')))
                .map_err(|e| DataError::BadRequest(e.to_string()))?;
            load_panel(&self.embeds, &self.panels, &dashboard, &panel, &query)
                .await
                .map(|(data, _)| data)
                .map_err(|e| match e {
                    EmbedError::Unavailable => DataError::Unavailable(e.to_string()),
                    EmbedError::Gone => DataError::NotFound(e.to_string()),
                    other => DataError::BadRequest(other.to_string()),
                })
        })
    }

    fn attention(&self) -> BoxFuture<'_, Attention> {
        Box::pin(async move {
            let sources = crate::alerts::AlertSources {
                checker: &self.checker,
                prometheus: &self.prometheus,
                alertmanager: self.alertmanager.as_ref(),
            };
            crate::alerts::attention(&sources, unix_ms()).await
        })
    }

    fn variable_values(
        &self,
        dashboard: String,
        variable: String,
    ) -> BoxFuture<'_, Result<Vec<String>, DataError>> {
        Box::pin(async move {
            self.panels
                .variable_values(&dashboard, &variable)
                .await
                .map(|(values, _)| values)
                .map_err(page_error)
        })
    }
}

pub fn shared(state: &crate::AppState) -> SharedPageSource {
    Arc::new(Source {
        panels: Arc::clone(&state.panels),
        checker: state.checker.clone(),
        prometheus: state.prometheus.clone(),
        alertmanager: state.alertmanager.clone(),
        embeds: Arc::clone(&state.embeds),
        annotator: Arc::clone(&state.annotator),
        hub: state.hub.clone(),
    })
}
