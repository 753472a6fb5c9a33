//! Fan-out: a topic's events to every subscriber, each through its own
//! bounded queue.

use std::sync::{atomic::Ordering, Arc};

use tokio::sync::{broadcast, mpsc};

use super::{
    event::StreamEvent,
    topic::{Inner, CLIENT_QUEUE},
};

/// Moves a topic's events into one client's bounded queue until the client
/// leaves, falls behind, or the server shuts down. Returning drops both ends,
/// so the topic loses a watcher and the client's stream ends.
pub(super) async fn fill_client_queue(
    inner: Arc<Inner>,
    mut from_topic: broadcast::Receiver<Arc<StreamEvent>>,
    to_client: mpsc::Sender<Arc<StreamEvent>>,
) {
    loop {
        let received = tokio::select! {
            received = from_topic.recv() => received,
            () = to_client.closed() => return,
            () = inner.shutdown.cancelled() => return,
        };
        let behind = match received {
            Ok(event) => match to_client.try_send(event) {
                Ok(()) => continue,
                Err(mpsc::error::TrySendError::Closed(_)) => return,
                Err(mpsc::error::TrySendError::Full(_)) => CLIENT_QUEUE,
            },
            Err(broadcast::error::RecvError::Lagged(n)) => n as usize,
            Err(broadcast::error::RecvError::Closed) => return,
        };
        inner.slow_clients_dropped.fetch_add(1, Ordering::Relaxed);
        tracing::info!(
            behind,
            "a stream client stopped reading; disconnected so it resyncs"
        );
        return;
    }
}
