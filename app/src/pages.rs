//! One module per view.

pub mod not_found;
pub mod overview;
