//! Huawei Cloud's own KMS SDK (`huaweicloudsdkkms`), signing with AK/SK, against the side API:
//! create-key, enable-key-rotation, update-key-rotation-interval (KMS.3001 for 29 and 366),
//! get-key-rotation-status, rotate-on-demand and disable-key-rotation; then the versions
//! route, and PyKMIP reading the versions over KMIP to see that rotation never changed the
//! bytes of a UID (F1). Then the DWS SDK (`huaweicloudsdkdws`) binds a cluster to that CMK,
//! reads its encrypt-info and rotates it with rotate-key.

use kmip_test_support::certs;

use crate::support::{kmipd, python, run_driver};

#[test]
fn huawei_kms_and_dws_sdks_drive_rotation() {
    let Some(python) = python("huawei sdks") else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let server = kmipd(&dir);
    let http_port = server.http_addr.port().to_string();
    let kms = [
        "--port",
        &http_port,
        "--kmip-port",
        &server.addr.port().to_string(),
        "--certs",
        &certs().display().to_string(),
    ];
    let printed = run_driver(&python, "huawei_kms_sdk.py", &kms.map(String::from));
    let key_id = printed.lines().find_map(|l| l.strip_prefix("cmk key_id: ")).expect("the KMS run names its CMK");
    run_driver(&python, "huawei_dws_sdk.py", &["--port", &http_port, "--key-id", key_id].map(String::from));
}
