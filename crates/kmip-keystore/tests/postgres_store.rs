//! The PostgreSQL store keeps the same `KeyStore` contract as sled, on a real PostgreSQL
//! server: the throwaway cluster `scripts/test-all.sh` starts (`$KMIP_TEST_POSTGRES_URL`).
//! Each test gets a database of its own.

mod contract;

use std::sync::Arc;
use std::time::Duration;

use contract::{keyring, root, with_material};
use kmip_keystore::{Change, KeyStore, Keyring, PostgresOptions, PostgresStore};

/// A fresh database on the test server, or `None` (and a loud skip) outside the test
/// command; under CI a missing server is a failure.
fn database(name: &str) -> Option<PostgresOptions> {
    let Ok(url) = std::env::var("KMIP_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "KMIP_TEST_POSTGRES_URL is not set: run scripts/test-all.sh, which starts PostgreSQL"
        );
        eprintln!("SKIPPED {name}: KMIP_TEST_POSTGRES_URL is not set (scripts/test-all.sh sets it)");
        return None;
    };
    let db = format!("kmip_store_{name}_{}", std::process::id());
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).expect("the test server accepts");
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {db}")).expect("drops");
    admin.batch_execute(&format!("CREATE DATABASE {db}")).expect("a fresh database");
    let (base, _) = url.rsplit_once('/').expect("a URL with a database");
    Some(PostgresOptions { url: format!("{base}/{db}"), pool_size: 8, ca: None })
}

fn open(options: &PostgresOptions, keyring: Arc<Keyring>) -> PostgresStore {
    PostgresStore::open(options, keyring).expect("opens")
}

#[test]
fn commits_indexes_and_reopens() {
    let Some(db) = database("indexes") else { return };
    contract::indexes_follow_updates(&open(&db, keyring(1)));
    // Opening again migrates nothing and finds everything.
    let store = open(&db, keyring(1));
    assert_eq!(store.count().expect("count"), 2);
}

#[test]
fn a_failed_commit_changes_nothing() {
    let Some(db) = database("failed") else { return };
    contract::a_failed_commit_changes_nothing(&open(&db, keyring(1)));
}

#[test]
fn concurrent_commits_all_land() {
    let Some(db) = database("concurrent") else { return };
    contract::concurrent_commits_all_land(Arc::new(open(&db, keyring(1))));
}

#[test]
fn commits_handed_over_together_stand_alone() {
    let Some(db) = database("together") else { return };
    contract::commits_handed_over_together_stand_alone(&open(&db, keyring(1)));
}

#[test]
fn colliding_commits_fail_alone() {
    let Some(db) = database("colliding") else { return };
    contract::colliding_commits_fail_alone(Arc::new(open(&db, keyring(1))));
}

#[test]
fn reads_never_go_back_while_an_object_is_rewritten() {
    let Some(db) = database("rewritten") else { return };
    contract::reads_never_go_back_while_an_object_is_rewritten(Arc::new(open(&db, keyring(1))));
}

#[test]
fn cmk_writes_check_the_revision() {
    let Some(db) = database("revision") else { return };
    contract::cmk_writes_check_the_revision(&open(&db, keyring(1)));
}

