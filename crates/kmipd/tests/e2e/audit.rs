//! The audit log and secrets hygiene: one JSON line per KMIP operation and per side-API call,
//! with who, what, which object and the result; and a whole session logged at trace level
//! that never prints a key, a password or a plaintext.

use std::time::{Duration, Instant};

use kmip_proto::dict::{CryptographicAlgorithm, Operation, ResultReason};
use kmip_proto::payload::{DecryptRequest, EncryptRequest, GetRequest};
use kmip_proto::{ProtocolVersion, RequestPayload, ResponsePayload, SecretBytes};
use kmip_test_support::Kmipd;
use serde_json::Value;

use crate::support::{create_key, key_bytes, kmipd, ok};

const V: ProtocolVersion = ProtocolVersion::V2_1;

/// The audit lines (JSON objects on stdout), waiting until there are at least `n`.
fn audit_lines(server: &Kmipd, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let lines: Vec<Value> = server
            .output()
            .iter()
            .filter(|l| l.starts_with('{'))
            .map(|l| serde_json::from_str(l).expect("an audit line is JSON"))
            .collect();
        if lines.len() >= n || Instant::now() > deadline {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn get(uid: &str) -> RequestPayload {
    RequestPayload::Get(GetRequest::of(uid))
}

/// The writer batches a few milliseconds of lines; a graceful stop right after the last
/// answer still writes that answer's line (kmipd flushes the audit log before it exits).
#[test]
fn a_stop_right_after_the_last_answer_loses_no_audit_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut server = kmipd(&dir);
    let mut client = server.client("client");
    let uid = create_key(&mut client, V, "flushed");
    for _ in 0..50 {
        ok(client.call(V, Operation::GET, get(&uid)));
    }
    drop(client);
    assert!(server.stop().success(), "a clean exit");
    let lines: Vec<String> = server.output().into_iter().filter(|l| l.starts_with('{')).collect();
    assert_eq!(lines.len(), 51, "{lines:#?}");
    assert!(lines[50].contains("\"Get\""), "{}", lines[50]);
}

#[test]
fn every_operation_and_call_leaves_one_audit_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = kmipd(&dir);
    let mut client = server.client("client");
    let uid = create_key(&mut client, V, "audited");
    let bytes = key_bytes(&mut client, V, &uid);
    let refused = server.client("client2").call(V, Operation::GET, get(&uid));
    assert_eq!(refused.result_reason, Some(ResultReason::PERMISSION_DENIED));
    assert_eq!(server.http_get("/healthz").0, 200);
    assert_eq!(server.http_get("/v1/keys/nope/versions").0, 401);

    let lines = audit_lines(&server, 5);
    assert_eq!(lines.len(), 5, "{lines:#?}");
    let field = |i: usize, name: &str| lines[i][name].as_str().unwrap_or_default().to_owned();
    for line in &lines {
        for name in ["time", "kind", "client", "operation", "result"] {
            assert!(line[name].is_string(), "{name} in {line}");
        }
    }
    assert_eq!(
        (field(0, "kind"), field(0, "operation"), field(0, "uid")),
        ("kmip".into(), "Create".into(), uid.clone())
    );
    assert!(field(0, "client").contains("kmip-client-1"), "{}", lines[0]);
    assert_eq!((field(0, "result"), field(0, "kmip_version")), ("Success".into(), "2.1".into()));
    assert_eq!((field(1, "operation"), field(1, "result")), ("Get".into(), "Success".into()));
    assert!(field(2, "client").contains("kmip-client-2"), "{}", lines[2]);
    assert_eq!(field(2, "result"), "PermissionDenied");
    assert_eq!(
        (field(3, "kind"), field(3, "operation"), field(3, "result")),
        ("http".into(), "GET /healthz".into(), "200".into())
    );
    assert_eq!((field(4, "client"), field(4, "result")), ("anonymous".into(), "401".into()));
    // No key bytes, in any spelling.
    let text = server.output().join("\n");
    assert!(!text.contains(&hex::encode(&bytes[..16])) && !text.contains(&hex::encode_upper(&bytes[..16])));
}

#[test]
fn a_session_logged_at_trace_level_prints_no_secret() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Kmipd::spawn_logged(
        env!("CARGO_BIN_EXE_kmipd"),
        &kmip_test_support::repo_root().join("config.toml"),
        dir.path(),
        "trace",
    );
    let mut client = server.client("client");
    let uid = create_key(&mut client, V, "traced");
    let mut secrets = vec![key_bytes(&mut client, V, &uid)];
    client.call(V, Operation::ACTIVATE, RequestPayload::Activate(crate::support::uid_request(&uid)));
    let plaintext = b"attack at dawn, a known plaintext";
    secrets.push(plaintext.to_vec());
    let sealed = ok(client.call(
        V,
        Operation::ENCRYPT,
        RequestPayload::Encrypt(EncryptRequest {
            unique_identifier: Some(uid.clone()),
            cryptographic_parameters: None,
            data: Some(SecretBytes::new(plaintext.to_vec())),
            iv_counter_nonce: None,
            correlation_value: None,
            init_indicator: None,
            final_indicator: None,
            authenticated_encryption_additional_data: None,
        }),
    ));
    let ResponsePayload::Encrypt(sealed) = sealed else { panic!("Encrypt") };
    let opened = ok(client.call(
        V,
        Operation::DECRYPT,
        RequestPayload::Decrypt(DecryptRequest {
            unique_identifier: Some(uid.clone()),
            cryptographic_parameters: None,
            data: sealed.data,
            iv_counter_nonce: sealed.iv_counter_nonce,
            correlation_value: None,
            init_indicator: None,
            final_indicator: None,
            authenticated_encryption_additional_data: None,
            authenticated_encryption_tag: sealed.authenticated_encryption_tag,
        }),
    ));
    assert!(matches!(opened, ResponsePayload::Decrypt(_)));
    let hmac = RequestPayload::Create(kmip_proto::payload::CreateRequest::symmetric_key(
        CryptographicAlgorithm::HMAC_SHA256,
        256,
        0x80,
        [],
    ));
    let ResponsePayload::Create(made) = ok(client.call(V, Operation::CREATE, hmac)) else { panic!("Create") };
    secrets.push(key_bytes(&mut client, V, &made.unique_identifier));
    drop(client);
    std::thread::sleep(Duration::from_millis(200));

    let log = server.output().join("\n");
    assert!(log.lines().count() > 20, "trace logging is on: {log}");
    for secret in &secrets {
        let probe = &secret[..16];
        let spellings = [
            hex::encode(probe),
            hex::encode_upper(probe),
            format!("{:?}", &probe[..8]).trim_end_matches(']').to_owned(),
            String::from_utf8_lossy(probe).into_owned(),
        ];
        for spelling in spellings {
            assert!(!log.contains(&spelling), "a secret in the trace log, as {spelling:?}");
        }
    }
}
