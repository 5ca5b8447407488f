//! The PostgreSQL server of the test command (`scripts/postgres.sh` starts a throwaway
//! cluster and exports `$KMIP_TEST_POSTGRES_URL`), and the e2e run of kmipd on it.
//!
//! With `KMIP_TEST_STORE=postgres`, every [`crate::Kmipd`] runs on a database of its own on
//! that server instead of sled: the test command runs the conformance and interop suites
//! once per store this way.

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

/// Whether this run puts every spawned kmipd on PostgreSQL.
pub fn store_is_postgres() -> bool {
    std::env::var("KMIP_TEST_STORE").is_ok_and(|s| s == "postgres")
}

/// The test server's URL, or `None` with a loud skip outside the test command; under CI,
/// or when this run was asked to use PostgreSQL, a missing server is a failure.
pub fn server_url(what: &str) -> Option<String> {
    match std::env::var("KMIP_TEST_POSTGRES_URL") {
        Ok(url) => Some(url),
        Err(_) => {
            assert!(
                std::env::var_os("CI").is_none() && !store_is_postgres(),
                "KMIP_TEST_POSTGRES_URL is not set: run scripts/test-all.sh, which starts PostgreSQL"
            );
            eprintln!("SKIPPED {what}: KMIP_TEST_POSTGRES_URL is not set (scripts/test-all.sh sets it)");
            None
        }
    }
}

/// A fresh, empty database on the test server (dropped first if a former run left it);
/// its URL.
pub fn fresh_database(server: &str, name: &str) -> String {
    static SERIAL: AtomicU32 = AtomicU32::new(0);
    let db = format!("kmip_{name}_{}_{}", std::process::id(), SERIAL.fetch_add(1, Ordering::Relaxed));
    let mut admin = postgres::Client::connect(server, postgres::NoTls).expect("the test PostgreSQL accepts");
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {db}")).expect("drops");
    admin.batch_execute(&format!("CREATE DATABASE {db}")).expect("a fresh database");
    let (base, _) = server.rsplit_once('/').expect("a URL with a database");
    format!("{base}/{db}")
}

/// `config`'s text with its store moved to the database `url`, its relative paths made
/// absolute against the file's directory (the copy lives elsewhere). A configuration that
/// names a store kind already is left as it is.
pub fn on_postgres(config: &Path, url: &str, lease_secs: u64) -> String {
    let dir = config.parent().expect("a config file in a directory");
    let text = std::fs::read_to_string(config).expect("the config file");
    if text.contains("\nkind = ") {
        return text;
    }
    let text = text.replace("\"certs/", &format!("\"{}/certs/", dir.display()));
    let text = text.replacen("[store]\n", "[store]\nkind = \"postgres\"\n", 1);
    // Over TLS: the test cluster serves the dev PKI's server certificate.
    let ca = crate::certs().join("ca.pem");
    format!(
        "{text}\n[store.postgres]\nurl = \"{url}\"\nca = \"{}\"\npool_size = 8\nlease_secs = {lease_secs}\n",
        ca.display()
    )
}
