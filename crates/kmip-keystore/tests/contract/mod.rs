//! The `KeyStore` contract, as checks any backend must pass: each test file runs them on its
//! own store (sled, PostgreSQL).

#![allow(dead_code)]

use std::sync::Arc;

use kmip_keystore::{
    Change, CmkRecord, CmkState, CmkVersion, IndexKey, KeyStore, Keyring, Listing, RootKey, RotationPolicy, StoreError,
    StoredObject, VersionOrigin,
};
use kmip_proto::dict::{CryptographicAlgorithm, ObjectType, State};
use kmip_proto::{Attribute, SecretBytes};
use ttlv::{Item, Tag, Value};

pub(crate) fn root(byte: u8) -> RootKey {
    RootKey::from_bytes(&SecretBytes::new(vec![byte; 32])).expect("a root key")
}

pub(crate) fn keyring(byte: u8) -> Arc<Keyring> {
    Arc::new(Keyring::new(root(byte), Vec::new()))
}

pub(crate) fn key(uid: &str, owner: &str, name: &str) -> StoredObject {
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
        revision: 0,
    }
}

pub(crate) fn with_material(uid: &str, material: &[u8]) -> StoredObject {
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

pub(crate) fn cmk(key_id: &str, project: &str, due: Option<i64>) -> CmkRecord {
    CmkRecord {
        key_id: key_id.into(),
        project: project.into(),
        owner: "alice".into(),
        alias: key_id.into(),
        description: String::new(),
        key_spec: "AES_256".into(),
        origin: "kms".into(),
        created: 0,
        state: CmkState::Enabled,
        policy: RotationPolicy { enabled: due.is_some(), next_rotation: due, ..RotationPolicy::default() },
        versions: vec![CmkVersion { uid: format!("{key_id}-v1"), created: 0, origin: VersionOrigin::Initial }],
        revision: 0,
    }
}

/// Inserts, indexes, updates (index entries follow), and pages through an index.
pub(crate) fn indexes_follow_updates(store: &dyn KeyStore) {
    store.commit(vec![Change::Insert(key("a", "alice", "k1")), Change::Insert(key("b", "bob", "k2"))]).expect("commit");
    assert!(matches!(store.commit(vec![Change::Insert(key("a", "alice", "again"))]), Err(StoreError::Exists(_))));
    assert_eq!(store.scan(&IndexKey::Name("k1".into()), None, 10).expect("scan"), ["a"]);
    assert_eq!(store.scan(&IndexKey::Owner("bob".into()), None, 10).expect("scan"), ["b"]);
    let mut active = key("a", "alice", "renamed");
    active.state = State::ACTIVE;
    store.commit(vec![Change::Update(active)]).expect("update");
    assert!(store.scan(&IndexKey::Name("k1".into()), None, 10).expect("scan").is_empty());
    assert_eq!(store.scan(&IndexKey::Name("renamed".into()), None, 10).expect("scan"), ["a"]);
    assert_eq!(store.scan(&IndexKey::State(State::ACTIVE), None, 10).expect("scan"), ["a"]);
    assert_eq!(store.scan(&IndexKey::State(State::PRE_ACTIVE), None, 10).expect("scan"), ["b"]);
    let keys = IndexKey::ObjectType(ObjectType::SYMMETRIC_KEY);
    assert_eq!(store.scan(&keys, None, 10).expect("scan"), ["a", "b"]);
    assert_eq!(store.scan(&keys, Some("a"), 10).expect("scan"), ["b"]);
    assert_eq!(store.scan(&keys, None, 1).expect("scan"), ["a"]);
    assert_eq!(store.count().expect("count"), 2);
    assert_eq!(store.get("a").expect("get").expect("there").state, State::ACTIVE);
}

/// A commit with one bad change applies none of them.
pub(crate) fn a_failed_commit_changes_nothing(store: &dyn KeyStore) {
    store.commit(vec![Change::Insert(key("a", "alice", "k1"))]).expect("commit");
    let result = store.commit(vec![Change::Insert(key("c", "carol", "k3")), Change::Insert(key("a", "alice", "dup"))]);
    assert!(matches!(result, Err(StoreError::Exists(_))));
    assert!(store.get("c").expect("get").is_none());
    assert!(store.scan(&IndexKey::Name("k3".into()), None, 10).expect("scan").is_empty());
}

/// Commits from many threads all land, with their index entries.
pub(crate) fn concurrent_commits_all_land(store: Arc<dyn KeyStore>) {
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

/// Concurrent commits that collide: eight threads each insert the same shared objects (with
/// one of their own in the same commit) and an object of their own alone. Exactly one insert
/// of each shared object lands, with its companion; every other such commit fails whole, with
/// `Exists`, and leaves nothing; the commits that collide with nothing all land. (The
/// embedded store applies concurrent commits in one batch; what one commit does there must
/// not reach another.)
pub(crate) fn colliding_commits_fail_alone(store: Arc<dyn KeyStore>) {
    const SHARED: usize = 40;
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                let mut won = Vec::new();
                for i in 0..SHARED {
                    let companion = format!("companion-{t}-{i}");
                    let pair = vec![
                        Change::Insert(key(&companion, "alice", &companion)),
                        Change::Insert(key(&format!("shared-{i}"), "alice", "shared")),
                    ];
                    match store.commit(pair) {
                        Ok(()) => won.push(companion),
                        Err(StoreError::Exists(uid)) => assert_eq!(uid, format!("shared-{i}")),
                        Err(e) => panic!("an unexpected failure: {e}"),
                    }
                    let own = format!("own-{t}-{i}");
                    store
                        .commit(vec![Change::Insert(key(&own, "bob", &own))])
                        .expect("an insert that collides with nothing");
                }
                won
            })
        })
        .collect();
    let won: Vec<String> = threads.into_iter().flat_map(|t| t.join().expect("no panic")).collect();
    assert_eq!(won.len(), SHARED, "one commit per shared object won");
    assert_eq!(store.scan(&IndexKey::Name("shared".into()), None, 1000).expect("scan").len(), SHARED);
    let mut companions = store.scan(&IndexKey::Owner("alice".into()), None, 1000).expect("scan");
    companions.retain(|uid| uid.starts_with("companion-"));
    let mut expected = won;
    expected.sort();
    assert_eq!(companions, expected, "only the winners' companions are stored");
    assert_eq!(store.scan(&IndexKey::Owner("bob".into()), None, 1000).expect("scan").len(), 8 * SHARED);
}

