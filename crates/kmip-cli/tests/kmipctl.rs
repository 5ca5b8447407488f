//! kmipctl against a spawned kmipd: the binary, real mutual TLS, its output and exit codes.

use std::process::{Command, Output};

use kmip_test_support::{Kmipd, certs, kmipd_beside};
use serde_json::Value;

struct Ctl<'a> {
    server: &'a Kmipd,
    identity: &'static str,
}

impl Ctl<'_> {
    fn command(&self, args: &[&str]) -> Command {
        let certs = certs();
        let mut command = Command::new(env!("CARGO_BIN_EXE_kmipctl"));
        command
            .env_clear()
            .env("KMIPCTL_HOST", "127.0.0.1")
            .env("KMIPCTL_PORT", self.server.addr.port().to_string())
            .env("KMIPCTL_CERT", certs.join(format!("{}.pem", self.identity)))
            .env("KMIPCTL_KEY", certs.join(format!("{}.key", self.identity)))
            .env("KMIPCTL_CA", certs.join("ca.pem"))
            .args(args);
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("kmipctl runs")
    }

    /// Runs with --json and expects success.
    fn json(&self, args: &[&str]) -> Value {
        let output = self.run(&[&["--json"], args].concat());
        assert!(output.status.success(), "kmipctl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice(&output.stdout).expect("JSON output")
    }
}

#[test]
fn kmipctl_manages_keys_over_mutual_tls() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Kmipd::spawn(kmipd_beside(env!("CARGO_BIN_EXE_kmipctl")).to_str().expect("utf-8 path"), dir.path());
    let ctl = Ctl { server: &server, identity: "client" };

    let versions = ctl.json(&["discover"]);
    assert_eq!(versions["versions"][0], "2.1");

    let created = ctl.json(&["create", "--name", "ctl-key", "--activate"]);
    let uid = created["unique_identifier"].as_str().expect("a uid").to_owned();
    assert_eq!(ctl.json(&["locate", "--name", "ctl-key"])["unique_identifiers"], serde_json::json!([uid]));

    // Get reports the size; the bytes go only to the file asked for, with owner-only mode.
    let key_file = dir.path().join("key.bin");
    let got = ctl.json(&["get", &uid, "--out", key_file.to_str().expect("utf-8")]);
    assert_eq!(got["bytes"], 32);
    assert_eq!(std::fs::read(&key_file).expect("key file").len(), 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key_file).expect("meta").permissions().mode() & 0o777, 0o600);
    }

    // Encrypt then decrypt through the server, over a 1.x and a 2.x session.
    let plain = dir.path().join("plain.txt");
    std::fs::write(&plain, b"attack at dawn").expect("write");
    let sealed = ctl.json(&["--kmip-version", "1.2", "encrypt", &uid, plain.to_str().expect("utf-8")]);
    let out = ctl.run(&[
        "decrypt",
        &uid,
        sealed["data"].as_str().expect("ciphertext"),
        "--iv",
        sealed["iv"].as_str().expect("iv"),
        "--tag",
        sealed["tag"].as_str().expect("tag"),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.stdout, b"attack at dawn");

    ctl.json(&["set-attribute", &uid, "Object Group", "ctl-group"]);
    let attributes = ctl.json(&["attributes", &uid]);
    assert_eq!(attributes["Object Group"], "ctl-group");
    assert_eq!(attributes["State"], "Active");

    // Automatic rotation through the Rotate attributes, then off again.
    let on = ctl.json(&["rotation", &uid, "--every-days", "30"]);
    assert_eq!(on["Rotate Automatic"], true, "{on}");
    assert_eq!(on["Rotate Interval"], 30 * 86_400);
    // The calendar: the key rotates in 30 days, so within 31 days and not within 10.
    let soon = ctl.json(&["rotation", "schedule", "--within-days", "31"]);
    let rows = soon["rotations"].as_array().expect("a list");
    assert_eq!(rows.len(), 1, "{soon}");
    assert_eq!((rows[0]["rotation_interval_days"].as_i64(), rows[0]["overdue"].as_bool()), (Some(30), Some(false)));
    assert_eq!(ctl.json(&["rotation", "schedule", "--within-days", "10"])["rotations"], serde_json::json!([]));
    assert_eq!(ctl.json(&["rotation", &uid, "--off"])["Rotate Automatic"], false);

    // The table names fields for people.
    let table = ctl.run(&["get", &uid]);
    let table = String::from_utf8(table.stdout).expect("utf-8");
    assert!(table.contains("unique_identifier") && table.contains(&uid), "{table}");

    // Another client is refused: exit status 1 and the Result Reason on stderr.
    let other = Ctl { server: &server, identity: "client2" };
    let missing = other.run(&["get", &uid]);
    assert_eq!(missing.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("PermissionDenied"), "{stderr}");

    ctl.json(&["revoke", &uid]);
    ctl.json(&["destroy", &uid]);
    let gone = ctl.run(&["get", &uid]);
    assert_eq!(gone.status.code(), Some(1), "{}", String::from_utf8_lossy(&gone.stderr));
}

