//! Files only their owner may read: the embed key and its revocations, the
//! users file. Written so that another local user cannot redirect them: a
//! new file is created exclusively (never one that someone placed there
//! first) and no symbolic link is followed, then renamed over the old one,
//! so a reader sees the old file or the new one, never half of one.

use std::{
    io::{self, Write},
    path::{Path, PathBuf},
};

fn options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    options
}

/// Replaces `path` with `contents`, whole or not at all.
pub fn write_whole(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut temp = path.as_os_str().to_owned();
    temp.push(".new");
    let temp = PathBuf::from(temp);
    // One left by a write that crashed; a link placed there goes too (unlink
    // removes the link, not what it points at).
    match std::fs::remove_file(&temp) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut file = options().create_new(true).open(&temp)?;
    file.write_all(contents)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temp, path)
}

/// Appends one line and syncs it; the file is made owner-only if new, and a
/// symbolic link in its place is refused.
pub fn append_line(path: &Path, line: &str) -> io::Result<()> {
    let mut file = options().create(true).append(true).open(path)?;
    writeln!(file, "{line}")?;
    file.sync_all()
}

/// Takes read access away from everyone but the owner (a database that its
/// library made with the default mode).
pub fn keep_to_owner(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn written_files_are_the_owners_and_links_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.toml");
        write_whole(&path, b"one").unwrap();
        write_whole(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);

        // A link planted where the temporary file goes is removed, not written through.
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"keep").unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join("users.toml.new")).unwrap();
        write_whole(&path, b"three").unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
        assert_eq!(std::fs::read(&path).unwrap(), b"three");

        // Appending through a link is refused.
        let link = dir.path().join("revoked");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        assert!(append_line(&link, "x").is_err());
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
    }
}
