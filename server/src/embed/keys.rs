//! The key that signs embed tokens, the tokens it signed, and the revoked ones.
//!
//! All are small files that the server and the `vantage token` command share:
//! the key (64 hex digits, made on first start if missing) and, next to it,
//! `<key>.issued` (one JSON object a line for each token signed with this key,
//! so a revocation of an id no token has is told apart from a real one) and
//! `<key>.revoked` with one revoked token id per line. The server looks at
//! their modification times on use, so `vantage token revoke` and
//! `vantage token rotate-key` take effect on a running server at once.

use std::{
    collections::HashSet,
    path::{Path, PathBuf},
    sync::{Arc, RwLock},
    time::SystemTime,
};

use rand::Rng;

/// Bytes of key: as long as the HMAC-SHA256 output.
const KEY_BYTES: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read or write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: an embed key is {} hex digits", KEY_BYTES * 2)]
    Invalid { path: PathBuf },
    #[error("a token id is letters, digits, '-' and '_' (up to 64)")]
    BadId,
    #[error(
        "no token signed with this key has the id {id:?} (a token made before Vantage kept \
         {issued} is not listed there: `vantage token rotate-key` ends every token)"
    )]
    UnknownId { id: String, issued: String },
}

/// What `<key>.issued` keeps of one token: enough to list it later, with
/// its scope and who made it (lines written before those were kept lack them).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct Issued {
    pub id: String,
    pub dashboard: String,
    pub panel: String,
    /// Expiry, in Unix seconds.
    pub exp: i64,
    /// The ranges it allows, as written (`1h`, `FROM..TO`).
    #[serde(default)]
    pub ranges: Vec<String>,
    #[serde(default)]
    pub vars: std::collections::BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub minted_by: Option<MintedBy>,
    /// Unix seconds.
    #[serde(default)]
    pub minted_at: Option<i64>,
}

/// Who made a token: a user (their id and name) or the command line.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct MintedBy {
    pub id: String,
    pub name: String,
}

impl MintedBy {
    pub fn command_line() -> Self {
        Self {
            id: "command-line".into(),
            name: "vantage token issue".into(),
        }
    }
}

/// A file's contents as last read, and what it looked like then.
struct Cached<T> {
    modified: Option<Stamp>,
    value: Arc<T>,
}

/// Enough to tell that a file changed: a modification time alone is not (two
/// writes within one clock tick of the file system share it), so also its
/// size (an appended revocation) and inode (a key renamed over the old one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    modified: SystemTime,
    len: u64,
    inode: u64,
}

pub struct EmbedKeys {
    /// `None`: a key made for this process only (tests).
    path: Option<PathBuf>,
    key: RwLock<Cached<Vec<u8>>>,
    revoked: RwLock<Cached<HashSet<String>>>,
    /// Tokens signed by an in-memory key (a file key keeps them in `<key>.issued`).
    issued_here: RwLock<Vec<Issued>>,
}

impl EmbedKeys {
    /// The key in `path`, made (readable by its owner only) if missing.
    pub fn open(path: &Path) -> Result<Self, KeyError> {
        if !path.exists() {
            write_key(path, &new_key())?;
        }
        let keys = Self {
            path: Some(path.to_owned()),
            key: RwLock::new(Cached {
                modified: None,
                value: Arc::new(Vec::new()),
            }),
            revoked: RwLock::new(Cached {
                modified: None,
                value: Arc::new(HashSet::new()),
            }),
            issued_here: RwLock::default(),
        };
        keys.reload_key()?;
        Ok(keys)
    }

    /// A random key kept in memory: tokens die with the process.
    pub fn ephemeral() -> Self {
        Self {
            path: None,
            key: RwLock::new(Cached {
                modified: None,
                value: Arc::new(new_key().to_vec()),
            }),
            revoked: RwLock::new(Cached {
                modified: None,
                value: Arc::new(HashSet::new()),
            }),
            issued_here: RwLock::default(),
        }
    }

    /// The signing key now (re-read if its file changed).
    pub fn key(&self) -> Arc<Vec<u8>> {
        if self.path.is_some() {
            if let Err(e) = self.reload_key() {
                // Keep signing with the last good key rather than failing open
                // or closed on a half-written file.
                tracing::warn!("embed key not reloaded: {e}");
            }
        }
        Arc::clone(&self.key.read().unwrap_or_else(|e| e.into_inner()).value)
    }

