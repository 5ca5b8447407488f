//! Interop with PyKMIP 0.11.0's ProxyKmipClient at KMIP 1.0, 1.1, 1.2, 1.4 and 2.0: create,
//! activate, get, get_attributes, get_attribute_list, locate by name, register secret data,
//! encrypt, decrypt and mac (from 1.2, where KMIP defines them), rekey, revoke and destroy.
//!
//! The client is `tests/interop/pykmip_client.py`, run with `$KMIP_PYTHON`, which
//! `scripts/test-all.sh` points at a venv holding pykmip==0.11.0.

use std::process::Command;

use kmip_test_support::{certs, repo_root};

use crate::support::kmipd;

#[test]
fn pykmip_proxy_client_at_every_version_it_speaks() {
    let Some(python) = std::env::var_os("KMIP_PYTHON") else {
        if std::env::var_os("CI").is_some() {
            panic!("KMIP_PYTHON is not set: run scripts/test-all.sh, which makes the PyKMIP venv");
        }
        eprintln!("SKIPPED pykmip interop: KMIP_PYTHON is not set (scripts/test-all.sh sets it)");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let server = kmipd(&dir);
    for version in ["1.0", "1.1", "1.2", "1.4", "2.0"] {
        let output = Command::new(&python)
            .arg(repo_root().join("tests/interop/pykmip_client.py"))
            .args(["--port", &server.addr.port().to_string(), "--version", version, "--certs"])
            .arg(certs())
            .output()
            .expect("python runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        print!("{stdout}");
        assert!(
            output.status.success() && stdout.contains("passed"),
            "PyKMIP at {version} failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
