//! Changes to a file or a folder's files, seen by polling with notify's
//! `PollWatcher`: polling works on every file system, including network and
//! container mounts where change notifications miss edits. A file is watched
//! through its folder (a change there says "look again"): editors replace a
//! file by renaming another over it, and a Kubernetes ConfigMap swaps a
//! symlink beside it. The caller compares what it reads (size, time) to skip
//! changes that are not its file's.

use std::{path::Path, time::Duration};

use notify::{PollWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub struct FileChanges {
    // Polls on its own thread until dropped.
    _watcher: PollWatcher,
    changed: mpsc::Receiver<()>,
    /// Whether the first round is still to come.
    first: bool,
}

impl FileChanges {
    /// Starts watching `path` (a file, or a folder's files), looking every
    /// `every`. What changes after this call is seen.
    pub fn watch(path: &Path, every: Duration) -> notify::Result<Self> {
        // One pending signal is enough: a change says "read it again".
        let (tx, changed) = mpsc::channel(1);
        let mut watcher = PollWatcher::new(
            move |event: notify::Result<notify::Event>| {
                if event.is_ok_and(|e| !e.kind.is_access()) {
                    let _ = tx.try_send(());
                }
            },
            // PollWatcher compares modification times in whole seconds: an edit
            // within the second of the one before would go unseen without
            // comparing contents too (a hash of each file, each look).
            notify::Config::default()
                .with_poll_interval(every)
                .with_compare_contents(true),
        )?;
        let folder = match path.parent() {
            Some(parent) if !path.is_dir() && !parent.as_os_str().is_empty() => parent,
            _ => path,
        };
        // A folder is followed with its subfolders (dashboards keep folders).
        let mode = match path.is_dir() {
            true => RecursiveMode::Recursive,
            false => RecursiveMode::NonRecursive,
        };
        watcher.watch(folder, mode)?;
        Ok(Self {
            _watcher: watcher,
            changed,
            first: true,
        })
    }

    /// Waits for the next round of looking at the file: at once the first
    /// time (for what changed since it was read, before the watcher began),
    /// then at each change. False once `shutdown` is cancelled.
    pub async fn next_round(&mut self, shutdown: &CancellationToken) -> bool {
        if std::mem::take(&mut self.first) {
            return true;
        }
        tokio::select! {
            changed = self.changed() => changed.is_some(),
            () = shutdown.cancelled() => false,
        }
    }

    /// Waits for the next change (`None` once the watcher has stopped).
    pub async fn changed(&mut self) -> Option<()> {
        self.changed.recv().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_edit_and_a_new_file_are_seen() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.toml");
        std::fs::write(&file, "one").unwrap();
        let mut changes = FileChanges::watch(dir.path(), Duration::from_millis(50)).unwrap();
        let quiet = tokio::time::timeout(Duration::from_millis(300), changes.changed()).await;
        assert!(quiet.is_err(), "no change yet");
        std::fs::write(&file, "two, longer").unwrap();
        tokio::time::timeout(Duration::from_secs(2), changes.changed())
            .await
            .expect("the edit is seen");
        std::fs::write(dir.path().join("b.toml"), "new").unwrap();
        tokio::time::timeout(Duration::from_secs(2), changes.changed())
            .await
            .expect("the new file is seen");
    }

    #[tokio::test]
    async fn an_edit_of_a_watched_file_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("checks.toml");
        std::fs::write(&file, "one").unwrap();
        let mut changes = FileChanges::watch(&file, Duration::from_millis(50)).unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        std::fs::write(&file, "two, longer").unwrap();
        tokio::time::timeout(Duration::from_secs(2), changes.changed())
            .await
            .expect("the edit is seen");
    }
}
