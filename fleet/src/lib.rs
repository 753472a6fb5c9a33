//! The demo fleet: eleven stand-in microservices, each with `/metrics` in the
//! conventional names and its own health endpoint, fed by one traffic simulation.
//! Each service can be told at run time to be slow, to fail or to go down.
//!
//! Used in-process by the test stack and the demo (`vantage-stack`), and on its own
//! as `demo-fleet`.

pub mod catalog;
mod control;
mod service_server;
pub mod simulation;

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use serde::Serialize;

use crate::{
    catalog::SERVICES,
    service_server::{Listener, ServiceContext},
    simulation::{Mode, Simulation},
};

pub use simulation::Mode as ServiceMode;

#[derive(Debug, Clone)]
pub struct FleetOptions {
    pub seed: u64,
    /// Ports `first_port`, `first_port + 1`, … for the services; free ports if `None`.
    pub first_port: Option<u16>,
    /// Port of the control API; a free port if `None`.
    pub control_port: Option<u16>,
    /// Simulate this much history before going live (see [`Fleet::histories`]).
    pub history: Option<History>,
    /// More history before `history`, at its own (coarser) step: a week to
    /// look at without a week of fine samples to write and backfill.
    pub older_history: Option<History>,
}

#[derive(Debug, Clone, Copy)]
pub struct History {
    pub seconds: u64,
    pub step_seconds: u64,
}

impl Default for FleetOptions {
    fn default() -> Self {
        Self {
            seed: 42,
            first_port: None,
            control_port: None,
            history: None,
            older_history: None,
        }
    }
}

/// What the fleet tells about one service.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceInfo {
    pub name: String,
    pub addr: SocketAddr,
    pub metrics_url: String,
    pub health_urls: Vec<String>,
    pub mode: Mode,
}

#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error("no service named {0:?}")]
    UnknownService(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A cheap handle for changing modes and listing services.
#[derive(Clone)]
pub struct FleetHandle {
    sim: Arc<Mutex<Simulation>>,
    listeners: Arc<tokio::sync::Mutex<Vec<Listener>>>,
}

impl FleetHandle {
    pub async fn services(&self) -> Vec<ServiceInfo> {
        let listeners = self.listeners.lock().await;
        let modes: Vec<Mode> = self
            .sim
            .lock()
            .map(|s| s.services.iter().map(|s| s.mode).collect())
            .unwrap_or_default();
        SERVICES
            .iter()
            .zip(listeners.iter())
            .enumerate()
            .map(|(i, (spec, l))| ServiceInfo {
                name: spec.name.to_string(),
                addr: l.addr,
                metrics_url: format!("http://{}/metrics", l.addr),
                health_urls: spec
                    .health_paths
                    .iter()
                    .map(|p| format!("http://{}{p}", l.addr))
                    .collect(),
                mode: modes.get(i).copied().unwrap_or_default(),
            })
            .collect()
    }

    /// Tells a service how to behave. `Down` closes its port; any other mode
    /// opens it again on the same address.
    pub async fn set_mode(&self, name: &str, mode: Mode) -> Result<(), FleetError> {
        let index = SERVICES
            .iter()
            .position(|s| s.name == name)
            .ok_or_else(|| FleetError::UnknownService(name.chars().take(64).collect()))?;
        if let Ok(mut sim) = self.sim.lock() {
            sim.services[index].mode = mode;
        }
        let mut listeners = self.listeners.lock().await;
        let listener = &mut listeners[index];
        match (mode, listener.is_running()) {
            (Mode::Down, true) => listener.stop().await,
            (Mode::Down, false) | (_, true) => {}
            (_, false) => {
                let addr = listener.addr;
                *listener = Listener::bind(addr, self.router(index))
                    .await
                    .map_err(|source| FleetError::Bind { addr, source })?;
            }
        }
        tracing::info!(service = name, ?mode, "mode set");
        Ok(())
    }

    fn router(&self, index: usize) -> axum::Router {
        service_server::router(
            ServiceContext {
                sim: Arc::clone(&self.sim),
                index,
            },
            SERVICES[index].health_paths,
        )
    }
}

pub struct Fleet {
    handle: FleetHandle,
    control: Listener,
    ticker: tokio::task::JoinHandle<()>,
    histories: Vec<String>,
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl Fleet {
    pub async fn start(options: FleetOptions) -> Result<Fleet, FleetError> {
        let now = unix_now();
        let mut sim = Simulation::new(options.seed, now);
        let aligned = |h: History| {
            let step = h.step_seconds.max(1) as f64;
            ((now - h.seconds as f64).div_euclid(step) * step, step)
        };
        let mut histories = Vec::new();
        // The simulation runs forward only: the older part first, ending where
        // the finer part begins, so counters carry on from one to the other.
        let recent_from = options.history.map(aligned).map_or(now, |(from, _)| from);
        if let Some((from, step)) = options.older_history.map(aligned) {
            if from < recent_from - step {
                histories.push(sim.history(from, recent_from - step, step));
            }
        }
        if let Some((from, step)) = options.history.map(aligned) {
            histories.push(sim.history(from, now, step));
        }
        let sim = Arc::new(Mutex::new(sim));
        let handle = FleetHandle {
            sim: Arc::clone(&sim),
            listeners: Arc::new(tokio::sync::Mutex::new(Vec::new())),
        };
        {
            let mut listeners = handle.listeners.lock().await;
            for i in 0..SERVICES.len() {
                let port = options.first_port.map(|p| p + i as u16).unwrap_or(0);
                let addr = SocketAddr::from(([127, 0, 0, 1], port));
                let l = Listener::bind(addr, handle.router(i))
                    .await
                    .map_err(|source| FleetError::Bind { addr, source })?;
                listeners.push(l);
            }
        }
        let control_addr = SocketAddr::from(([127, 0, 0, 1], options.control_port.unwrap_or(0)));
        let control = Listener::bind(control_addr, control::router(handle.clone()))
            .await
            .map_err(|source| FleetError::Bind {
                addr: control_addr,
                source,
            })?;

        let ticker = tokio::spawn(async move {
            let mut interval = tokio::time::interval(Duration::from_secs(1));
            loop {
                interval.tick().await;
                if let Ok(mut sim) = sim.lock() {
                    sim.advance_to(unix_now());
                }
            }
        });
        Ok(Fleet {
            handle,
            control,
            ticker,
            histories,
        })
    }

    pub fn handle(&self) -> FleetHandle {
        self.handle.clone()
    }

    pub fn control_url(&self) -> String {
        format!("http://{}", self.control.addr)
    }

    /// The simulated history as OpenMetrics (one text per part, oldest first,
    /// each for its own backfill), labelled as the scrape configuration labels
    /// live series (`job="fleet"`, `instance=<service>`).
    pub fn histories(&self) -> &[String] {
        &self.histories
    }

    pub async fn services(&self) -> Vec<ServiceInfo> {
        self.handle.services().await
    }

    pub async fn set_mode(&self, name: &str, mode: Mode) -> Result<(), FleetError> {
        self.handle.set_mode(name, mode).await
    }

    pub async fn stop(mut self) {
        self.ticker.abort();
        self.control.stop().await;
        for l in self.handle.listeners.lock().await.iter_mut() {
            l.stop().await;
        }
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        self.ticker.abort();
    }
}
