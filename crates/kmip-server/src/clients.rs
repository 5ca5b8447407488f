//! The client health registry: for each client certificate identity this node has served,
//! the KMIP versions it spoke, its last successful request, its last failure (operation and
//! Result Reason), its certificate's expiry, and its request counts. Served at
//! `GET /v1/clients` (operator tokens) with the number of keys each identity owns, and as the
//! `kmip_client_certificates_expiring` gauge.
//!
//! It lives in memory, per node: it answers "is this client's connection to the KMS healthy
//! now", which is about this process's recent traffic, not history. Nothing in it is secret
//! (no request content, only operation names and Result Reasons).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use kmip_ops::{AuthenticatedClient, ItemOutcome};

/// Identities kept at most. Certificates come from the configured CA, so this bounds only a
/// CA that issues without end; past it, new identities are not tracked (and a warning says so).
const MAX_CLIENTS: usize = 10_000;

/// A failed request, as the registry keeps it.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    /// When, in seconds since the epoch.
    pub(crate) at: i64,
    /// The operation's name, or `undecodable` when the message did not decode far enough.
    pub(crate) operation: String,
    /// The Result Reason's name.
    pub(crate) reason: String,
}

/// One identity's health.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClientHealth {
    /// The protocol versions its requests were answered in.
    pub(crate) versions: BTreeSet<kmip_proto::ProtocolVersion>,
    /// Its last successful batch item.
    pub(crate) last_success: Option<i64>,
    /// Its last failed one.
    pub(crate) last_failure: Option<Failure>,
    /// The latest certificate expiry seen for it (a renewed certificate moves it on).
    pub(crate) not_after: i64,
    /// Batch items served, and how many failed.
    pub(crate) items: u64,
    /// Of them, failed.
    pub(crate) failures: u64,
}

/// Every identity this node has served since it started.
#[derive(Debug, Default)]
pub(crate) struct ClientRegistry {
    clients: Mutex<BTreeMap<String, ClientHealth>>,
}

impl ClientRegistry {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, ClientHealth>> {
        // Counters only: a poisoned lock still holds usable ones.
        self.clients.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Notes one request's outcomes for `client`, at `now`.
    pub(crate) fn record(&self, client: &AuthenticatedClient, outcomes: &[ItemOutcome], now: i64) {
        let mut clients = self.lock();
        if !clients.contains_key(client.subject()) {
            if clients.len() >= MAX_CLIENTS {
                tracing::warn!(
                    "the client registry is full ({MAX_CLIENTS} identities): not tracking {}",
                    client.subject()
                );
                return;
            }
            clients.insert(client.subject().to_owned(), ClientHealth::default());
        }
        // Looked up by `&str`: every request comes through here, and `entry` would take an
        // owned key, an allocation each time, for the rare new identity.
        let Some(health) = clients.get_mut(client.subject()) else { return };
        health.not_after = health.not_after.max(client.not_after());
        for outcome in outcomes {
            health.items += 1;
            if let Some(version) = outcome.version {
                health.versions.insert(version);
            }
            match outcome.result {
                Ok(()) => health.last_success = Some(now),
                Err(reason) => {
                    health.failures += 1;
                    health.last_failure = Some(Failure {
                        at: now,
                        operation: outcome.operation.map_or_else(|| "undecodable".into(), |o| o.to_string()),
                        reason: reason.to_string(),
                    });
                }
            }
        }
    }

    /// Every identity and its health, by identity.
    pub(crate) fn snapshot(&self) -> Vec<(String, ClientHealth)> {
        self.lock().iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    /// How many known identities' certificates expire within `seconds` of `now` (expired
    /// ones included).
    pub(crate) fn expiring_within(&self, now: i64, seconds: i64) -> usize {
        self.lock().values().filter(|h| h.not_after - now <= seconds).count()
    }
}
