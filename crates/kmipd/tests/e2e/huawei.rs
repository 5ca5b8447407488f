//! Huawei Cloud's own KMS SDK (`huaweicloudsdkkms`), signing with AK/SK, against the side API:
//! create-key, enable-key-rotation, update-key-rotation-interval (KMS.3001 for 29 and 366),
//! get-key-rotation-status, rotate-on-demand and disable-key-rotation; then the versions
//! route, and PyKMIP reading the versions over KMIP to see that rotation never changed the
//! bytes of a UID (F1). Then the DWS SDK (`huaweicloudsdkdws`) binds a cluster to that CMK,
//! reads its encrypt-info and rotates it with rotate-key.

use std::process::Command;

use kmip_test_support::{certs, repo_root};

use crate::support::kmipd;

#[test]
fn huawei_kms_sdk_drives_rotation() {
    let Some(python) = std::env::var_os("KMIP_PYTHON") else {
        if std::env::var_os("CI").is_some() {
            panic!("KMIP_PYTHON is not set: run scripts/test-all.sh, which makes the venv");
        }
        eprintln!("SKIPPED huawei sdk: KMIP_PYTHON is not set (scripts/test-all.sh sets it)");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let server = kmipd(&dir);
    let output = Command::new(&python)
        .arg(repo_root().join("tests/interop/huawei_kms_sdk.py"))
        .args([
            "--port",
            &server.http_addr.port().to_string(),
            "--kmip-port",
            &server.addr.port().to_string(),
            "--certs",
        ])
        .arg(certs())
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    print!("{stdout}");
    assert!(
        output.status.success() && stdout.contains("passed"),
        "the Huawei SDK run failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // GaussDB(DWS): its SDK binds a cluster to that CMK, reads encrypt-info, rotates the key.
    let key_id = stdout.lines().find_map(|l| l.strip_prefix("cmk key_id: ")).expect("the KMS run names its CMK");
    let output = Command::new(&python)
        .arg(repo_root().join("tests/interop/huawei_dws_sdk.py"))
        .args(["--port", &server.http_addr.port().to_string(), "--key-id", key_id])
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    print!("{stdout}");
    assert!(
        output.status.success() && stdout.contains("passed"),
        "the DWS SDK run failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
