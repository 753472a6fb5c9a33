//! Who is looking: the signed-in user as pages show them, and the ways to
//! sign in that the login page offers.

use serde::{Deserialize, Serialize};

/// What a user may do; each role may do everything the one before it may.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Dashboards, health and alerts.
    Viewer,
    /// Also shares panels: mints, lists and revokes embed tokens.
    Editor,
    /// Also every user's tokens, key rotation and the problems of operator files.
    Admin,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Editor => "editor",
            Self::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim() {
            "viewer" => Ok(Self::Viewer),
            "editor" => Ok(Self::Editor),
            "admin" => Ok(Self::Admin),
            other => Err(format!("{other:?} is not a role: viewer, editor or admin")),
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How the user came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignedInBy {
    /// A name and password from the users file.
    Password,
    /// An OpenID Connect provider.
    OpenId,
    /// A reverse proxy that authenticated the request.
    Proxy,
    /// Nobody: anonymous viewing was chosen by the operator.
    Anonymous,
    /// Nobody: no login is configured and Vantage listens on loopback only.
    Nobody,
}

/// The user a page is for (`GET /api/me`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    /// What to call them: a login name, or an identity provider's name claim.
    pub name: String,
    pub role: Role,
    pub by: SignedInBy,
    /// Whether a login is configured (so an anonymous viewer may sign in).
    pub login_offered: bool,
}

impl Me {
    /// Whether the page offers a way out (a session to end).
    pub fn can_log_out(&self) -> bool {
        matches!(self.by, SignedInBy::Password | SignedInBy::OpenId)
    }

    pub fn may(&self, role: Role) -> bool {
        self.role >= role
    }
}

/// What the login page offers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginOptions {
    /// A form for a name and password (a users file is set).
    pub password: bool,
    /// A button for the OpenID Connect provider, with its name.
    pub open_id: Option<String>,
}