#[test]
fn two_nodes_race_for_one_cmk_and_one_wins() {
    let Some(db) = database("race") else { return };
    let (a, b) = (open(&db, keyring(1)), open(&db, keyring(1)));
    a.commit(vec![Change::PutCmk(contract::cmk("k", "p", Some(10)))]).expect("create");
    let read = a.cmk("k").expect("read").expect("there");
    std::thread::scope(|s| {
        let results: Vec<_> = [&a, &b]
            .into_iter()
            .enumerate()
            .map(|(i, store)| {
                let mut record = read.clone();
                s.spawn(move || {
                    record.policy.next_rotation = Some(20 + i as i64);
                    store.commit(vec![Change::PutCmk(record)]).is_ok()
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect();
        assert_eq!(results.iter().filter(|ok| **ok).count(), 1, "{results:?}");
    });
    assert_eq!(a.cmk("k").expect("read").expect("there").revision, 2);
}

#[test]
fn commits_that_deadlock_are_retried_and_all_land() {
    let Some(db) = database("deadlock") else { return };
    let store = open(&db, keyring(1));
    store
        .commit(vec![
            Change::Insert(contract::key("a", "alice", "a")),
            Change::Insert(contract::key("b", "alice", "b")),
        ])
        .expect("seed");
    // Two writers update the same two objects in opposite orders: PostgreSQL breaks each
    // deadlock by failing one transaction, which the store runs again (and which then
    // finds the other's commit: a conflict the writer resolves by reading again).
    std::thread::scope(|s| {
        for order in [["a", "b"], ["b", "a"]] {
            let store = &store;
            s.spawn(move || {
                for i in 0..40 {
                    // Read, change, commit; as the service does, read again when another
                    // writer got there first.
                    loop {
                        let changes = order
                            .iter()
                            .map(|uid| {
                                let mut object = contract::key(uid, "alice", &format!("{uid}{i}"));
                                object.revision = store.get(uid).expect("get").expect("there").revision;
                                Change::Update(object)
                            })
                            .collect();
                        match store.commit(changes) {
                            Ok(()) => break,
                            Err(kmip_keystore::StoreError::Conflict(_)) => continue,
                            Err(e) => panic!("a commit failed: {e}"),
                        }
                    }
                }
            });
        }
    });
    assert_eq!(store.scan(&kmip_keystore::IndexKey::Owner("alice".into()), None, 10).expect("scan"), ["a", "b"]);
    // And PostgreSQL did break deadlocks on the way (its statistics arrive within a second
    // or so).
    let name = db.url.rsplit_once('/').expect("a database").1.to_owned();
    let mut admin = postgres::Client::connect(&db.url, postgres::NoTls).expect("connects");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let row =
            admin.query_one("SELECT deadlocks FROM pg_stat_database WHERE datname = $1", &[&name]).expect("stats");
        if row.get::<_, i64>(0) > 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no deadlock happened: the test tested nothing");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn object_updates_check_the_revision() {
    let Some(db) = database("objrev") else { return };
    contract::object_updates_check_the_revision(&open(&db, keyring(1)));
}

#[test]
fn list_walks_every_record() {
    let Some(db) = database("list") else { return };
    contract::list_walks_every_record(&open(&db, keyring(1)));
}

#[test]
fn one_node_holds_the_lease_until_it_lapses() {
    let Some(db) = database("lease") else { return };
    let store = open(&db, keyring(1));
    let ttl = Duration::from_secs(2);
    assert!(store.lease("scheduler", "node-1", ttl).expect("lease"));
    assert!(!store.lease("scheduler", "node-2", ttl).expect("lease"));
    assert!(store.lease("scheduler", "node-1", ttl).expect("renewed"));
    std::thread::sleep(Duration::from_millis(2_300));
    assert!(store.lease("scheduler", "node-2", ttl).expect("taken over"));
    assert!(!store.lease("scheduler", "node-1", ttl).expect("lost"));
    // A holder gives it up by leasing it for no time.
    assert!(store.lease("scheduler", "node-2", Duration::ZERO).expect("released"));
    std::thread::sleep(Duration::from_millis(20));
    assert!(store.lease("scheduler", "node-1", ttl).expect("free again"));
}

#[test]
fn the_database_alone_reveals_no_key_bytes_and_reseals_after_a_new_root_key() {
    let Some(db) = database("sealed") else { return };
    let material = *b"0123456789abcdef-KEY-MATERIAL-32";
    {
        let store = open(&db, keyring(1));
        let mut changes: Vec<_> =
            (0..130).map(|i| Change::Insert(with_material(&format!("k{i:03}"), &[i as u8; 32]))).collect();
        changes.push(Change::Insert(with_material("secret", &material)));
        changes.push(Change::PutMeta { key: "m".into(), value: b"-----BEGIN PRIVATE KEY-----".to_vec() });
        store.commit(changes).expect("commit");
    }
    let mut client = postgres::Client::connect(&db.url, postgres::NoTls).expect("connects");
    for table in ["kmip_objects", "kmip_meta"] {
        for row in client.query(&format!("SELECT record FROM {table}"), &[]).expect("rows") {
            let bytes: Vec<u8> = row.get(0);
            assert!(!bytes.windows(material.len()).any(|w| w == material), "key material in {table}");
            assert!(!bytes.windows(11).any(|w| w == b"BEGIN PRIVA"), "a private key in {table}");
        }
    }
    let error = PostgresStore::open(&db, keyring(2)).expect_err("refused").to_string();
    assert!(error.contains("root keys do not open"), "{error}");
    {
        let store = open(&db, Arc::new(Keyring::new(root(2), vec![root(1)])));
        let (mut cursor, mut resealed) = (None, 0);
        loop {
            let step = store.reseal(cursor.as_deref(), 50).expect("reseal step");
            resealed += step.resealed;
            assert!(store.get("k000").expect("get").is_some(), "serves between steps");
            match step.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(resealed, 132);
        assert_eq!(store.reseal(None, 1000).expect("again").resealed, 0);
    }
    let store = open(&db, keyring(2));
    assert_eq!(store.count().expect("count"), 131);
    assert_eq!(store.meta("m").expect("meta").as_deref(), Some(&b"-----BEGIN PRIVATE KEY-----"[..]));
}

#[test]
fn nodes_that_start_together_share_one_schema_and_one_salt() {
    let Some(db) = database("start") else { return };
    let salts: Vec<Vec<u8>> = std::thread::scope(|s| {
        (0..4u8)
            .map(|i| {
                let db = &db;
                s.spawn(move || PostgresStore::shared_setting(db, "salt", &[i; 16]).expect("salt"))
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect()
    });
    assert!(salts.windows(2).all(|w| w[0] == w[1]), "{salts:?}");
    open(&db, keyring(1));
}

#[test]
fn tls_to_the_database_verifies_the_server() {
    let Some(mut db) = database("tls") else { return };
    let certs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../certs");
    // The test cluster serves the dev PKI's server certificate (scripts/postgres.sh).
    db.ca = Some(certs.join("ca.pem"));
    let store = open(&db, keyring(1));
    store.commit(vec![Change::PutMeta { key: "m".into(), value: b"v".to_vec() }]).expect("commits over TLS");
    let name = db.url.rsplit_once('/').expect("a database").1.to_owned();
    let server = std::env::var("KMIP_TEST_POSTGRES_URL").expect("set");
    let mut admin = postgres::Client::connect(&server, postgres::NoTls).expect("connects");
    let (tls, plain): (i64, i64) = {
        let row = admin
            .query_one(
                "SELECT count(*) FILTER (WHERE s.ssl), count(*) FILTER (WHERE NOT s.ssl) \
                 FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.datname = $1",
                &[&name],
            )
            .expect("the server's view");
        (row.get(0), row.get(1))
    };
    assert!(tls >= 1 && plain == 0, "{tls} TLS and {plain} plain connections");
    drop(store);
    // A server the CA did not sign is refused, not trusted.
    db.ca = Some(certs.join("bad/other-ca.pem"));
    let error = PostgresStore::open(&db, keyring(1)).expect_err("refused").to_string();
    assert!(error.contains("cannot connect") && error.contains("certificate"), "{error}");
    // sslmode=require with nothing to verify against is refused, not left unverified.
    db.ca = None;
    db.url.push_str("?sslmode=require");
    let error = PostgresStore::open(&db, keyring(1)).expect_err("refused").to_string();
    assert!(error.contains("needs [store.postgres] ca"), "{error}");
}
