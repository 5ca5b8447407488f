//! A KMIP client for the side API's own use: it probes a configured KMIP server (by default
//! this one) the way a Qumulo cluster does, and creates keys on it.
//!
//! Each call opens one mutual-TLS connection with the PEMs it is given, sends one request and
//! reads one response, within a timeout.

use std::sync::Arc;
use std::time::Duration;

use kmip_proto::dict::{CryptographicAlgorithm, Operation, ResultReason, ResultStatus, State};
use kmip_proto::payload::{CreateRequest, GetAttributesRequest, GetRequest, UidRequest};
use kmip_proto::{
    Attribute, AttributeName, ProtocolVersion, RequestMessage, RequestPayload, ResponseBatchItem, ResponseMessage,
    ResponsePayload,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use ttlv::{HEADER_LEN, Limits, Tag, Value, message_len};

/// How long a probe may take in all.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Where and how to reach a KMIP server.
#[derive(Debug, Clone)]
pub(crate) struct KmsTarget {
    pub(crate) hostname: String,
    pub(crate) port: u16,
    pub(crate) server_ca_cert: String,
    pub(crate) client_cert: String,
    pub(crate) client_private_key: String,
}

/// What a probe found, in Qumulo's words (seed `/v2/encryption/key-store/status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProbeStatus {
    Available,
    AuthenticationError,
    CannotConnect,
    KeyNotFound,
    KeyInactive,
}

impl ProbeStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ProbeStatus::Available => "KMS Available",
            ProbeStatus::AuthenticationError => "KMS Authentication Error",
            ProbeStatus::CannotConnect => "Cannot connect to KMS server.",
            ProbeStatus::KeyNotFound => "KMS Key Not Found",
            ProbeStatus::KeyInactive => "KMS Key Inactive",
        }
    }
}

/// Why a KMIP call did not get an answer: the connection, or the TLS handshake.
#[derive(Debug)]
pub(crate) enum CallError {
    /// TCP refused, a timeout, a bad address.
    Connect(String),
    /// The TLS layer refused us (or our PEMs are unusable).
    Tls(String),
}

fn client_config(target: &KmsTarget) -> Result<Arc<rustls::ClientConfig>, CallError> {
    let tls = |e: &dyn std::fmt::Display| CallError::Tls(e.to_string());
    let mut roots = rustls::RootCertStore::empty();
    for ca in CertificateDer::pem_slice_iter(target.server_ca_cert.as_bytes()) {
        roots.add(ca.map_err(|e| tls(&e))?).map_err(|e| tls(&e))?;
    }
    let chain = CertificateDer::pem_slice_iter(target.client_cert.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls(&e))?;
    let key = PrivateKeyDer::from_pem_slice(target.client_private_key.as_bytes()).map_err(|e| tls(&e))?;
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| tls(&e))?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .map_err(|e| tls(&e))?;
    Ok(Arc::new(config))
}

/// Sends one request (KMIP 1.0, as Qumulo speaks) and returns the response's batch items.
async fn call(
    target: &KmsTarget,
    operations: Vec<(Operation, RequestPayload)>,
) -> Result<Vec<ResponseBatchItem>, CallError> {
    let config = client_config(target)?;
    let exchange = async {
        let tcp = TcpStream::connect((target.hostname.as_str(), target.port))
            .await
            .map_err(|e| CallError::Connect(e.to_string()))?;
        let name = ServerName::try_from(target.hostname.clone()).map_err(|e| CallError::Connect(e.to_string()))?;
        let mut tls = TlsConnector::from(config).connect(name, tcp).await.map_err(|e| CallError::Tls(e.to_string()))?;
        tls.write_all(&RequestMessage::new(ProtocolVersion::V1_0, operations).to_ttlv()).await.map_err(classify)?;
        let mut header = [0u8; HEADER_LEN];
        // With TLS 1.3 a refused client certificate shows here, as an alert on the first read.
        tls.read_exact(&mut header).await.map_err(classify)?;
        let len = message_len(&header, &Limits::default()).map_err(|e| CallError::Connect(e.to_string()))?;
        let mut message = vec![0u8; len];
        message[..HEADER_LEN].copy_from_slice(&header);
        tls.read_exact(&mut message[HEADER_LEN..]).await.map_err(classify)?;
        let response =
            ResponseMessage::from_ttlv(&message, &Limits::default()).map_err(|e| CallError::Connect(e.to_string()))?;
        Ok(response.items)
    };
    tokio::time::timeout(PROBE_TIMEOUT, exchange).await.map_err(|_| CallError::Connect("timed out".into()))?
}

