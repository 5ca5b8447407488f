//! kmipd's runtime: configuration, the mutual-TLS KMIP listener, and shutdown.
//!
//! [`Server::bind`] opens the store and binds the listener (so that port 0 resolves before
//! anything is announced); [`Server::run`] serves until the shutdown signal. The KMIP work
//! itself is `kmip-ops`'s; this crate owns sockets, TLS, framing, limits and timeouts.

#![warn(missing_docs)]

pub mod config;
mod http;
mod listener;
mod probe;
pub mod tls;

use std::net::SocketAddr;
use std::sync::Arc;

use kmip_keystore::SledStore;
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
    tls: Arc<rustls::ServerConfig>,
    config: Config,
}

impl Server {
    /// Opens the store, loads TLS, and binds the listener.
    pub async fn bind(config: Config) -> Result<Self, ServerError> {
        let tls = tls::server_config(&config.tls)?;
        let http_tls = tls::http_server_config(&config.tls)?;
        let data_dir = config.store.data_dir.clone();
        let store = tokio::task::spawn_blocking(move || SledStore::open(&data_dir))
            .await
            .map_err(|e| ServerError::Io { what: "opening the store".into(), source: std::io::Error::other(e) })?
            .map_err(|source| ServerError::Store { path: config.store.data_dir.display().to_string(), source })?;
        let service_config = ServiceConfig {
            admins: config.access.admins.clone(),
            limits: ttlv::Limits { max_message_size: config.limits.max_message_size, ..ttlv::Limits::default() },
            ..ServiceConfig::default()
        };
        let service = Arc::new(Service::new(Arc::new(store), Arc::new(SystemClock), service_config));
        let kmip = TcpListener::bind(config.kmip.listen)
            .await
            .map_err(|source| ServerError::Io { what: format!("binding {}", config.kmip.listen), source })?;
        let http = TcpListener::bind(config.http.listen)
            .await
            .map_err(|source| ServerError::Io { what: format!("binding {}", config.http.listen), source })?;
        Ok(Server { kmip, http, http_tls, service, tls, config })
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
        let state = Arc::new(http::AppState {
            service: self.service.clone(),
            http: self.config.http.clone(),
            sessions: Default::default(),
        });
        let side_api = http::serve(self.http, TlsAcceptor::from(self.http_tls), http::router(state), shutdown.clone());
        let scheduler =
            rotation_scheduler(self.service.clone(), self.config.rotation.sweep_interval_secs, shutdown.clone());
        let side_api = tokio::spawn(side_api);
        let scheduler = tokio::spawn(scheduler);
        let shared = Arc::new(listener::Shared {
            service: self.service,
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
