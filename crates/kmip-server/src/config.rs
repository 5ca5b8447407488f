//! `config.toml`: strict (unknown keys are errors), every default named, relative paths
//! resolved against the file's own directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Why a configuration does not load.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The TOML does not parse, or does not fit the schema.
    #[error("{path}: {source}")]
    Toml {
        /// The file.
        path: PathBuf,
        /// Why.
        source: toml::de::Error,
    },
    /// A value is out of range.
    #[error("{0}")]
    Invalid(String),
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The KMIP listener.
    #[serde(default)]
    pub kmip: KmipConfig,
    /// TLS files.
    pub tls: TlsConfig,
    /// The key store.
    #[serde(default)]
    pub store: StoreConfig,
    /// Caps and timeouts.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// Who may do what.
    #[serde(default)]
    pub access: AccessConfig,
    /// Logging.
    #[serde(default)]
    pub log: LogConfig,
    /// The HTTPS side API.
    #[serde(default)]
    pub http: HttpConfig,
    /// The rotation scheduler.
    #[serde(default)]
    pub rotation: RotationConfig,
    /// The audit log.
    #[serde(default)]
    pub audit: crate::audit::AuditConfig,
    /// Settings for tests of kmipd itself; kmipd warns while any is on.
    #[serde(default)]
    pub testing: TestingConfig,
}

/// The HTTPS side API (rotation status and control), on its own port.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Address to listen on; port 8000 by default (what `qq` expects). Port 0 picks one.
    #[serde(default = "default_http_listen")]
    pub listen: SocketAddr,
    /// Static `X-Auth-Token` tokens, each bound to a project.
    #[serde(default)]
    pub tokens: Vec<TokenConfig>,
    /// AK/SK pairs for `SDK-HMAC-SHA256` signatures, each bound to a project.
    #[serde(default)]
    pub access_keys: Vec<AccessKeyConfig>,
    /// Projects: which KMIP client identity owns the versions of a project's keys.
    #[serde(default)]
    pub projects: Vec<ProjectConfig>,
    /// Qumulo-style logins (`POST /v1/session/login`).
    #[serde(default)]
    pub logins: Vec<LoginConfig>,
}

/// A Qumulo-style login.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginConfig {
    /// User name.
    pub username: String,
    /// Password.
    pub password: SecretString,
}

fn default_http_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8000))
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: default_http_listen(),
            tokens: Vec::new(),
            access_keys: Vec::new(),
            projects: Vec::new(),
            logins: Vec::new(),
        }
    }
}

/// A secret in the configuration (a token, a secret key, a password, a passphrase): never
/// printed, compared without an early exit.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct SecretString(String);

impl SecretString {
    /// Takes ownership of a secret read from elsewhere (an environment variable).
    pub fn new(secret: String) -> Self {
        SecretString(secret)
    }

    /// The secret, for the one place that needs it (a signing key, a KDF input).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `candidate` is this secret. The comparison is of SHA-256 digests, so its time
    /// tells nothing about how much of the secret a guess got right.
    pub fn matches(&self, candidate: &str) -> bool {
        use ring::digest::{SHA256, digest};
        digest(&SHA256, self.0.as_bytes()).as_ref() == digest(&SHA256, candidate.as_bytes()).as_ref()
    }
}

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Drop for SecretString {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

/// A static API token.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// The token.
    pub token: SecretString,
    /// The project it may act for.
    pub project: String,
    /// Whether it may also read fleet-wide operator views (`GET /v1/clients`), which name
    /// every client identity; off by default.
    #[serde(default)]
    pub operator: bool,
}

/// An access key and its secret.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessKeyConfig {
    /// Access key (AK).
    pub ak: String,
    /// Secret key (SK).
    pub sk: SecretString,
    /// The project it may act for.
    pub project: String,
}

/// A project.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectConfig {
    /// Project id, as in `/v1.0/{project_id}/kms/...`.
    pub id: String,
    /// The KMIP client certificate subject that owns this project's key versions, so that a
    /// KMIP client can Get the keys the side API makes.
    pub kmip_owner: String,
}

