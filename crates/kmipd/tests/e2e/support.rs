//! Payload builders the tests share.

use kmip_proto::dict::{CryptographicAlgorithm, Operation, ResultStatus};
use kmip_proto::payload::{CreateRequest, UidRequest};
use kmip_proto::{Attribute, ProtocolVersion, RequestPayload, ResponseBatchItem, ResponsePayload};
use kmip_test_support::{Client, Kmipd};

pub(crate) fn kmipd(dir: &tempfile::TempDir) -> Kmipd {
    Kmipd::spawn(env!("CARGO_BIN_EXE_kmipd"), dir.path())
}

pub(crate) fn create_aes(name_value: &str) -> RequestPayload {
    RequestPayload::Create(CreateRequest::symmetric_key(
        CryptographicAlgorithm::AES,
        256,
        0x0C,
        [Attribute::name(name_value)],
    ))
}

pub(crate) fn uid_request(uid: &str) -> UidRequest {
    UidRequest { unique_identifier: Some(uid.into()) }
}

pub(crate) fn ok(item: ResponseBatchItem) -> ResponsePayload {
    assert_eq!(item.result_status, ResultStatus::SUCCESS, "{:?}: {:?}", item.result_reason, item.result_message);
    item.payload.expect("a payload")
}

/// Creates an AES-256 key and returns its identifier.
pub(crate) fn create_key(client: &mut Client, version: ProtocolVersion, name_value: &str) -> String {
    match ok(client.call(version, Operation::CREATE, create_aes(name_value))) {
        ResponsePayload::Create(r) => r.unique_identifier,
        other => panic!("not a Create response: {other:?}"),
    }
}

/// The raw bytes of a symmetric key.
pub(crate) fn key_bytes(client: &mut Client, version: ProtocolVersion, uid: &str) -> Vec<u8> {
    let get = kmip_proto::payload::GetRequest::of(uid);
    match ok(client.call(version, Operation::GET, RequestPayload::Get(get))) {
        ResponsePayload::Get(r) => match r.object.key_block().and_then(|b| b.key_value.clone()) {
            Some(kmip_proto::KeyValue::Plain { material: kmip_proto::KeyMaterial::Bytes(b), .. }) => {
                b.secret_bytes().to_vec()
            }
            other => panic!("no raw key bytes: {other:?}"),
        },
        other => panic!("not a Get response: {other:?}"),
    }
}

/// The Python of the venv `scripts/test-all.sh` makes (`$KMIP_PYTHON`). Outside the test
/// command the real-client tests skip, loudly; under CI a missing venv is a failure.
pub(crate) fn python(what: &str) -> Option<std::ffi::OsString> {
    let python = std::env::var_os("KMIP_PYTHON");
    if python.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "KMIP_PYTHON is not set: run scripts/test-all.sh, which makes the venv"
        );
        eprintln!("SKIPPED {what}: KMIP_PYTHON is not set (scripts/test-all.sh sets it)");
    }
    python
}

/// Runs a driver from `tests/interop/` and checks it said it passed; returns what it printed.
pub(crate) fn run_driver(python: &std::ffi::OsStr, script: &str, args: &[String]) -> String {
    let output = std::process::Command::new(python)
        .arg(kmip_test_support::repo_root().join("tests/interop").join(script))
        .args(args)
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    print!("{stdout}");
    assert!(
        output.status.success() && stdout.contains("passed"),
        "{script} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// `POST /v1.0/dev-project/kms/{action}` on the side API with the dev token; expects 200 and
/// returns the JSON answer.
pub(crate) fn kms(server: &Kmipd, action: &str, body: serde_json::Value) -> serde_json::Value {
    let (status, text) = server.http_request(
        "POST",
        &format!("/v1.0/dev-project/kms/{action}"),
        &[("X-Auth-Token", "dev-token")],
        &body.to_string(),
    );
    assert_eq!(status, 200, "{action}: {text}");
    serde_json::from_str(&text).expect("JSON")
}
