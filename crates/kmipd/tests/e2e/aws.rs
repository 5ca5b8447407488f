//! The AWS-KMS-shaped rotation routes, driven by boto3 (`tests/interop/aws_kms_boto3.py`),
//! whose service model checks the answers' field names and types.

use kmip_test_support::certs;
use serde_json::{Value, json};

use crate::support::{kmipd, python, run_driver};

#[test]
fn boto3_reads_and_drives_rotation_through_the_aws_shaped_routes() {
    let Some(python) = python("boto3 against the AWS-shaped routes") else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let server = kmipd(&dir);
    let token = ("X-Auth-Token", "dev-token");
    let post = |action: &str, body: Value| -> Value {
        let (status, text) =
            server.http_request("POST", &format!("/v1.0/dev-project/kms/{action}"), &[token], &body.to_string());
        assert_eq!(status, 200, "{action}: {text}");
        serde_json::from_str(&text).expect("JSON")
    };
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
