//! How pages get data: on the server straight from the server's services (through
//! a context the server provides), in the browser from the public JSON API.

use serde::{Deserialize, Serialize};

use crate::model::{
    AlertsView, Annotation, Attention, DashboardSummary, DashboardView, EmbedRequest, HealthView,
    IssuedEmbed, LoginOptions, Me, PanelData, SharedPanels, ViewQuery,
};

/// What kind of failure a view answered with: the server says it in the body
/// (`"kind"`), so the page never guesses it from a status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The request was wrong (a bad range, an unknown key, a bad value).
    BadRequest,
    /// No token or login, or one that no longer holds.
    Unauthorized,
    /// A valid token or login that does not allow this.
    Forbidden,
    /// No such dashboard, panel, check or variable.
    NotFound,
    /// The data source did not answer (or Vantage itself could not be reached).
    Unavailable,
    /// This client asked more than a limit allows; it may ask again later.
    TooMany,
    /// Vantage is at a limit of its own (every watched view it allows); it
    /// may be asked again later.
    Busy,
    /// Vantage failed; the details are in its log, not here.
    Internal,
}

/// Why data could not be had, in words fit for the page: the body of every
/// error answer of the API and embeds (`{"error": …, "kind": …}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("{}", self.describe())]
pub struct DataError {
    pub kind: ErrorKind,
    #[serde(rename = "error")]
    pub message: String,
}

impl DataError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unavailable, message)
    }

    fn describe(&self) -> String {
        match self.kind {
            ErrorKind::NotFound => format!("not found: {}", self.message),
            ErrorKind::BadRequest => format!("bad request: {}", self.message),
            _ => self.message.clone(),
        }
    }
}

/// A dashboard with every panel's data, as a page first shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DashboardData {
    pub view: DashboardView,
    pub panels: Vec<PanelData>,
    /// Alerts and health changes of the view, for its time-series charts.
    #[serde(default)]
    pub annotations: Vec<Annotation>,
    /// The stream event this data is, when the server started the view's
    /// stream with it: the tab's stream then begins after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_since: Option<String>,
}

/// Where a page's data comes from, said once: on the server, the services
/// themselves (`server`, given the page source); hydrated in the browser, the
/// public API (`browser`). `unused` names the arguments a build with neither
/// feature leaves unused.
macro_rules! from_server_or_browser {
    (unused: ($($arg:ident),*), server: |$source:ident| $server:expr, browser: $browser:expr $(,)?) => {{
        #[cfg(feature = "ssr")]
        {
            let $source = source()?;
            $server
        }
        #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
        {
            send_wrapper::SendWrapper::new($browser).await
        }
        #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
        {
            let _ = ($($arg,)*);
            Err(DataError::unavailable("built without ssr or hydrate"))
        }
    }};
}

/// A dashboard and all its panels for a view.
pub async fn fetch_dashboard(id: String, query: ViewQuery) -> Result<DashboardData, DataError> {
    from_server_or_browser!(
        unused: (id, query),
        server: |source| source.dashboard(id, query).await,
        browser: browser::get_dashboard(id, query),
    )
}

/// The dashboards to offer in the navigation.
pub async fn fetch_dashboard_list() -> Result<Vec<DashboardSummary>, DataError> {
    from_server_or_browser!(
        unused: (),
        server: |source| Ok(source.dashboards()),
        browser: browser::get_dashboard_list(),
    )
}

/// The values a dashboard's variable may take (for its picker).
pub async fn fetch_variable_values(
    dashboard: String,
    variable: String,
) -> Result<Vec<String>, DataError> {
    from_server_or_browser!(
        unused: (dashboard, variable),
        server: |source| source.variable_values(dashboard, variable).await,
        browser: browser::get_variable_values(dashboard, variable),
    )
}

/// Every health check over the view's range (`service=` narrows it).
pub async fn fetch_health(query: ViewQuery) -> Result<HealthView, DataError> {
    from_server_or_browser!(
        unused: (query),
        server: |source| source.health(query).await,
        browser: browser::get_json(&format!("/api/checks?{}", query.to_query())),
    )
}

