//! One embed request: its query string, the token check, the panel's data,
//! and the errors an embed answers with.

use app::model::{PanelData, PanelRef, Refresh, TimeRange};
use axum::{
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};

use super::{image, redact, Embeds, Grant, TokenError};
use crate::{api::query_string::ViewParams, panels::PanelService};

/// Longest query string accepted (a token is a few hundred bytes).
const MAX_QUERY_LEN: usize = 8 * 1024;

/// What an embed's URL may say: `token=`, a range (`range=` or `from=`/`to=`,
/// among those the token allows), variable values (among the token's),
/// `theme=light|dark|auto`, `refresh=`, and for images `width=`/`height=`.
#[derive(Debug, Default, Clone)]
pub struct EmbedQuery {
    pub token: String,
    pub range: Option<TimeRange>,
    pub vars: Vec<(String, String)>,
    pub theme: Option<image::Theme>,
    pub size: Option<(u32, u32)>,
    pub refresh: Option<Refresh>,
}

impl EmbedQuery {
    pub fn parse(raw: Option<&str>) -> Result<Self, EmbedError> {
        let raw = raw.unwrap_or("");
        if raw.len() > MAX_QUERY_LEN {
            return Err(EmbedError::BadRequest("query string too long".into()));
        }
        let mut query = EmbedQuery::default();
        let (mut range, mut from, mut to) = (None, None, None);
        let (mut width, mut height) = (None, None);
        for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
            match key.as_ref() {
                "token" => query.token = value.into_owned(),
                "range" => range = Some(value.into_owned()),
                "from" => from = Some(value.into_owned()),
                "to" => to = Some(value.into_owned()),
                "theme" => {
                    query.theme = match value.as_ref() {
                        "auto" => None,
                        v => Some(image::Theme::parse(v).ok_or_else(|| {
                            EmbedError::BadRequest("theme= is light, dark or auto".into())
                        })?),
                    }
                }
                "width" => {
                    width = Some(pixels(&value, image::MIN_WIDTH, image::MAX_WIDTH, "width")?)
                }
                "height" => {
                    height = Some(pixels(
                        &value,
                        image::MIN_HEIGHT,
                        image::MAX_HEIGHT,
                        "height",
                    )?)
                }
                "refresh" => {
                    query.refresh = Some(Refresh::parse(&value).ok_or_else(|| {
                        EmbedError::BadRequest("refresh= is one of 5s, 10s, 30s, 1m, off".into())
                    })?)
                }
                _ => query.vars.push((key.into_owned(), value.into_owned())),
            }
        }
        if range.is_some() || from.is_some() || to.is_some() {
            query.range = Some(
                TimeRange::from_params(range.as_deref(), from.as_deref(), to.as_deref())
                    .map_err(|e| EmbedError::BadRequest(e.to_string()))?,
            );
        }
        if width.is_some() || height.is_some() {
            query.size = Some((
                width.unwrap_or(image::DEFAULT_SIZE.0),
                height.unwrap_or(image::DEFAULT_SIZE.1),
            ));
        }
        Ok(query)
    }
}

fn pixels(value: &str, min: u32, max: u32, name: &str) -> Result<u32, EmbedError> {
    value
        .parse::<u32>()
        .ok()
        .filter(|v| (min..=max).contains(v))
        .ok_or_else(|| EmbedError::BadRequest(format!("{name}= is {min} to {max} pixels")))
}

/// Checks the token, then loads what it allows: the panel's data, redacted.
pub async fn load_panel(
    embeds: &Embeds,
    panels: &PanelService,
    dashboard: &str,
    panel: &str,
    query: &EmbedQuery,
) -> Result<(PanelData, Grant), EmbedError> {
    let grant = authorize(embeds, panels, dashboard, panel, query)?;
    let board = panels.dashboard(dashboard).map_err(|_| EmbedError::Gone)?;
    let filter = ViewParams {
        others: grant.vars.clone(),
        ..Default::default()
    }
    .filter(&board, true)
    .map_err(|_| EmbedError::Gone)?;
    let panel_ref = PanelRef {
        dashboard: dashboard.to_string(),
        panel: panel.to_string(),
    };
    match panels.load(&panel_ref, grant.range, &filter).await {
        Ok(data) => Ok((redact(data), grant)),
        Err(crate::panels::LoadError::Upstream(_)) => Err(EmbedError::Unavailable),
        Err(_) => Err(EmbedError::Gone),
    }
}

/// The token check alone (a stream checks it before subscribing).
pub fn authorize(
    embeds: &Embeds,
    panels: &PanelService,
    dashboard: &str,
    panel: &str,
    query: &EmbedQuery,
) -> Result<Grant, EmbedError> {
    let (_, grant) = embeds.authorize(&query.token, dashboard, panel, query.range, &query.vars)?;
    // A token for a panel that was since removed from its file.
    let board = panels.dashboard(dashboard).map_err(|_| EmbedError::Gone)?;
    if !board.panels.iter().any(|p| p.view.id == panel) {
        return Err(EmbedError::Gone);
    }
    Ok(grant)
}

/// What an embed answers when it cannot show the panel. Never a query, an
/// address or a data source's own message.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error("{0}")]
    BadRequest(String),
    #[error("this panel no longer exists")]
    Gone,
    #[error("the data source is not answering")]
    Unavailable,
    #[error("internal error")]
    Internal(String),
}

impl EmbedError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Token(e) if e.is_forbidden() => StatusCode::FORBIDDEN,
            Self::Token(_) => StatusCode::UNAUTHORIZED,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Gone => StatusCode::NOT_FOUND,
            Self::Unavailable => StatusCode::BAD_GATEWAY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for EmbedError {
    fn into_response(self) -> Response {
        if let Self::Internal(detail) = &self {
            tracing::error!(%detail, "embed failed");
        }
        let body = serde_json::json!({ "error": self.to_string() });
        (
            self.status(),
            // Answers depend on the token: never cached.
            [(header::CACHE_CONTROL, "no-store")],
            Json(body),
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_is_parsed_and_bad_values_refused() {
        let q =
            EmbedQuery::parse(Some("token=abc&range=6h&service=a&theme=dark&width=640")).unwrap();
        assert_eq!(q.token, "abc");
        assert_eq!(q.range, Some(app::model::RelativeRange::H6.into()));
        assert_eq!(q.vars, [("service".to_string(), "a".to_string())]);
        assert_eq!(q.theme, Some(image::Theme::Dark));
        assert_eq!(q.size, Some((640, image::DEFAULT_SIZE.1)));
        for bad in [
            "width=99999",
            "height=0",
            "width=-1",
            "theme=neon",
            "range=1y",
            "refresh=1ms",
        ] {
            let e = EmbedQuery::parse(Some(bad)).unwrap_err();
            assert_eq!(e.status(), StatusCode::BAD_REQUEST, "{bad}");
        }
        assert!(EmbedQuery::parse(Some(&"a".repeat(MAX_QUERY_LEN + 1))).is_err());
    }
}
