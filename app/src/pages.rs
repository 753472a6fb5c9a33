//! One module per view.

pub mod alerts;
pub mod dashboard;
pub mod dashboards;
pub mod embed;
pub mod health;
pub mod login;
pub mod not_found;
pub mod shared;
