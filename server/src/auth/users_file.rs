//! Local users, for teams without an identity provider: a TOML file of
//! names, roles and Argon2id password hashes (PHC strings), written by
//! `vantage user add` and `vantage user remove` and readable by its owner
//! only. The server reads it again when it changes, so a removed user's
//! sessions end at their next request.
//!
//! ```toml
//! [[users]]
//! name = "ana"
//! role = "editor"
//! password_hash = "$argon2id$v=19$m=19456,t=2,p=1$…"
//! ```

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex, OnceLock},
    time::SystemTime,
};

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use serde::{Deserialize, Serialize};

use super::Role;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Users {
    #[serde(default)]
    users: Vec<LocalUser>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LocalUser {
    name: String,
    role: Role,
    password_hash: String,
}

#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

/// The users file, read again when its modification time changes.
pub struct UsersFile {
    path: PathBuf,
    read: Mutex<Option<(SystemTime, Arc<Users>)>>,
}

impl UsersFile {
    pub fn new(path: PathBuf) -> Self {
        // Made now, so the first unknown name costs no more than the rest.
        decoy_hash();
        Self {
            path,
            read: Mutex::new(None),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file as it is now; a file that is missing or broken holds nobody
    /// (and says why in the log), so a mistake locks people out, never in.
    fn current(&self) -> Arc<Users> {
        let modified = std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .ok();
        let mut read = self.read.lock().unwrap_or_else(|p| p.into_inner());
        if let (Some(modified), Some((seen, users))) = (modified, read.as_ref()) {
            if *seen == modified {
                return Arc::clone(users);
            }
        }
        let users = match read_users(&self.path) {
            Ok(users) => Arc::new(users),
            Err(e) => {
                tracing::error!("{e}: nobody can log in with a password until it is mended");
                Arc::new(Users::default())
            }
        };
        if let Some(modified) = modified {
            *read = Some((modified, Arc::clone(&users)));
        }
        users
    }

    /// The role the file gives `name` now, if it holds them.
    pub fn role_of(&self, name: &str) -> Option<Role> {
        self.current()
            .users
            .iter()
            .find(|u| u.name == name)
            .map(|u| u.role)
    }

    /// The user's role when the password is theirs. An unknown name costs as
    /// long as a wrong password (a hash is checked either way), so the time
    /// taken does not tell which names exist. Slow on purpose: call it off
    /// the async threads.
    pub fn verify(&self, name: &str, password: &str) -> Option<Role> {
        // No such name or password can be in the file.
        if check_name(name).is_err() || password.len() > MAX_PASSWORD {
            return None;
        }
        let users = self.current();
        let user = users.users.iter().find(|u| u.name == name);
        let hash = user.map_or(decoy_hash(), |u| u.password_hash.as_str());
        let matches = PasswordHash::new(hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        match user {
            Some(user) if matches => Some(user.role),
            _ => None,
        }
    }
}

/// A hash of no one's password, checked for names the file lacks.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password("no one's password").unwrap_or_default())
}

fn hash_password(password: &str) -> Result<String, UsersError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| UsersError::Invalid(format!("cannot hash the password: {e}")))
}

fn read_users(path: &Path) -> Result<Users, UsersError> {
    let text = std::fs::read_to_string(path).map_err(|source| UsersError::Read {
        path: path.to_owned(),
        source,
    })?;
    let users: Users = toml::from_str(&text).map_err(|e| UsersError::Parse {
        path: path.to_owned(),
        message: e.message().to_string(),
    })?;
    for user in &users.users {
        if PasswordHash::new(&user.password_hash).is_err() {
            return Err(UsersError::Parse {
                path: path.to_owned(),
                message: format!(
                    "{}: password_hash is not a PHC string (write it with vantage user add)",
                    user.name
                ),
            });
        }
    }
    Ok(users)
}

/// Names as they may be written: what a login form and a log line hold
/// without surprises.
pub fn check_name(name: &str) -> Result<(), UsersError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'));
    if ok {
        Ok(())
    } else {
        Err(UsersError::Invalid(format!(
            "{name:?} is not a user name: 1 to 64 letters, digits, '.', '_', '-' or '@'"
        )))
    }
}

/// Passwords this short are refused; past this long, too (Argon2 takes any
/// length, but a form has no business sending a book).
pub const MIN_PASSWORD: usize = 8;
pub const MAX_PASSWORD: usize = 1024;

