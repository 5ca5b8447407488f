//! kmipd's runtime: configuration, the mutual-TLS KMIP listener, and shutdown.
//!
//! [`Server::bind`] opens the store and binds the listener (so that port 0 resolves before
//! anything is announced); [`Server::run`] serves until the shutdown signal. The KMIP work
//! itself is `kmip-ops`'s; this crate owns sockets, TLS, framing, limits and timeouts.

#![warn(missing_docs)]

pub mod audit;
mod clients;
mod committer;
pub mod config;
mod http;
mod listener;
pub mod migrate;
mod off_runtime;
pub mod offset_clock;
mod probe;
pub mod root_key;
mod scheduler;
pub mod store;
pub mod tls;

use std::net::SocketAddr;
use std::sync::Arc;

use kmip_keystore::KeyStore;
use kmip_ops::{Service, ServiceConfig, SystemClock};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

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
    service: Arc<Service>,
    store: Arc<dyn KeyStore>,
    /// Commits the writes that connections hand over.
    committer: Arc<committer::Committer>,
    /// The scheduler lease's length on a shared store.
    lease: Option<std::time::Duration>,
    audit: audit::Audit,
    tls: Arc<tls::TlsState>,
    config: Config,
}

impl Server {
    /// Opens the store, loads TLS, and binds the listener.
    pub async fn bind(config: Config) -> Result<Self, ServerError> {
        let tls = tls::TlsState::load(&config.tls)?;
        let store_config = config.store.clone();
        // Argon2id and the first reads of the store block: off the async threads.
        let opened = tokio::task::spawn_blocking(move || store::open(&store_config))
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
            retire_after_unused_days: config.rotation.retire_after_unused_days,
            ..ServiceConfig::default()
        };
        let store = opened.store;
        let clock: Arc<dyn kmip_ops::Clock> = match &config.testing.clock_offset_file {
            Some(path) => Arc::new(offset_clock::OffsetFileClock::new(path.clone())),
            None => Arc::new(SystemClock),
        };
        let service = Arc::new(Service::new(store.clone(), clock, service_config));
        let kmip = TcpListener::bind(config.kmip.listen)
            .await
            .map_err(|source| ServerError::Io { what: format!("binding {}", config.kmip.listen), source })?;
        let http = TcpListener::bind(config.http.listen)
            .await
            .map_err(|source| ServerError::Io { what: format!("binding {}", config.http.listen), source })?;
        let audit = audit::Audit::start(&config.audit)
            .map_err(|source| ServerError::Io { what: "opening the audit log".into(), source })?;
        let committer = committer::Committer::start(store.clone())
            .map_err(|source| ServerError::Io { what: "starting the committer threads".into(), source })?;
        let committer = Arc::new(committer);
        Ok(Server { kmip, http, service, store, committer, lease: opened.lease, audit, tls, config })
    }

    /// The TLS configurations, to reload (on SIGHUP) while the server runs.
    pub fn tls(&self) -> Arc<tls::TlsState> {
        self.tls.clone()
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
        let leading = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let clients = Arc::new(clients::ClientRegistry::default());
        let state = Arc::new(http::AppState {
            service: self.service.clone(),
            http: self.config.http.clone(),
            sessions: Default::default(),
            reseal: progress.clone(),
            audit: self.audit.clone(),
            tls: Some(self.tls.clone()),
            leading: leading.clone(),
            clients: clients.clone(),
        });
        let side_api = http::serve(self.http, self.tls.clone(), http::router(state), shutdown.clone());
        let scheduler = scheduler::Scheduler {
            service: self.service.clone(),
            store: self.store.clone(),
            every: std::time::Duration::from_secs(self.config.rotation.sweep_interval_secs),
            lease: self.lease,
            leading,
        }
        .run(shutdown.clone());
        tokio::spawn(reseal(self.store.clone(), progress, shutdown.clone()));
        let side_api = tokio::spawn(side_api);
        let scheduler = tokio::spawn(scheduler);
        let audit = self.audit.clone();
        let shared = Arc::new(listener::Shared {
            service: self.service,
            committer: self.committer,
            audit: self.audit,
            tls: self.tls.clone(),
            limits: self.config.limits.clone(),
            connections: Arc::new(Semaphore::new(self.config.limits.max_connections)),
            clients,
        });
        listener::serve(self.kmip, shared, shutdown).await;
        let _ = side_api.await;
        let _ = scheduler.await;
        // The last answers' audit lines reach the sink before the process goes: the writer
        // rests between batches, and a process that exits does not wait for its threads.
        let _ = tokio::task::spawn_blocking(move || audit.flush(std::time::Duration::from_secs(5))).await;
    }
}

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

