//! How pages get data: on the server straight from the server's services (through
//! a context the server provides), in the browser from the public JSON API.

use serde::{Deserialize, Serialize};

use crate::model::{PanelData, PanelRef, RelativeRange};

/// Why data could not be had, in words fit for the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum DataError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("{0}")]
    Unavailable(String),
}

/// One panel's data for a range.
pub async fn fetch_panel(
    panel: PanelRef,
    range: RelativeRange,
    services: Vec<String>,
) -> Result<PanelData, DataError> {
    #[cfg(feature = "ssr")]
    {
        let source = leptos::prelude::use_context::<ssr::SharedPanelSource>()
            .ok_or_else(|| DataError::Unavailable("no panel source".into()))?;
        source.panel(panel, range, services).await
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        send_wrapper::SendWrapper::new(browser::get_panel(panel, range, services)).await
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        let _ = (panel, range, services);
        Err(DataError::Unavailable(
            "built without ssr or hydrate".into(),
        ))
    }
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use std::{future::Future, pin::Pin, sync::Arc};

    use super::DataError;
    use crate::model::{PanelData, PanelRef, RelativeRange};

    pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

    /// What the server offers pages while it renders them.
    pub trait PanelSource: Send + Sync {
        fn panel(
            &self,
            panel: PanelRef,
            range: RelativeRange,
            services: Vec<String>,
        ) -> BoxFuture<'_, Result<PanelData, DataError>>;
    }

    pub type SharedPanelSource = Arc<dyn PanelSource>;
}

#[cfg(all(feature = "hydrate", not(feature = "ssr")))]
pub mod browser {
    use super::DataError;
    use crate::model::{PanelData, PanelRef, RelativeRange};

    #[derive(serde::Deserialize)]
    struct ApiError {
        error: String,
    }

    pub async fn get_panel(
        panel: PanelRef,
        range: RelativeRange,
        services: Vec<String>,
    ) -> Result<PanelData, DataError> {
        let mut url = format!(
            "/api/dashboards/{}/panels/{}?range={range}",
            encode(&panel.dashboard),
            encode(&panel.panel)
        );
        for s in &services {
            url.push_str("&service=");
            url.push_str(&encode(s));
        }
        let response = gloo_net::http::Request::get(&url)
            .send()
            .await
            .map_err(|e| DataError::Unavailable(format!("Vantage is not reachable: {e}")))?;
        if response.ok() {
            return response
                .json::<PanelData>()
                .await
                .map_err(|e| DataError::Unavailable(format!("unreadable answer: {e}")));
        }
        let message = response
            .json::<ApiError>()
            .await
            .map(|e| e.error)
            .unwrap_or_else(|_| format!("HTTP {}", response.status()));
        Err(match response.status() {
            404 => DataError::NotFound(message),
            400..=499 => DataError::BadRequest(message),
            _ => DataError::Unavailable(message),
        })
    }

    pub fn encode(segment: &str) -> String {
        js_sys::encode_uri_component(segment).into()
    }
}
