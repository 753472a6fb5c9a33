//! Reusable pieces of pages, one component per file.

pub mod chart_svg;
pub mod nav_bar;
pub mod panel_status;
pub mod range_picker;
pub mod time_series_panel;
