//! The stream's events: made once per refresh, shared by every subscriber.

use std::{fmt, ops::Range};

use bytes::Bytes;

/// One event for the stream, encoded once as the bytes that go on the wire
/// (`id:`, `event:`, `data:`) and shared by every subscriber: a subscriber's
/// queue holds a reference to these bytes, never a copy.
#[derive(Debug)]
pub struct StreamEvent {
    pub id: EventId,
    pub kind: EventKind,
    frame: Bytes,
    /// Where the JSON is within the frame.
    data: Range<usize>,
}

impl StreamEvent {
    pub fn new(id: EventId, kind: EventKind, json: &str) -> Self {
        let (frame, data) = sse_frame(Some(&id.to_string()), kind.as_str(), json);
        Self {
            id,
            kind,
            frame,
            data,
        }
    }

    /// The event's JSON.
    pub fn json(&self) -> &str {
        std::str::from_utf8(&self.frame[self.data.clone()]).unwrap_or("")
    }

    /// The event as it goes on the wire (a reference to the shared bytes).
    pub fn frame(&self) -> Bytes {
        self.frame.clone()
    }

    /// Its size on the wire.
    pub fn wire_len(&self) -> usize {
        self.frame.len()
    }
}

/// One server-sent event as its wire bytes, and where `data` is in them.
/// `data` is one line: JSON as serde writes it has no line break (one in a
/// string is escaped), and one between tokens is only space, so a stray one
/// is written as a space.
pub fn sse_frame(id: Option<&str>, event: &str, data: &str) -> (Bytes, Range<usize>) {
    let mut frame = String::with_capacity(data.len() + 48);
    if let Some(id) = id {
        frame.push_str("id: ");
        frame.push_str(id);
        frame.push('\n');
    }
    frame.push_str("event: ");
    frame.push_str(event);
    frame.push_str("\ndata: ");
    let start = frame.len();
    frame.extend(
        data.chars()
            .map(|c| if c == '\n' || c == '\r' { ' ' } else { c }),
    );
    let end = frame.len();
    frame.push_str("\n\n");
    (Bytes::from(frame), start..end)
}

/// What a topic's event carries; its name is the SSE `event:` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// One panel's data.
    Panel,
    /// The view's alert and health-change marks.
    Annotations,
    /// What changed in one panel since its previous event
    /// ([`app::model::PanelDelta`]).
    Delta,
    /// The dashboard's file changed: the page loads it again.
    Dashboard,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Panel => "panel",
            EventKind::Delta => "delta",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_its_wire_bytes_once() {
        let id = EventId { run: 0xab, seq: 7 };
        let event = StreamEvent::new(id, EventKind::Panel, r#"{"a":"x\ny"}"#);
        assert_eq!(
            &event.frame()[..],
            b"id: ab-7\nevent: panel\ndata: {\"a\":\"x\\ny\"}\n\n"
        );
        assert_eq!(event.json(), r#"{"a":"x\ny"}"#);
        // Every subscriber gets the same bytes, not a copy.
        assert_eq!(event.frame().as_ptr(), event.frame().as_ptr());
        // A raw line break could end the data line early: it is a space.
        let (frame, data) = sse_frame(None, "check", "{\n\"a\": 1}");
        assert_eq!(&frame[..], b"event: check\ndata: { \"a\": 1}\n\n");
        assert_eq!(&frame[data], b"{ \"a\": 1}");
    }
}
