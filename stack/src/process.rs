//! Child processes that cannot outlive the stack: each runs in its own process
//! group (so helpers it forks go with it), dies with its parent thread
//! (`PR_SET_PDEATHSIG`, for a test binary that is killed outright), and is stopped
//! by pid — SIGTERM, then SIGKILL — when the stack is dropped, panics included.

use std::{
    fs::File,
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use crate::StackError;

pub struct Managed {
    pub name: String,
    child: Child,
    pub log: PathBuf,
}

/// Who a child runs as, for programs that refuse root (PostgreSQL).
#[derive(Clone, Copy)]
pub struct RunAs {
    pub uid: u32,
    pub gid: u32,
}

impl Managed {
    pub fn spawn(
        name: &str,
        mut command: Command,
        log_dir: &Path,
        run_as: Option<RunAs>,
    ) -> Result<Self, StackError> {
        let log = log_dir.join(format!("{name}.log"));
        let out = File::create(&log)
            .map_err(|e| StackError::io(format!("create {}", log.display()), e))?;
        let err = out
            .try_clone()
            .map_err(|e| StackError::io("clone log handle", e))?;
        command.stdin(Stdio::null()).stdout(out).stderr(err);
        let parent = std::process::id() as libc::pid_t;
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            command.pre_exec(move || {
                if libc::setpgid(0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if let Some(user) = run_as {
                    if libc::setgroups(0, std::ptr::null()) != 0
                        || libc::setgid(user.gid) != 0
                        || libc::setuid(user.uid) != 0
                    {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                // After setuid: changing user clears the parent-death signal.
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The parent may have died before the signal was armed.
                if libc::getppid() != parent {
                    libc::_exit(1);
                }
                Ok(())
            });
        }
        let program = command.get_program().to_string_lossy().into_owned();
        let child = command.spawn().map_err(|e| StackError::Spawn {
            program,
            reason: e.to_string(),
        })?;
        Ok(Self {
            name: name.to_string(),
            child,
            log,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `Some(status)` if the process has already exited.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// The last lines of the process' log, for error messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(8)..].join("\n")
    }

    /// SIGTERM to the whole group, up to `grace` to exit, then SIGKILL; reaped.
    pub fn stop(&mut self, grace: Duration) {
        if self.exited().is_some() {
            // The leader is gone; helpers it left in the group still go.
            signal_group(self.pid(), libc::SIGKILL);
            return;
        }
        signal_group(self.pid(), libc::SIGTERM);
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if self.exited().is_some() {
                signal_group(self.pid(), libc::SIGKILL);
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        signal_group(self.pid(), libc::SIGKILL);
        let _ = self.child.wait();
    }
}

fn signal_group(pid: u32, signal: i32) {
    // SAFETY: kill(2) with a negative pid signals the process group we created.
    unsafe {
        libc::kill(-(pid as i32), signal);
    }
}

/// Whether a process is still alive (not gone, not a zombie awaiting its reaper).
pub fn is_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            // The state follows the command name in parentheses, which may contain spaces.
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next());
            !matches!(state, Some("Z") | Some("X") | None)
        }
        Err(_) => false,
    }
}
