//! The authenticated client: who is asking, as the TLS layer proved it.

use std::fmt;

use ring::digest::{SHA256, digest};

/// A client identity proved by a verified TLS client certificate.
///
/// It is a capability: the only constructor reads the peer certificate of a rustls server
/// connection, which rustls returns only once the handshake has verified the chain against
/// the configured CA. No handler can run without one, and none can make one up.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AuthenticatedClient {
    subject: String,
    fingerprint: String,
    not_after: i64,
}

impl AuthenticatedClient {
    /// The identity of the peer of a completed, verified server connection; `None` when the
    /// handshake is not done or no certificate was presented.
    pub fn from_connection(conn: &rustls::ServerConnection) -> Option<Self> {
        if conn.is_handshaking() {
            return None;
        }
        let leaf = conn.peer_certificates()?.first()?;
        let (_, cert) = x509_parser::parse_x509_certificate(leaf.as_ref()).ok()?;
        Some(AuthenticatedClient {
            subject: cert.subject().to_string(),
            fingerprint: hex::encode(digest(&SHA256, leaf.as_ref())),
            not_after: cert.validity().not_after.timestamp(),
        })
    }

    /// An identity without a certificate, for tests of the service in-process only. It
    /// exists only when the `test-identity` feature is on, which no shipped crate enables.
    #[cfg(feature = "test-identity")]
    #[doc(hidden)]
    pub fn for_tests(subject: &str) -> Self {
        AuthenticatedClient { subject: subject.to_owned(), fingerprint: "0".repeat(64), not_after: i64::MAX }
    }

    /// The certificate subject (`CN=client,O=...`): the identity objects are owned by, so
    /// that a renewed certificate with the same subject keeps its keys.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// SHA-256 of the certificate, in hex, for the audit trail.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// When the certificate expires, in seconds since the epoch.
    pub fn not_after(&self) -> i64 {
        self.not_after
    }
}

impl fmt::Debug for AuthenticatedClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}…)", self.subject, &self.fingerprint[..self.fingerprint.len().min(16)])
    }
}
