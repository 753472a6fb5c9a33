use app::model::{PanelData, PanelRef};
use axum::{
    extract::{Path, RawQuery, State},
    Json,
};

use super::query_string::ViewParams;
use crate::{
    error::{ApiError, ApiResult},
    panels, AppState,
};

/// `GET /api/dashboards/{dashboard}/panels/{panel}`: one panel's data.
pub async fn get_panel(
    State(state): State<AppState>,
    Path((dashboard, panel)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<PanelData>> {
    let params = ViewParams::parse(query.as_deref())?;
    let panel = PanelRef { dashboard, panel };
    if panels::dashboard(&panel.dashboard).is_none() {
        return Err(ApiError::NotFound("no such dashboard".into()));
    }
    state
        .panels
        .load(&panel, params.range, &params.services)
        .await
        .map(Json)
        .ok_or_else(|| ApiError::NotFound("no such panel on this dashboard".into()))
}