    pub fn is_revoked(&self, id: &str) -> bool {
        let Some(path) = self.revoked_path() else {
            let cached = self.revoked.read().unwrap_or_else(|e| e.into_inner());
            return cached.value.contains(id);
        };
        let modified = modified(&path);
        {
            let cached = self.revoked.read().unwrap_or_else(|e| e.into_inner());
            if cached.modified == modified {
                return cached.value.contains(id);
            }
        }
        let ids: HashSet<String> = std::fs::read_to_string(&path)
            .unwrap_or_default()
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        let found = ids.contains(id);
        *self.revoked.write().unwrap_or_else(|e| e.into_inner()) = Cached {
            modified,
            value: Arc::new(ids),
        };
        found
    }

    /// A token for `claims`, signed with the key now and noted among its
    /// tokens before it is handed out.
    pub fn sign(&self, claims: &super::EmbedClaims, by: MintedBy) -> Result<String, KeyError> {
        self.record_issued(&Issued {
            id: claims.id.clone(),
            dashboard: claims.dashboard.clone(),
            panel: claims.panel.clone(),
            exp: claims.exp,
            ranges: claims.ranges.iter().map(range_text).collect(),
            vars: claims.vars.clone(),
            minted_by: Some(by),
            minted_at: Some(crate::clock::now_seconds()),
        })?;
        Ok(super::token::sign(claims, &self.key()))
    }

    /// Notes a token signed with this key (appended and synced before the
    /// token is handed out).
    pub fn record_issued(&self, token: &Issued) -> Result<(), KeyError> {
        let Some(path) = self.sibling("issued") else {
            self.issued_here
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .push(token.clone());
            return Ok(());
        };
        let line = serde_json::to_string(token).map_err(|e| KeyError::Io {
            path: path.clone(),
            source: std::io::Error::other(e),
        })?;
        append_line(&path, &line)
    }

    /// The tokens signed with this key, as recorded.
    pub fn issued(&self) -> Vec<Issued> {
        match self.sibling("issued") {
            Some(path) => std::fs::read_to_string(path)
                .unwrap_or_default()
                .lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect(),
            None => self
                .issued_here
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        }
    }

    fn has_issued(&self, id: &str) -> bool {
        self.issued().iter().any(|t| t.id == id)
    }

    /// Revokes one token for good (appended and synced before returning); an
    /// id that no token of this key has is refused, so a typo is not taken
    /// for a revocation.
    pub fn revoke(&self, id: &str) -> Result<(), KeyError> {
        if !is_token_id(id) {
            return Err(KeyError::BadId);
        }
        if !self.has_issued(id) {
            return Err(KeyError::UnknownId {
                id: id.to_string(),
                issued: self
                    .sibling("issued")
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "a list of its tokens".into()),
            });
        }
        let Some(path) = self.revoked_path() else {
            let mut cached = self.revoked.write().unwrap_or_else(|e| e.into_inner());
            let mut ids = (*cached.value).clone();
            ids.insert(id.to_string());
            cached.value = Arc::new(ids);
            return Ok(());
        };
        append_line(&path, id)
    }

    /// A new key: every token signed so far stops working, so the list of
    /// what the old key signed goes too.
    pub fn rotate(&self) -> Result<(), KeyError> {
        match &self.path {
            Some(path) => {
                write_key(path, &new_key())?;
                if let Some(issued) = self.sibling("issued") {
                    match std::fs::remove_file(&issued) {
                        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                            return Err(KeyError::Io {
                                path: issued,
                                source: e,
                            })
                        }
                        _ => {}
                    }
                }
                self.reload_key()
            }
            None => {
                self.key.write().unwrap_or_else(|e| e.into_inner()).value =
                    Arc::new(new_key().to_vec());
                self.issued_here
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .clear();
                Ok(())
            }
        }
    }

    fn revoked_path(&self) -> Option<PathBuf> {
        self.sibling("revoked")
    }

    /// `<key>.{suffix}`, for a key kept in a file.
    fn sibling(&self, suffix: &str) -> Option<PathBuf> {
        self.path.as_ref().map(|p| {
            let mut name = p.as_os_str().to_owned();
            name.push(".");
            name.push(suffix);
            PathBuf::from(name)
        })
    }

    fn reload_key(&self) -> Result<(), KeyError> {
        let path = self.path.as_ref().expect("only file keys reload");
        let modified = modified(path);
        if modified.is_some()
            && self.key.read().unwrap_or_else(|e| e.into_inner()).modified == modified
        {
            return Ok(());
        }
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::Io {
            path: path.clone(),
            source,
        })?;
        let key = hex::decode(text.trim())
            .ok()
            .filter(|k| k.len() == KEY_BYTES)
            .ok_or_else(|| KeyError::Invalid { path: path.clone() })?;
        *self.key.write().unwrap_or_else(|e| e.into_inner()) = Cached {
            modified,
            value: Arc::new(key),
        };
        Ok(())
    }
}

