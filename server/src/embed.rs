//! Embeds: one panel in someone else's page, as a live frame, an image or
//! data, allowed by a signed token (see [`token`]) and nothing else.
//!
//! Everything an embed needs is under `/embed/`, so an operator can publish
//! that prefix (and `/pkg/`, the browser bundle) while the rest of Vantage
//! stays inside. What leaves through an embed is the panel's data, its title
//! and unit: never a query, a data source's address or its own error text.

pub mod cli;
pub mod csv;
pub mod image;
pub mod keys;
pub mod request;
pub mod token;

use app::model::{PanelData, PanelStatus, TimeRange};

pub use keys::EmbedKeys;
pub use token::{EmbedClaims, Grant, TokenError};

/// The signing key, revocations, and who may frame embeds.
pub struct Embeds {
    pub keys: EmbedKeys,
    /// Origins allowed to frame embeds and to call them across origins.
    origins: Vec<String>,
}

impl Embeds {
    pub fn new(keys: EmbedKeys, origins: Vec<String>) -> Self {
        Self { keys, origins }
    }

    /// Checks `token` for a request showing `panel` of `dashboard` with an
    /// optional range and variable values; says what the request may show.
    pub fn authorize(
        &self,
        token: &str,
        dashboard: &str,
        panel: &str,
        range: Option<TimeRange>,
        asked: &[(String, String)],
    ) -> Result<(EmbedClaims, Grant), TokenError> {
        let claims = token::verify(token, &self.keys.key(), crate::clock::now_seconds())?;
        if self.keys.is_revoked(&claims.id) {
            return Err(TokenError::Revoked);
        }
        let grant = claims.grant(dashboard, panel, range, asked)?;
        Ok((claims, grant))
    }

    /// Signs new claims with the current key, noted among the key's tokens.
    pub fn issue(
        &self,
        claims: &EmbedClaims,
        by: keys::MintedBy,
    ) -> Result<String, keys::KeyError> {
        self.keys.sign(claims, by)
    }

    /// The `frame-ancestors` directive for embeds: Vantage itself and the
    /// configured origins.
    pub fn frame_ancestors(&self) -> String {
        std::iter::once("'self'")
            .chain(self.origins.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Whether a cross-origin caller may read embeds (CORS).
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.origins.iter().any(|o| o == origin)
    }
}

/// The panel as an embed shows it: no drill-down links into Vantage, no list
/// of missing metrics, and the data source's own messages (which may quote a query) replaced by plain ones.
pub fn redact(mut data: PanelData) -> PanelData {
    data.view.links.clear();
    data.status = match data.status {
        PanelStatus::Live => PanelStatus::Live,
        PanelStatus::Stale { .. } => PanelStatus::Stale {
            reason: "the data source is not answering".into(),
        },
        PanelStatus::Error { .. } => PanelStatus::Error {
            message: "the data source could not answer".into(),
        },
    };
    if !data.warnings.is_empty() {
        data.warnings = vec!["the data source answered in part".into()];
    }
    // Which metrics the data source lacks is for the team, not the portal.
    data.missing.clear();
    data
}

/// Why a token could not be revoked by someone.
#[derive(Debug, thiserror::Error)]
pub enum RevokeError {
    #[error("no shared panel has the id {0:?}")]
    Unknown(String),
    #[error("that panel was shared by someone else; an admin may revoke it")]
    NotYours,
    #[error(transparent)]
    Key(#[from] keys::KeyError),
}

impl Embeds {
    /// The tokens `who` made, or `everyone`'s; newest first. Who may ask is
    /// the caller's to check (`CurrentUser::at_least`).
    pub fn shared_panels(&self, who: &str, everyone: bool) -> app::model::SharedPanels {
        use app::model::{SharedPanel, SharedPanels, TokenState};
        let now = crate::clock::now_seconds();
        let mut tokens: Vec<SharedPanel> = self
            .keys
            .issued()
            .into_iter()
            .filter(|t| everyone || t.minted_by.as_ref().is_some_and(|b| b.id == who))
            .map(|t| SharedPanel {
                state: if self.keys.is_revoked(&t.id) {
                    TokenState::Revoked
                } else if t.exp <= now {
                    TokenState::Expired
                } else {
                    TokenState::Active
                },
                id: t.id,
                dashboard: t.dashboard,
                panel: t.panel,
                ranges: t.ranges,
                vars: t.vars,
                expires_at: t.exp,
                minted_by: t.minted_by.map(|b| b.name),
                minted_at: t.minted_at,
            })
            .collect();
        tokens.reverse();
        SharedPanels { tokens, everyone }
    }

    /// Revokes a token `who` made, or anyone's when `any`.
    pub fn revoke_for(&self, id: &str, who: &str, any: bool) -> Result<keys::Issued, RevokeError> {
        let token = self
            .keys
            .issued()
            .into_iter()
            .find(|t| t.id == id)
            .ok_or_else(|| RevokeError::Unknown(id.to_string()))?;
        let own = token.minted_by.as_ref().is_some_and(|b| b.id == who);
        if !(own || any) {
            return Err(RevokeError::NotYours);
        }
        self.keys.revoke(id)?;
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use app::model::{RelativeRange, TimeRange};

    use super::*;

    // Paused time: a day passes in no time, and the wall clock with it.
    #[tokio::test(start_paused = true)]
    async fn a_token_serves_until_its_expiry_and_is_listed_expired_after() {
        let embeds = Embeds::new(EmbedKeys::ephemeral(), Vec::new());
        let claims = EmbedClaims {
            id: keys::new_token_id(),
            dashboard: "overview".into(),
            panel: "request_rate".into(),
            vars: Default::default(),
            ranges: vec![TimeRange::Relative(RelativeRange::H1)],
            exp: crate::clock::now_seconds() + 24 * 3600,
        };
        let by = keys::MintedBy::command_line();
        let token = embeds.issue(&claims, by.clone()).unwrap();
        let shown =
            |embeds: &Embeds| embeds.authorize(&token, "overview", "request_rate", None, &[]);
        let state = |embeds: &Embeds| embeds.shared_panels(&by.id, true).tokens[0].state;

        tokio::time::advance(Duration::from_secs(24 * 3600 - 2)).await;
        assert!(shown(&embeds).is_ok());
        assert_eq!(state(&embeds), app::model::TokenState::Active);

        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(shown(&embeds).unwrap_err(), TokenError::Expired);
        assert_eq!(state(&embeds), app::model::TokenState::Expired);
    }
}
