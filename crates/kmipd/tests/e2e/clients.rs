//! `GET /v1/clients`, the client health registry: each identity's KMIP versions, last
//! success, last failure, certificate expiry and objects owned, for operator tokens only.

use kmip_proto::ProtocolVersion;
use kmip_proto::RequestPayload;
use kmip_proto::dict::{Operation, ResultStatus};
use kmip_proto::payload::GetRequest;
use kmip_test_support::{Kmipd, certs, config_with};
use serde_json::Value;

use crate::support::create_key;

/// The certificate's Not After, as RFC 3339.
fn not_after(stem: &str) -> String {
    let pem = std::fs::read(certs().join(format!("{stem}.pem"))).expect("the certificate");
    let (_, pem) = x509_parser::pem::parse_x509_pem(&pem).expect("PEM");
    let cert = pem.parse_x509().expect("X.509");
    let at = time::OffsetDateTime::from_unix_timestamp(cert.validity().not_after.timestamp()).expect("a time");
    at.format(&time::format_description::well_known::Rfc3339).expect("formats")
}

fn client_entry<'a>(page: &'a Value, cn: &str) -> &'a Value {
    page["clients"]
        .as_array()
        .expect("clients")
        .iter()
        .find(|c| c["identity"].as_str().is_some_and(|i| i.contains(cn)))
        .unwrap_or_else(|| panic!("no {cn} in {page}"))
}

#[test]
fn the_registry_shows_each_clients_versions_last_error_and_certificate_expiry() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("clients.toml");
    let tokens = "[[http.tokens]]\ntoken = \"dev-token\"\nproject = \"dev-project\"\noperator = true\n\n\
                  [[http.tokens]]\ntoken = \"tenant-token\"\nproject = \"dev-project\"\n\n";
    std::fs::write(&config, config_with(&[("[[http.tokens]]", tokens)])).expect("config");
    let server = Kmipd::spawn_config(env!("CARGO_BIN_EXE_kmipd"), &config, &dir.path().join("data"), &[]);

    // The first identity creates a key in 1.4 and one in 2.1; the second fails on purpose.
    create_key(&mut server.client("client"), ProtocolVersion::V1_4, "registry-1");
    create_key(&mut server.client("client"), ProtocolVersion::V2_1, "registry-2");
    let item = server.client("client2").call(
        ProtocolVersion::V1_2,
        Operation::GET,
        RequestPayload::Get(GetRequest::of("no-such-object")),
    );
    assert_ne!(item.result_status, ResultStatus::SUCCESS);

    let (status, text) = server.http_request("GET", "/v1/clients", &[("X-Auth-Token", "dev-token")], "");
    assert_eq!(status, 200, "{text}");
    let page: Value = serde_json::from_str(&text).expect("JSON");
    let first = client_entry(&page, "kmip-client-1");
    assert_eq!(first["kmip_versions"], serde_json::json!(["1.4", "2.1"]), "{first}");
    assert!(first["last_success"].is_string() && first["last_error"].is_null(), "{first}");
    assert_eq!(first["objects_owned"], 2, "{first}");
    assert_eq!(first["certificate_not_after"], not_after("client"), "{first}");
    let second = client_entry(&page, "kmip-client-2");
    assert_eq!(second["kmip_versions"], serde_json::json!(["1.2"]), "{second}");
    assert_eq!(second["last_error"]["operation"], "Get", "{second}");
    assert_eq!(second["last_error"]["result_reason"], "ItemNotFound", "{second}");
    assert!(second["last_success"].is_null() && second["failed_requests"] == 1, "{second}");
    assert_eq!(second["certificate_not_after"], not_after("client2"), "{second}");

    // Fleet-wide, so for operator tokens only.
    assert_eq!(server.http_request("GET", "/v1/clients", &[("X-Auth-Token", "tenant-token")], "").0, 403);
    assert_eq!(server.http_get("/v1/clients").0, 401);
    let (_, metrics) = server.http_get("/metrics");
    assert!(metrics.contains("\nkmip_client_certificates_expiring 0\n"), "{metrics}");
}
