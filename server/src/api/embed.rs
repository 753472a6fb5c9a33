//! `/embed/…`: one panel for someone else's page, each answer allowed by the
//! request's token. The live page itself is rendered by the app (see
//! `router`); this module serves the panel's images, data and stream.

use app::model::{EmbedRequest, IssuedEmbed};
use axum::{
    extract::{Path, RawQuery, State},
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
    Json,
};
use futures::{future, stream, StreamExt};

use super::stream::{hello, sse, EventStream};
use crate::{
    embed::{
        image,
        request::{authorize, load_panel, EmbedQuery},
    },
    error::Error,
    hub::{StreamEvent, TopicKey},
    state::AppState,
};

/// An embed's failure: the views' error, answered as the API answers it but
/// never cached, since it depends on the token.
#[derive(Debug)]
pub struct EmbedError(pub Error);

impl From<Error> for EmbedError {
    fn from(e: Error) -> Self {
        Self(e)
    }
}

impl IntoResponse for EmbedError {
    fn into_response(self) -> Response {
        let mut response = self.0.into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// Which image format a path asks for, if it names one: `request_rate.svg`.
pub fn image_format(file: &str) -> Option<(&str, ImageFormat)> {
    if let Some(panel) = file.strip_suffix(".svg") {
        Some((panel, ImageFormat::Svg))
    } else {
        file.strip_suffix(".png").map(|p| (p, ImageFormat::Png))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageFormat {
    Svg,
    Png,
}

/// `GET /embed/{dashboard}/{panel}.svg|.png?token=…&width=&height=&theme=&range=`:
/// the panel drawn on the server.
pub async fn image(
    state: &AppState,
    dashboard: &str,
    panel: &str,
    format: ImageFormat,
    query: Option<&str>,
) -> Result<Response, EmbedError> {
    let query = EmbedQuery::parse(query)?;
    let (data, grant) = load_panel(&state.embeds, &state.panels, dashboard, panel, &query).await?;
    let size = query.size.unwrap_or(image::DEFAULT_SIZE);
    let theme = query.theme.unwrap_or(image::Theme::Light);
    // Drawing is CPU work: off the async workers.
    let drawn = tokio::task::spawn_blocking(move || match format {
        ImageFormat::Svg => image::svg(&data, size, theme).map(String::into_bytes),
        ImageFormat::Png => image::png(&data, size, theme),
    })
    .await
    .map_err(Error::internal)?
    .map_err(Error::internal)?;
    // A moving range is news after one refresh; a fixed one hardly changes.
    let max_age = if grant.range.is_relative() {
        state.config.refresh_seconds
    } else {
        3600
    };
    let content_type = match format {
        ImageFormat::Svg => "image/svg+xml",
        ImageFormat::Png => "image/png",
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CACHE_CONTROL, format!("public, max-age={max_age}")),
            // An SVG opened on its own is a document: it may run nothing.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'".to_string(),
            ),
        ],
        drawn,
    )
        .into_response())
}

