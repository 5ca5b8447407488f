//! Qumulo's own CLI (`qq`, package qumulo-api) against the side API of one kmipd, pointing its
//! key store at a second kmipd: login, set the key store (creating the key by name), read it
//! and the status `KMS Available`, then each failure status produced for real: a client
//! certificate from another CA, a destroyed key, a revoked key, and the KMS stopped.
//!
//! The driver is `tests/interop/qumulo_qq.py`, run with `$KMIP_PYTHON`.

use std::process::Command;

use kmip_test_support::{certs, repo_root};

use crate::support::kmipd;

#[test]
fn qq_sets_the_key_store_and_sees_every_status() {
    let Some(python) = std::env::var_os("KMIP_PYTHON") else {
        if std::env::var_os("CI").is_some() {
            panic!("KMIP_PYTHON is not set: run scripts/test-all.sh, which makes the venv");
        }
        eprintln!("SKIPPED qq: KMIP_PYTHON is not set (scripts/test-all.sh sets it)");
        return;
    };
    let (dir_a, dir_b) = (tempfile::tempdir().expect("temp dir"), tempfile::tempdir().expect("temp dir"));
    let cluster_view = kmipd(&dir_a);
    let kms = kmipd(&dir_b);
    let output = Command::new(&python)
        .arg(repo_root().join("tests/interop/qumulo_qq.py"))
        .args(["--http-port", &cluster_view.http_addr.port().to_string()])
        .args(["--kms-port", &kms.addr.port().to_string()])
        .args(["--kms-pid", &kms.pid().expect("running").to_string(), "--certs"])
        .arg(certs())
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    print!("{stdout}");
    assert!(
        output.status.success() && stdout.contains("passed"),
        "the qq run failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
