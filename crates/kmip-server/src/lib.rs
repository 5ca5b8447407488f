//! kmipd's runtime: configuration, the mutual-TLS KMIP listener, and shutdown.
//!
//! [`Server::bind`] opens the store and binds the listener (so that port 0 resolves before
//! anything is announced); [`Server::run`] serves until the shutdown signal. The KMIP work
//! itself is `kmip-ops`'s; this crate owns sockets, TLS, framing, limits and timeouts.

#![warn(missing_docs)]

pub mod audit;
pub mod config;
mod http;
mod listener;
mod probe;
pub mod root_key;
pub mod tls;

use std::net::SocketAddr;
use std::sync::Arc;

use kmip_keystore::{KeyStore, SledStore};
use kmip_ops::{Service, ServiceConfig, SystemClock};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;

pub use config::{Config, ConfigError};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// TLS files.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// The root key.
    #[error(transparent)]
    RootKey(#[from] root_key::RootKeyError),
    /// The key store.
    #[error("key store at {path}: {source}")]
    Store {
        /// The data directory.
        path: String,
        /// Why.
        source: kmip_keystore::StoreError,
    },
    /// A socket.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why.
        source: std::io::Error,
    },
}

/// A bound, not yet running, server.
#[derive(Debug)]
pub struct Server {
    kmip: TcpListener,
    http: TcpListener,
    http_tls: Arc<rustls::ServerConfig>,
    service: Arc<Service>,
    store: Arc<dyn KeyStore>,
    audit: audit::Audit,
    tls: Arc<rustls::ServerConfig>,
    config: Config,
}

impl Server {
    /// Opens the store, loads TLS, and binds the listener.
    pub async fn bind(config: Config) -> Result<Self, ServerError> {
        let tls = tls::server_config(&config.tls)?;
        let http_tls = tls::http_server_config(&config.tls)?;
        let (data_dir, root_key) = (config.store.data_dir.clone(), config.store.root_key.clone());
        // Argon2id and the first read of the data dir block: off the async threads.
        let store = tokio::task::spawn_blocking(move || {
            let keyring = Arc::new(root_key::keyring(&root_key, &data_dir)?);
            tracing::info!(root_key = %keyring.current_id(), "records are sealed under this root key");
            SledStore::open(&data_dir, keyring)
                .map_err(|source| ServerError::Store { path: data_dir.display().to_string(), source })
        })
        .await
        .map_err(|e| ServerError::Io { what: "opening the store".into(), source: std::io::Error::other(e) })??;
        let l = &config.limits;
        let service_config = ServiceConfig {
            admins: config.access.admins.clone(),
            limits: ttlv::Limits {
                max_message_size: l.max_message_size,
                max_depth: l.max_depth,
                ..ttlv::Limits::default()
            },
            max_batch_items: l.max_batch_items,
            max_attributes: l.max_attributes,
            max_locate_results: l.max_locate_results,
            ..ServiceConfig::default()
        };
        let store: Arc<dyn KeyStore> = Arc::new(store);
        let service = Arc::new(Service::new(store.clone(), Arc::new(SystemClock), service_config));
        let kmip = TcpListener::bind(config.kmip.listen)
            .await
            .map_err(|source| ServerError::Io { what: format!("binding {}", config.kmip.listen), source })?;
        let http = TcpListener::bind(config.http.listen)
            .await
            .map_err(|source| ServerError::Io { what: format!("binding {}", config.http.listen), source })?;
        let audit = audit::Audit::start(&config.audit)
            .map_err(|source| ServerError::Io { what: "opening the audit log".into(), source })?;
        Ok(Server { kmip, http, http_tls, service, store, audit, tls, config })
    }

    /// The address the KMIP listener is bound to (with the port chosen when 0 was asked).
    pub fn kmip_addr(&self) -> Result<SocketAddr, ServerError> {
        self.kmip.local_addr().map_err(|source| ServerError::Io { what: "reading the bound address".into(), source })
    }

    /// The address the HTTPS side API is bound to.
    pub fn http_addr(&self) -> Result<SocketAddr, ServerError> {
        self.http.local_addr().map_err(|source| ServerError::Io { what: "reading the bound address".into(), source })
    }

    /// Serves until `shutdown` becomes true, then lets open connections finish their current
    /// request.
    pub async fn run(self, shutdown: watch::Receiver<bool>) {
        let progress = Arc::new(ResealProgress::default());
        let state = Arc::new(http::AppState {
            service: self.service.clone(),
            http: self.config.http.clone(),
            sessions: Default::default(),
            reseal: progress.clone(),
            audit: self.audit.clone(),
        });
        let side_api = http::serve(self.http, TlsAcceptor::from(self.http_tls), http::router(state), shutdown.clone());
        let scheduler =
            rotation_scheduler(self.service.clone(), self.config.rotation.sweep_interval_secs, shutdown.clone());
        tokio::spawn(reseal(self.store.clone(), progress, shutdown.clone()));
        let side_api = tokio::spawn(side_api);
        let scheduler = tokio::spawn(scheduler);
        let shared = Arc::new(listener::Shared {
            service: self.service,
            audit: self.audit,
            acceptor: TlsAcceptor::from(self.tls),
            limits: self.config.limits.clone(),
            connections: Arc::new(Semaphore::new(self.config.limits.max_connections)),
        });
        listener::serve(self.kmip, shared, shutdown).await;
        let _ = side_api.await;
        let _ = scheduler.await;
    }
}

/// Sweeps for due keys every `every_secs`, off the async threads, until shutdown.
/// How far [`reseal`] has come, for `/metrics`.
#[derive(Debug, Default)]
pub(crate) struct ResealProgress {
    /// Records sealed again so far.
    pub(crate) resealed: std::sync::atomic::AtomicU64,
    /// Whether every record has been looked at.
    pub(crate) complete: std::sync::atomic::AtomicBool,
}

/// Seals again, under the current root key, every record an older key sealed (after a root
/// key rotation, or from before records were sealed): in steps of its own transactions, so
/// the server serves throughout. Done once per start.
async fn reseal(store: Arc<dyn KeyStore>, progress: Arc<ResealProgress>, mut shutdown: watch::Receiver<bool>) {
    use std::sync::atomic::Ordering::Relaxed;
    let (mut cursor, mut total) = (None, 0u64);
    loop {
        if *shutdown.borrow_and_update() {
            return;
        }
        let step_store = store.clone();
        let from = cursor.take();
        match tokio::task::spawn_blocking(move || step_store.reseal(from.as_deref(), 256)).await {
            Ok(Ok(step)) => {
                total += step.resealed;
                progress.resealed.fetch_add(step.resealed, Relaxed);
                match step.next {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
            Ok(Err(e)) => return tracing::error!(error = %e, "re-sealing records under the current root key failed"),
            Err(e) => return tracing::error!(error = %e, "re-sealing panicked"),
        }
    }
    progress.complete.store(true, Relaxed);
    if total > 0 {
        tracing::info!(records = total, "re-sealed records under the current root key");
    }
}

async fn rotation_scheduler(service: Arc<Service>, every_secs: u64, mut shutdown: watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval(std::time::Duration::from_secs(every_secs.max(1)));
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = ticks.tick() => {}
        }
        let service = service.clone();
        match tokio::task::spawn_blocking(move || service.rotation_sweep(1_000)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::info!(rotated = n, "rotation sweep"),
            Ok(Err(e)) => tracing::error!(error = %e, "rotation sweep failed"),
            Err(e) => tracing::error!(error = %e, "rotation sweep panicked"),
        }
    }
}
