//! Interop with PyKMIP 0.11.0's ProxyKmipClient at KMIP 1.0, 1.1, 1.2, 1.4 and 2.0: create,
//! activate, get, get_attributes, get_attribute_list, locate by name, register secret data,
//! encrypt, decrypt and mac (from 1.2, where KMIP defines them), rekey, revoke and destroy.
//!
//! The client is `tests/interop/pykmip_client.py`, run with `$KMIP_PYTHON`, which
//! `scripts/test-all.sh` points at a venv holding pykmip==0.11.0.

use kmip_test_support::certs;

use crate::support::{kmipd, python, run_driver};

#[test]
fn pykmip_proxy_client_at_every_version_it_speaks() {
    let Some(python) = python("pykmip interop") else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let server = kmipd(&dir);
    for version in ["1.0", "1.1", "1.2", "1.4", "2.0"] {
        let args = [
            "--port",
            &server.addr.port().to_string(),
            "--version",
            version,
            "--certs",
            &certs().display().to_string(),
        ];
        run_driver(&python, "pykmip_client.py", &args.map(String::from));
    }
}