fn check_password(password: &str) -> Result<(), UsersError> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(UsersError::Invalid(format!(
            "the password is shorter than {MIN_PASSWORD} characters"
        )));
    }
    if password.len() > MAX_PASSWORD {
        return Err(UsersError::Invalid(format!(
            "the password is longer than {MAX_PASSWORD} bytes"
        )));
    }
    Ok(())
}

/// Adds `name` (or replaces their role and password); says which it did.
pub fn add(
    path: &Path,
    name: &str,
    role: Role,
    password: &str,
) -> Result<&'static str, UsersError> {
    check_name(name)?;
    check_password(password)?;
    let mut users = existing(path)?;
    let password_hash = hash_password(password)?;
    let said = match users.users.iter_mut().find(|u| u.name == name) {
        Some(user) => {
            user.role = role;
            user.password_hash = password_hash;
            "replaced"
        }
        None => {
            users.users.push(LocalUser {
                name: name.to_string(),
                role,
                password_hash,
            });
            "added"
        }
    };
    write(path, &users)?;
    Ok(said)
}

/// Removes `name`; their sessions end at their next request.
pub fn remove(path: &Path, name: &str) -> Result<(), UsersError> {
    let mut users = existing(path)?;
    let before = users.users.len();
    users.users.retain(|u| u.name != name);
    if users.users.len() == before {
        return Err(UsersError::Invalid(format!(
            "{} holds no user {name:?}",
            path.display()
        )));
    }
    write(path, &users)
}

/// The file's users; none if it does not exist yet.
fn existing(path: &Path) -> Result<Users, UsersError> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Users::default()),
        _ => read_users(path),
    }
}

fn write(path: &Path, users: &Users) -> Result<(), UsersError> {
    let text = toml::to_string(users)
        .map_err(|e| UsersError::Invalid(format!("cannot write the users file: {e}")))?;
    let text = format!(
        "# Vantage's local users: written by `vantage user add` and `vantage user remove`.\n\n{text}"
    );
    crate::private_file::write_whole(path, text.as_bytes()).map_err(|source| UsersError::Write {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_are_added_checked_replaced_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.toml");
        assert_eq!(
            add(&path, "ana", Role::Editor, "correct horse").unwrap(),
            "added"
        );
        assert_eq!(
            add(&path, "bo", Role::Viewer, "battery staple").unwrap(),
            "added"
        );
        let file = UsersFile::new(path.clone());
        assert_eq!(file.verify("ana", "correct horse"), Some(Role::Editor));
        assert_eq!(file.verify("ana", "battery staple"), None);
        assert_eq!(file.verify("nobody", "correct horse"), None);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("correct horse"), "{text}");
        assert!(text.contains("$argon2id$"), "{text}");

        assert_eq!(
            add(&path, "ana", Role::Admin, "new password").unwrap(),
            "replaced"
        );
        // Same second, same size: the cache must still see the new file.
        let file = UsersFile::new(path.clone());
        assert_eq!(file.verify("ana", "new password"), Some(Role::Admin));
        remove(&path, "ana").unwrap();
        let file = UsersFile::new(path.clone());
        assert_eq!(file.role_of("ana"), None);
        assert_eq!(file.role_of("bo"), Some(Role::Viewer));
        assert!(remove(&path, "ana").is_err());
    }

    #[test]
    fn bad_names_passwords_and_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.toml");
        for name in ["", "a b", "ana\n", "x\"y", &"n".repeat(65)] {
            assert!(
                add(&path, name, Role::Viewer, "long enough").is_err(),
                "{name:?}"
            );
        }
        assert!(add(&path, "ana", Role::Viewer, "short").is_err());
        assert!(add(&path, "ana", Role::Viewer, &"p".repeat(1025)).is_err());
        assert!(!path.exists(), "nothing written for refused input");

        std::fs::write(
            &path,
            "[[users]]\nname = \"ana\"\nrole = \"editor\"\npassword_hash = \"plain\"\n",
        )
        .unwrap();
        let file = UsersFile::new(path.clone());
        assert_eq!(
            file.verify("ana", "plain"),
            None,
            "a hash that is no hash lets nobody in"
        );
        assert!(
            add(&path, "bo", Role::Viewer, "long enough").is_err(),
            "a broken file is not overwritten"
        );
    }
}