/// The rotation scheduler.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotationConfig {
    /// Seconds between sweeps for due keys. Intervals are days, so a minute is plenty.
    #[serde(default = "default_sweep_secs")]
    pub sweep_interval_secs: u64,
    /// Days without a use after which a client no longer holds a key version back from
    /// retirement (`GET /v1/keys/{key_id}/consumers`, and the opt-in deactivation).
    #[serde(default = "default_retire_days")]
    pub retire_after_unused_days: u32,
}

fn default_retire_days() -> u32 {
    30
}

fn default_sweep_secs() -> u64 {
    60
}

impl Default for RotationConfig {
    fn default() -> Self {
        RotationConfig { sweep_interval_secs: default_sweep_secs(), retire_after_unused_days: default_retire_days() }
    }
}

impl Config {
    /// Whether the well-known development credentials are configured: kmipd warns at start.
    pub fn dev_credentials(&self) -> bool {
        self.http.tokens.iter().any(|t| t.token.matches("dev-token"))
            || self.http.access_keys.iter().any(|k| k.ak == "dev-ak")
            || self.http.logins.iter().any(|l| l.username == "admin" && l.password.matches("admin"))
    }
}

/// `[testing]`: never for a server that holds real keys.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestingConfig {
    /// A file holding seconds to add to the system clock (see `offset_clock`): lets a test
    /// make rotation intervals pass.
    pub clock_offset_file: Option<PathBuf>,
}

/// The KMIP listener.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KmipConfig {
    /// Address to listen on; port 5696 by default (IANA's port for KMIP over TLS). Port 0
    /// picks a free one.
    #[serde(default = "default_kmip_listen")]
    pub listen: SocketAddr,
}

fn default_kmip_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 5696))
}

impl Default for KmipConfig {
    fn default() -> Self {
        KmipConfig { listen: default_kmip_listen() }
    }
}

/// PEM files for mutual TLS.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The CA that client certificates must chain to.
    pub client_ca: PathBuf,
    /// The server's certificate chain.
    pub cert: PathBuf,
    /// The server's private key.
    pub key: PathBuf,
    /// A certificate revocation list (PEM) from the client CA: revoked client certificates
    /// are refused at the handshake. Re-read, with the certificate and key, on SIGHUP.
    pub crl: Option<PathBuf>,
}

/// The key store.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// Which store: `sled` (the default, embedded in this node) or `postgres` (shared by
    /// several nodes; see `[store.postgres]`).
    #[serde(default)]
    pub kind: StoreKind,
    /// The sled data directory (for `postgres`, it holds nothing).
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// The PostgreSQL database, when `kind = "postgres"`.
    pub postgres: Option<PostgresConfig>,
    /// sled's page cache, in MiB: the bulk of kmipd's memory once the store is large.
    #[serde(default = "default_cache_mb")]
    pub cache_mb: u64,
    /// The root key that seals key material at rest (never kept in the data directory).
    #[serde(default)]
    pub root_key: crate::root_key::RootKeyConfig,
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("data")
}

fn default_cache_mb() -> u64 {
    kmip_keystore::DEFAULT_SLED_CACHE_BYTES >> 20
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            kind: StoreKind::Sled,
            data_dir: default_data_dir(),
            postgres: None,
            cache_mb: default_cache_mb(),
            root_key: Default::default(),
        }
    }
}

/// The store backends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// sled, in `data_dir`: one node.
    #[default]
    Sled,
    /// PostgreSQL: any number of nodes on one database.
    Postgres,
}

/// `[store.postgres]`: the shared database.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresConfig {
    /// A `postgresql://user:password@host:port/db` URL or a libpq key=value string. It may
    /// hold a password, so it never prints; `url_env` names a variable that holds it instead.
    pub url: Option<SecretString>,
    /// An environment variable that holds the URL.
    pub url_env: Option<String>,
    /// Connections this node holds at most.
    #[serde(default = "default_pool_size")]
    pub pool_size: u32,
    /// CA certificates (PEM) that signed the database server's certificate: given, kmipd
    /// connects over TLS and verifies the server; not given, the connection is plain.
    pub ca: Option<PathBuf>,
    /// Seconds a rotation-scheduler lease lasts: a dead leader's sweep is taken over by
    /// another node within this time.
    #[serde(default = "default_lease_secs")]
    pub lease_secs: u64,
}

fn default_pool_size() -> u32 {
    16
}

