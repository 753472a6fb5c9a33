//! Dashboards and panels as JSON: the same parameters as the pages.

use app::model::{Annotation, DashboardSummary, DashboardView, FileProblem, PanelData, PanelRef};
use axum::{
    extract::{Path, RawQuery, State},
    Json,
};
use serde::Serialize;

use crate::{
    auth::CurrentUser,
    error::Result,
    panels::downsample,
    state::AppState,
    views::{Api, DashboardRequest},
};

#[derive(Serialize)]
pub struct DashboardList {
    dashboards: Vec<DashboardSummary>,
    /// Operator files that failed to load.
    problems: Vec<FileProblem>,
}

/// `GET /api/dashboards`: every dashboard, and the files that failed to load.
pub async fn list(State(state): State<AppState>, user: CurrentUser) -> Json<DashboardList> {
    let catalog = state.dashboards.catalog();
    let role = user.role();
    Json(DashboardList {
        dashboards: catalog.summaries(),
        problems: catalog
            .problems
            .iter()
            .map(|p| p.file_name_only().seen_by(role))
            .collect(),
    })
}

/// `GET /api/dashboards/{dashboard}`: its panels, layout and variables (no queries).
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(dashboard): Path<String>,
) -> Result<Json<DashboardView>> {
    let mut view = state.panels.dashboard(&dashboard)?.view.clone();
    view.problem = view.problem.map(|p| p.seen_by(user.role()));
    Ok(Json(view))
}

/// `GET /api/dashboards/{dashboard}/panels/{panel}`: one panel's data.
pub async fn get_panel(
    State(state): State<AppState>,
    Path((dashboard, panel)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Json<PanelData>> {
    let params = DashboardRequest::<Api>::parse(query.as_deref())?;
    let board = state.panels.dashboard(&dashboard)?;
    let filter = params.filter(&board)?;
    let panel = PanelRef { dashboard, panel };
    let mut data = state.panels.load(&panel, params.range, &filter).await?;
    // Narrower than the panel's own resolution: keep what a line of that width shows.
    if let Some(width) = params.width {
        let (start, end) = (data.window.start, data.window.end);
        for s in &mut data.series {
            s.points = downsample::m4(&s.points, start, end, width as usize);
        }
    }
    Ok(Json(data))
}

/// `GET /api/dashboards/{dashboard}/annotations`: the alerts and health-check
/// changes its charts mark for this view (range and the `service` variable).
pub async fn annotations(
    State(state): State<AppState>,
    Path(dashboard): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<Annotation>>> {
    let params = DashboardRequest::<Api>::parse(query.as_deref())?;
    let board = state.panels.dashboard(&dashboard)?;
    let filter = params.filter(&board)?;
    let window = params.window_ms(crate::clock::now_ms());
    Ok(Json(
        state
            .annotator
            .for_view(&board.annotations, &filter, window)
            .await,
    ))
}

#[derive(Serialize)]
pub struct Values {
    values: Vec<String>,
    warnings: Vec<String>,
}

/// `GET /api/dashboards/{dashboard}/variables/{name}/values`: what a variable
/// may be set to, from Prometheus' label values of the variable's metric.
pub async fn variable_values(
    State(state): State<AppState>,
    Path((dashboard, name)): Path<(String, String)>,
) -> Result<Json<Values>> {
    let (values, warnings) = state.panels.variable_values(&dashboard, &name).await?;
    Ok(Json(Values { values, warnings }))
}
