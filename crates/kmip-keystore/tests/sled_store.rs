//! The sled store keeps the KeyStore contract: atomic commits, index entries that follow
//! updates, and everything still there after a reopen.

mod contract;

use std::sync::Arc;

use contract::{keyring, root, with_material};
use kmip_keystore::{Change, IndexKey, KeyStore, Keyring, SledStore};
use kmip_proto::dict::State;

#[test]
fn commits_indexes_and_reopens() {
    let dir = tempfile::tempdir().expect("temp dir");
    contract::indexes_follow_updates(&SledStore::open(dir.path(), keyring(1)).expect("opens"));
    let store = SledStore::open(dir.path(), keyring(1)).expect("reopens");
    assert_eq!(store.count().expect("count"), 2);
    assert_eq!(store.get("a").expect("get").expect("there").state, State::ACTIVE);
    assert_eq!(store.scan(&IndexKey::Name("renamed".into()), None, 10).expect("scan"), ["a"]);
}

#[test]
fn a_failed_commit_changes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    contract::a_failed_commit_changes_nothing(&SledStore::open(dir.path(), keyring(1)).expect("opens"));
}

#[test]
fn concurrent_commits_all_land() {
    let dir = tempfile::tempdir().expect("temp dir");
    contract::concurrent_commits_all_land(Arc::new(SledStore::open(dir.path(), keyring(1)).expect("opens")));
}

#[test]
fn commits_handed_over_together_stand_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    contract::commits_handed_over_together_stand_alone(&SledStore::open(dir.path(), keyring(1)).expect("opens"));
}

#[test]
fn colliding_commits_fail_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    contract::colliding_commits_fail_alone(Arc::new(SledStore::open(dir.path(), keyring(1)).expect("opens")));
}

#[test]
fn reads_never_go_back_while_an_object_is_rewritten() {
    let dir = tempfile::tempdir().expect("temp dir");
    contract::reads_never_go_back_while_an_object_is_rewritten(Arc::new(
        SledStore::open(dir.path(), keyring(1)).expect("opens"),
    ));
}

#[test]
fn cmk_writes_check_the_revision() {
    let dir = tempfile::tempdir().expect("temp dir");
    contract::cmk_writes_check_the_revision(&SledStore::open(dir.path(), keyring(1)).expect("opens"));
}

#[test]
fn object_updates_check_the_revision() {
    let dir = tempfile::tempdir().expect("temp dir");
    contract::object_updates_check_the_revision(&SledStore::open(dir.path(), keyring(1)).expect("opens"));
}

#[test]
fn list_walks_every_record() {
    let dir = tempfile::tempdir().expect("temp dir");
    contract::list_walks_every_record(&SledStore::open(dir.path(), keyring(1)).expect("opens"));
}

/// Every byte under `dir`, file by file.
fn files(dir: &std::path::Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(std::fs::read(&path).expect("file"));
        }
    }
    out
}

#[test]
fn the_data_dir_alone_reveals_no_key_bytes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let material = *b"0123456789abcdef-KEY-MATERIAL-32";
    {
        let store = SledStore::open(dir.path(), keyring(1)).expect("opens");
        let secret = Change::PutMeta { key: "qumulo/key-store".into(), value: b"-----BEGIN PRIVATE KEY-----".to_vec() };
        store.commit(vec![Change::Insert(with_material("k", &material)), secret]).expect("commit");
        assert_eq!(store.meta("qumulo/key-store").expect("meta").as_deref(), Some(&b"-----BEGIN PRIVATE KEY-----"[..]));
    }
    for bytes in files(dir.path()) {
        assert!(!bytes.windows(material.len()).any(|w| w == material), "key material on disk");
        assert!(!bytes.windows(11).any(|w| w == b"BEGIN PRIVA"), "a private key on disk");
    }
    // Another root key does not open the data dir, and says so.
    let error = SledStore::open(dir.path(), keyring(2)).expect_err("refused").to_string();
    assert!(error.contains("root keys do not open"), "{error}");
}

#[test]
fn a_new_root_key_reseals_every_record_while_the_store_serves() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let store = SledStore::open(dir.path(), keyring(1)).expect("opens");
        let objects = (0..300).map(|i| Change::Insert(with_material(&format!("k{i:03}"), &[i as u8; 32]))).collect();
        store.commit(objects).expect("commit");
        store.commit(vec![Change::PutMeta { key: "m".into(), value: b"secret".to_vec() }]).expect("meta");
    }
    {
        let rotated = Arc::new(Keyring::new(root(2), vec![root(1)]));
        let store = SledStore::open(dir.path(), rotated).expect("opens with the old key as previous");
        let (mut cursor, mut resealed, mut steps) = (None, 0, 0);
        loop {
            let step = store.reseal(cursor.as_deref(), 64).expect("reseal step");
            resealed += step.resealed;
            steps += 1;
            // The store serves between steps.
            assert!(store.get("k000").expect("get").is_some());
            match step.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!((resealed, steps), (301, 5));
        // A second pass has nothing left to do.
        assert_eq!(store.reseal(None, 1000).expect("reseal").resealed, 0);
    }
    // The old key can now be forgotten.
    let store = SledStore::open(dir.path(), keyring(2)).expect("opens under the new key alone");
    assert_eq!(store.count().expect("count"), 300);
    assert!(store.get("k299").expect("get").is_some());
    assert_eq!(store.meta("m").expect("meta").as_deref(), Some(&b"secret"[..]));
}

#[test]
fn a_data_dir_in_use_is_refused_and_free_again_once_closed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = SledStore::open(dir.path(), keyring(1)).expect("opens");
    let error = SledStore::open(dir.path(), keyring(1)).expect_err("held").to_string();
    assert!(error.contains("in use by another process"), "{error}");
    drop(first);
    // sled lets go of its lock from a background thread; open waits for it.
    SledStore::open(dir.path(), keyring(1)).expect("reopens at once after a drop");
}
