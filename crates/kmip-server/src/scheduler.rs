//! The rotation scheduler: sweeps the due-time index for CMKs whose rotation is due (and, on
//! every node, writes the key-consumer entries held back for their hour).
//!
//! On a store this node owns alone (sled), it always runs. On a store several nodes share
//! (PostgreSQL), it runs on the one node that holds the `rotation-scheduler` lease, renewed
//! between small batches of a sweep; when that node dies, the lease lapses and another node
//! takes the sweep over where it stopped (the due-time index is the sweep's progress).
//! Should two nodes ever sweep at once (a leader stalled past its lease), the CMK record's
//! revision lets one of them rotate a due key, and the other's commit fails and changes
//! nothing: a due time rotates once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use kmip_keystore::KeyStore;
use kmip_ops::Service;
use tokio::sync::watch;

/// The lease's name in the store.
const LEASE: &str = "rotation-scheduler";
/// CMKs rotated between two renewals of the lease.
const BATCH: usize = 50;

/// The scheduler's settings.
#[derive(Debug)]
pub(crate) struct Scheduler {
    pub(crate) service: Arc<Service>,
    pub(crate) store: Arc<dyn KeyStore>,
    /// Time between sweeps.
    pub(crate) every: Duration,
    /// The lease's length on a shared store; `None`: this node always leads.
    pub(crate) lease: Option<Duration>,
    /// Whether this node leads now, for `/metrics`.
    pub(crate) leading: Arc<AtomicBool>,
}

impl Scheduler {
    /// Sweeps until shutdown, then gives the lease up so that another node need not wait for
    /// it to lapse.
    pub(crate) async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let holder = holder_id();
        // A follower looks at the lease often enough to take over within about a third of
        // its length after it lapses.
        let period = match self.lease {
            Some(lease) => self.every.min(lease / 3).max(Duration::from_secs(1)),
            None => self.every.max(Duration::from_secs(1)),
        };
        let mut ticks = tokio::time::interval(period);
        loop {
            tokio::select! {
                _ = shutdown.changed() => break,
                _ = ticks.tick() => {}
            }
            // Every node writes the key-consumer entries it has held back for their hour.
            self.flush_consumers(false).await;
            if !self.hold(&holder, self.lease).await {
                continue;
            }
            loop {
                let service = self.service.clone();
                match tokio::task::spawn_blocking(move || service.rotation_sweep(BATCH)).await {
                    Ok(Ok(n)) => {
                        if n > 0 {
                            tracing::info!(rotated = n, "rotation sweep");
                        }
                        if n < BATCH || *shutdown.borrow() || !self.hold(&holder, self.lease).await {
                            break;
                        }
                    }
                    Ok(Err(e)) => break tracing::error!(error = %e, "rotation sweep failed"),
                    Err(e) => break tracing::error!(error = %e, "rotation sweep panicked"),
                }
            }
        }
        self.flush_consumers(true).await;
        if self.lease.is_some() && self.leading.load(Ordering::Relaxed) {
            self.hold(&holder, Some(Duration::ZERO)).await;
        }
    }

    async fn flush_consumers(&self, all: bool) {
        let service = self.service.clone();
        if tokio::task::spawn_blocking(move || service.flush_consumers(all)).await.is_err() {
            tracing::error!("writing key consumers panicked");
        }
    }

    /// Takes or renews the lease for `ttl` (`None`: no lease needed); whether this node leads.
    async fn hold(&self, holder: &str, ttl: Option<Duration>) -> bool {
        let Some(ttl) = ttl else {
            self.leading.store(true, Ordering::Relaxed);
            return true;
        };
        let (store, name) = (self.store.clone(), holder.to_owned());
        let leading = match tokio::task::spawn_blocking(move || store.lease(LEASE, &name, ttl)).await {
            Ok(Ok(leading)) => leading,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "the rotation scheduler's lease could not be read; not sweeping");
                false
            }
            Err(e) => {
                tracing::error!(error = %e, "the rotation scheduler's lease panicked");
                false
            }
        };
        let was = self.leading.swap(leading && !ttl.is_zero(), Ordering::Relaxed);
        match (was, leading && !ttl.is_zero()) {
            (false, true) => tracing::info!(holder, "this node now runs the rotation scheduler"),
            (true, false) => tracing::info!(holder, "this node no longer runs the rotation scheduler"),
            _ => {}
        }
        leading
    }
}

/// This node's name on the lease: the process id and random bytes, so that a restarted node
/// is a new holder and waits for its old lease like any other node.
fn holder_id() -> String {
    use ring::rand::{SecureRandom, SystemRandom};
    let mut bytes = [0u8; 6];
    let _ = SystemRandom::new().fill(&mut bytes);
    format!("pid{}-{}", std::process::id(), hex::encode(bytes))
}
