//! Asking for an embed token (the share dialog) and what comes back.

use serde::{Deserialize, Serialize};

/// `POST /api/embed-tokens`: one panel, the ranges and filter it may show.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbedRequest {
    pub dashboard: String,
    pub panel: String,
    /// Ranges the embed may show; the first is its default.
    pub ranges: Vec<String>,
    /// `(variable, value)` pairs the embed shows; none: the panel unfiltered.
    #[serde(default)]
    pub vars: Vec<(String, String)>,
    /// How long the token lives: `1d`, `7d`, `30d`, …
    pub expires: String,
}

/// A token and the paths that use it (the page adds its own origin).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IssuedEmbed {
    pub id: String,
    pub token: String,
    /// Unix seconds.
    pub expires_at: i64,
    pub live: String,
    pub svg: String,
    pub png: String,
    pub csv: String,
}

/// Whether a shared panel's token still opens it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenState {
    Active,
    Expired,
    Revoked,
}

/// One token in the "Shared panels" list: its scope, its life, who made it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SharedPanel {
    pub id: String,
    pub dashboard: String,
    pub panel: String,
    /// The ranges it allows, as written (`1h`, `FROM..TO`).
    pub ranges: Vec<String>,
    /// Per variable, the values it may show.
    pub vars: std::collections::BTreeMap<String, Vec<String>>,
    /// Unix seconds.
    pub expires_at: i64,
    /// Who made it (a user's name, or the command line); unknown for old tokens.
    pub minted_by: Option<String>,
    /// Unix seconds.
    pub minted_at: Option<i64>,
    pub state: TokenState,
}

/// `GET /api/embed-tokens`: an editor's own tokens, or every token for an admin.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SharedPanels {
    pub tokens: Vec<SharedPanel>,
    /// Whether these are everyone's (an admin), not only the viewer's own.
    pub everyone: bool,
}
