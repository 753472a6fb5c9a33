//! What the server-rendered pages read data from: the same services as the API.

use std::sync::Arc;

use app::{
    data::{
        ssr::{BoxFuture, PanelSource, SharedPanelSource},
        DataError,
    },
    model::{PanelData, PanelRef, RelativeRange},
};

use crate::panels::PanelService;

struct Panels(Arc<PanelService>);

impl PanelSource for Panels {
    fn panel(
        &self,
        panel: PanelRef,
        range: RelativeRange,
    ) -> BoxFuture<'_, Result<PanelData, DataError>> {
        Box::pin(async move {
            self.0
                .load(&panel, range)
                .await
                .ok_or_else(|| DataError::NotFound(format!("no panel {:?}", panel.panel)))
        })
    }
}

pub fn shared(panels: Arc<PanelService>) -> SharedPanelSource {
    Arc::new(Panels(panels))
}
