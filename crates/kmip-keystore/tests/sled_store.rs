//! The sled store keeps the KeyStore contract: atomic commits, index entries that follow
//! updates, and everything still there after a reopen.

use std::sync::Arc;

use kmip_keystore::{Change, IndexKey, KeyStore, Keyring, RootKey, SledStore, StoreError, StoredObject};
use kmip_proto::dict::{CryptographicAlgorithm, ObjectType, State};
use kmip_proto::{Attribute, SecretBytes};
use ttlv::{Item, Tag, Value};

fn root(byte: u8) -> RootKey {
    RootKey::from_bytes(&SecretBytes::new(vec![byte; 32])).expect("a root key")
}

fn keyring(byte: u8) -> Arc<Keyring> {
    Arc::new(Keyring::new(root(byte), Vec::new()))
}

fn key(uid: &str, owner: &str, name: &str) -> StoredObject {
    let name = Item::structure(
        Tag::NAME,
        vec![
            Item::new(Tag::NAME_VALUE, Value::TextString(name.into())),
            Item::new(Tag::NAME_TYPE, Value::Enumeration(1)),
        ],
    );
    StoredObject {
        uid: uid.into(),
        owner: owner.into(),
        object_type: ObjectType::SYMMETRIC_KEY,
        state: State::PRE_ACTIVE,
        attributes: vec![
            Attribute::from_item(name),
            Attribute::new(Tag::CRYPTOGRAPHIC_ALGORITHM, Value::Enumeration(CryptographicAlgorithm::AES.0)),
            Attribute::new(Tag::CRYPTOGRAPHIC_LENGTH, Value::Integer(256)),
        ],
        object: None,
    }
}

#[test]
fn commits_indexes_and_reopens() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let store = SledStore::open(dir.path(), keyring(1)).expect("opens");
        store
            .commit(vec![Change::Insert(key("a", "alice", "k1")), Change::Insert(key("b", "bob", "k2"))])
            .expect("commit");
        assert!(matches!(store.commit(vec![Change::Insert(key("a", "alice", "again"))]), Err(StoreError::Exists(_))));
        assert_eq!(store.scan(&IndexKey::Name("k1".into()), None, 10).expect("scan"), ["a"]);
        assert_eq!(store.scan(&IndexKey::Owner("bob".into()), None, 10).expect("scan"), ["b"]);
        let mut active = key("a", "alice", "renamed");
        active.state = State::ACTIVE;
        store.commit(vec![Change::Update(active)]).expect("update");
        assert!(store.scan(&IndexKey::Name("k1".into()), None, 10).expect("scan").is_empty());
        assert_eq!(store.scan(&IndexKey::State(State::ACTIVE), None, 10).expect("scan"), ["a"]);
        assert_eq!(store.scan(&IndexKey::State(State::PRE_ACTIVE), None, 10).expect("scan"), ["b"]);
        let alg = IndexKey::Algorithm(CryptographicAlgorithm::AES, 256);
        assert_eq!(store.scan(&alg, None, 10).expect("scan"), ["a", "b"]);
        assert_eq!(store.scan(&alg, Some("a"), 10).expect("scan"), ["b"]);
        assert_eq!(store.scan(&alg, None, 1).expect("scan"), ["a"]);
    }
    let store = SledStore::open(dir.path(), keyring(1)).expect("reopens");
    assert_eq!(store.count().expect("count"), 2);
    assert_eq!(store.get("a").expect("get").expect("there").state, State::ACTIVE);
    assert_eq!(store.scan(&IndexKey::Name("renamed".into()), None, 10).expect("scan"), ["a"]);
}

#[test]
fn a_failed_commit_changes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SledStore::open(dir.path(), keyring(1)).expect("opens");
    store.commit(vec![Change::Insert(key("a", "alice", "k1"))]).expect("commit");
    let result = store.commit(vec![Change::Insert(key("c", "carol", "k3")), Change::Insert(key("a", "alice", "dup"))]);
    assert!(matches!(result, Err(StoreError::Exists(_))));
    assert!(store.get("c").expect("get").is_none());
    assert!(store.scan(&IndexKey::Name("k3".into()), None, 10).expect("scan").is_empty());
}

#[test]
fn concurrent_commits_all_land() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(SledStore::open(dir.path(), keyring(1)).expect("opens"));
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                for i in 0..50 {
                    let uid = format!("{t}-{i}");
                    store.commit(vec![Change::Insert(key(&uid, "alice", &uid))]).expect("commit");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("no panic");
    }
    assert_eq!(store.count().expect("count"), 400);
    assert_eq!(store.scan(&IndexKey::Owner("alice".into()), None, 1000).expect("scan").len(), 400);
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

fn with_material(uid: &str, material: &[u8]) -> StoredObject {
    use kmip_proto::object::KeyObject;
    use kmip_proto::{KeyBlock, KeyMaterial, KeyValue, ManagedObject};
    let mut object = key(uid, "alice", uid);
    object.object = Some(ManagedObject::SymmetricKey(KeyObject {
        key_block: KeyBlock {
            key_format_type: kmip_proto::dict::KeyFormatType::RAW,
            key_compression_type: None,
            key_value: Some(KeyValue::Plain {
                material: KeyMaterial::Bytes(SecretBytes::new(material.to_vec())),
                attributes: Vec::new(),
            }),
            cryptographic_algorithm: Some(CryptographicAlgorithm::AES),
            cryptographic_length: Some(256),
            key_wrapping_data: None,
        },
    }));
    object
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
