//! Sessions: a random id in an `HttpOnly`, `SameSite=Lax` cookie (`Secure`
//! when Vantage is reached over https), the user on the server beside it. A
//! session ends after `session_idle_minutes` without a request, and
//! `session_max_hours` after the login whatever happens; logging out ends it
//! on the server, so a copied cookie is worth nothing after.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tower_sessions::{cookie::SameSite, Expiry, MemoryStore, Session, SessionManagerLayer};

use super::{users_file::UsersFile, SignedInBy, User};
use crate::{clock::now_ms, config::Config, error::Error};

/// The cookie's name.
pub const COOKIE: &str = "vantage_session";
/// Where the user is kept in the session.
const KEY: &str = "user";
/// A request refreshes the session's idle deadline at most this often (each
/// refresh is a write to the store).
const REFRESH_EVERY_MS: i64 = 60_000;

#[derive(Debug, Serialize, Deserialize)]
struct SignedIn {
    user: User,
    /// When they logged in (the absolute expiry counts from here).
    since_ms: i64,
    /// When the idle deadline was last pushed back.
    refreshed_ms: i64,
}

#[derive(Debug, Clone)]
pub struct SessionRules {
    idle: Duration,
    max: Duration,
    secure: bool,
}

impl SessionRules {
    pub fn of(config: &Config) -> Self {
        Self {
            idle: Duration::from_secs(config.session_idle_minutes * 60),
            max: Duration::from_secs(config.session_max_hours * 3600),
            secure: config.public_url.iter().any(|u| u.scheme() == "https"),
        }
    }

    /// The layer that reads and writes the cookie, around the gate.
    pub fn layer(&self) -> SessionManagerLayer<MemoryStore> {
        let idle = tower_sessions::cookie::time::Duration::seconds(
            i64::try_from(self.idle.as_secs()).unwrap_or(i64::MAX),
        );
        SessionManagerLayer::new(MemoryStore::default())
            .with_name(COOKIE)
            .with_http_only(true)
            .with_same_site(SameSite::Lax)
            .with_secure(self.secure)
            .with_path("/")
            .with_expiry(Expiry::OnInactivity(idle))
    }

    /// Starts a session for `user` under a new id (an id known before the
    /// login, planted by someone else, is worth nothing after it).
    pub async fn begin(&self, session: &Session, user: User) -> Result<(), Error> {
        session.cycle_id().await.map_err(Error::internal)?;
        let now = now_ms();
        session
            .insert(
                KEY,
                SignedIn {
                    user,
                    since_ms: now,
                    refreshed_ms: now,
                },
            )
            .await
            .map_err(Error::internal)
    }

    /// Ends the session on the server and tells the browser to drop the cookie.
    pub async fn end(session: &Session) {
        if let Err(e) = session.flush().await {
            tracing::warn!("could not end a session: {e}");
        }
    }

    /// The session's user while the session holds: not past its absolute
    /// expiry, and (for a password login) still in the users file, with the
    /// role the file gives now.
    pub async fn user(&self, session: &Session, users: Option<&UsersFile>) -> Option<User> {
        let mut signed: SignedIn = session.get(KEY).await.ok().flatten()?;
        let now = now_ms();
        let max_ms = i64::try_from(self.max.as_millis()).unwrap_or(i64::MAX);
        if now.saturating_sub(signed.since_ms) > max_ms {
            Self::end(session).await;
            return None;
        }
        let mut changed = false;
        if signed.user.by == SignedInBy::Password {
            match users.and_then(|u| u.role_of(&signed.user.name)) {
                Some(role) if role == signed.user.role => {}
                Some(role) => {
                    signed.user.role = role;
                    changed = true;
                }
                None => {
                    Self::end(session).await;
                    return None;
                }
            }
        }
        if changed || now.saturating_sub(signed.refreshed_ms) > REFRESH_EVERY_MS {
            signed.refreshed_ms = now;
            let user = signed.user.clone();
            // A failed refresh only shortens the session.
            let _ = session.insert(KEY, signed).await;
            return Some(user);
        }
        Some(signed.user)
    }
}
