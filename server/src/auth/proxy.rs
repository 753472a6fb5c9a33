//! Logins done by a reverse proxy in front (oauth2-proxy, an ingress with
//! its own login, nginx with `auth_basic`): it names the user, and their
//! groups, in headers. Believed only from `trusted_proxies`: the same
//! headers from anyone else are ignored, as if not sent.

use axum::{body::Body, http::HeaderName, http::Request};

use super::{Role, SignedInBy, User};
use crate::{config::Config, edge::request_id::TrustedProxies};

/// Most groups read from one request's header.
const MAX_GROUPS: usize = 64;

pub struct ProxyLogin {
    user: HeaderName,
    groups: Option<HeaderName>,
    trusted: TrustedProxies,
    roles: GroupRoles,
}

impl ProxyLogin {
    /// Set when `proxy_user_header` is (the settings make sure
    /// `trusted_proxies` is then set too).
    pub fn from_config(config: &Config) -> Option<Self> {
        let user = HeaderName::try_from(config.proxy_user_header.as_deref()?).ok()?;
        let groups = config
            .proxy_groups_header
            .as_deref()
            .and_then(|h| HeaderName::try_from(h).ok());
        Some(Self {
            user,
            groups,
            trusted: TrustedProxies::new(&config.trusted_proxies),
            roles: GroupRoles::of(config),
        })
    }

    /// The user the proxy names, if a trusted proxy sent the request.
    pub fn user_of(&self, request: &Request<Body>) -> Option<User> {
        if !self.trusted.sent(request) {
            return None;
        }
        let headers = request.headers();
        let name = headers.get(&self.user)?.to_str().ok()?.trim();
        super::users_file::check_name(name).ok()?;
        let groups: Vec<&str> = self
            .groups
            .as_ref()
            .and_then(|h| headers.get(h))
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|g| !g.is_empty())
                    .take(MAX_GROUPS)
                    .collect()
            })
            .unwrap_or_default();
        Some(User {
            id: format!("proxy:{name}"),
            name: name.to_string(),
            role: self.roles.role_of(&groups),
            by: SignedInBy::Proxy,
        })
    }
}

/// Roles from group names (a proxy's header, an identity provider's claim):
/// `admin_groups` make admins, `editor_groups` editors, anyone else a viewer.
#[derive(Debug, Clone)]
pub struct GroupRoles {
    editor: Vec<String>,
    admin: Vec<String>,
}

impl GroupRoles {
    pub fn of(config: &Config) -> Self {
        Self {
            editor: config.editor_groups.clone(),
            admin: config.admin_groups.clone(),
        }
    }

    pub fn role_of<S: AsRef<str>>(&self, groups: &[S]) -> Role {
        let any_of =
            |names: &[String]| groups.iter().any(|g| names.iter().any(|n| n == g.as_ref()));
        if any_of(&self.admin) {
            Role::Admin
        } else if any_of(&self.editor) {
            Role::Editor
        } else {
            Role::Viewer
        }
    }
}
