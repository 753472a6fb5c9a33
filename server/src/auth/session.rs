//! Sessions: a random id in an `HttpOnly`, `SameSite=Lax` cookie (`Secure`
//! when Vantage is reached over https), the user on the server beside it. A
//! session ends after `session_idle_minutes` without a request, and
//! `session_max_hours` after the login whatever happens; logging out ends it
//! on the server, so a copied cookie is worth nothing after.

use std::{
    sync::{Arc, OnceLock},
    time::Duration,
};

use serde::{Deserialize, Serialize};
use tower_sessions::{
    cookie::SameSite,
    session::{Id, Record},
    session_store::{self, SessionStore},
    Expiry, MemoryStore, Session, SessionManagerLayer,
};

use super::{users_file::UsersFile, SignedInBy, User};
use crate::{clock::now_ms, config::Config, error::Error, health::store::PostgresStore};

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
    /// The shared store sessions are kept in, when replicas share one (set
    /// once, at start); else they live in this process's memory.
    shared: Arc<OnceLock<Arc<PostgresStore>>>,
}

/// Where sessions live: this process's memory, or the store replicas share
/// (so a login on one replica is a login on every other).
#[derive(Debug, Clone)]
pub enum SessionBackend {
    Memory(MemoryStore),
    Shared(Arc<PostgresStore>),
}

fn backend_error(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

#[async_trait::async_trait]
impl SessionStore for SessionBackend {
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Self::Memory(m) => m.save(record).await,
            Self::Shared(store) => {
                let json = serde_json::to_string(record)
                    .map_err(|e| session_store::Error::Encode(e.to_string()))?;
                let (store, id) = (Arc::clone(store), record.id.to_string());
                let expires_ms = record.expiry_date.unix_timestamp() * 1000;
                tokio::task::spawn_blocking(move || store.session_save(&id, &json, expires_ms))
                    .await
                    .map_err(backend_error)?
                    .map_err(backend_error)
            }
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Self::Memory(m) => m.load(id).await,
            Self::Shared(store) => {
                let (store, id) = (Arc::clone(store), id.to_string());
                let now = now_ms();
                let json = tokio::task::spawn_blocking(move || store.session_load(&id, now))
                    .await
                    .map_err(backend_error)?
                    .map_err(backend_error)?;
                json.map(|j| {
                    serde_json::from_str(&j)
                        .map_err(|e| session_store::Error::Decode(e.to_string()))
                })
                .transpose()
            }
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Self::Memory(m) => m.delete(id).await,
            Self::Shared(store) => {
                let (store, id) = (Arc::clone(store), id.to_string());
                tokio::task::spawn_blocking(move || store.session_delete(&id))
                    .await
                    .map_err(backend_error)?
                    .map_err(backend_error)
            }
        }
    }
}

impl SessionRules {
    pub fn of(config: &Config) -> Self {
        Self {
            idle: Duration::from_secs(config.session_idle_minutes * 60),
            max: Duration::from_secs(config.session_max_hours * 3600),
            secure: config.public_url.iter().any(|u| u.scheme() == "https"),
            shared: Arc::new(OnceLock::new()),
        }
    }

    /// Keeps sessions in `store`, shared with the other replicas on it.
    pub fn share_through(&self, store: Arc<PostgresStore>) {
        let _ = self.shared.set(store);
    }

    /// The layer that reads and writes the cookie, around the gate.
    pub fn layer(&self) -> SessionManagerLayer<SessionBackend> {
        let idle = tower_sessions::cookie::time::Duration::seconds(
            i64::try_from(self.idle.as_secs()).unwrap_or(i64::MAX),
        );
        let backend = match self.shared.get() {
            Some(store) => SessionBackend::Shared(Arc::clone(store)),
            None => SessionBackend::Memory(MemoryStore::default()),
        };
        SessionManagerLayer::new(backend)
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
