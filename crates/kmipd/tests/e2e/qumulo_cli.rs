//! Qumulo's own CLI (`qq`, package qumulo-api) against the side API of one kmipd, pointing its
//! key store at a second kmipd: login, set the key store (creating the key by name), read it
//! and the status `KMS Available`, then each failure status produced for real: a client
//! certificate from another CA, a destroyed key, a revoked key, and the KMS stopped.
//!
//! The driver is `tests/interop/qumulo_qq.py`, run with `$KMIP_PYTHON`.

use kmip_test_support::certs;

use crate::support::{kmipd, python, run_driver};

#[test]
fn qq_sets_the_key_store_and_sees_every_status() {
    let Some(python) = python("qq") else { return };
    let (dir_a, dir_b) = (tempfile::tempdir().expect("temp dir"), tempfile::tempdir().expect("temp dir"));
    let cluster_view = kmipd(&dir_a);
    let kms = kmipd(&dir_b);
    let args = [
        "--http-port",
        &cluster_view.http_addr.port().to_string(),
        "--kms-port",
        &kms.addr.port().to_string(),
        "--kms-pid",
        &kms.pid().expect("running").to_string(),
        "--certs",
        &certs().display().to_string(),
    ];
    run_driver(&python, "qumulo_qq.py", &args.map(String::from));
}
