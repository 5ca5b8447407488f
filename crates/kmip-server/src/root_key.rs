//! The root keys that seal the store, from where the configuration says: a file only its owner
//! can read, an environment variable, or a passphrase through Argon2id. Never from the data
//! directory, which holds only the Argon2id salt (not secret).
//!
//! ```toml
//! [store.root_key]
//! file = "/etc/kmipd/root.key"         # 32 bytes, or 64 hex characters; mode 0600
//! # env = "KMIPD_ROOT_KEY"             # 64 hex characters
//! # passphrase_env = "KMIPD_ROOT_PASSPHRASE"
//! previous = [{ file = "/etc/kmipd/root.key.2025" }]   # still opened; re-sealed at start
//! ```

use std::path::{Path, PathBuf};

use kmip_keystore::{Keyring, RootKey};
use kmip_proto::SecretBytes;
use ring::rand::{SecureRandom, SystemRandom};
use serde::Deserialize;

use crate::config::SecretString;

/// Where one root key comes from: exactly one of the four.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySource {
    /// A file of 32 bytes or 64 hex characters, readable by its owner only.
    pub file: Option<PathBuf>,
    /// An environment variable holding 64 hex characters.
    pub env: Option<String>,
    /// A passphrase written in the configuration: development only, kmipd warns.
    pub passphrase: Option<SecretString>,
    /// An environment variable holding a passphrase.
    pub passphrase_env: Option<String>,
}

/// `[store.root_key]`: the key that seals, and the previous ones that still open.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootKeyConfig {
    /// A file of 32 bytes or 64 hex characters, readable by its owner only.
    pub file: Option<PathBuf>,
    /// An environment variable holding 64 hex characters.
    pub env: Option<String>,
    /// A passphrase written in the configuration: development only, kmipd warns.
    pub passphrase: Option<SecretString>,
    /// An environment variable holding a passphrase.
    pub passphrase_env: Option<String>,
    /// Keys the store was sealed under before: records they sealed are opened, and sealed
    /// again under the current key while the server runs.
    #[serde(default)]
    pub previous: Vec<KeySource>,
}

impl RootKeyConfig {
    /// The current key's source.
    pub fn current(&self) -> KeySource {
        KeySource {
            file: self.file.clone(),
            env: self.env.clone(),
            passphrase: self.passphrase.clone(),
            passphrase_env: self.passphrase_env.clone(),
        }
    }

    /// Whether a passphrase is written in the configuration itself.
    pub fn passphrase_in_config(&self) -> bool {
        self.passphrase.is_some() || self.previous.iter().any(|p| p.passphrase.is_some())
    }

    /// Resolves relative key file paths against the configuration file's directory.
    pub(crate) fn resolve_paths(&mut self, base: &Path) {
        let files = self.file.iter_mut().chain(self.previous.iter_mut().filter_map(|p| p.file.as_mut()));
        for path in files {
            if path.is_relative() {
                *path = base.join(&*path);
            }
        }
    }
}