/// Several commits handed over at once: each stands or falls alone, a later one sees the
/// earlier ones, and each outcome comes back in its place.
pub(crate) fn commits_handed_over_together_stand_alone(store: &dyn KeyStore) {
    store.commit(vec![Change::Insert(key("taken", "alice", "t"))]).expect("insert");
    let outcomes = store.commit_each(vec![
        vec![Change::Insert(key("first", "alice", "together"))],
        vec![Change::Insert(key("second", "alice", "together")), Change::Insert(key("taken", "alice", "t"))],
        vec![Change::Insert(key("third", "alice", "together"))],
        vec![Change::Insert(key("third", "alice", "together"))],
    ]);
    let described: Vec<String> = outcomes
        .iter()
        .map(|o| match o {
            Ok(()) => "ok".into(),
            Err(StoreError::Exists(uid)) => format!("exists {uid}"),
            Err(e) => panic!("an unexpected failure: {e}"),
        })
        .collect();
    assert_eq!(described, ["ok", "exists taken", "ok", "exists third"]);
    let stored = store.scan(&IndexKey::Name("together".into()), None, 10).expect("scan");
    assert_eq!(stored, ["first", "third"], "the refused commit left nothing");
}

/// Reads racing the updates of one object: no reader sees its revision go back, and once
/// the writer is done every reader sees the last one. (The embedded store keeps decoded
/// objects in a cache in front of its tree; this is what that cache must not break.)
pub(crate) fn reads_never_go_back_while_an_object_is_rewritten(store: Arc<dyn KeyStore>) {
    const UPDATES: u64 = 200;
    store.commit(vec![Change::Insert(key("hot", "alice", "n"))]).expect("insert");
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (store, done) = (Arc::clone(&store), Arc::clone(&done));
            std::thread::spawn(move || {
                let mut last = 0;
                while !done.load(std::sync::atomic::Ordering::Acquire) {
                    let seen = store.get("hot").expect("get").expect("there").revision;
                    assert!(seen >= last, "a read went back from revision {last} to {seen}");
                    last = seen;
                }
                store.get("hot").expect("get").expect("there").revision
            })
        })
        .collect();
    for _ in 0..UPDATES {
        let current = store.get("hot").expect("get").expect("there");
        store.commit(vec![Change::Update(current)]).expect("update");
    }
    done.store(true, std::sync::atomic::Ordering::Release);
    for reader in readers {
        assert_eq!(reader.join().expect("no panic"), UPDATES, "a reader's last read is the last update");
    }
}

