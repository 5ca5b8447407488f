//! Certificates: a CRL refuses a revoked client; SIGHUP swaps in a new server certificate
//! while open connections carry on; a certificate near its end shows in the log and in
//! `/metrics`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kmip_proto::dict::Operation;
use kmip_proto::payload::DiscoverVersionsRequest;
use kmip_proto::{ProtocolVersion, RequestPayload};
use kmip_test_support::{Client, Kmipd, certs, config_with, message};
use rcgen::{
    CertificateParams, CertificateRevocationListParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, Issuer,
    KeyIdMethod, KeyPair, RevokedCertParams, SerialNumber,
};

use crate::support::ok;

fn discover() -> RequestPayload {
    RequestPayload::DiscoverVersions(DiscoverVersionsRequest { versions: Vec::new() })
}

fn works(client: &mut Client) -> bool {
    client
        .round_trip(&message(ProtocolVersion::V1_4, vec![(Operation::DISCOVER_VERSIONS, discover())]).to_ttlv())
        .is_ok()
}

/// The dev CA, to sign with.
fn dev_ca() -> Issuer<'static, KeyPair> {
    let pem = std::fs::read_to_string(certs().join("ca.pem")).expect("ca.pem");
    let key = KeyPair::from_pem(&std::fs::read_to_string(certs().join("ca.key")).expect("ca.key")).expect("CA key");
    Issuer::from_ca_cert_pem(&pem, key).expect("the dev CA")
}

/// A config whose `[tls]` section is `tls`.
fn config_file(dir: &Path, tls: &str) -> PathBuf {
    let path = dir.join("kmipd.toml");
    std::fs::write(&path, config_with(&[("[tls]", &format!("[tls]\n{tls}\n\n"))])).expect("config");
    path
}

fn tls_section(cert: &Path, key: &Path, extra: &str) -> String {
    format!(
        "client_ca = \"{}\"\ncert = \"{}\"\nkey = \"{}\"\n{extra}",
        certs().join("ca.pem").display(),
        cert.display(),
        key.display()
    )
}

#[test]
fn a_revoked_client_certificate_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let client2 = std::fs::read(certs().join("client2.pem")).expect("client2.pem");
    let (_, pem) = x509_parser::pem::parse_x509_pem(&client2).expect("PEM");
    let serial = pem.parse_x509().expect("X.509").raw_serial().to_vec();
    let now = time::OffsetDateTime::now_utc();
    let crl = CertificateRevocationListParams {
        this_update: now - time::Duration::hours(1),
        next_update: now + time::Duration::days(7),
        crl_number: SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs: vec![RevokedCertParams {
            serial_number: SerialNumber::from_slice(&serial),
            revocation_time: now - time::Duration::minutes(5),
            reason_code: Some(rcgen::RevocationReason::KeyCompromise),
            invalidity_date: None,
        }],
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(&dev_ca())
    .expect("a CRL");
    let crl_path = dir.path().join("revoked.crl.pem");
    std::fs::write(&crl_path, crl.pem().expect("PEM")).expect("CRL file");

    let tls = tls_section(
        &certs().join("server.pem"),
        &certs().join("server.key"),
        &format!("crl = \"{}\"", crl_path.display()),
    );
    let config = config_file(dir.path(), &tls);
    let server = Kmipd::spawn_config(env!("CARGO_BIN_EXE_kmipd"), &config, &dir.path().join("data"), &[]);
    // client2 is on the CRL: its first request finds the connection refused.
    let refused = Client::connect(server.addr, "client2").map(|mut c| works(&mut c)).unwrap_or(false);
    assert!(!refused, "a revoked certificate was accepted");
    let mut client = server.client("client");
    ok(client.call(ProtocolVersion::V1_4, Operation::DISCOVER_VERSIONS, discover()));
}

/// A server certificate for localhost from the dev CA, valid for `days`.
fn server_certificate(days: i64) -> (String, String, i64) {
    let key = KeyPair::generate().expect("a key");
    let mut params = CertificateParams::new(vec!["localhost".into()]).expect("params");
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "kmipd reloaded");
    params.distinguished_name = name;
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::hours(1);
    params.not_after = (now + time::Duration::days(days)).replace_nanosecond(0).expect("whole seconds");
    let not_after = params.not_after.unix_timestamp();
    let cert = params.signed_by(&key, &dev_ca()).expect("signed");
    (cert.pem(), key.serialize_pem(), not_after)
}

fn metric(server: &Kmipd, name: &str) -> Option<String> {
    let (_, body) = server.http_get("/metrics");
    body.lines().find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_owned()))
}

#[test]
fn sighup_swaps_the_server_certificate_and_open_connections_carry_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key) = (dir.path().join("server.pem"), dir.path().join("server.key"));
    std::fs::copy(certs().join("server.pem"), &cert).expect("copy");
    std::fs::copy(certs().join("server.key"), &key).expect("copy");
    let config = config_file(dir.path(), &tls_section(&cert, &key, ""));
    let server = Kmipd::spawn_logged(env!("CARGO_BIN_EXE_kmipd"), &config, &dir.path().join("data"), "info");
    let mut before = server.client("client");
    ok(before.call(ProtocolVersion::V1_4, Operation::DISCOVER_VERSIONS, discover()));
    let old = before.peer_certificate().expect("a server certificate");

    // A new certificate, ten days from its end, then SIGHUP.
    let (new_pem, new_key, not_after) = server_certificate(10);
    std::fs::write(&cert, &new_pem).expect("new cert");
    std::fs::write(&key, &new_key).expect("new key");
    let status = std::process::Command::new("kill")
        .args(["-HUP", &server.pid().expect("running").to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let name = "kmip_certificate_not_after_seconds{certificate=\"server\"}";
    let deadline = Instant::now() + Duration::from_secs(10);
    while metric(&server, name) != Some(not_after.to_string()) {
        assert!(Instant::now() < deadline, "the reload did not show in /metrics: {:?}", metric(&server, name));
        std::thread::sleep(Duration::from_millis(50));
    }

    // The open connection carries on; a new one gets the new certificate.
    assert!(works(&mut before), "the reload dropped an open connection");
    let mut after = server.client("client");
    ok(after.call(ProtocolVersion::V1_4, Operation::DISCOVER_VERSIONS, discover()));
    let new = after.peer_certificate().expect("a server certificate");
    assert_ne!(new, old);
    let (_, parsed) = x509_parser::parse_x509_certificate(&new).expect("X.509");
    assert_eq!(parsed.validity().not_after.timestamp(), not_after);
    // Ten days left: the log says so.
    let log = server.output().join("\n");
    assert!(log.contains("expires within 30 days"), "{log}");
}