/// Why the root key could not be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RootKeyError {
    /// Not exactly one source, or none at all.
    #[error("store.root_key: {0}")]
    Config(String),
    /// A key file.
    #[error("root key file {path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// An environment variable.
    #[error("root key variable {name}: {reason}")]
    Env {
        /// The variable.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The Argon2id salt in the data directory.
    #[error("root key salt {path}: {reason}")]
    Salt {
        /// The salt file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// The salt file in the data directory: 16 random bytes, hex, made on first use.
const SALT_FILE: &str = "root-key.salt";

/// Argon2id with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane): one derivation per
/// start, slow enough to make guessing a passphrase expensive.
fn argon2id(passphrase: &str, salt: &[u8]) -> Result<SecretBytes, String> {
    use argon2::{Algorithm, Argon2, Params, Version};
    let params = Params::new(19 * 1024, 2, 1, Some(32)).map_err(|e| e.to_string())?;
    let mut key = vec![0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, &mut key)
        .map_err(|e| e.to_string())?;
    Ok(SecretBytes::new(key))
}

fn unhex(text: &str) -> Option<SecretBytes> {
    let text = text.trim();
    (text.len() == 64).then(|| hex::decode(text).ok().map(SecretBytes::new)).flatten()
}

/// The data directory's salt, made if there is none yet.
fn salt(data_dir: &Path) -> Result<Vec<u8>, RootKeyError> {
    let path = data_dir.join(SALT_FILE);
    let failed = |reason: String| RootKeyError::Salt { path: path.clone(), reason };
    match std::fs::read_to_string(&path) {
        Ok(text) => hex::decode(text.trim())
            .ok()
            .filter(|s| s.len() == 16)
            .ok_or_else(|| failed("not 32 hex characters".into())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut salt = vec![0u8; 16];
            SystemRandom::new().fill(&mut salt).map_err(|_| failed("the random number generator failed".into()))?;
            std::fs::create_dir_all(data_dir).map_err(|e| failed(e.to_string()))?;
            std::fs::write(&path, format!("{}\n", hex::encode(&salt))).map_err(|e| failed(e.to_string()))?;
            Ok(salt)
        }
        Err(e) => Err(failed(e.to_string())),
    }
}

fn read_file(path: &Path) -> Result<SecretBytes, RootKeyError> {
    let failed = |reason: String| RootKeyError::File { path: path.to_owned(), reason };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_err(|e| failed(e.to_string()))?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(failed(format!("mode {:o} lets others read it; chmod 600 it", mode & 0o777)));
        }
    }
    let bytes = SecretBytes::new(std::fs::read(path).map_err(|e| failed(e.to_string()))?);
    if bytes.len() == 32 {
        return Ok(bytes);
    }
    std::str::from_utf8(bytes.secret_bytes())
        .ok()
        .and_then(unhex)
        .ok_or_else(|| failed("not 32 bytes, nor 64 hex characters".into()))
}

fn env(name: &str) -> Result<SecretString, RootKeyError> {
    let value = std::env::var(name).map_err(|e| RootKeyError::Env { name: name.to_owned(), reason: e.to_string() })?;
    Ok(SecretString::new(value))
}

/// Where a passphrase's Argon2id salt comes from: the sled data dir, or a store several
/// nodes share (which must give every node the same salt).
pub enum Salt<'a> {
    /// `root-key.salt` in this data dir, made on first use.
    DataDir(&'a Path),
    /// Asked of the shared store, only when a passphrase needs it.
    Shared(&'a dyn Fn() -> Result<Vec<u8>, RootKeyError>),
}

impl std::fmt::Debug for Salt<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Salt::DataDir(dir) => f.debug_tuple("DataDir").field(dir).finish(),
            Salt::Shared(_) => f.write_str("Shared"),
        }
    }
}

impl Salt<'_> {
    fn get(&self) -> Result<Vec<u8>, RootKeyError> {
        match self {
            Salt::DataDir(dir) => salt(dir),
            Salt::Shared(get) => get(),
        }
    }
}

/// One root key from its source.
fn load(source: &KeySource, salt: &Salt<'_>) -> Result<RootKey, RootKeyError> {
    let bytes = match (&source.file, &source.env, &source.passphrase, &source.passphrase_env) {
        (Some(path), None, None, None) => read_file(path)?,
        (None, Some(name), None, None) => unhex(env(name)?.expose())
            .ok_or_else(|| RootKeyError::Env { name: name.clone(), reason: "not 64 hex characters".into() })?,
        (None, None, Some(passphrase), None) => {
            argon2id(passphrase.expose(), &salt.get()?).map_err(RootKeyError::Config)?
        }
        (None, None, None, Some(name)) => argon2id(env(name)?.expose(), &salt.get()?).map_err(RootKeyError::Config)?,
        (None, None, None, None) => {
            return Err(RootKeyError::Config(
                "no root key: set one of file, env, passphrase_env (or, for development, passphrase)".into(),
            ));
        }
        _ => return Err(RootKeyError::Config("give one of file, env, passphrase, passphrase_env".into())),
    };
    RootKey::from_bytes(&bytes).map_err(|e| RootKeyError::Config(e.to_string()))
}

/// The keyring `[store.root_key]` describes, with passphrases salted from `salt`.
pub fn keyring(config: &RootKeyConfig, salt: &Salt<'_>) -> Result<Keyring, RootKeyError> {
    let current = load(&config.current(), salt)?;
    let previous = config.previous.iter().map(|p| load(p, salt)).collect::<Result<Vec<_>, _>>()?;
    Ok(Keyring::new(current, previous))
}
