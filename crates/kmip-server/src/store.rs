//! Opening the store `[store]` names: sled in this node's data dir, or the PostgreSQL
//! database several nodes share. Either way, records are sealed under the root key of
//! `[store.root_key]`.

use std::sync::Arc;
use std::time::Duration;

use kmip_keystore::{KeyStore, PostgresOptions, PostgresStore, SledStore};
use ring::rand::{SecureRandom, SystemRandom};

use crate::ServerError;
use crate::config::{PostgresConfig, SecretString, StoreConfig, StoreKind};
use crate::root_key::{self, RootKeyError, Salt};

/// An open store, and how long this node's rotation-scheduler lease lasts on it (`None`: the
/// store is this node's alone, so it always leads).
#[derive(Debug)]
pub struct OpenStore {
    /// The store.
    pub store: Arc<dyn KeyStore>,
    /// The scheduler lease's length, for a shared store.
    pub lease: Option<Duration>,
}

/// Opens the configured store. Blocks (Argon2id, the first reads): call it off the async
/// threads.
pub fn open(config: &StoreConfig) -> Result<OpenStore, ServerError> {
    match (config.kind, &config.postgres) {
        (StoreKind::Postgres, Some(pg)) => open_postgres(config, pg),
        _ => {
            let keyring = Arc::new(root_key::keyring(&config.root_key, &Salt::DataDir(&config.data_dir))?);
            tracing::info!(root_key = %keyring.current_id(), "records are sealed under this root key");
            let store = SledStore::open_with_cache(&config.data_dir, keyring, config.cache_mb << 20)
                .map_err(|source| ServerError::Store { path: config.data_dir.display().to_string(), source })?;
            // Its reads are served on the async threads: its commits step off them.
            Ok(OpenStore { store: Arc::new(crate::off_runtime::CommitsOffRuntime(store)), lease: None })
        }
    }
}

/// The PostgreSQL options `[store.postgres]` gives, the URL read from its variable if so.
pub fn postgres_options(pg: &PostgresConfig) -> Result<PostgresOptions, ServerError> {
    let url = match (&pg.url, &pg.url_env) {
        (Some(url), _) => url.clone(),
        (None, Some(name)) => SecretString::new(std::env::var(name).map_err(|e| ServerError::Store {
            path: "postgres".into(),
            source: kmip_keystore::StoreError::Backend(format!("the variable {name}: {e}")),
        })?),
        (None, None) => SecretString::new(String::new()),
    };
    Ok(PostgresOptions { url: url.expose().to_owned(), pool_size: pg.pool_size, ca: pg.ca.clone() })
}

fn open_postgres(config: &StoreConfig, pg: &PostgresConfig) -> Result<OpenStore, ServerError> {
    let options = postgres_options(pg)?;
    if PostgresStore::plain_across_a_network(&options) {
        tracing::warn!(
            "the PostgreSQL connection is not encrypted: records are sealed before they leave, but CMK \
             metadata is not; set [store.postgres] ca to use TLS, or keep the database on loopback"
        );
    }
    let failed = |source| ServerError::Store { path: "postgres".into(), source };
    // Every node derives the same root key from a passphrase: the salt lives in the shared
    // database (made by whichever node comes first), not in one node's data dir.
    let salt = || -> Result<Vec<u8>, RootKeyError> {
        let mut candidate = vec![0u8; 16];
        SystemRandom::new().fill(&mut candidate).map_err(|_| RootKeyError::Config("no randomness".into()))?;
        PostgresStore::shared_setting(&options, "root_key_salt", &candidate)
            .map_err(|e| RootKeyError::Config(format!("the root key salt in the database: {e}")))
    };
    let keyring = Arc::new(root_key::keyring(&config.root_key, &Salt::Shared(&salt))?);
    tracing::info!(root_key = %keyring.current_id(), "records are sealed under this root key");
    let store = PostgresStore::open(&options, keyring).map_err(failed)?;
    tracing::info!(pool_size = pg.pool_size, "store: postgres");
    Ok(OpenStore { store: Arc::new(store), lease: Some(Duration::from_secs(pg.lease_secs)) })
}
