//! The rustls server configuration: TLS 1.2 and 1.3, a client certificate required and
//! verified against the configured CA (chain, validity, the clientAuth extended key usage,
//! which rustls-webpki checks for client certificates, and the CRL when one is configured).
//!
//! [`TlsState`] holds the configurations the listeners accept with; [`TlsState::reload`]
//! (on SIGHUP) builds new ones from the files and swaps them in. A handshake in progress, and
//! every open connection, keeps the configuration it started with: nothing is dropped.

use std::path::Path;
use std::sync::{Arc, RwLock};

use rustls::RootCertStore;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use crate::config::TlsConfig;

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A PEM file cannot be read or holds nothing usable.
    #[error("{path}: {reason}")]
    Pem {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// rustls refused the configuration.
    #[error("TLS: {0}")]
    Rustls(String),
}

fn pem_error(path: &Path, reason: impl ToString) -> TlsError {
    TlsError::Pem { path: path.display().to_string(), reason: reason.to_string() }
}

/// Reads every certificate in a PEM file.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| pem_error(path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(path, e))?;
    if certs.is_empty() {
        return Err(pem_error(path, "no certificate in the file"));
    }
    Ok(certs)
}

/// Reads the private key in a PEM file.
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| pem_error(path, e))
}

/// The server configuration for the HTTPS side API: the same certificate, no client
/// certificate (its callers authenticate with tokens and signatures), HTTP/1.1.
pub fn http_server_config(tls: &TlsConfig) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| TlsError::Rustls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(load_certs(&tls.cert)?, load_key(&tls.key)?)
        .map_err(|e| TlsError::Rustls(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The server configuration for the KMIP listener.
pub fn server_config(tls: &TlsConfig) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    for ca in load_certs(&tls.client_ca)? {
        roots.add(ca).map_err(|e| pem_error(&tls.client_ca, e))?;
    }
    let mut verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone());
    if let Some(path) = &tls.crl {
        let crls = CertificateRevocationListDer::pem_file_iter(path)
            .map_err(|e| pem_error(path, e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| pem_error(path, e))?;
        if crls.is_empty() {
            return Err(pem_error(path, "no CRL in the file"));
        }
        verifier = verifier.with_crls(crls);
    }
    let verifier = verifier.build().map_err(|e| TlsError::Rustls(e.to_string()))?;
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| TlsError::Rustls(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(load_certs(&tls.cert)?, load_key(&tls.key)?)
        .map_err(|e| TlsError::Rustls(e.to_string()))?;
    Ok(Arc::new(config))
}

/// How long before a certificate expires kmipd starts warning.
const EXPIRY_WARNING_SECS: i64 = 30 * 86_400;

/// The certificates kmipd serves with and trusts, and when each expires (Unix seconds).
fn expiries(tls: &TlsConfig) -> Result<Vec<(String, i64)>, TlsError> {
    let not_after = |path: &Path, der: &CertificateDer<'_>| -> Result<i64, TlsError> {
        let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| pem_error(path, e))?;
        Ok(cert.validity().not_after.timestamp())
    };
    let server = load_certs(&tls.cert)?;
    let mut out = vec![("server".to_owned(), not_after(&tls.cert, &server[0])?)];
    for (i, ca) in load_certs(&tls.client_ca)?.iter().enumerate() {
        out.push((format!("client_ca_{i}"), not_after(&tls.client_ca, ca)?));
    }
    Ok(out)
}

/// Logs a warning for each certificate that expires within 30 days, an error for each that
/// has expired.
fn warn_expiring(expiries: &[(String, i64)], now: i64) {
    for (label, at) in expiries {
        let days = (at - now) / 86_400;
        if *at <= now {
            tracing::error!(certificate = %label, not_after = at, "the certificate has expired");
        } else if at - now <= EXPIRY_WARNING_SECS {
            tracing::warn!(certificate = %label, not_after = at, days, "the certificate expires within 30 days");
        }
    }
}

/// The TLS configurations the listeners accept with, replaceable while they run.
#[derive(Debug)]
pub struct TlsState {
    files: TlsConfig,
    kmip: RwLock<Arc<rustls::ServerConfig>>,
    http: RwLock<Arc<rustls::ServerConfig>>,
    expiries: RwLock<Vec<(String, i64)>>,
}

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

impl TlsState {
    /// Reads the files and builds both configurations.
    pub fn load(files: &TlsConfig) -> Result<Arc<Self>, TlsError> {
        let expiries = expiries(files)?;
        warn_expiring(&expiries, unix_now());
        Ok(Arc::new(TlsState {
            kmip: RwLock::new(server_config(files)?),
            http: RwLock::new(http_server_config(files)?),
            expiries: RwLock::new(expiries),
            files: files.clone(),
        }))
    }

    /// Reads the files again and swaps the new configurations in; on any error the old ones
    /// stay, and the error says why.
    pub fn reload(&self) -> Result<(), TlsError> {
        let expiries = expiries(&self.files)?;
        let (kmip, http) = (server_config(&self.files)?, http_server_config(&self.files)?);
        warn_expiring(&expiries, unix_now());
        *self.kmip.write().unwrap_or_else(std::sync::PoisonError::into_inner) = kmip;
        *self.http.write().unwrap_or_else(std::sync::PoisonError::into_inner) = http;
        *self.expiries.write().unwrap_or_else(std::sync::PoisonError::into_inner) = expiries;
        Ok(())
    }

    /// The acceptor for the next KMIP connection.
    pub(crate) fn kmip_acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(self.kmip.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone())
    }

    /// The acceptor for the next side-API connection.
    pub(crate) fn http_acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(self.http.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone())
    }

    /// Each certificate and when it expires, for `/metrics`.
    pub(crate) fn expiries(&self) -> Vec<(String, i64)> {
        self.expiries.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}
