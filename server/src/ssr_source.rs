//! What the server-rendered pages read data from: the same services as the API.

use std::sync::Arc;

use app::{
    data::{
        ssr::{BoxFuture, PanelSource, SharedPanelSource},
        DashboardData, DataError,
    },
    model::{DashboardSummary, ViewQuery},
};
use futures::future::join_all;

use crate::{
    api::query_string::ViewParams,
    panels::{LoadError, PanelService},
};

struct Source(Arc<PanelService>);

fn page_error(e: LoadError) -> DataError {
    match e {
        LoadError::Upstream(message) => DataError::Unavailable(message),
        other => DataError::NotFound(other.to_string()),
    }
}

impl PanelSource for Source {
    fn dashboards(&self) -> Vec<DashboardSummary> {
        self.0.dashboards().catalog().summaries()
    }

    fn dashboard(
        &self,
        id: String,
        query: ViewQuery,
    ) -> BoxFuture<'_, Result<DashboardData, DataError>> {
        Box::pin(async move {
            let board = self.0.dashboard(&id).map_err(page_error)?;
            let params = ViewParams {
                range: query.range,
                others: query.vars,
                ..Default::default()
            };
            // Pages ignore keys that are not variables: links add their own.
            let filter = params
                .filter(&board, false)
                .map_err(|e| DataError::BadRequest(e.to_string()))?;
            let panels = join_all(self.0.panel_loads(&board, query.range, &filter))
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
            self.0
                .variable_values(&dashboard, &variable)
                .await
                .map(|(values, _)| values)
                .map_err(page_error)
        })
    }
}

pub fn shared(panels: Arc<PanelService>) -> SharedPanelSource {
    Arc::new(Source(panels))
}
