//! How many streams one client may hold open. A stream is cheap for the
//! server but not free (a queue, a socket, a share of its view's refresh),
//! so one address holding hundreds would crowd out everyone else. A browser
//! has one a tab; a wall of screens behind one address gets the setting.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
};

use crate::error::Error;

pub struct StreamSlots {
    per_client: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
    refused: AtomicU64,
}

/// One open stream of one client; dropping it (the stream ended) frees it.
pub struct Slot {
    slots: Arc<StreamSlots>,
    client: IpAddr,
}

impl StreamSlots {
    pub fn new(per_client: usize) -> Arc<Self> {
        Arc::new(Self {
            per_client,
            open: Mutex::new(HashMap::new()),
            refused: AtomicU64::new(0),
        })
    }

    /// A slot for a stream of `client`, or 429 if it holds all it may. A
    /// request without a peer address (in-process tests) is not counted.
    pub fn claim(self: &Arc<Self>, client: Option<IpAddr>) -> Result<Option<Slot>, Error> {
        let Some(client) = client else {
            return Ok(None);
        };
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let held = open.entry(client).or_insert(0);
        if *held >= self.per_client {
            drop(open);
            self.refused.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%client, limit = self.per_client, "refused a stream: the client holds all it may");
            return Err(Error::too_many(format!(
                "this address holds {} streams, all one client may; close a tab or try again shortly",
                self.per_client
            )));
        }
        *held += 1;
        Ok(Some(Slot {
            slots: Arc::clone(self),
            client,
        }))
    }

    /// Streams refused since start.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(held) = open.get_mut(&self.client) {
            *held -= 1;
            if *held == 0 {
                open.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_holds_its_share_and_gets_it_back_when_a_stream_ends() {
        let slots = StreamSlots::new(2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let first = slots.claim(Some(a)).unwrap();
        let _second = slots.claim(Some(a)).unwrap();
        let refused = slots.claim(Some(a)).err().unwrap();
        assert_eq!(refused.status(), axum::http::StatusCode::TOO_MANY_REQUESTS);
        assert!(
            slots.claim(Some(b)).unwrap().is_some(),
            "another client is not affected"
        );
        drop(first);
        assert!(slots.claim(Some(a)).unwrap().is_some());
        assert_eq!(slots.refused(), 1);
        assert!(slots.claim(None).unwrap().is_none());
    }
}
