//! What a viewer asks for, parsed once from the query string into a typed
//! request: a dashboard view, the health view, the alerts view, a stream.
//! The JSON API, the server-rendered pages and the embeds all take these
//! types; nothing here knows HTTP.
//!
//! How a request treats a key it does not know is its type's own rule: a
//! request of the API (`…<Api>`) refuses it, since a typo is a mistake its
//! client should hear of; one of a page (`…<Page>`) ignores it, since links
//! and browsers add keys of their own (`utm_source=`).

pub mod alerts;
pub mod dashboard;
pub mod health;
pub mod query_string;
pub mod stream;

pub use alerts::AlertsRequest;
pub use dashboard::DashboardRequest;
pub use health::{HealthRequest, HistoryRequest};
pub use stream::StreamRequest;

/// The rule for keys a request does not know.
pub trait Keys: Send + Sync + 'static {
    /// Whether an unknown key is refused (else it is ignored).
    const REFUSE_UNKNOWN: bool;
}

/// Requests of the JSON API: unknown keys are refused.
#[derive(Debug, Clone, Copy)]
pub enum Api {}

/// Requests of pages and their streams: unknown keys are ignored.
#[derive(Debug, Clone, Copy)]
pub enum Page {}

impl Keys for Api {
    const REFUSE_UNKNOWN: bool = true;
}

impl Keys for Page {
    const REFUSE_UNKNOWN: bool = false;
}
