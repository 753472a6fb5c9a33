//! The stream's events: made once per refresh, shared by every subscriber.

use std::fmt;

/// One event for the stream, serialised once and shared by every subscriber.
#[derive(Debug)]
pub struct StreamEvent {
    pub id: EventId,
    pub kind: EventKind,
    pub json: String,
}

/// What a topic's event carries; its name is the SSE `event:` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// One panel's data.
    Panel,
    /// The view's alert and health-change marks.
    Annotations,
    /// The dashboard's file changed: the page loads it again.
    Dashboard,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Panel => "panel",
            EventKind::Annotations => "annotations",
            EventKind::Dashboard => "dashboard",
        }
    }
}

/// A server-made event id, increasing within one run of the server. The run
/// is part of it so that a `Last-Event-ID` from before a restart (when the
/// sequence began again) is recognised as foreign instead of as "seen it all".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventId {
    pub(super) run: u64,
    pub(super) seq: u64,
}

impl EventId {
    /// Reads an id this server wrote (`<run in hex>-<seq>`); anything else is `None`.
    pub fn parse(text: &str) -> Option<EventId> {
        let (run, seq) = text.trim().split_once('-')?;
        Some(EventId {
            run: u64::from_str_radix(run, 16).ok()?,
            seq: seq.parse().ok()?,
        })
    }

    /// Whether this event came after `seen` (in the same run of the server).
    pub(super) fn is_after(&self, seen: &EventId) -> bool {
        self.run != seen.run || self.seq > seen.seq
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:x}-{}", self.run, self.seq)
    }
}