/// What the `side_api` fuzz target calls, and a test runs on its seeds.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod __fuzz {
    use std::sync::{Arc, OnceLock};

    use kmip_keystore::MemoryStore;
    use kmip_ops::{Service, ServiceConfig, SystemClock};
    use tower::ServiceExt;

    /// The routes that take a JSON body, each with the dev credentials it needs.
    const ROUTES: [(&str, &str); 8] = [
        ("POST", "/v1.0/dev-project/kms/create-key"),
        ("POST", "/v1.0/dev-project/kms/describe-key"),
        ("POST", "/v1.0/dev-project/kms/enable-key-rotation"),
        ("POST", "/v1.0/dev-project/kms/update-key-rotation-interval"),
        ("POST", "/v1.0/dev-project/kms/get-key-rotation-status"),
        ("POST", "/v1.0/dev-project/kms/list-keys"),
        ("POST", "/v2/dev-project/clusters/c1/encrypt"),
        ("POST", "/v1/session/login"),
    ];

    /// `(route index, body)`: the fuzz corpus starts from these.
    pub const SEEDS: [(u8, &str); 12] = [
        (0, r#"{"key_alias": "fuzz", "key_spec": "AES_256", "key_usage": "ENCRYPT_DECRYPT"}"#),
        (1, r#"{"key_id": "0d0466b0-e727-4d9c-b35d-f84bb474a37f"}"#),
        (2, r#"{"key_id": "0d0466b0-e727-4d9c-b35d-f84bb474a37f"}"#),
        (3, r#"{"key_id": "x", "rotation_interval": 29}"#),
        (4, r#"{"key_id": 7}"#),
        (5, r#"{"limit": "10", "marker": ""}"#),
        (6, r#"{"encrypt": {"key_id": null}}"#),
        (7, r#"{"username": "admin", "password": "admin"}"#),
        (0, r#"[1, 2, 3]"#),
        (5, r#"{"limit": -1}"#),
        (3, "{\"key_id\": \"\u{0}\", \"rotation_interval\": 1e308}"),
        (1, "not json at all"),
    ];

    fn runtime() -> &'static tokio::runtime::Runtime {
        static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
        RUNTIME.get_or_init(|| tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime"))
    }

    /// One side-API call: the first byte picks a route, the rest is its body. A fresh
    /// in-memory store each time. Never panics, never a 5xx; returns the status.
    pub fn side_api(data: &[u8]) -> u16 {
        let Some((&pick, body)) = data.split_first() else { return 0 };
        let (method, path) = ROUTES[usize::from(pick) % ROUTES.len()];
        let config: crate::Config = toml::from_str(
            "[tls]\nclient_ca = \"ca.pem\"\ncert = \"s.pem\"\nkey = \"s.key\"\n\
             [[http.tokens]]\ntoken = \"dev-token\"\nproject = \"dev-project\"\n\
             [[http.logins]]\nusername = \"admin\"\npassword = \"admin\"\n\
             [[http.projects]]\nid = \"dev-project\"\nkmip_owner = \"CN=fuzz\"\n",
        )
        .expect("the fuzz config parses");
        let service =
            Arc::new(Service::new(Arc::new(MemoryStore::new()), Arc::new(SystemClock), ServiceConfig::default()));
        let state = Arc::new(crate::http::AppState {
            service,
            http: config.http,
            sessions: Default::default(),
            reseal: Default::default(),
            audit: crate::audit::Audit::discard(),
            tls: None,
            leading: Default::default(),
            clients: Default::default(),
        });
        let request = axum::http::Request::builder()
            .method(method)
            .uri(path)
            .header("x-auth-token", "dev-token")
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body.to_vec()))
            .expect("a request");
        let status =
            runtime().block_on(crate::http::router(state).oneshot(request)).expect("the router is infallible").status();
        assert!(!status.is_server_error(), "{method} {path} answered {status}");
        status.as_u16()
    }
}
