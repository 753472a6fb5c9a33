//! Embed tokens: what one embedded panel may show, signed so it cannot be
//! altered or widened.
//!
//! On the wire a token is `v1.<claims>.<signature>`: the claims as JSON and an
//! HMAC-SHA256 over `v1.<claims>`, both base64url without padding. Only the
//! server's key can make a signature; changing one byte of the claims (another
//! panel, a wider range, one more service) makes it wrong.

use std::collections::BTreeMap;

use app::model::TimeRange;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

const VERSION: &str = "v1";
/// Longest token accepted: real ones are a few hundred bytes.
pub const MAX_TOKEN_LEN: usize = 4096;

/// What a token allows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbedClaims {
    /// Names the token for revocation.
    pub id: String,
    pub dashboard: String,
    pub panel: String,
    /// Per variable, the values the embed may show: it may ask for some of
    /// them, and without asking it shows them all. A variable not named here
    /// cannot be set, so the panel shows what it shows unfiltered.
    #[serde(default)]
    pub vars: BTreeMap<String, Vec<String>>,
    /// The ranges the embed may show; the first is its default.
    pub ranges: Vec<TimeRange>,
    /// Expiry, Unix seconds.
    pub exp: i64,
}

/// Why a token was refused. The messages name what was wrong with the
/// token or the request, never a query or where data comes from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("an embed needs a token (token=…)")]
    Missing,
    #[error("the token is malformed")]
    Malformed,
    #[error("the token's signature is not valid")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
    #[error("the token has been revoked")]
    Revoked,
    #[error("the token is for another panel")]
    OtherPanel,
    #[error("the token does not allow this time range")]
    RangeNotAllowed,
    #[error("the token does not allow {0}")]
    FilterNotAllowed(String),
}

impl TokenError {
    /// 401: no valid token at all; 403: a valid token asked for more than it allows.
    pub fn is_forbidden(&self) -> bool {
        matches!(
            self,
            Self::OtherPanel | Self::RangeNotAllowed | Self::FilterNotAllowed(_)
        )
    }
}

impl From<TokenError> for crate::error::Error {
    fn from(e: TokenError) -> Self {
        use crate::error::ErrorKind;
        let kind = if e.is_forbidden() {
            ErrorKind::Forbidden
        } else {
            ErrorKind::Unauthorized
        };
        Self::new(kind, e.to_string())
    }
}

type HmacSha256 = Hmac<Sha256>;

fn mac(key: &[u8]) -> HmacSha256 {
    HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length")
}

/// Makes the wire form of `claims`, signed with `key`.
pub fn sign(claims: &EmbedClaims, key: &[u8]) -> String {
    let json = serde_json::to_vec(claims).expect("claims serialise");
    let signed = format!("{VERSION}.{}", URL_SAFE_NO_PAD.encode(json));
    let mut mac = mac(key);
    mac.update(signed.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signed}.{signature}")
}

/// The claims of `token` if `key` signed it and it has not expired at `now`
/// (Unix seconds). The signature is checked (in constant time) before the
/// claims are even parsed.
pub fn verify(token: &str, key: &[u8], now: i64) -> Result<EmbedClaims, TokenError> {
    if token.is_empty() {
        return Err(TokenError::Missing);
    }
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenError::Malformed);
    }
    let (signed, signature) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
    let (version, claims) = signed.split_once('.').ok_or(TokenError::Malformed)?;
    if version != VERSION {
        return Err(TokenError::Malformed);
    }
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| TokenError::Malformed)?;
    let mut mac = mac(key);
    mac.update(signed.as_bytes());
    mac.verify_slice(&signature)
        .map_err(|_| TokenError::BadSignature)?;
    let json = URL_SAFE_NO_PAD
        .decode(claims)
        .map_err(|_| TokenError::Malformed)?;
    let claims: EmbedClaims = serde_json::from_slice(&json).map_err(|_| TokenError::Malformed)?;
    if claims.exp <= now {
        return Err(TokenError::Expired);
    }
    if claims.ranges.is_empty() {
        return Err(TokenError::Malformed);
    }
    Ok(claims)
}

/// What an embed request shows, once its token allowed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub range: TimeRange,
    /// Per variable, the values to filter by (never more than the token's).
    pub vars: Vec<(String, String)>,
}

