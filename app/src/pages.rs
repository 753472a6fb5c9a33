//! One module per view.

pub mod dashboard;
pub mod not_found;
