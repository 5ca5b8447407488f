//! PyKMIP 0.11.0's own integration suite (`kmip/tests/integration` in its source distribution:
//! `test_integration.py` and `test_proxykmipclient.py`, 37 tests) against a fresh kmipd at
//! KMIP 1.0, 1.2, 1.4 and 2.0.
//!
//! `scripts/test-all.sh` unpacks the source distribution and sets `$KMIP_PYKMIP_SOURCE`; the
//! plugin `tests/interop/pykmip_suite_plugin.py` makes the suite's clients speak the version
//! under test. The tests that do not pass at a version are listed, with the reason, in
//! `tests/interop/pykmip-suite-known-failures.txt`; this test fails when that list stops
//! being true. (`test_kmip_client.py` is left out: it starts PyKMIP's own demo server.)

use std::collections::BTreeSet;
use std::path::PathBuf;

use kmip_test_support::{certs, repo_root};

use crate::support::{kmipd, python};

const VERSIONS: [&str; 4] = ["1.0", "1.2", "1.4", "2.0"];
const SUITE: [&str; 2] = ["test_integration.py", "test_proxykmipclient.py"];

/// `(version, Class::test)` pairs listed as not passing.
fn known_failures() -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(repo_root().join("tests/interop/pykmip-suite-known-failures.txt"))
        .expect("the known-failures list");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut parts = l.split_whitespace();
            let version = parts.next().expect("a version").to_owned();
            (version, parts.next().expect("a test").to_owned())
        })
        .collect()
}

/// A pykmip.conf whose `[client]` section points at the server, under a HOME of its own.
fn client_home(port: u16) -> tempfile::TempDir {
    let home = tempfile::tempdir().expect("temp home");
    let certs = certs();
    let conf = format!(
        "[client]\nhost=127.0.0.1\nport={port}\ncertfile={}\nkeyfile={}\nca_certs={}\ncert_reqs=CERT_REQUIRED\n\
         ssl_version=PROTOCOL_SSLv23\ndo_handshake_on_connect=True\nsuppress_ragged_eofs=True\n",
        certs.join("client.pem").display(),
        certs.join("client.key").display(),
        certs.join("ca.pem").display(),
    );
    std::fs::create_dir_all(home.path().join(".pykmip")).expect("conf dir");
    std::fs::write(home.path().join(".pykmip/pykmip.conf"), conf).expect("conf");
    home
}

/// Runs the suite at `version`; returns `(passed, failed)` test names.
fn run_suite(python: &std::ffi::OsStr, source: &PathBuf, version: &str) -> (Vec<String>, Vec<String>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = kmipd(&dir);
    let home = client_home(server.addr.port());
    let services = source.join("kmip/tests/integration/services");
    let output = std::process::Command::new(python)
        .current_dir(source)
        .env("HOME", home.path())
        .env("KMIPD_SUITE_VERSION", version)
        .env("PYTHONPATH", repo_root().join("tests/interop"))
        .args(["-m", "pytest", "-p", "pykmip_suite_plugin", "-p", "no:cacheprovider", "-q", "-rA", "-W", "ignore"])
        .args(SUITE.map(|file| services.join(file)))
        .output()
        .expect("pytest runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let outcome = |word: &str| -> Vec<String> {
        let prefix = format!("{word} ");
        stdout
            .lines()
            .filter_map(|l| l.strip_prefix(&prefix))
            .filter_map(|rest| rest.split_whitespace().next())
            .filter_map(|id| id.split_once(".py::").map(|(_, test)| test.to_owned()))
            .collect()
    };
    let (passed, failed) = (outcome("PASSED"), [outcome("FAILED"), outcome("ERROR")].concat());
    assert!(
        passed.len() + failed.len() >= 37,
        "the suite did not run at {version}:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (passed, failed)
}

#[test]
fn pykmip_integration_suite_at_every_version() {
    let Some(python) = python("PyKMIP's integration suite") else { return };
    let source =
        PathBuf::from(std::env::var_os("KMIP_PYKMIP_SOURCE").expect(
            "KMIP_PYKMIP_SOURCE names PyKMIP 0.11.0's unpacked source distribution (scripts/test-all.sh sets it)",
        ));
    let known = known_failures();
    let mut surprises = Vec::new();
    for version in VERSIONS {
        let (passed, failed) = run_suite(&python, &source, version);
        println!("PyKMIP integration suite at KMIP {version}: {} passed, {} failed", passed.len(), failed.len());
        for test in &failed {
            if !known.contains(&(version.to_owned(), test.clone())) {
                surprises.push(format!("{version} {test} fails and is not in pykmip-suite-known-failures.txt"));
            }
        }
        for test in &passed {
            if known.contains(&(version.to_owned(), test.clone())) {
                surprises.push(format!("{version} {test} now passes: take it off pykmip-suite-known-failures.txt"));
            }
        }
    }
    assert!(surprises.is_empty(), "{surprises:#?}");
}