impl EmbedClaims {
    /// Checks a request for `dashboard`/`panel` with an optional range and
    /// variable values against these claims, and says what it may show.
    pub fn grant(
        &self,
        dashboard: &str,
        panel: &str,
        range: Option<TimeRange>,
        asked: &[(String, String)],
    ) -> Result<Grant, TokenError> {
        if self.dashboard != dashboard || self.panel != panel {
            return Err(TokenError::OtherPanel);
        }
        let range = match range {
            None => self.ranges[0],
            Some(r) if self.ranges.contains(&r) => r,
            Some(_) => return Err(TokenError::RangeNotAllowed),
        };
        let mut vars = Vec::new();
        for (name, value) in asked {
            let allowed = self.vars.get(name).ok_or_else(|| {
                TokenError::FilterNotAllowed(format!("filtering by {}", clip(name)))
            })?;
            if !allowed.contains(value) {
                return Err(TokenError::FilterNotAllowed(format!(
                    "{}={}",
                    clip(name),
                    clip(value)
                )));
            }
            vars.push((name.clone(), value.clone()));
        }
        // Not asked: everything the token allows, never everything there is.
        for (name, allowed) in &self.vars {
            if !asked.iter().any(|(n, _)| n == name) {
                vars.extend(allowed.iter().map(|v| (name.clone(), v.clone())));
            }
        }
        Ok(Grant { range, vars })
    }
}

/// Request text echoed in an error, kept short and printable.
fn clip(text: &str) -> String {
    let clipped: String = text.chars().filter(|c| !c.is_control()).take(40).collect();
    format!("{clipped:?}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::model::RelativeRange;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn claims() -> EmbedClaims {
        EmbedClaims {
            id: "t1".into(),
            dashboard: "overview".into(),
            panel: "request_rate".into(),
            vars: BTreeMap::from([("service".into(), vec!["api-gateway".into()])]),
            ranges: vec![RelativeRange::H1.into(), RelativeRange::H6.into()],
            exp: 2_000,
        }
    }

    #[test]
    fn a_signed_token_verifies_and_grants_what_it_names() {
        let token = sign(&claims(), KEY);
        let c = verify(&token, KEY, 1_000).unwrap();
        assert_eq!(c, claims());
        let g = c.grant("overview", "request_rate", None, &[]).unwrap();
        assert_eq!(g.range, RelativeRange::H1.into());
        assert_eq!(g.vars, [("service".into(), "api-gateway".into())]);
        let g = c
            .grant(
                "overview",
                "request_rate",
                Some(RelativeRange::H6.into()),
                &[],
            )
            .unwrap();
        assert_eq!(g.range, RelativeRange::H6.into());
    }

    #[test]
    fn altered_widened_expired_and_foreign_tokens_are_refused() {
        let token = sign(&claims(), KEY);
        assert_eq!(verify(&token, KEY, 2_000), Err(TokenError::Expired));
        assert_eq!(
            verify(&token, b"another key", 1_000),
            Err(TokenError::BadSignature)
        );
        // Claims widened by hand keep the old signature: refused.
        let mut wide = claims();
        wide.vars.clear();
        let forged = format!(
            "{}.{}",
            sign(&wide, b"attacker").rsplit_once('.').unwrap().0,
            token.rsplit_once('.').unwrap().1
        );
        assert_eq!(verify(&forged, KEY, 1_000), Err(TokenError::BadSignature));
        for garbage in ["", "v1", "v1..", "v2.e30.AA", "v1.e30.%%%", "x.y.z"] {
            assert!(verify(garbage, KEY, 1_000).is_err(), "{garbage:?}");
        }
        assert_eq!(
            verify(&"a".repeat(MAX_TOKEN_LEN + 1), KEY, 0),
            Err(TokenError::Malformed)
        );
        let c = verify(&token, KEY, 1_000).unwrap();
        assert_eq!(
            c.grant("overview", "latency", None, &[]),
            Err(TokenError::OtherPanel)
        );
        assert_eq!(
            c.grant("api", "request_rate", None, &[]),
            Err(TokenError::OtherPanel)
        );
        assert_eq!(
            c.grant(
                "overview",
                "request_rate",
                Some(RelativeRange::D7.into()),
                &[]
            ),
            Err(TokenError::RangeNotAllowed)
        );
        let asked = [("service".to_string(), "payments".to_string())];
        assert!(matches!(
            c.grant("overview", "request_rate", None, &asked),
            Err(TokenError::FilterNotAllowed(_))
        ));
        let asked = [("endpoint".to_string(), "/x".to_string())];
        assert!(c
            .grant("overview", "request_rate", None, &asked)
            .unwrap_err()
            .is_forbidden());
    }
}
