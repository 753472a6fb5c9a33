//! One embed request: its query string, the token check and the panel's data.
//! Its failures are the views' [`Error`]s, as the token or the panel's loading
//! said them: never a query, an address or a data source's own message.

use app::model::{PanelData, PanelRef, Refresh, TimeRange};

use super::{image, redact, Embeds, Grant};
use crate::{
    error::{Error, Result},
    panels::{LoadError, PanelService},
    views::{
        dashboard::granted_filter,
        query_string::{self, RangeKeys},
    },
};

/// What an embed's URL may say: `token=`, a range (`range=` or `from=`/`to=`,
/// among those the token allows), variable values (among the token's),
/// `theme=light|dark|auto`, `refresh=`, and for images `width=`/`height=`.
/// Any other key is a variable, which the token then refuses unless it allows it.
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
    pub fn parse(raw: Option<&str>) -> Result<Self> {
        let mut query = EmbedQuery::default();
        let mut range = RangeKeys::default();
        let (mut width, mut height) = (None, None);
        for (key, value) in query_string::pairs(raw)? {
            if range.take(&key, &value) {
                continue;
            }
            match key.as_str() {
                "token" => query.token = value,
                "theme" => {
                    query.theme =
                        match value.as_str() {
                            "auto" => None,
                            v => Some(image::Theme::parse(v).ok_or_else(|| {
                                Error::bad_request("theme= is light, dark or auto")
                            })?),
                        }
                }
                "width" => {
                    width = Some(query_string::pixels(
                        &value,
                        image::MIN_WIDTH,
                        image::MAX_WIDTH,
                        "width",
                    )?)
                }
                "height" => {
                    height = Some(query_string::pixels(
                        &value,
                        image::MIN_HEIGHT,
                        image::MAX_HEIGHT,
                        "height",
                    )?)
                }
                "refresh" => query.refresh = Some(query_string::refresh(&value)?),
                _ => query.vars.push((key, value)),
            }
        }
        query.range = range.range_if_given()?;
        if width.is_some() || height.is_some() {
            query.size = Some((
                width.unwrap_or(image::DEFAULT_SIZE.0),
                height.unwrap_or(image::DEFAULT_SIZE.1),
            ));
        }
        Ok(query)
    }
}

/// The token's panel is gone from its file (or its variables from the dashboard).
fn gone() -> Error {
    Error::not_found("this panel no longer exists")
}

/// Checks the token, then loads what it allows: the panel's data, redacted.
pub async fn load_panel(
    embeds: &Embeds,
    panels: &PanelService,
    dashboard: &str,
    panel: &str,
    query: &EmbedQuery,
) -> Result<(PanelData, Grant)> {
    let (grant, filter) = authorize(embeds, panels, dashboard, panel, query)?;
    let panel_ref = PanelRef {
        dashboard: dashboard.to_string(),
        panel: panel.to_string(),
    };
    match panels.load(&panel_ref, grant.range, &filter).await {
        Ok(data) => Ok((redact(data), grant)),
        Err(LoadError::Upstream(_)) => Err(Error::unavailable("the data source is not answering")),
        Err(_) => Err(gone()),
    }
}

/// The token check alone (a stream checks it before subscribing): what it
/// grants, and the filter its variables set on the dashboard.
pub fn authorize(
    embeds: &Embeds,
    panels: &PanelService,
    dashboard: &str,
    panel: &str,
    query: &EmbedQuery,
) -> Result<(Grant, crate::query::Filter)> {
    let (_, grant) = embeds.authorize(&query.token, dashboard, panel, query.range, &query.vars)?;
    // A token for a panel that was since removed from its file.
    let board = panels.dashboard(dashboard).map_err(|_| gone())?;
    if !board.panels.iter().any(|p| p.view.id == panel) {
        return Err(gone());
    }
    let filter = granted_filter(&board, &grant.vars).map_err(|_| gone())?;
    Ok((grant, filter))
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
            assert_eq!(e.kind(), crate::error::ErrorKind::BadRequest, "{bad}");
        }
        assert!(EmbedQuery::parse(Some(&"a".repeat(query_string::MAX_QUERY_LEN + 1))).is_err());
    }
}