fn default_lease_secs() -> u64 {
    30
}

/// Caps and timeouts: what one client can make the server hold.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest request message, in bytes.
    #[serde(default = "default_max_message_size")]
    pub max_message_size: usize,
    /// Most simultaneous connections; more are closed at once.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Time allowed for the TLS handshake, in milliseconds.
    #[serde(default = "default_handshake_timeout_ms")]
    pub handshake_timeout_ms: u64,
    /// Time a connection may sit idle between requests, in milliseconds.
    #[serde(default = "default_idle_timeout_ms")]
    pub idle_timeout_ms: u64,
    /// Time allowed to receive one whole request once it has begun, in milliseconds.
    #[serde(default = "default_read_timeout_ms")]
    pub read_timeout_ms: u64,
    /// Most batch items in one request message.
    #[serde(default = "default_max_batch_items")]
    pub max_batch_items: usize,
    /// Most attributes one request may give an object (or a Locate may filter on).
    #[serde(default = "default_max_attributes")]
    pub max_attributes: usize,
    /// Most objects one Locate may match; a search that matches more must be narrowed.
    #[serde(default = "default_max_locate_results")]
    pub max_locate_results: usize,
    /// Deepest nesting of structures in a request.
    #[serde(default = "default_max_depth")]
    pub max_depth: usize,
}

fn default_max_message_size() -> usize {
    ttlv::Limits::DEFAULT_MAX_MESSAGE_SIZE
}
fn default_max_connections() -> usize {
    1024
}
fn default_handshake_timeout_ms() -> u64 {
    10_000
}
fn default_idle_timeout_ms() -> u64 {
    300_000
}
fn default_read_timeout_ms() -> u64 {
    30_000
}
fn default_max_batch_items() -> usize {
    kmip_ops::ServiceConfig::default().max_batch_items
}
fn default_max_attributes() -> usize {
    kmip_ops::ServiceConfig::default().max_attributes
}
fn default_max_locate_results() -> usize {
    kmip_ops::ServiceConfig::default().max_locate_results
}
fn default_max_depth() -> usize {
    ttlv::Limits::DEFAULT_MAX_DEPTH
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_message_size: default_max_message_size(),
            max_connections: default_max_connections(),
            handshake_timeout_ms: default_handshake_timeout_ms(),
            idle_timeout_ms: default_idle_timeout_ms(),
            read_timeout_ms: default_read_timeout_ms(),
            max_batch_items: default_max_batch_items(),
            max_attributes: default_max_attributes(),
            max_locate_results: default_max_locate_results(),
            max_depth: default_max_depth(),
        }
    }
}

/// Access control.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessConfig {
    /// Certificate subjects (`CN=...,O=...`) that may read every object.
    #[serde(default)]
    pub admins: Vec<String>,
}

/// Logging.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// A tracing filter: `info`, `kmip_server=debug,info`...
    #[serde(default = "default_log_level")]
    pub level: String,
}

fn default_log_level() -> String {
    "info".into()
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig { level: default_log_level() }
    }
}

