//! The stack leaves no process behind: not after a failing (panicking) test, and
//! not after the test process is killed outright.

use std::{
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use stack::{process::is_alive, Stack, StackOptions};

const PID_FILE: &str = "VANTAGE_TEST_PID_FILE";

async fn start_and_record() -> Stack {
    let stack = Stack::start(StackOptions {
        databases: true,
        ..StackOptions::default()
    })
    .await
    .expect("the stack starts");
    let pids: Vec<String> = stack.pids().iter().map(u32::to_string).collect();
    let path = std::env::var(PID_FILE).expect("run by the outer test");
    std::fs::write(&path, pids.join(" ")).unwrap();
    stack
}

#[tokio::test]
#[ignore = "run by a_failing_test_leaves_no_process_behind"]
async fn inner_panics_with_a_running_stack() {
    let _stack = start_and_record().await;
    panic!("deliberate failure with the stack running");
}

#[tokio::test]
#[ignore = "run by a_killed_test_leaves_no_process_behind"]
async fn inner_waits_to_be_killed() {
    let _stack = start_and_record().await;
    tokio::time::sleep(Duration::from_secs(300)).await;
}

fn run_inner(name: &str, pid_file: &Path) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", name, "--nocapture"])
        .env(PID_FILE, pid_file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn read_pids(path: &Path, timeout: Duration) -> Vec<u32> {
    let started = Instant::now();
    while started.elapsed() < timeout {
        if let Ok(text) = std::fs::read_to_string(path) {
            let pids: Vec<u32> = text
                .split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect();
            if !pids.is_empty() {
                return pids;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the inner test never reported its stack's pids");
}

/// Every live process whose process group is one of `groups`.
fn survivors(groups: &[u32]) -> Vec<u32> {
    let mut alive = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // fields[0] is the state, fields[2] the process group.
        let pgrp: u32 = fields.get(2).and_then(|g| g.parse().ok()).unwrap_or(0);
        if groups.contains(&pgrp) && is_alive(pid) {
            alive.push(pid);
        }
    }
    alive
}

fn assert_all_gone(pids: &[u32]) {
    let started = Instant::now();
    loop {
        let left = survivors(pids);
        if left.is_empty() {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "processes left behind: {left:?} (groups {pids:?})"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_failing_test_leaves_no_process_behind() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pids");
    let mut inner = run_inner("inner_panics_with_a_running_stack", &pid_file);
    let status = inner.wait().unwrap();
    assert!(!status.success(), "the inner test must fail");
    let pids = read_pids(&pid_file, Duration::from_secs(1));
    // Prometheus, node exporter, Alertmanager, PostgreSQL, its exporter, Redis, its exporter.
    assert!(pids.len() >= 7, "expected the whole stack, got {pids:?}");
    assert_all_gone(&pids);
}

#[test]
fn a_killed_test_leaves_no_process_behind() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pids");
    let mut inner = run_inner("inner_waits_to_be_killed", &pid_file);
    let pids = read_pids(&pid_file, Duration::from_secs(90));
    assert!(
        pids.iter().all(|p| is_alive(*p)),
        "the stack runs before the kill"
    );
    inner.kill().unwrap(); // SIGKILL: no destructor runs
    inner.wait().unwrap();
    assert_all_gone(&pids);
}
