//! Health checks: the checks file, the checker that runs it, and the store that
//! keeps every result. Replaces the hand-written poll-and-write-JSON script.

pub mod checker;
pub mod config;
pub mod probe;
pub mod store;

pub use checker::{Checker, HealthEvent};
