//! Fan-out: a topic's events to every subscriber, each through its own
//! bounded queue.

use std::sync::{atomic::Ordering, Arc};

use tokio::sync::broadcast;

use super::{
    client_queue::{QueueSender, Refused},
    event::StreamEvent,
    topic::Inner,
};

/// Moves a topic's events into one client's bounded queue until the client
/// leaves, falls behind, or the server shuts down. Returning drops both ends,
/// so the topic loses a watcher and the client's stream ends.
pub(super) async fn fill_client_queue(
    inner: Arc<Inner>,
    mut from_topic: broadcast::Receiver<Arc<StreamEvent>>,
    to_client: QueueSender,
) {
    loop {
        let received = tokio::select! {
            received = from_topic.recv() => received,
            () = to_client.closed() => return,
            () = inner.shutdown.cancelled() => return,
        };
        match received {
            Ok(event) => match to_client.push(event) {
                Ok(()) => continue,
                Err(Refused::Closed) => return,
                Err(Refused::Full) => {}
            },
            Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(broadcast::error::RecvError::Closed) => return,
        }
        to_client.cut_off();
        inner.slow_clients_dropped.fetch_add(1, Ordering::Relaxed);
        tracing::info!("a stream client stopped reading; disconnected so it resyncs");
        return;
    }
}
