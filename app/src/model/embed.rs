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
