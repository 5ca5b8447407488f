//! `kmipd migrate`: a sled store copied into PostgreSQL and back, each copy verified by
//! counts and digests, and served by a kmipd on the new store with the same bytes.

use std::path::Path;
use std::process::Command;

use kmip_proto::ProtocolVersion;
use kmip_test_support::{Kmipd, config_with, postgres};
use serde_json::json;

use crate::support::{create_key, key_bytes};

const TOKEN: (&str, &str) = ("X-Auth-Token", "dev-token");

fn sled_config(dir: &Path) -> String {
    config_with(&[("[store]", &format!("[store]\ndata_dir = \"{}\"\n\n", dir.display()))])
}

fn postgres_config(url: &str) -> String {
    config_with(&[("[store]", &format!("[store]\nkind = \"postgres\"\n\n[store.postgres]\nurl = \"{url}\"\n\n"))])
}

/// Runs `kmipd migrate`; whether it succeeded, and what it printed.
fn migrate(from: &Path, to: &Path, extra: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kmipd"))
        .args(["migrate", "--from"])
        .arg(from)
        .arg("--to")
        .arg(to)
        .args(extra)
        .output()
        .expect("kmipd runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn a_sled_store_moves_to_postgres_and_back_and_serves_the_same_bytes() {
    let Some(server) = postgres::server_url("kmipd migrate") else { return };
    let work = tempfile::tempdir().expect("temp dir");
    let (sled_dir, back_dir) = (work.path().join("sled"), work.path().join("back"));
    let url = postgres::fresh_database(&server, "migrate");
    let files = [
        ("sled.toml", sled_config(&sled_dir)),
        ("pg.toml", postgres_config(&url)),
        ("back.toml", sled_config(&back_dir)),
    ];
    for (name, text) in &files {
        std::fs::write(work.path().join(name), text).expect("config");
    }
    let [sled, pg, back] = files.map(|(name, _)| work.path().join(name));
    let binary = env!("CARGO_BIN_EXE_kmipd");
    let v = ProtocolVersion::V1_4;

    // A sled node with a key, a rotated CMK and a side-API record.
    let (uid, bytes, key_id) = {
        let node = Kmipd::spawn_config(binary, &sled, &sled_dir, &[]);
        let mut client = node.client("client");
        let uid = create_key(&mut client, v, "migrated");
        let bytes = key_bytes(&mut client, v, &uid);
        let post = |action: &str, body: serde_json::Value| {
            let (status, text) =
                node.http_request("POST", &format!("/v1.0/dev-project/kms/{action}"), &[TOKEN], &body.to_string());
            assert_eq!(status, 200, "{action}: {text}");
            serde_json::from_str::<serde_json::Value>(&text).expect("JSON")
        };
        let made = post("create-key", json!({"key_alias": "migrated-cmk"}));
        let key_id = made["key_info"]["key_id"].as_str().expect("a key id").to_owned();
        post("enable-key-rotation", json!({"key_id": key_id}));
        let binding = json!({"encrypt": {"master_key_id": key_id, "crypt_algorithm": "generalCipher"}});
        let (status, text) =
            node.http_request("POST", "/v2/dev-project/clusters/c1/encrypt", &[TOKEN], &binding.to_string());
        assert_eq!(status, 200, "a DWS binding: {text}");
        (uid, bytes, key_id)
    };

    let (ok, out) = migrate(&sled, &pg, &[]);
    assert!(ok, "{out}");
    assert!(out.contains("Objects: 2 records") && out.contains("Cmks: 1 records") && out.contains("verified"), "{out}");
    // A second copy into the now full database is refused.
    let (ok, out) = migrate(&sled, &pg, &[]);
    assert!(!ok && out.contains("not empty"), "{out}");

    // A kmipd on PostgreSQL serves the same bytes and the same CMK.
    {
        let node = Kmipd::spawn_config(binary, &pg, &work.path().join("pg-node"), &[]);
        assert_eq!(key_bytes(&mut node.client("client"), v, &uid), bytes);
        let (status, text) = node.http_request(
            "POST",
            "/v1.0/dev-project/kms/get-key-rotation-status",
            &[TOKEN],
            &json!({"key_id": key_id}).to_string(),
        );
        assert_eq!(status, 200, "{text}");
        assert!(text.contains("\"key_rotation_enabled\":true"), "{text}");
        let (status, text) = node.http_request("GET", "/v1/dev-project/clusters/c1/encrypt-info", &[TOKEN], "");
        assert!(status == 200 && text.contains(&key_id), "the DWS binding moved too: {text}");
        // A change on one side makes the stores differ, and the check says so.
        create_key(&mut node.client("client"), v, "only-in-postgres");
    }
    let (ok, out) = migrate(&sled, &pg, &["--verify-only"]);
    assert!(!ok && out.contains("differ"), "{out}");

    // And back to a new sled store.
    let (ok, out) = migrate(&pg, &back, &[]);
    assert!(ok && out.contains("Objects: 3 records"), "{out}");
    let node = Kmipd::spawn_config(binary, &back, &back_dir, &[]);
    assert_eq!(key_bytes(&mut node.client("client"), v, &uid), bytes);
}