#[test]
fn kmipctl_makes_key_pairs_and_writes_pem() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Kmipd::spawn(kmipd_beside(env!("CARGO_BIN_EXE_kmipctl")).to_str().expect("utf-8 path"), dir.path());
    let ctl = Ctl { server: &server, identity: "client" };
    let pair = ctl.json(&["create-key-pair", "--algorithm", "rsa", "--length", "2048", "--name", "ctl-pair"]);
    let (private, public) = (pair["private_key"].as_str().expect("uid"), pair["public_key"].as_str().expect("uid"));

    // The private key as PKCS#8 PEM, the public as X.509 PEM: what OpenSSL and friends read.
    let key_pem = dir.path().join("private.pem");
    let got = ctl.json(&["get", private, "--format", "pkcs8", "--pem", "--out", key_pem.to_str().expect("utf-8")]);
    assert_eq!(got["key_format_type"], "PKCS_8");
    let text = std::fs::read_to_string(&key_pem).expect("pem");
    assert!(text.starts_with("-----BEGIN PRIVATE KEY-----"), "{text}");
    let public_pem = dir.path().join("public.pem");
    ctl.json(&["get", public, "--format", "x509", "--pem", "--out", public_pem.to_str().expect("utf-8")]);
    let text = std::fs::read_to_string(&public_pem).expect("pem");
    assert!(text.starts_with("-----BEGIN PUBLIC KEY-----"), "{text}");

    // Elliptic-curve and Ed25519 pairs; PEM of a format with no PEM form is refused clearly.
    for algorithm in ["ec-p256", "ec-p384", "ed25519"] {
        let pair = ctl.json(&["create-key-pair", "--algorithm", algorithm, "--activate"]);
        assert_eq!(pair["active"], true);
    }
    let raw = ctl.run(&["get", private, "--format", "raw", "--pem", "--out", key_pem.to_str().expect("utf-8")]);
    assert_eq!(raw.status.code(), Some(1), "{}", String::from_utf8_lossy(&raw.stderr));
}

#[test]
fn kmipctl_reads_a_profile_and_refuses_a_wrong_identity() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Kmipd::spawn(kmipd_beside(env!("CARGO_BIN_EXE_kmipctl")).to_str().expect("utf-8 path"), dir.path());
    let certs = certs();
    let profile = dir.path().join("profile.toml");
    std::fs::write(
        &profile,
        format!(
            "host = \"127.0.0.1\"\nport = {}\ncert = {:?}\nkey = {:?}\nca = {:?}\n",
            server.addr.port(),
            certs.join("client2.pem"),
            certs.join("client2.key"),
            certs.join("ca.pem")
        ),
    )
    .expect("profile");
    let ok = Command::new(env!("CARGO_BIN_EXE_kmipctl"))
        .env_clear()
        .args(["--profile", profile.to_str().expect("utf-8"), "query"])
        .output()
        .expect("runs");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("Create"));

    // A client certificate from another CA: the handshake fails, and kmipctl says so.
    let bad = Command::new(env!("CARGO_BIN_EXE_kmipctl"))
        .env_clear()
        .args(["--profile", profile.to_str().expect("utf-8")])
        .arg("--cert")
        .arg(certs.join("bad").join("wrong-ca.pem"))
        .arg("--key")
        .arg(certs.join("bad").join("wrong-ca.key"))
        .arg("discover")
        .output()
        .expect("runs");
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("connection"), "{}", String::from_utf8_lossy(&bad.stderr));

    let completions = Command::new(env!("CARGO_BIN_EXE_kmipctl")).args(["completions", "bash"]).output().expect("runs");
    assert!(completions.status.success());
    assert!(String::from_utf8_lossy(&completions.stdout).contains("kmipctl"));
}

#[test]
fn kmipctl_clients_shows_the_registry_over_the_side_api() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Kmipd::spawn(kmipd_beside(env!("CARGO_BIN_EXE_kmipctl")).to_str().expect("a path"), dir.path());
    let ctl = Ctl { server: &server, identity: "client" };
    ctl.json(&["create", "--name", "registry"]);
    let api = format!("https://localhost:{}", server.http_addr.port());
    let page = ctl.json(&["clients", "--api", &api, "--token", "dev-token"]);
    let clients = page["clients"].as_array().expect("clients");
    assert!(clients.iter().any(|c| c["identity"].as_str().is_some_and(|i| i.contains("kmip-client-1"))), "{page}");
    let table = ctl.run(&["clients", "--api", &api, "--token", "dev-token"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(table.status.success() && text.starts_with("IDENTITY") && text.contains("kmip-client-1"), "{text}");
    // A token that is not the operator's gets the side API's refusal, and kmipctl says so.
    let refused = ctl.run(&["clients", "--api", &api, "--token", "not-a-token"]);
    assert!(!refused.status.success(), "no token, no registry");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("401"), "{}", String::from_utf8_lossy(&refused.stderr));
}