/// `GET /embed/{dashboard}/{panel}/data?token=…`: the panel's data as JSON
/// (what the live page and the script-tag embed draw).
pub async fn data(
    State(state): State<AppState>,
    Path((dashboard, panel)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, EmbedError> {
    let query = EmbedQuery::parse(query.as_deref())?;
    let (data, _) = load_panel(&state.embeds, &state.panels, &dashboard, &panel, &query).await?;
    Ok(Json(data).into_response())
}

/// `GET /embed/{dashboard}/{panel}/data.csv?token=…`: the same as a table,
/// one row per series and time.
pub async fn csv(
    State(state): State<AppState>,
    Path((dashboard, panel)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, EmbedError> {
    let query = EmbedQuery::parse(query.as_deref())?;
    let (data, _) = load_panel(&state.embeds, &state.panels, &dashboard, &panel, &query).await?;
    let body = crate::embed::csv::of(&data);
    let filename = format!("{dashboard}-{panel}.csv")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect::<String>();
    let response = (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response();
    Ok(response)
}

/// `GET /embed/{dashboard}/{panel}/stream?token=…`: the panel's live stream.
/// Its topic holds this one panel, so the embed never receives another's data.
pub async fn stream(
    State(state): State<AppState>,
    crate::edge::Peer(peer): crate::edge::Peer,
    Path((dashboard, panel)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, EmbedError> {
    let query = EmbedQuery::parse(query.as_deref())?;
    let (grant, filter) = authorize(&state.embeds, &state.panels, &dashboard, &panel, &query)?;
    let slot = state.stream_slots.claim(peer)?;
    let subscription = state
        .hub
        .subscribe(
            TopicKey {
                dashboard,
                range: grant.range,
                filter,
                every: state.hub.every(query.refresh),
                panel: Some(panel),
            },
            None,
        )
        .map_err(Error::from)?;
    let snapshot = stream::iter(subscription.snapshot);
    let live = subscription.events;
    let events: EventStream = Box::pin(
        stream::once(future::ready(hello()))
            .chain(
                snapshot
                    .chain(live)
                    .filter_map(|e| future::ready(redacted(&e))),
            )
            .take_until(state.shutdown.clone().cancelled_owned()),
    );
    Ok(sse(events, slot))
}

/// A hub event as an embed may see it: panel data redacted, anything else
/// (the dashboard changed) passed on.
fn redacted(event: &StreamEvent) -> Option<bytes::Bytes> {
    if event.kind != crate::hub::EventKind::Panel {
        return Some(event.frame());
    }
    let data: app::model::PanelData = serde_json::from_str(event.json()).ok()?;
    let json = serde_json::to_string(&crate::embed::redact(data)).ok()?;
    let id = event.id.to_string();
    Some(crate::hub::sse_frame(Some(&id), event.kind.as_str(), &json).0)
}

/// Lets an allowed origin's page read the embed's data and stream (the
/// script-tag embed); other origins' pages cannot.
pub fn cross_origin_reads(state: &AppState) -> tower_http::cors::CorsLayer {
    let embeds = std::sync::Arc::clone(&state.embeds);
    tower_http::cors::CorsLayer::new()
        .allow_methods([axum::http::Method::GET])
        .allow_origin(tower_http::cors::AllowOrigin::predicate(
            move |origin: &HeaderValue, _| origin.to_str().is_ok_and(|o| embeds.allows_origin(o)),
        ))
}

/// The live page's frame policy: Vantage and the configured origins.
pub fn frame_policy(state: &AppState) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "frame-ancestors {}",
        state.embeds.frame_ancestors()
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("frame-ancestors 'self'"))
}

/// Largest mint request read (a dialog's is a few hundred bytes); a larger
/// body gets 413 before it is parsed.
pub const MAX_MINT_BODY: usize = 16 * 1024;
/// What one token may carry: a dialog offers a handful of ranges and a value
/// or two per variable. The token travels in every URL of the embed.
const MAX_MINT_RANGES: usize = 8;
const MAX_MINT_VARS: usize = 32;
const MAX_MINT_TEXT: usize = 256;

fn within_mint_caps(request: &EmbedRequest) -> crate::error::Result<()> {
    if request.ranges.len() > MAX_MINT_RANGES {
        return Err(Error::bad_request(format!(
            "a token allows at most {MAX_MINT_RANGES} ranges"
        )));
    }
    if request.vars.len() > MAX_MINT_VARS {
        return Err(Error::bad_request(format!(
            "a token allows at most {MAX_MINT_VARS} variable values"
        )));
    }
    let texts = request
        .ranges
        .iter()
        .chain(request.vars.iter().flat_map(|(n, v)| [n, v]))
        .chain([&request.dashboard, &request.panel, &request.expires]);
    if texts.into_iter().any(|t| t.len() > MAX_MINT_TEXT) {
        return Err(Error::bad_request(format!(
            "a name or value in a token request is longer than {MAX_MINT_TEXT} bytes"
        )));
    }
    Ok(())
}

/// `POST /api/embed-tokens` (JSON): a token for one panel, from the share
/// dialog. It grants no more than the dialog's user already sees; a JSON body
/// means a browser on another site cannot send it without a CORS preflight,
/// which Vantage does not grant, so no other site can mint tokens through a
/// viewer's browser.
pub async fn issue(
    State(state): State<AppState>,
    user: crate::auth::CurrentUser,
    Json(request): Json<EmbedRequest>,
) -> crate::error::Result<Json<IssuedEmbed>> {
    let user = user.at_least(crate::auth::Role::Editor)?;
    within_mint_caps(&request)?;
    let life = crate::embed::cli::parse_life(&request.expires).map_err(Error::bad_request)?;
    let vars: Vec<String> = request
        .vars
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    let claims = crate::embed::cli::claims_for(
        &state.dashboards,
        &request.dashboard,
        &request.panel,
        &request.ranges,
        &vars,
        life,
    )
    .map_err(Error::bad_request)?;
    let by = crate::embed::keys::MintedBy {
        id: user.id.clone(),
        name: user.name.clone(),
    };
    let token = state.embeds.issue(&claims, by).map_err(Error::internal)?;
    tracing::info!(
        target: "vantage::audit",
        user = %user.id,
        token = %claims.id,
        dashboard = %claims.dashboard,
        panel = %claims.panel,
        expires_at = claims.exp,
        "minted an embed token"
    );
    let path = format!("/embed/{}/{}", claims.dashboard, claims.panel);
    Ok(Json(IssuedEmbed {
        id: claims.id,
        expires_at: claims.exp,
        live: format!("{path}?token={token}"),
        svg: format!("{path}.svg?token={token}"),
        png: format!("{path}.png?token={token}"),
        csv: format!("{path}/data.csv?token={token}"),
        token,
    }))
}

/// `GET /api/embed-tokens`: the "Shared panels" list (an editor's own, an
/// admin's everyone's).
pub async fn list_tokens(
    State(state): State<AppState>,
    user: crate::auth::CurrentUser,
) -> crate::error::Result<Json<app::model::SharedPanels>> {
    let user = user.at_least(crate::auth::Role::Editor)?;
    let everyone = user.role >= crate::auth::Role::Admin;
    Ok(Json(state.embeds.shared_panels(&user.id, everyone)))
}

/// `POST /api/embed-tokens/{id}/revoke`: ends one token for good. A form
/// (the "Shared panels" page without scripts) is sent back to the list; a
/// script gets `204`.
pub async fn revoke_token(
    State(state): State<AppState>,
    user: crate::auth::CurrentUser,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
) -> crate::error::Result<Response> {
    use crate::embed::RevokeError;
    let user = user.at_least(crate::auth::Role::Editor)?;
    let token = state
        .embeds
        .revoke_for(&id, &user.id, user.role >= crate::auth::Role::Admin)
        .map_err(|e| match e {
            RevokeError::Unknown(_) => Error::not_found(e.to_string()),
            RevokeError::NotYours => Error::new(crate::error::ErrorKind::Forbidden, e.to_string()),
            RevokeError::Key(e) => Error::internal(e),
        })?;
    tracing::info!(
        target: "vantage::audit",
        user = %user.id,
        token = %token.id,
        dashboard = %token.dashboard,
        panel = %token.panel,
        "revoked an embed token"
    );
    let form = headers.get(header::CONTENT_TYPE).is_some_and(|v| {
        v.as_bytes()
            .starts_with(b"application/x-www-form-urlencoded")
    });
    Ok(if form {
        axum::response::Redirect::to("/shared").into_response()
    } else {
        axum::http::StatusCode::NO_CONTENT.into_response()
    })
}

#[derive(serde::Deserialize)]
pub struct Rotate {
    #[serde(default)]
    confirm: String,
}

/// `POST /api/embed-key/rotate` (a form with `confirm=yes`): a new signing
/// key, so every token made so far stops working. Admins only.
pub async fn rotate_key(
    State(state): State<AppState>,
    user: crate::auth::CurrentUser,
    axum::Form(rotate): axum::Form<Rotate>,
) -> crate::error::Result<Response> {
    let user = user.at_least(crate::auth::Role::Admin)?;
    if rotate.confirm != "yes" {
        return Err(Error::bad_request(
            "rotating the key ends every shared panel: send confirm=yes",
        ));
    }
    state.embeds.keys.rotate().map_err(Error::internal)?;
    tracing::info!(target: "vantage::audit", user = %user.id, "rotated the embed key: every token ends");
    Ok(axum::response::Redirect::to("/shared").into_response())
}
