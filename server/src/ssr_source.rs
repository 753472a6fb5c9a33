//! What the server-rendered pages read data from: the same services as the API.

use std::sync::Arc;

use app::{
    data::{
        ssr::{BoxFuture, PanelSource, SharedPanelSource},
        DataError,
    },
    model::{PanelData, PanelRef, RelativeRange},
};

use crate::{panels::PanelService, query::ServiceFilter};

struct Panels(Arc<PanelService>);

impl PanelSource for Panels {
    fn panel(
        &self,
        panel: PanelRef,
        range: RelativeRange,
        services: Vec<String>,
    ) -> BoxFuture<'_, Result<PanelData, DataError>> {
        Box::pin(async move {
            let filter =
                ServiceFilter::new(services).map_err(|e| DataError::BadRequest(e.to_string()))?;
            self.0
                .load(&panel, range, &filter)
                .await
                .ok_or_else(|| DataError::NotFound(format!("no panel {:?}", panel.panel)))
        })
    }
}

pub fn shared(panels: Arc<PanelService>) -> SharedPanelSource {
    Arc::new(Panels(panels))
}
