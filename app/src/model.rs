//! Types that cross the wire between the server and the browser.

mod alert;
mod annotation;
mod dashboard;
mod embed;
mod health;
mod markdown;
mod panel;
mod panel_delta;
mod time_range;
mod user;
mod view_query;

pub use alert::{Alert, AlertSource, AlertState, Severity};
pub use annotation::{Annotation, AnnotationKind};
pub use dashboard::{
    ColumnView, DashboardSummary, DashboardView, DrillDown, Level, PanelKind, PanelView, Picker,
    ThresholdStep, Thresholds, VariableView, BROKEN_FILE,
};
pub use embed::{EmbedRequest, IssuedEmbed, SharedPanel, SharedPanels, TokenState};
pub use health::{
    AlertsView, Attention, CheckCard, CheckHistory, CheckResult, CheckSummary, ComponentResult,
    FileProblem, HealthStatus, HealthView, HistoryPoint, Transition,
};
pub use markdown::{Markdown, MarkdownTag};
pub use panel::{MissingMetric, PanelData, PanelRef, PanelStatus, Point, Row, Series, Unit};
pub use panel_delta::{PanelDelta, SeriesChange};
pub use time_range::{
    RangeError, RangeWindow, RelativeRange, TimeRange, UnknownRange, MAX_SPAN_SECONDS,
    MIN_SPAN_SECONDS,
};
pub use user::{LoginOptions, Me, Role, SignedInBy};
pub use view_query::{Refresh, ViewQuery, RESERVED_KEYS};
