//! Three kmipd nodes on one PostgreSQL database: any node serves any object, exactly one
//! runs the rotation scheduler, and when that node dies in the middle of a sweep another
//! takes the sweep over once the lease lapses, with no key rotated twice. The nodes reach
//! the database over TLS, verified against the dev CA.

use std::time::{Duration, Instant};

use kmip_proto::ProtocolVersion;
use kmip_test_support::{Kmipd, config_with, postgres};
use serde_json::json;

use crate::support::kms as post;
use crate::support::{create_key, key_bytes};

/// The scheduler lease, in seconds: short, so that the takeover shows within the test.
const LEASE_SECS: u64 = 3;
/// Enough CMKs that one sweep takes a while.
const CMKS: usize = 600;

fn count(db: &mut ::postgres::Client, sql: &str) -> i64 {
    db.query_one(sql, &[]).expect("a count").get(0)
}

#[test]
fn three_nodes_share_keys_and_a_dead_leaders_sweep_is_finished_once() {
    let Some(server) = postgres::server_url("the three-node cluster") else { return };
    let url = postgres::fresh_database(&server, "cluster");
    let config_text = config_with(&[
        (
            "[store]",
            &format!(
                "[store]\nkind = \"postgres\"\n\n[store.postgres]\nurl = \"{url}\"\nca = \"{}\"\npool_size = 8\n\
                 lease_secs = {LEASE_SECS}\n\n",
                kmip_test_support::certs().join("ca.pem").display()
            ),
        ),
        ("[rotation]", "[rotation]\nsweep_interval_secs = 1\n\n"),
    ]);
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().expect("temp dir")).collect();
    let config = dirs[0].path().join("cluster.toml");
    std::fs::write(&config, config_text).expect("config");
    let binary = env!("CARGO_BIN_EXE_kmipd");
    let mut nodes: Vec<Kmipd> = dirs.iter().map(|d| Kmipd::spawn_config(binary, &config, d.path(), &[])).collect();
    let mut db = ::postgres::Client::connect(&url, ::postgres::NoTls).expect("the database");

    // Any node serves any object.
    let v = ProtocolVersion::V1_4;
    let uid = create_key(&mut nodes[0].client("client"), v, "made-on-node-1");
    assert_eq!(key_bytes(&mut nodes[2].client("client"), v, &uid), key_bytes(&mut nodes[0].client("client"), v, &uid));

    // CMKs with rotation on, made through all three nodes at once.
    std::thread::scope(|s| {
        for t in 0..6 {
            let node = &nodes[t % 3];
            s.spawn(move || {
                for i in (t..CMKS).step_by(6) {
                    let made = post(node, "create-key", json!({"key_alias": format!("cmk-{i}")}));
                    let key_id = made["key_info"]["key_id"].as_str().expect("a key id").to_owned();
                    post(node, "enable-key-rotation", json!({"key_id": key_id}));
                }
            });
        }
    });
    let leader_pid = || -> Option<u32> {
        let holder: Option<String> = ::postgres::Client::connect(&url, ::postgres::NoTls)
            .expect("the database")
            .query_opt("SELECT holder FROM kmip_leases WHERE expires_at > clock_timestamp()", &[])
            .expect("the lease")
            .map(|row| row.get(0));
        holder?.strip_prefix("pid")?.split('-').next()?.parse().ok()
    };
    let leader = nodes.iter().position(|n| n.pid() == leader_pid()).expect("one node leads");

    // Every CMK falls due at once, as if a year had passed.
    let due = "SELECT count(*) FROM kmip_cmks WHERE due_at < extract(epoch FROM now())::bigint";
    db.batch_execute(
        "UPDATE kmip_cmks SET due_at = extract(epoch FROM now())::bigint - 60, \
         record = jsonb_set(record, '{policy,next_rotation}', to_jsonb(extract(epoch FROM now())::bigint - 60))",
    )
    .expect("backdates");
    // Kill the leader in the middle of its sweep.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = count(&mut db, due);
        if left < CMKS as i64 - 20 {
            assert!(left > 0, "the sweep finished before the leader could be killed mid-way");
            break;
        }
        assert!(Instant::now() < deadline, "the leader never started its sweep");
        std::thread::sleep(Duration::from_millis(10));
    }
    nodes[leader].kill();
    let killed_at = Instant::now();
    let left_at_kill = count(&mut db, due);
    eprintln!("leader (node {}) killed with {left_at_kill} of {CMKS} CMKs left to rotate", leader + 1);

    // Another node takes the lease over once it lapses, and finishes the sweep.
    let mut takeover = None;
    loop {
        let left = count(&mut db, due);
        if takeover.is_none() && left < left_at_kill {
            takeover = Some(killed_at.elapsed());
        }
        if left == 0 {
            break;
        }
        assert!(killed_at.elapsed() < Duration::from_secs(60), "{left} CMKs never rotated");
        std::thread::sleep(Duration::from_millis(20));
    }
    let takeover = takeover.expect("a takeover");
    let new_leader = nodes.iter().position(|n| n.pid().is_some() && n.pid() == leader_pid());
    assert!(new_leader.is_some_and(|n| n != leader), "another node leads now");
    eprintln!("node {} took the sweep over {takeover:?} after the kill", new_leader.unwrap_or(0) + 1);
    // The lease lapses at most LEASE_SECS after the dead node's last renewal, and a follower
    // looks at it every LEASE_SECS / 3.
    assert!(takeover < Duration::from_secs(LEASE_SECS + 2), "the takeover took {takeover:?}");

    // The history: every CMK rotated exactly once, and one new version each.
    let rotations = "SELECT count(*) FROM kmip_cmks WHERE (record->'policy'->>'rotations')::int <> 1 \
                     OR jsonb_array_length(record->'versions') <> 2";
    assert_eq!(count(&mut db, rotations), 0, "a CMK rotated twice, or not at all");
    assert_eq!(count(&mut db, "SELECT count(*) FROM kmip_objects"), 2 * CMKS as i64 + 1);
}
