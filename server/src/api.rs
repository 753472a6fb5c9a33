//! The JSON API and the live stream under `/api/`, and the operations endpoints.

pub mod alerts;
pub mod checks;
pub mod embed;
pub mod login;
pub mod ops;
pub mod panels;
pub mod services;
pub mod stream;
