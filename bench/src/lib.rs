//! Shared pieces of the benchmarks.

/// Raises the open-file limit to its hard maximum: a thousand viewers are a
/// thousand sockets on each side.
pub fn raise_open_files_limit() {
    // SAFETY: plain get/setrlimit on our own process.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}
