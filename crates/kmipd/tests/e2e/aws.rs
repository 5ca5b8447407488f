//! The AWS-KMS-shaped rotation routes, driven by boto3 (`tests/interop/aws_kms_boto3.py`),
//! whose service model checks the answers' field names and types; and a key capped at a
//! number of encryptions, rotating over KMIP.

use kmip_test_support::certs;
use serde_json::{Value, json};

use crate::support::{kmipd, python, run_driver};

#[test]
fn boto3_reads_and_drives_rotation_through_the_aws_shaped_routes() {
    let Some(python) = python("boto3 against the AWS-shaped routes") else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let server = kmipd(&dir);
    let post = |action: &str, body| crate::support::kms(&server, action, body);
    let made = post("create-key", json!({"key_alias": "aws-shaped"}));
    let key_id = made["key_info"]["key_id"].as_str().expect("a key id").to_owned();
    post("enable-key-rotation", json!({"key_id": key_id}));
    let args = [
        "--port".to_owned(),
        server.http_addr.port().to_string(),
        "--certs".to_owned(),
        certs().display().to_string(),
        "--token".to_owned(),
        "dev-token".to_owned(),
        "--key-id".to_owned(),
        key_id,
    ];
    run_driver(&python, "aws_kms_boto3.py", &args);
}

#[test]
fn a_key_capped_at_three_encryptions_rotates_over_kmip_at_the_fourth() {
    use kmip_proto::dict::{BlockCipherMode, Operation};
    use kmip_proto::payload::EncryptRequest;
    use kmip_proto::{CryptographicParameters, ProtocolVersion, RequestPayload, ResponsePayload, SecretBytes};

    let dir = tempfile::tempdir().expect("temp dir");
    let server = kmipd(&dir);
    let token = ("X-Auth-Token", "dev-token");
    let (status, text) = server.http_request(
        "POST",
        "/v1.0/dev-project/kms/create-key",
        &[token],
        &json!({"key_alias": "capped"}).to_string(),
    );
    assert_eq!(status, 200, "{text}");
    let key_id = serde_json::from_str::<Value>(&text).expect("JSON")["key_info"]["key_id"]
        .as_str()
        .expect("a key id")
        .to_owned();
    let (status, text) = server.http_request(
        "PUT",
        &format!("/v1/keys/{key_id}/policy"),
        &[token],
        &json!({"max_encryptions_per_version": 3}).to_string(),
    );
    assert_eq!(status, 200, "{text}");
    let versions = |server: &kmip_test_support::Kmipd| -> Value {
        let (_, text) = server.http_request("GET", &format!("/v1/keys/{key_id}/versions"), &[token], "");
        serde_json::from_str(&text).expect("JSON")
    };
    let first = versions(&server)["versions"][0]["uid"].as_str().expect("a uid").to_owned();
    let mut client = server.client("client");
    let mut encrypt = || {
        let request = EncryptRequest {
            unique_identifier: Some(first.clone()),
            cryptographic_parameters: Some(CryptographicParameters {
                block_cipher_mode: Some(BlockCipherMode::GCM),
                ..Default::default()
            }),
            data: Some(SecretBytes::new(b"page".to_vec())),
            iv_counter_nonce: None,
            correlation_value: None,
            init_indicator: None,
            final_indicator: None,
            authenticated_encryption_additional_data: None,
        };
        match client.call(ProtocolVersion::V2_1, Operation::ENCRYPT, RequestPayload::Encrypt(request)).payload {
            Some(ResponsePayload::Encrypt(sealed)) => sealed.unique_identifier,
            other => panic!("Encrypt: {other:?}"),
        }
    };
    let used: Vec<String> = (0..4).map(|_| encrypt()).collect();
    let history = versions(&server);
    let second = history["versions"][1]["uid"].as_str().expect("a second version").to_owned();
    assert_eq!(used, [first.clone(), first.clone(), first, second], "{history}");
    assert_eq!(history["versions"][1]["origin"], "usage_limit", "{history}");
}
