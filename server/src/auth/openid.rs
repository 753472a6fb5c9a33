//! OpenID Connect logins: the authorization code flow with PKCE, `state` and
//! `nonce` (the `openidconnect` crate does the protocol: discovery, the
//! token exchange, the ID token's signature, issuer, audience, expiry and
//! nonce). Users are known by issuer and `sub`, never by e-mail; their role
//! comes from a claim (`openid_roles_claim`, `groups` by default) read from
//! the provider's userinfo answer, mapped by `editor_groups`/`admin_groups`.
//!
//! `GET /auth/openid?next=…` sends the browser to the provider; the provider
//! sends it back to `GET /auth/openid/callback?code=…&state=…`.

use std::{collections::HashMap, sync::Arc, time::Duration};

use axum::http::{self, StatusCode};
use openidconnect::{
    core::{CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreProviderMetadata},
    AccessTokenHash, AdditionalClaims, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, UserInfoClaims,
};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use super::{proxy::GroupRoles, SignedInBy, User};
use crate::{clock::now_ms, config::Config};

/// A login begun must come back within this long.
const PENDING_FOR_MS: i64 = 10 * 60 * 1000;
/// How long a provider's discovery document (and keys) are kept before they
/// are fetched again (keys rotate).
const DISCOVERY_FOR: Duration = Duration::from_secs(3600);
/// Deadline for one request to the provider.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Every claim the userinfo answer has beyond the standard ones.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct OtherClaims(HashMap<String, serde_json::Value>);
impl AdditionalClaims for OtherClaims {}

/// What a login in progress keeps in the session, to check what comes back.
#[derive(Debug, Serialize, Deserialize)]
pub struct Pending {
    state: String,
    nonce: String,
    verifier: String,
    next: String,
    started_ms: i64,
}

pub const PENDING_KEY: &str = "openid_pending";

#[derive(Debug, thiserror::Error)]
pub enum OpenIdError {
    #[error("the identity provider could not be reached or answered wrongly: {0}")]
    Provider(String),
    #[error("the login came back without a login in progress, or too late")]
    NoPending,
    #[error("the login that came back is not the one this browser began (state)")]
    WrongState,
    #[error("the identity provider refused the login: {0}")]
    Refused(String),
    #[error("the identity provider's token did not hold: {0}")]
    BadToken(String),
}

/// The provider's HTTP through the server's own client (no redirects
/// followed: a provider's answer is never a redirect to somewhere else).
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error(transparent)]
    Request(#[from] reqwest::Error),
    #[error(transparent)]
    Http(#[from] http::Error),
}

async fn send(
    client: reqwest::Client,
    request: openidconnect::HttpRequest,
) -> Result<openidconnect::HttpResponse, HttpError> {
    let (parts, body) = request.into_parts();
    let response = client
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await?;
    let mut answer = http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        answer = answer.header(name, value);
    }
    Ok(answer.body(response.bytes().await?.to_vec())?)
}

pub struct OpenId {
    issuer: IssuerUrl,
    client_id: ClientId,
    secret: Option<ClientSecret>,
    redirect: RedirectUrl,
    scopes: Vec<String>,
    roles_claim: String,
    roles: GroupRoles,
    /// The button's words ("Log in with …").
    pub name: String,
    http: reqwest::Client,
    discovered: Mutex<Option<(std::time::Instant, Arc<Client>)>>,
}

