//! What the server-rendered pages read data from: the same services as the API.

use std::sync::Arc;

use app::{
    data::{
        ssr::{BoxFuture, PanelSource, SharedPanelSource},
        DashboardData, DataError,
    },
    model::{DashboardSummary, PanelRef, ViewQuery},
};
use futures::future::join_all;

use crate::{api::query_string::ViewParams, panels::PanelService, prometheus::PrometheusClient};

struct Source {
    panels: Arc<PanelService>,
    prometheus: PrometheusClient,
}

impl PanelSource for Source {
    fn dashboards(&self) -> Vec<DashboardSummary> {
        self.panels.dashboards().catalog().summaries()
    }

    fn dashboard(
        &self,
        id: String,
        query: ViewQuery,
    ) -> BoxFuture<'_, Result<DashboardData, DataError>> {
        Box::pin(async move {
            let board = self
                .panels
                .dashboards()
                .get(&id)
                .ok_or_else(|| DataError::NotFound(format!("no dashboard {id:?}")))?;
            let params = ViewParams {
                range: query.range,
                others: query.vars,
                ..Default::default()
            };
            // Pages ignore keys that are not variables: links add their own.
            let filter = params
                .filter(&board, false)
                .map_err(|e| DataError::BadRequest(e.to_string()))?;
            let loads = board.panels.iter().map(|p| {
                let panel = PanelRef {
                    dashboard: id.clone(),
                    panel: p.view.id.clone(),
                };
                let filter = &filter;
                async move { self.panels.load(&panel, query.range, filter).await }
            });
            let panels = join_all(loads)
                .await
                .into_iter()
                .filter_map(Result::ok)
                .collect();
            Ok(DashboardData {
                view: board.view.clone(),
                panels,
            })
        })
    }

    fn variable_values(
        &self,
        dashboard: String,
        variable: String,
    ) -> BoxFuture<'_, Result<Vec<String>, DataError>> {
        Box::pin(async move {
            let board = self
                .panels
                .dashboards()
                .get(&dashboard)
                .ok_or_else(|| DataError::NotFound(format!("no dashboard {dashboard:?}")))?;
            let v = board
                .variable(&variable)
                .ok_or_else(|| DataError::NotFound(format!("no variable {variable:?}")))?;
            let mut values = self
                .prometheus
                .label_values(&v.label, &[v.values_from.as_str()])
                .await
                .map_err(|e| DataError::Unavailable(e.to_string()))?
                .data;
            values.sort();
            Ok(values)
        })
    }
}

pub fn shared(panels: Arc<PanelService>, prometheus: PrometheusClient) -> SharedPanelSource {
    Arc::new(Source { panels, prometheus })
}
