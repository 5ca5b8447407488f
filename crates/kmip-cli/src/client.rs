//! A blocking mutual-TLS KMIP client: one request, one response, over rustls.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use kmip_proto::dict::{Operation, ResultStatus};
use kmip_proto::{ProtocolVersion, RequestMessage, RequestPayload, ResponseMessage, ResponsePayload};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use ttlv::{HEADER_LEN, Limits, message_len};

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// A certificate or key file.
    #[error("{path}: {reason}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The connection or the TLS session.
    #[error("connection: {0}")]
    Io(#[from] std::io::Error),
    /// The server's answer does not decode.
    #[error("the response does not decode: {0}")]
    Decode(#[from] ttlv::DecodeError),
    /// The server refused the operation.
    #[error("{reason}: {message}")]
    Refused {
        /// The Result Reason's name.
        reason: String,
        /// The Result Message.
        message: String,
    },
}

/// Where and as whom to connect.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Host name or address; also the name the server certificate must carry.
    pub host: String,
    /// Port.
    pub port: u16,
    /// The client certificate (PEM).
    pub cert: PathBuf,
    /// Its private key (PEM).
    pub key: PathBuf,
    /// The CA that signed the server certificate (PEM).
    pub ca: PathBuf,
}

/// A connected client.
#[derive(Debug)]
pub struct Client {
    tls: rustls::StreamOwned<rustls::ClientConnection, TcpStream>,
}

fn pem_error(path: &Path, reason: impl ToString) -> ClientError {
    ClientError::Pem { path: path.to_owned(), reason: reason.to_string() }
}

/// The rustls configuration for an endpoint's identity.
pub fn tls_config(endpoint: &Endpoint) -> Result<Arc<rustls::ClientConfig>, ClientError> {
    let mut roots = rustls::RootCertStore::empty();
    for ca in CertificateDer::pem_file_iter(&endpoint.ca).map_err(|e| pem_error(&endpoint.ca, e))? {
        roots.add(ca.map_err(|e| pem_error(&endpoint.ca, e))?).map_err(|e| pem_error(&endpoint.ca, e))?;
    }
    let chain = CertificateDer::pem_file_iter(&endpoint.cert)
        .map_err(|e| pem_error(&endpoint.cert, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(&endpoint.cert, e))?;
    let key = PrivateKeyDer::from_pem_file(&endpoint.key).map_err(|e| pem_error(&endpoint.key, e))?;
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| pem_error(&endpoint.cert, e))?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .map_err(|e| pem_error(&endpoint.cert, e))?;
    Ok(Arc::new(config))
}

impl Client {
    /// Connects and completes the TLS handshake.
    pub fn connect(endpoint: &Endpoint) -> Result<Self, ClientError> {
        Self::connect_with(endpoint, tls_config(endpoint)?)
    }

    /// Connects with a prepared TLS configuration.
    pub fn connect_with(endpoint: &Endpoint, config: Arc<rustls::ClientConfig>) -> Result<Self, ClientError> {
        let tcp = TcpStream::connect((endpoint.host.as_str(), endpoint.port))?;
        tcp.set_read_timeout(Some(Duration::from_secs(30)))?;
        tcp.set_nodelay(true)?;
        let name = ServerName::try_from(endpoint.host.clone())
            .map_err(|e| ClientError::Io(std::io::Error::new(std::io::ErrorKind::InvalidInput, e)))?;
        let conn = rustls::ClientConnection::new(config, name).map_err(std::io::Error::other)?;
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        while tls.conn.is_handshaking() {
            tls.conn.complete_io(&mut tls.sock)?;
        }
        Ok(Client { tls })
    }

    /// Sends raw bytes and reads one framed response.
    pub fn round_trip(&mut self, request: &[u8]) -> Result<Vec<u8>, ClientError> {
        self.tls.write_all(request)?;
        self.tls.flush()?;
        self.read_message()
    }

    /// Writes raw bytes without waiting for anything.
    pub fn send_raw(&mut self, bytes: &[u8]) -> Result<(), ClientError> {
        self.tls.write_all(bytes)?;
        Ok(self.tls.flush()?)
    }

    /// Reads one framed message.
    pub fn read_message(&mut self) -> Result<Vec<u8>, ClientError> {
        let mut header = [0u8; HEADER_LEN];
        self.tls.read_exact(&mut header)?;
        let len = message_len(&header, &Limits::default())?;
        let mut message = vec![0u8; len];
        message[..HEADER_LEN].copy_from_slice(&header);
        self.tls.read_exact(&mut message[HEADER_LEN..])?;
        Ok(message)
    }

    /// Sends a typed request and decodes the response.
    pub fn request(&mut self, request: &RequestMessage) -> Result<ResponseMessage, ClientError> {
        let bytes = self.round_trip(&request.to_ttlv())?;
        Ok(ResponseMessage::from_ttlv(&bytes, &Limits::default())?)
    }

    /// One operation; its payload on success, the server's Result Reason otherwise.
    pub fn call(
        &mut self,
        version: ProtocolVersion,
        operation: Operation,
        payload: RequestPayload,
    ) -> Result<ResponsePayload, ClientError> {
        let mut response = self.request(&RequestMessage::new(version, vec![(operation, payload)]))?;
        let Some(item) = response.items.pop() else {
            return Err(ClientError::Refused {
                reason: "Empty".into(),
                message: "the response has no batch item".into(),
            });
        };
        match (item.result_status, item.payload) {
            (ResultStatus::SUCCESS, Some(payload)) => Ok(payload),
            _ => Err(ClientError::Refused {
                reason: item.result_reason.map_or_else(|| "OperationFailed".into(), |r| r.to_string()),
                message: item.result_message.unwrap_or_default(),
            }),
        }
    }
}
