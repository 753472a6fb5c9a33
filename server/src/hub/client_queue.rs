//! One subscriber's queue: the events waiting for its connection to take
//! them, bounded by their count and by their bytes.

use std::{
    pin::Pin,
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc,
    },
    task::{Context, Poll},
};

use futures::Stream;
use tokio::sync::mpsc;

use super::event::StreamEvent;

pub(super) fn client_queue(events: usize, bytes: usize) -> (QueueSender, ClientEvents) {
    let (tx, rx) = mpsc::channel(events);
    let held = Arc::new(AtomicUsize::new(0));
    let cut = Arc::new(AtomicBool::new(false));
    (
        QueueSender {
            tx,
            held: Arc::clone(&held),
            max_bytes: bytes,
            cut: Arc::clone(&cut),
        },
        ClientEvents { rx, held, cut },
    )
}

pub(super) struct QueueSender {
    tx: mpsc::Sender<Arc<StreamEvent>>,
    /// Bytes of the events in the queue.
    held: Arc<AtomicUsize>,
    max_bytes: usize,
    /// Set when the client is cut off: what its queue holds is dropped.
    cut: Arc<AtomicBool>,
}

pub(super) enum Refused {
    /// The client is this far behind (events or bytes).
    Full,
    /// The client is gone.
    Closed,
}

impl QueueSender {
    /// Queues `event`, unless that would hold more than the queue's bytes
    /// (one event larger than them still goes into an empty queue).
    pub(super) fn push(&self, event: Arc<StreamEvent>) -> Result<(), Refused> {
        if self.tx.is_closed() {
            return Err(Refused::Closed);
        }
        let len = event.wire_len();
        // Counted before it is queued: the reader subtracts as it takes.
        let before = self.held.fetch_add(len, Ordering::AcqRel);
        if before > 0 && before + len > self.max_bytes {
            self.held.fetch_sub(len, Ordering::AcqRel);
            return Err(Refused::Full);
        }
        self.tx.try_send(event).map_err(|e| {
            self.held.fetch_sub(len, Ordering::AcqRel);
            match e {
                mpsc::error::TrySendError::Full(_) => Refused::Full,
                mpsc::error::TrySendError::Closed(_) => Refused::Closed,
            }
        })
    }

    pub(super) async fn closed(&self) {
        self.tx.closed().await;
    }

    /// Ends the client's stream at its next read, without what its queue
    /// holds: a client too slow to keep up reconnects having missed a
    /// queue's worth, and so starts again from a snapshot instead of
    /// catching up event by event; and its backlog is freed then, not kept
    /// for it to read.
    pub(super) fn cut_off(&self) {
        self.cut.store(true, Ordering::Release);
    }
}

/// A subscriber's live events, as its connection takes them.
pub struct ClientEvents {
    rx: mpsc::Receiver<Arc<StreamEvent>>,
    held: Arc<AtomicUsize>,
    cut: Arc<AtomicBool>,
}

impl Stream for ClientEvents {
    type Item = Arc<StreamEvent>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.cut.load(Ordering::Acquire) {
            self.rx.close();
            while self.rx.try_recv().is_ok() {}
            self.held.store(0, Ordering::Release);
            return Poll::Ready(None);
        }
        let polled = self.rx.poll_recv(cx);
        if let Poll::Ready(Some(event)) = &polled {
            self.held.fetch_sub(event.wire_len(), Ordering::AcqRel);
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;

    use super::*;
    use crate::hub::{EventId, EventKind};

    fn event(bytes: usize) -> Arc<StreamEvent> {
        let id = EventId::parse("1-1").unwrap();
        Arc::new(StreamEvent::new(id, EventKind::Panel, &"x".repeat(bytes)))
    }

    #[tokio::test]
    async fn a_queue_holds_no_more_bytes_than_it_may() {
        let one = event(1000);
        let (tx, mut rx) = client_queue(64, 3 * one.wire_len());
        for _ in 0..3 {
            assert!(tx.push(Arc::clone(&one)).is_ok());
        }
        assert!(matches!(tx.push(Arc::clone(&one)), Err(Refused::Full)));
        // Taking one makes room for one.
        rx.next().await.unwrap();
        assert!(tx.push(Arc::clone(&one)).is_ok());
        assert!(matches!(tx.push(one), Err(Refused::Full)));
        // An event larger than the whole queue still goes through alone.
        for _ in 0..3 {
            rx.next().await.unwrap();
        }
        assert!(tx.push(event(10_000)).is_ok());
        assert!(matches!(tx.push(event(1)), Err(Refused::Full)));
        drop(rx);
        assert!(matches!(tx.push(event(1)), Err(Refused::Closed)));
    }

    #[tokio::test]
    async fn a_client_cut_off_gets_nothing_more_and_its_backlog_is_dropped() {
        let one = event(1000);
        let (tx, mut rx) = client_queue(64, usize::MAX);
        for _ in 0..3 {
            assert!(tx.push(Arc::clone(&one)).is_ok());
        }
        assert_eq!(Arc::strong_count(&one), 4);
        tx.cut_off();
        assert!(rx.next().await.is_none(), "its stream ends at once");
        assert_eq!(Arc::strong_count(&one), 1, "the backlog is freed");
        assert!(matches!(tx.push(one), Err(Refused::Closed)));
    }

    #[tokio::test]
    async fn a_queue_holds_no_more_events_than_it_may() {
        let (tx, _rx) = client_queue(2, usize::MAX);
        assert!(tx.push(event(1)).is_ok());
        assert!(tx.push(event(1)).is_ok());
        assert!(matches!(tx.push(event(1)), Err(Refused::Full)));
    }
}