impl Config {
    /// Reads a file; relative paths in it are resolved against the file's directory.
    pub fn read(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io { path: path.to_owned(), source })?;
        let mut config = Self::from_toml(&text).map_err(|e| match e {
            ConfigError::Toml { source, .. } => ConfigError::Toml { path: path.to_owned(), source },
            other => other,
        })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        config.resolve_paths(&base);
        Ok(config)
    }

    /// Parses TOML text.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let config: Config =
            toml::from_str(text).map_err(|source| ConfigError::Toml { path: PathBuf::new(), source })?;
        config.validate()?;
        Ok(config)
    }

    fn resolve_paths(&mut self, base: &Path) {
        for path in [&mut self.tls.client_ca, &mut self.tls.cert, &mut self.tls.key, &mut self.store.data_dir] {
            if path.is_relative() {
                *path = base.join(&*path);
            }
        }
        self.store.root_key.resolve_paths(base);
        if let Some(path) = self.store.postgres.as_mut().and_then(|pg| pg.ca.as_mut()).filter(|p| p.is_relative()) {
            *path = base.join(&*path);
        }
        if let Some(path) = self.testing.clock_offset_file.as_mut().filter(|p| p.is_relative()) {
            *path = base.join(&*path);
        }
        if let Some(path) = self.tls.crl.as_mut().filter(|p| p.is_relative()) {
            *path = base.join(&*path);
        }
        if let Some(path) = self.audit.file.as_mut().filter(|p| p.is_relative()) {
            *path = base.join(&*path);
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let l = &self.limits;
        if l.max_message_size < 1024 {
            return Err(ConfigError::Invalid("limits.max_message_size must be at least 1024".into()));
        }
        if l.max_connections == 0 {
            return Err(ConfigError::Invalid("limits.max_connections must be at least 1".into()));
        }
        if l.max_batch_items == 0 || l.max_attributes == 0 || l.max_locate_results == 0 || l.max_depth < 8 {
            return Err(ConfigError::Invalid(
                "limits: max_batch_items, max_attributes and max_locate_results must be positive, max_depth at least 8"
                    .into(),
            ));
        }
        if l.handshake_timeout_ms == 0 || l.idle_timeout_ms == 0 || l.read_timeout_ms == 0 {
            return Err(ConfigError::Invalid("timeouts must be positive".into()));
        }
        match (self.store.kind, &self.store.postgres) {
            (StoreKind::Postgres, None) => {
                return Err(ConfigError::Invalid("store.kind = \"postgres\" needs a [store.postgres] table".into()));
            }
            (StoreKind::Postgres, Some(pg)) if pg.url.is_some() == pg.url_env.is_some() => {
                return Err(ConfigError::Invalid("[store.postgres] needs one of url and url_env".into()));
            }
            (StoreKind::Postgres, Some(pg)) if pg.lease_secs < 2 || pg.pool_size == 0 => {
                return Err(ConfigError::Invalid(
                    "[store.postgres]: lease_secs must be at least 2, pool_size at least 1".into(),
                ));
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "[tls]\nclient_ca = \"ca.pem\"\ncert = \"s.pem\"\nkey = \"s.key\"\n";

    #[test]
    fn defaults_and_relative_paths() {
        let dir = std::env::temp_dir().join("kmip-config-test");
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("config.toml");
        std::fs::write(&file, MINIMAL).expect("write");
        let config = Config::read(&file).expect("loads");
        assert_eq!(config.kmip.listen.port(), 5696);
        assert_eq!(config.tls.client_ca, dir.join("ca.pem"));
        assert_eq!(config.store.data_dir, dir.join("data"));
    }

    #[test]
    fn unknown_keys_are_rejected_in_every_table() {
        // MINIMAL ends inside [tls], so a key appended to it lands there.
        assert!(Config::from_toml(&format!("{MINIMAL}bogus = 1\n")).is_err(), "[tls] took an unknown key");
        for table in ["kmip", "store", "limits", "access", "log", "http", "rotation", "testing"] {
            let text = format!("{MINIMAL}[{table}]\nbogus = 1\n");
            assert!(Config::from_toml(&text).is_err(), "[{table}] took an unknown key");
        }
        assert!(Config::from_toml(&format!("bogus = 1\n{MINIMAL}")).is_err(), "the top level took an unknown key");
    }

    #[test]
    fn a_postgres_store_needs_its_table_and_one_url() {
        let postgres = |table: &str| Config::from_toml(&format!("{MINIMAL}[store]\nkind = \"postgres\"\n{table}"));
        assert!(postgres("").is_err(), "no [store.postgres]");
        assert!(postgres("[store.postgres]\npool_size = 4\n").is_err(), "no URL");
        assert!(postgres("[store.postgres]\nurl = \"postgresql://a/b\"\nurl_env = \"X\"\n").is_err(), "two URLs");
        assert!(postgres("[store.postgres]\nurl = \"postgresql://a/b\"\nlease_secs = 1\n").is_err(), "a 1 s lease");
        let config = postgres("[store.postgres]\nurl = \"postgresql://kmip:hunter2@a/b\"\n").expect("loads");
        assert_eq!(config.store.kind, StoreKind::Postgres);
        assert!(!format!("{config:?}").contains("hunter2"), "the URL's password printed");
        assert!(Config::from_toml(&format!("{MINIMAL}[store]\nkind = \"etcd\"\n")).is_err(), "an unknown store");
    }
}
