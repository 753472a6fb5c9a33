//! Where the login page sends the browser, and why it is shown again: what
//! the gate and the login's handlers (`api::login`) agree on.

/// Why the login page is shown again (`?failed=`), read by the page.
pub mod failed {
    pub const WRONG: &str = "wrong";
    pub const LIMIT: &str = "limit";
    /// The identity provider refused, or its answer did not hold.
    pub const OPENID: &str = "openid";
    /// The identity provider could not be reached.
    pub const PROVIDER: &str = "provider";
}

/// The login page, sending the browser to `back` after.
pub fn login_page_for(back: &str) -> String {
    login_page(None, back)
}

/// The login page shown again for a `reason` (one of [`failed`]), or first;
/// the browser goes to `back` after (a path of this server only).
pub fn login_page(reason: Option<&str>, back: &str) -> String {
    let back = safe_next(back);
    let mut query = form_urlencoded::Serializer::new(String::new());
    if let Some(reason) = reason {
        query.append_pair("failed", reason);
    }
    if back != "/" {
        query.append_pair("next", back);
    }
    let query = query.finish();
    if query.is_empty() {
        "/login".into()
    } else {
        format!("/login?{query}")
    }
}

/// Where a login may send the browser: a path of this server, never another
/// site (`//evil.example`, `/\evil.example`) nor the login again.
pub fn safe_next(next: &str) -> &str {
    let ours = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && next.len() <= 2048
        && !next.chars().any(|c| c.is_control())
        && !next.starts_with("/login")
        && !next.starts_with("/auth/");
    if ours {
        next
    } else {
        "/"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_sends_the_browser_only_to_this_server() {
        assert_eq!(safe_next("/d/overview?range=6h"), "/d/overview?range=6h");
        for away in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "evil",
            "",
            "/login?next=/login",
            "/auth/logout",
            "/d/x\r\nSet-Cookie: a=b",
        ] {
            assert_eq!(safe_next(away), "/", "{away:?}");
        }
        assert_eq!(login_page_for("/"), "/login");
        assert_eq!(
            login_page_for("/d/overview?range=6h"),
            "/login?next=%2Fd%2Foverview%3Frange%3D6h"
        );
    }
}
