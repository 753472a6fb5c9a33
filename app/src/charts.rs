//! Charts are drawn by plotters, one code path for every place a chart appears:
//! the server-rendered page, the browser after hydration, and (later) embed images.
//!
//! Pages do not get an SVG string: plotters draws into [`ShapeRecorder`], and the
//! recorded shapes become ordinary view nodes. Text from data is therefore always a
//! text node, never markup, and the server and the browser build identical trees
//! (text sizes are estimated the same way on both sides), so hydration matches.

pub mod bar_gauge;
pub mod gauge;
pub mod heatmap;
pub mod palette;
pub mod shapes;
pub mod sparkline;
pub mod time_axis;
pub mod time_series;

pub use shapes::{Shape, ShapeRecorder};
