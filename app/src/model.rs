//! Types that cross the wire between the server and the browser.

mod panel;
mod time_range;

pub use panel::{PanelData, PanelRef, PanelStatus, Point, Series, Unit};
pub use time_range::{RangeWindow, RelativeRange, UnknownRange};