/// Alerts of the view's range (`severity=`, `service=` narrow them).
pub async fn fetch_alerts(query: ViewQuery) -> Result<AlertsView, DataError> {
    from_server_or_browser!(
        unused: (query),
        server: |source| source.alerts(query).await,
        browser: browser::get_json(&format!("/api/alerts?{}", query.to_query())),
    )
}

/// One embedded panel: `search` is the embed's whole query string (its token,
/// range and variables), checked by the server like every embed request.
/// `base` is Vantage's address for an embed on another site, else empty.
pub async fn fetch_embed_panel(
    base: String,
    dashboard: String,
    panel: String,
    search: String,
) -> Result<PanelData, DataError> {
    from_server_or_browser!(
        unused: (base, dashboard, panel, search),
        server: |source| {
            let _ = base;
            source.embed_panel(dashboard, panel, search).await
        },
        browser: browser::get_json(&format!(
            "{base}/embed/{}/{}/data?{}",
            browser::encode(&dashboard),
            browser::encode(&panel),
            search.trim_start_matches('?')
        )),
    )
}

/// What is red now, for the navigation.
pub async fn fetch_attention() -> Result<Attention, DataError> {
    from_server_or_browser!(
        unused: (),
        server: |source| Ok(source.attention().await),
        browser: browser::get_json("/api/attention"),
    )
}

/// Who is signed in (the navigation's user menu); `Unauthorized` when nobody is.
pub async fn fetch_me() -> Result<Me, DataError> {
    from_server_or_browser!(
        unused: (),
        server: |source| source.me(),
        browser: browser::get_json("/api/me"),
    )
}

/// The panels shared with embed tokens (the "Shared panels" page):
/// `Forbidden` below the editor role.
pub async fn fetch_shared_panels() -> Result<SharedPanels, DataError> {
    from_server_or_browser!(
        unused: (),
        server: |source| source.shared_panels(),
        browser: browser::get_json("/api/embed-tokens"),
    )
}

/// The ways to sign in (the login page).
pub async fn fetch_login_options() -> Result<LoginOptions, DataError> {
    from_server_or_browser!(
        unused: (),
        server: |source| Ok(source.login_options()),
        browser: browser::get_json("/auth/options"),
    )
}

/// Asks the server for an embed token (the share dialog; only the browser asks).
pub async fn create_embed(request: EmbedRequest) -> Result<IssuedEmbed, DataError> {
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        send_wrapper::SendWrapper::new(browser::post_json("/api/embed-tokens", &request)).await
    }
    #[cfg(not(all(feature = "hydrate", not(feature = "ssr"))))]
    {
        let _ = request;
        Err(DataError::unavailable(
            "tokens are asked for from the browser",
        ))
    }
}

#[cfg(feature = "ssr")]
fn source() -> Result<ssr::SharedPageSource, DataError> {
    leptos::prelude::use_context::<ssr::SharedPageSource>()
        .ok_or_else(|| DataError::unavailable("no data source"))
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use std::{future::Future, pin::Pin, sync::Arc};

    use super::{DashboardData, DataError};
    use crate::model::{
        AlertsView, Attention, DashboardSummary, HealthView, LoginOptions, Me, PanelData,
        SharedPanels, ViewQuery,
    };

    pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

    /// What the server offers pages while it renders them.
    pub trait PageSource: Send + Sync {
        fn dashboards(&self) -> Vec<DashboardSummary>;
        fn dashboard(
            &self,
            id: String,
            query: ViewQuery,
        ) -> BoxFuture<'_, Result<DashboardData, DataError>>;
        fn variable_values(
            &self,
            dashboard: String,
            variable: String,
        ) -> BoxFuture<'_, Result<Vec<String>, DataError>>;
        fn health(&self, query: ViewQuery) -> BoxFuture<'_, Result<HealthView, DataError>>;
        fn alerts(&self, query: ViewQuery) -> BoxFuture<'_, Result<AlertsView, DataError>>;
        fn embed_panel(
            &self,
            dashboard: String,
            panel: String,
            search: String,
        ) -> BoxFuture<'_, Result<PanelData, DataError>>;
        fn attention(&self) -> BoxFuture<'_, Attention>;
        /// The user of the request being rendered.
        fn me(&self) -> Result<Me, DataError>;
        fn login_options(&self) -> LoginOptions;
        fn shared_panels(&self) -> Result<SharedPanels, DataError>;
    }

    pub type SharedPageSource = Arc<dyn PageSource>;
}

