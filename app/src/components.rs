//! Building blocks of pages, one component per file.

pub mod alert_item;
pub mod boot_scripts;
pub mod chart_overlay;
pub mod chart_svg;
pub mod chart_tooltip;
pub mod check_card;
pub mod custom_range;
pub mod data_table;
pub mod embedded_panel;
pub mod gauge_dial;
pub mod nav_bar;
pub mod page_loading;
pub mod panel_card;
pub mod panel_empty;
pub mod panel_status;
pub mod range_picker;
pub mod refresh_picker;
pub mod share_dialog;
pub mod stat_value;
pub mod status_grid;
pub mod theme_toggle;
pub mod time_series_chart;
pub mod user_menu;
pub mod variable_picker;
pub mod zone_toggle;
