//! Mutual TLS: the handshake refuses a client with no certificate, one from another CA, an
//! expired one and one without the clientAuth EKU, and the server keeps serving the others.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use kmip_proto::ProtocolVersion;
use kmip_proto::RequestPayload;
use kmip_proto::dict::Operation;
use kmip_proto::payload::DiscoverVersionsRequest;
use kmip_test_support::{Client, certs, message};
use rustls::pki_types::ServerName;
use rustls::pki_types::pem::PemObject;

use crate::support::{kmipd, ok};

fn discover() -> Vec<u8> {
    message(
        ProtocolVersion::V1_4,
        vec![(
            Operation::DISCOVER_VERSIONS,
            RequestPayload::DiscoverVersions(DiscoverVersionsRequest { versions: Vec::new() }),
        )],
    )
    .to_ttlv()
}

/// Whether a request over a connection with this identity gets an answer.
fn served(addr: std::net::SocketAddr, stem: &str) -> bool {
    match Client::connect(addr, stem) {
        Ok(mut client) => client.round_trip(&discover()).is_ok(),
        Err(_) => false,
    }
}

#[test]
fn bad_client_certificates_are_refused_and_good_clients_still_served() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = kmipd(&dir);
    let mut good = server.client("client");
    ok(good.call(
        ProtocolVersion::V1_4,
        Operation::DISCOVER_VERSIONS,
        RequestPayload::DiscoverVersions(DiscoverVersionsRequest { versions: Vec::new() }),
    ));

    for bad in ["bad/expired", "bad/wrong-ca", "bad/no-client-auth"] {
        assert!(!served(server.addr, bad), "{bad} was served");
    }
    assert!(!served_without_certificate(server.addr), "a client without a certificate was served");

    // The connection opened before, and new ones, still work.
    ok(good.call(
        ProtocolVersion::V1_4,
        Operation::DISCOVER_VERSIONS,
        RequestPayload::DiscoverVersions(DiscoverVersionsRequest { versions: Vec::new() }),
    ));
    assert!(served(server.addr, "client2"));
}

fn served_without_certificate(addr: std::net::SocketAddr) -> bool {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for ca in rustls::pki_types::CertificateDer::pem_file_iter(certs().join("ca.pem")).expect("ca") {
        roots.add(ca.expect("cert")).expect("root");
    }
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let Ok(tcp) = TcpStream::connect(addr) else {
        return false;
    };
    tcp.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let conn = rustls::ClientConnection::new(Arc::new(config), ServerName::try_from("localhost").expect("name"))
        .expect("conn");
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    if tls.write_all(&discover()).is_err() {
        return false;
    }
    let mut buf = [0u8; 8];
    tls.read_exact(&mut buf).is_ok()
}