/// A TLS alert from the server means it refused our credentials; anything else is the link.
fn classify(e: std::io::Error) -> CallError {
    let text = e.to_string();
    if text.contains("alert")
        || text.contains("certificate")
        || e.get_ref().is_some_and(|inner| inner.is::<rustls::Error>())
    {
        CallError::Tls(text)
    } else {
        CallError::Connect(text)
    }
}

/// What Qumulo's status check does: Get the key, and GetAttributes(State).
pub(crate) async fn probe(target: &KmsTarget, key_id: &str) -> ProbeStatus {
    let get = GetRequest::of(key_id);
    let state = GetAttributesRequest {
        unique_identifier: Some(key_id.to_owned()),
        names: vec![AttributeName::Standard(Tag::STATE)],
    };
    let items = match call(
        target,
        vec![
            (Operation::GET, RequestPayload::Get(get)),
            (Operation::GET_ATTRIBUTES, RequestPayload::GetAttributes(state)),
        ],
    )
    .await
    {
        Ok(items) => items,
        Err(CallError::Tls(why)) => {
            tracing::debug!(%why, "KMS probe: TLS refused");
            return ProbeStatus::AuthenticationError;
        }
        Err(CallError::Connect(why)) => {
            tracing::debug!(%why, "KMS probe: no connection");
            return ProbeStatus::CannotConnect;
        }
    };
    for item in &items {
        if item.result_status != ResultStatus::SUCCESS {
            return match item.result_reason {
                Some(ResultReason::ITEM_NOT_FOUND | ResultReason::OBJECT_NOT_FOUND) => ProbeStatus::KeyNotFound,
                Some(ResultReason::PERMISSION_DENIED | ResultReason::AUTHENTICATION_NOT_SUCCESSFUL) => {
                    ProbeStatus::AuthenticationError
                }
                // A key that exists but cannot be fetched (destroyed, not Active...).
                _ => ProbeStatus::KeyInactive,
            };
        }
    }
    let active = items.iter().any(|item| match &item.payload {
        Some(ResponsePayload::GetAttributes(attrs)) => attrs
            .attributes
            .iter()
            .any(|a| a.tag() == Some(Tag::STATE) && a.value.value == Value::Enumeration(State::ACTIVE.0)),
        _ => false,
    });
    if active { ProbeStatus::Available } else { ProbeStatus::KeyInactive }
}

/// Creates an AES-256 key with this name and activates it, as Qumulo's keys/create does.
pub(crate) async fn create_key(target: &KmsTarget, name: &str) -> Result<String, String> {
    let create = CreateRequest::symmetric_key(CryptographicAlgorithm::AES, 256, 0x0C, [Attribute::name(name)]);
    let activate = UidRequest { unique_identifier: None };
    let items = call(
        target,
        vec![
            (Operation::CREATE, RequestPayload::Create(create)),
            (Operation::ACTIVATE, RequestPayload::Activate(activate)),
        ],
    )
    .await
    .map_err(|e| match e {
        CallError::Connect(why) | CallError::Tls(why) => why,
    })?;
    match items.first().and_then(|i| i.payload.as_ref()) {
        Some(ResponsePayload::Create(created)) if items.iter().all(|i| i.result_status == ResultStatus::SUCCESS) => {
            Ok(created.unique_identifier.clone())
        }
        _ => Err(items.iter().filter_map(|i| i.result_message.clone()).collect::<Vec<_>>().join("; ")),
    }
}

/// The `notAfter` of the first certificate in a PEM, as RFC 3339 with whole seconds.
pub(crate) fn cert_expiry(pem: &str) -> Option<String> {
    let der = CertificateDer::pem_slice_iter(pem.as_bytes()).next()?.ok()?;
    let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).ok()?;
    let t = time::OffsetDateTime::from_unix_timestamp(cert.validity().not_after.timestamp()).ok()?;
    t.format(&time::format_description::well_known::Rfc3339).ok()
}