/// A range as `vantage token issue --range` takes it.
fn range_text(range: &app::model::TimeRange) -> String {
    match range {
        app::model::TimeRange::Relative(r) => r.to_string(),
        app::model::TimeRange::Absolute { from, to } => format!("{from}..{to}"),
    }
}

/// Ids the `vantage token` command makes, and the only ones it revokes.
pub fn is_token_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A fresh random token id.
pub fn new_token_id() -> String {
    let bytes: [u8; 8] = rand::rng().random();
    hex::encode(bytes)
}

fn new_key() -> [u8; KEY_BYTES] {
    rand::rng().random()
}

fn modified(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let inode = 0;
    Some(Stamp {
        modified: meta.modified().ok()?,
        len: meta.len(),
        inode,
    })
}

/// Writes the key whole or not at all, readable by its owner only.
fn write_key(path: &Path, key: &[u8]) -> Result<(), KeyError> {
    crate::private_file::write_whole(path, format!("{}\n", hex::encode(key)).as_bytes()).map_err(
        |source| KeyError::Io {
            path: path.to_owned(),
            source,
        },
    )
}

/// Appends one line and syncs it, owner-only when the file is new.
fn append_line(path: &Path, line: &str) -> Result<(), KeyError> {
    crate::private_file::append_line(path, line).map_err(|source| KeyError::Io {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_once_kept_and_rotated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("embed.key");
        let keys = EmbedKeys::open(&path).unwrap();
        let first = keys.key();
        assert_eq!(first.len(), KEY_BYTES);
        assert_eq!(EmbedKeys::open(&path).unwrap().key(), first, "kept");
        // Another process (the CLI) rotates: this one signs with the new key.
        // At once: within one tick of the file system's clock.
        EmbedKeys::open(&path).unwrap().rotate().unwrap();
        assert_ne!(keys.key(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "only its owner reads the key");
        }
    }

    #[test]
    fn a_broken_key_file_is_refused_and_revocations_are_seen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("embed.key");
        std::fs::write(&path, "not hex").unwrap();
        assert!(matches!(
            EmbedKeys::open(&path),
            Err(KeyError::Invalid { .. })
        ));
        std::fs::remove_file(&path).unwrap();
        let server = EmbedKeys::open(&path).unwrap();
        assert!(!server.is_revoked("abc"));
        // Another process (the CLI) signs and then revokes a token.
        let cli = EmbedKeys::open(&path).unwrap();
        let token = Issued {
            id: "abc".into(),
            dashboard: "overview".into(),
            panel: "request_rate".into(),
            exp: 2_000_000_000,
            ranges: vec!["1h".into()],
            vars: Default::default(),
            minted_by: Some(MintedBy::command_line()),
            minted_at: Some(1_900_000_000),
        };
        cli.record_issued(&token).unwrap();
        assert_eq!(server.issued(), std::slice::from_ref(&token));
        // A line written before scopes were kept still reads.
        crate::private_file::append_line(
            &cli.sibling("issued").unwrap(),
            r#"{"id":"old","dashboard":"overview","panel":"request_rate","exp":2000000000}"#,
        )
        .unwrap();
        assert_eq!(server.issued().len(), 2);
        assert_eq!(server.issued()[1].minted_by, None);
        cli.revoke("abc").unwrap();
        assert!(server.is_revoked("abc"));
        assert!(!server.is_revoked("abd"));
        assert!(matches!(server.revoke("a\nb"), Err(KeyError::BadId)));
        // An id no token of this key has is a mistake, not a revocation.
        assert!(matches!(
            server.revoke("abd"),
            Err(KeyError::UnknownId { .. })
        ));
        assert!(!server.is_revoked("abd"));
        // A new key signed nothing yet.
        cli.rotate().unwrap();
        assert!(server.issued().is_empty());
        assert!(matches!(cli.revoke("abc"), Err(KeyError::UnknownId { .. })));
    }
}
