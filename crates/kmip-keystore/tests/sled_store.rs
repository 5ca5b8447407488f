//! The sled store keeps the KeyStore contract: atomic commits, index entries that follow
//! updates, and everything still there after a reopen.

use std::sync::Arc;

use kmip_keystore::{Change, IndexKey, KeyStore, SledStore, StoreError, StoredObject};
use kmip_proto::Attribute;
use kmip_proto::dict::{CryptographicAlgorithm, ObjectType, State};
use ttlv::{Item, Tag, Value};

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
        let store = SledStore::open(dir.path()).expect("opens");
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
    let store = SledStore::open(dir.path()).expect("reopens");
    assert_eq!(store.count().expect("count"), 2);
    assert_eq!(store.get("a").expect("get").expect("there").state, State::ACTIVE);
    assert_eq!(store.scan(&IndexKey::Name("renamed".into()), None, 10).expect("scan"), ["a"]);
}

#[test]
fn a_failed_commit_changes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SledStore::open(dir.path()).expect("opens");
    store.commit(vec![Change::Insert(key("a", "alice", "k1"))]).expect("commit");
    let result = store.commit(vec![Change::Insert(key("c", "carol", "k3")), Change::Insert(key("a", "alice", "dup"))]);
    assert!(matches!(result, Err(StoreError::Exists(_))));
    assert!(store.get("c").expect("get").is_none());
    assert!(store.scan(&IndexKey::Name("k3".into()), None, 10).expect("scan").is_empty());
}

#[test]
fn concurrent_commits_all_land() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(SledStore::open(dir.path()).expect("opens"));
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