impl OpenId {
    /// Set when `openid_issuer` is; the secret file is read here, so a
    /// missing one stops the start.
    pub fn from_config(config: &Config) -> Result<Option<Self>, String> {
        let Some(issuer) = &config.openid_issuer else {
            return Ok(None);
        };
        let issuer = IssuerUrl::new(issuer.as_str().trim_end_matches('/').to_string())
            .map_err(|e| format!("openid_issuer: {e}"))?;
        let client_id = config
            .openid_client_id
            .clone()
            .ok_or("openid_issuer is set, so openid_client_id must be too")?;
        let secret = match &config.openid_client_secret_file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("openid_client_secret_file {}: {e}", path.display()))?;
                Some(ClientSecret::new(text.trim().to_string()))
            }
            None => None,
        };
        let base = config
            .public_url
            .first()
            .map(|u| u.as_str().trim_end_matches('/').to_string())
            .unwrap_or_else(|| format!("http://{}", config.listen));
        let redirect = RedirectUrl::new(format!("{base}/auth/openid/callback"))
            .map_err(|e| format!("the OpenID redirect URL: {e}"))?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Some(Self {
            issuer,
            client_id: ClientId::new(client_id),
            secret,
            redirect,
            scopes: config.openid_scopes.clone(),
            roles_claim: config.openid_roles_claim.clone(),
            roles: GroupRoles::of(config),
            name: config.openid_name.clone(),
            http,
            discovered: Mutex::new(None),
        }))
    }

    /// The client, from the provider's discovery document (fetched at the
    /// first login, then again after [`DISCOVERY_FOR`]).
    async fn client(&self) -> Result<Arc<Client>, OpenIdError> {
        let mut discovered = self.discovered.lock().await;
        if let Some((at, client)) = discovered.as_ref() {
            if at.elapsed() < DISCOVERY_FOR {
                return Ok(Arc::clone(client));
            }
        }
        let http = |request| send(self.http.clone(), request);
        let metadata = CoreProviderMetadata::discover_async(self.issuer.clone(), &http)
            .await
            .map_err(|e| OpenIdError::Provider(error_chain(&e)))?;
        let client = Arc::new(
            CoreClient::from_provider_metadata(
                metadata,
                self.client_id.clone(),
                self.secret.clone(),
            )
            .set_redirect_uri(self.redirect.clone()),
        );
        *discovered = Some((std::time::Instant::now(), Arc::clone(&client)));
        Ok(client)
    }

    /// Where to send the browser, and what to keep until it comes back.
    pub async fn begin(&self, next: &str) -> Result<(String, Pending), OpenIdError> {
        let client = self.client().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in &self.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.url();
        Ok((
            url.to_string(),
            Pending {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                verifier: verifier.secret().clone(),
                next: next.to_string(),
                started_ms: now_ms(),
            },
        ))
    }

    /// The user the provider vouches for, and where they were going.
    pub async fn finish(
        &self,
        pending: Option<Pending>,
        code: &str,
        state: &str,
    ) -> Result<(User, String), OpenIdError> {
        let pending = pending
            .filter(|p| now_ms().saturating_sub(p.started_ms) <= PENDING_FOR_MS)
            .ok_or(OpenIdError::NoPending)?;
        if pending.state != state {
            return Err(OpenIdError::WrongState);
        }
        let client = self.client().await?;
        let http = |request| send(self.http.clone(), request);
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| OpenIdError::Provider(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
            .request_async(&http)
            .await
            .map_err(|e| OpenIdError::Refused(error_chain(&e)))?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| OpenIdError::BadToken("no ID token came back".into()))?;
        let verifier = client.id_token_verifier();
        let claims = id_token
            .claims(&verifier, &Nonce::new(pending.nonce))
            .map_err(|e| OpenIdError::BadToken(e.to_string()))?;
        // An access token that came with the ID token must be the one it names.
        if let Some(expected) = claims.access_token_hash() {
            let signing = id_token
                .signing_alg()
                .and_then(|alg| id_token.signing_key(&verifier).map(|key| (alg, key)))
                .map_err(|e| OpenIdError::BadToken(e.to_string()))?;
            let actual = AccessTokenHash::from_token(tokens.access_token(), signing.0, signing.1)
                .map_err(|e| OpenIdError::BadToken(e.to_string()))?;
            if actual != *expected {
                return Err(OpenIdError::BadToken(
                    "the access token is not the one signed for".into(),
                ));
            }
        }
        let subject = claims.subject().clone();
        let issuer = claims.issuer().as_str().to_string();
        let mut name = claims
            .preferred_username()
            .map(|n| n.as_str().to_string())
            .or_else(|| {
                claims
                    .name()
                    .and_then(|n| n.get(None))
                    .map(|n| n.as_str().to_string())
            });
        let mut groups: Vec<String> = Vec::new();
        // The role claim from userinfo, for the subject the ID token named.
        if let Ok(request) = client.user_info(tokens.access_token().clone(), Some(subject.clone()))
        {
            match request
                .request_async::<OtherClaims, _, CoreGenderClaim>(&http)
                .await
            {
                Ok(info) => {
                    groups = groups_in(info.additional_claims(), &self.roles_claim);
                    if name.is_none() {
                        name = user_info_name(&info);
                    }
                }
                Err(e) => tracing::warn!(
                    "the identity provider's userinfo did not answer ({}): {} gets the viewer role",
                    error_chain(&e),
                    subject.as_str()
                ),
            }
        }
        let name = name.unwrap_or_else(|| subject.as_str().to_string());
        let user = User {
            id: format!("openid:{issuer}#{}", subject.as_str()),
            name,
            role: self.roles.role_of(&groups),
            by: SignedInBy::OpenId,
        };
        Ok((user, pending.next))
    }
}

fn user_info_name(info: &UserInfoClaims<OtherClaims, CoreGenderClaim>) -> Option<String> {
    info.preferred_username()
        .map(|n| n.as_str().to_string())
        .or_else(|| {
            info.name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_string())
        })
}

/// The claim's groups: a list of names, or one name.
fn groups_in(claims: &OtherClaims, claim: &str) -> Vec<String> {
    match claims.0.get(claim) {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .take(256)
            .collect(),
        Some(serde_json::Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

/// An error and its causes on one line, for the log.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

impl OpenIdError {
    /// What the login page says (details stay in the log).
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Provider(_) => StatusCode::BAD_GATEWAY,
            _ => StatusCode::UNAUTHORIZED,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_a_list_or_one_name() {
        let claims: OtherClaims = serde_json::from_value(serde_json::json!({
            "groups": ["staff", "vantage-editors", 7],
            "team": "ops"
        }))
        .unwrap();
        assert_eq!(groups_in(&claims, "groups"), ["staff", "vantage-editors"]);
        assert_eq!(groups_in(&claims, "team"), ["ops"]);
        assert!(groups_in(&claims, "roles").is_empty());
    }
}
