//! Key material at rest: a copy of the data dir alone reveals no key bytes, and the root key
//! that seals them rotates while kmipd serves, without losing a key.

use std::path::Path;

use kmip_proto::dict::{ObjectType, Operation, SecretDataType};
use kmip_proto::object::SecretData;
use kmip_proto::payload::RegisterRequest;
use kmip_proto::{KeyBlock, KeyMaterial, KeyValue, ManagedObject, ProtocolVersion, RequestPayload, ResponsePayload};
use kmip_test_support::{Client, Kmipd, config_with};

use crate::support::{create_key, key_bytes, kmipd, ok};

const V: ProtocolVersion = ProtocolVersion::V2_1;

/// Every file under `dir`, read whole.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a dir") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push((path.display().to_string(), std::fs::read(&path).expect("a file")));
        }
    }
    out
}

fn register_password(client: &mut Client, password: &[u8]) -> String {
    let object = ManagedObject::SecretData(SecretData {
        secret_data_type: SecretDataType::PASSWORD,
        key_block: KeyBlock {
            key_format_type: kmip_proto::dict::KeyFormatType::OPAQUE,
            key_compression_type: None,
            key_value: Some(KeyValue::Plain {
                material: KeyMaterial::Bytes(kmip_proto::SecretBytes::new(password.to_vec())),
                attributes: Vec::new(),
            }),
            cryptographic_algorithm: None,
            cryptographic_length: None,
            key_wrapping_data: None,
        },
    });
    let request = RegisterRequest {
        object_type: ObjectType::SECRET_DATA,
        attributes: Default::default(),
        object,
        protection_storage_masks: None,
    };
    match ok(client.call(V, Operation::REGISTER, RequestPayload::Register(request))) {
        ResponsePayload::Register(r) => r.unique_identifier,
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_data_dir_alone_reveals_no_key_bytes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut server = kmipd(&dir);
    let password = b"correct horse battery staple, known bytes";
    let mut secrets: Vec<Vec<u8>> = vec![password.to_vec()];
    {
        let mut client = server.client("client");
        for i in 0..20 {
            let uid = create_key(&mut client, V, &format!("at-rest-{i}"));
            secrets.push(key_bytes(&mut client, V, &uid));
        }
        register_password(&mut client, password);
    }
    // SIGKILL: whatever is on disk is what a thief of the data dir gets.
    server.kill();
    let on_disk = files(dir.path());
    assert!(!on_disk.is_empty());
    for secret in &secrets {
        // Any 16 consecutive bytes of a key would do to recognise it.
        let probe = &secret[..16];
        for (file, bytes) in &on_disk {
            assert!(!bytes.windows(probe.len()).any(|w| w == probe), "key bytes in {file}");
        }
    }
    // And with the root key, all of it is there.
    server.restart();
    let mut client = server.client("client");
    let found = client.call(V, Operation::LOCATE, RequestPayload::Locate(Default::default()));
    let ResponsePayload::Locate(found) = ok(found) else { panic!("Locate") };
    assert_eq!(found.unique_identifiers.len(), 21);
}

/// A config with `[store.root_key]` replaced by `section`'s keys.
fn config(dir: &Path, name: &str, root_key: &str) -> std::path::PathBuf {
    let text = config_with(&[("[store.root_key]", &format!("[store.root_key]\n{root_key}\n\n"))]);
    let path = dir.join(name);
    std::fs::write(&path, text).expect("config");
    path
}

fn reseal_complete(server: &Kmipd) -> bool {
    let (status, body) = server.http_get("/metrics");
    assert_eq!(status, 200, "{body}");
    body.lines().any(|l| l == "kmip_root_key_reseal_complete 1")
}

#[test]
fn the_root_key_rotates_while_kmipd_serves() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let key_file = dir.path().join("root.key");
    std::fs::write(&key_file, "ab".repeat(32)).expect("key file");
    #[cfg(unix)]
    std::fs::set_permissions(&key_file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).expect("chmod");

    let old = config(dir.path(), "old.toml", "passphrase = \"the old root passphrase\"");
    let mut server = Kmipd::spawn_config(env!("CARGO_BIN_EXE_kmipd"), &old, &data, &[]);
    let mut keys = Vec::new();
    {
        let mut client = server.client("client");
        for i in 0..50 {
            let uid = create_key(&mut client, V, &format!("rotating-root-{i}"));
            keys.push((uid.clone(), key_bytes(&mut client, V, &uid)));
        }
    }

    // The new key seals; the old one is still configured, so every record opens at once,
    // while kmipd seals them again in the background.
    let both = config(
        dir.path(),
        "both.toml",
        &format!("file = \"{}\"\nprevious = [{{ passphrase = \"the old root passphrase\" }}]", key_file.display()),
    );
    server.restart_with_config(&both);
    {
        let mut client = server.client("client");
        for (uid, bytes) in &keys {
            assert_eq!(&key_bytes(&mut client, V, uid), bytes, "{uid} right after the rotation");
        }
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !reseal_complete(&server) {
        assert!(std::time::Instant::now() < deadline, "re-sealing did not finish");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }

    // Now the old key can go: every record opens under the new one alone.
    let new = config(dir.path(), "new.toml", &format!("file = \"{}\"", key_file.display()));
    server.restart_with_config(&new);
    let mut client = server.client("client");
    for (uid, bytes) in &keys {
        assert_eq!(&key_bytes(&mut client, V, uid), bytes, "{uid} under the new key alone");
    }
    drop(client);

    // A key file others can read is refused: kmipd does not start on it.
    #[cfg(unix)]
    {
        std::fs::set_permissions(&key_file, std::os::unix::fs::PermissionsExt::from_mode(0o644)).expect("chmod");
        server.kill();
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_kmipd"))
            .args(["--config", new.to_str().expect("utf-8"), "--port", "0", "--http-port", "0", "--data-dir"])
            .arg(&data)
            .output()
            .expect("kmipd runs");
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("chmod 600"), "{stderr}");
    }
}