#[cfg(all(feature = "hydrate", not(feature = "ssr")))]
pub mod browser {
    use futures::future::join_all;
    use serde::de::DeserializeOwned;

    use super::{DashboardData, DataError, ErrorKind};
    use crate::model::{Annotation, DashboardSummary, DashboardView, PanelData, ViewQuery};

    pub async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, DataError> {
        let response = gloo_net::http::Request::get(url).send().await;
        read_json(response).await
    }

    pub async fn post_json<T: DeserializeOwned>(
        url: &str,
        body: &impl serde::Serialize,
    ) -> Result<T, DataError> {
        let request = gloo_net::http::Request::post(url)
            .json(body)
            .map_err(|e| DataError::new(ErrorKind::BadRequest, e.to_string()))?;
        read_json(request.send().await).await
    }

    /// The answer's JSON, or the API's `{"error": …}` as a [`DataError`].
    async fn read_json<T: DeserializeOwned>(
        response: Result<gloo_net::http::Response, gloo_net::Error>,
    ) -> Result<T, DataError> {
        let response = response
            .map_err(|e| DataError::unavailable(format!("Vantage is not reachable: {e}")))?;
        if response.ok() {
            return response
                .json::<T>()
                .await
                .map_err(|e| DataError::unavailable(format!("unreadable answer: {e}")));
        }
        // Vantage's own answers say their kind; anything else (a proxy's
        // error page) is Vantage not being reachable through it.
        let status = response.status();
        Err(response
            .json::<DataError>()
            .await
            .unwrap_or_else(|_| DataError::unavailable(format!("HTTP {status}"))))
    }

    pub async fn get_dashboard(id: String, query: ViewQuery) -> Result<DashboardData, DataError> {
        let view: DashboardView = get_json(&format!("/api/dashboards/{}", encode(&id))).await?;
        // The API refuses keys that are not this dashboard's variables.
        let query = query.for_variables(&view.variables).to_query();
        let loads = view.panels.iter().map(|p| {
            let url = format!(
                "/api/dashboards/{}/panels/{}?{query}",
                encode(&id),
                encode(&p.id)
            );
            async move { get_json::<PanelData>(&url).await }
        });
        let marks = format!("/api/dashboards/{}/annotations?{query}", encode(&id));
        let (panels, annotations) =
            futures::join!(join_all(loads), get_json::<Vec<Annotation>>(&marks));
        let panels = panels.into_iter().collect::<Result<Vec<_>, _>>()?;
        Ok(DashboardData {
            view,
            panels,
            // Marks are extras: the charts draw without them.
            annotations: annotations.unwrap_or_default(),
            stream_since: None,
        })
    }

    pub async fn get_dashboard_list() -> Result<Vec<DashboardSummary>, DataError> {
        #[derive(serde::Deserialize)]
        struct List {
            dashboards: Vec<DashboardSummary>,
        }
        Ok(get_json::<List>("/api/dashboards").await?.dashboards)
    }

    pub async fn get_variable_values(
        dashboard: String,
        variable: String,
    ) -> Result<Vec<String>, DataError> {
        #[derive(serde::Deserialize)]
        struct Values {
            values: Vec<String>,
        }
        let url = format!(
            "/api/dashboards/{}/variables/{}/values",
            encode(&dashboard),
            encode(&variable)
        );
        Ok(get_json::<Values>(&url).await?.values)
    }

    pub fn encode(segment: &str) -> String {
        crate::format::path_segment(segment)
    }
}
