//! The client profile file: where the server is and as whom to connect. Flags and
//! environment variables override it; relative paths in it resolve against its directory.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A profile (TOML).
///
/// ```toml
/// host = "127.0.0.1"
/// port = 5696
/// cert = "certs/client.pem"
/// key = "certs/client.key"
/// ca = "certs/ca.pem"
/// ```
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Server host.
    pub host: Option<String>,
    /// Server port.
    pub port: Option<u16>,
    /// Client certificate.
    pub cert: Option<PathBuf>,
    /// Client key.
    pub key: Option<PathBuf>,
    /// CA of the server certificate.
    pub ca: Option<PathBuf>,
}

impl Profile {
    /// Reads a profile.
    pub fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut profile: Profile = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        for file in [&mut profile.cert, &mut profile.key, &mut profile.ca].into_iter().flatten() {
            if file.is_relative() {
                *file = base.join(&*file);
            }
        }
        Ok(profile)
    }
}
