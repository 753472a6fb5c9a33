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

/// Prometheus with the demo fleet and an hour of its history, nothing else
/// (no Alertmanager, no exporters): what the benchmarks measure against.
pub async fn fleet_stack() -> stack::Stack {
    stack::Stack::start(stack::StackOptions {
        alertmanager: false,
        node_exporter: false,
        process_exporter: false,
        fleet: Some(fleet::FleetOptions {
            history: Some(fleet::History {
                seconds: 3600,
                step_seconds: 15,
            }),
            ..fleet::FleetOptions::default()
        }),
        ..stack::StackOptions::default()
    })
    .await
    .expect("the stack starts")
}

/// The first argument as a number of seconds, or `default`.
pub fn seconds_from_args(default: u64) -> std::time::Duration {
    std::time::Duration::from_secs(
        std::env::args()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(default),
    )
}