/// CMK records: their indexes follow them, and a write must carry the stored revision, so
/// that of two writers that read the same record one wins and the other's commit, with
/// everything in it, fails.
pub(crate) fn cmk_writes_check_the_revision(store: &dyn KeyStore) {
    store
        .commit(vec![Change::PutCmk(cmk("k1", "p", Some(100))), Change::PutCmk(cmk("k2", "p", Some(50)))])
        .expect("puts");
    assert_eq!(store.scheduled_cmks(None, 1_000, 10).expect("due"), [(50, "k2".to_owned()), (100, "k1".to_owned())]);
    assert_eq!(store.project_cmks("p", None, 10).expect("project"), ["k1", "k2"]);
    let read = store.cmk("k1").expect("read").expect("there");
    assert_eq!(read.revision, 1);
    // Two writers read revision 1; the first rotates the key...
    let mut first = read.clone();
    first.policy.next_rotation = Some(200);
    first.versions.push(CmkVersion { uid: "k1-v2".into(), created: 100, origin: VersionOrigin::Automatic });
    store.commit(vec![Change::Insert(key("k1-v2", "alice", "v2")), Change::PutCmk(first)]).expect("first write");
    // ...and the second, with the same due time in hand, changes nothing.
    let mut second = read;
    second.policy.next_rotation = Some(200);
    let result = store.commit(vec![Change::Insert(key("k1-v2b", "alice", "v2b")), Change::PutCmk(second)]);
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    assert!(store.get("k1-v2b").expect("get").is_none());
    let now = store.cmk("k1").expect("read").expect("there");
    assert_eq!((now.revision, now.versions.len()), (2, 2));
    assert_eq!(store.scheduled_cmks(None, 1_000, 10).expect("due"), [(50, "k2".to_owned()), (200, "k1".to_owned())]);
    // A record made anew over an existing one is a conflict too.
    assert!(matches!(store.commit(vec![Change::PutCmk(cmk("k2", "p", None))]), Err(StoreError::Conflict(_))));
}

/// `list` walks every record of a kind, in pages.
pub(crate) fn list_walks_every_record(store: &dyn KeyStore) {
    let objects = (0..25).map(|i| Change::Insert(key(&format!("o{i:02}"), "alice", "n"))).collect();
    store.commit(objects).expect("objects");
    store
        .commit(vec![Change::PutCmk(cmk("c1", "p", None)), Change::PutMeta { key: "m1".into(), value: b"v".to_vec() }])
        .expect("others");
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.list(Listing::Objects, after.as_deref(), 10).expect("page");
        if page.is_empty() {
            break;
        }
        after = page.last().cloned();
        all.extend(page);
    }
    assert_eq!(all, (0..25).map(|i| format!("o{i:02}")).collect::<Vec<_>>());
    assert_eq!(store.list(Listing::Cmks, None, 10).expect("cmks"), ["c1"]);
    assert_eq!(store.list(Listing::Meta, None, 10).expect("meta"), ["m1"]);
}

/// An update carries the revision it read: of two updates from the same read, the second
/// fails and changes nothing (so a Destroy is never undone by a ReKey that read before it).
pub(crate) fn object_updates_check_the_revision(store: &dyn KeyStore) {
    store.commit(vec![Change::Insert(key("a", "alice", "n"))]).expect("insert");
    let read = store.get("a").expect("get").expect("there");
    assert_eq!(read.revision, 0);
    let mut destroyed = read.clone();
    destroyed.state = State::DESTROYED;
    store.commit(vec![Change::Update(destroyed)]).expect("the first update");
    let mut stale = read;
    stale.state = State::ACTIVE;
    let result = store.commit(vec![Change::Insert(key("b", "alice", "b")), Change::Update(stale)]);
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    assert!(store.get("b").expect("get").is_none(), "the whole commit failed");
    let now = store.get("a").expect("get").expect("there");
    assert_eq!((now.state, now.revision), (State::DESTROYED, 1));
    assert_eq!(store.scan(&IndexKey::State(State::DESTROYED), None, 10).expect("scan"), ["a"]);
    // The next update from a fresh read goes through.
    store.commit(vec![Change::Update(now)]).expect("a fresh update");
    assert_eq!(store.get("a").expect("get").expect("there").revision, 2);
}
