//! Rotation under a moved clock: kmipd started with `[testing] clock_offset_file`, so a test
//! can make a month pass. The calendar lists what falls due, the overdue gauge rises while no
//! sweep runs and falls after one, and a KMIP 1.2 client (PyKMIP) sets rotation through the
//! `x-rotate-*` attributes and watches its key rotate.

use std::path::Path;
use std::time::{Duration, Instant};

use kmip_test_support::{Kmipd, certs, config_with};
use serde_json::{Value, json};

use crate::support::kms as post;
use crate::support::{python, run_driver};

const TOKEN: (&str, &str) = ("X-Auth-Token", "dev-token");
const DAY: u64 = 86_400;

/// A config whose clock follows `offset` and which sweeps every `sweep_secs`.
fn config(dir: &Path, offset: &Path, sweep_secs: u64) -> std::path::PathBuf {
    let text = config_with(&[(
        "[rotation]",
        &format!(
            "[rotation]\nsweep_interval_secs = {sweep_secs}\n\n[testing]\nclock_offset_file = \"{}\"\n\n",
            offset.display()
        ),
    )]);
    let path = dir.join(format!("clock-{sweep_secs}.toml"));
    std::fs::write(&path, text).expect("config");
    path
}

/// A gauge's value in `/metrics`.
fn gauge(server: &Kmipd, name: &str) -> String {
    let (_, text) = server.http_get("/metrics");
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .unwrap_or_else(|| panic!("no {name} in /metrics:\n{text}"))
        .to_owned()
}

/// Waits for `gauge` to read `want`.
fn wait_for(server: &Kmipd, name: &str, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while gauge(server, name) != want {
        assert!(Instant::now() < deadline, "{name} stayed {}, not {want}", gauge(server, name));
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_month_passes_the_calendar_fills_and_one_sweep_clears_the_overdue_gauge() {
    let dir = tempfile::tempdir().expect("temp dir");
    let offset = dir.path().join("offset");
    // One sweep at start, then none for an hour: the scheduler is as good as stopped.
    let stopped = config(dir.path(), &offset, 3_600);
    let mut server = Kmipd::spawn_config(env!("CARGO_BIN_EXE_kmipd"), &stopped, &dir.path().join("data"), &[]);
    let mut keys = Vec::new();
    for (alias, days) in [("quarterly", 90), ("monthly-b", 30), ("monthly-a", 30), ("yearly", 365)] {
        let made = post(&server, "create-key", json!({"key_alias": alias}));
        let key_id = made["key_info"]["key_id"].as_str().expect("a key id").to_owned();
        post(&server, "enable-key-rotation", json!({"key_id": key_id}));
        post(&server, "update-key-rotation-interval", json!({"key_id": key_id, "rotation_interval": days}));
        keys.push((alias, key_id));
    }
    wait_for(&server, "kmip_rotation_overdue_keys", "0");

    // 25 days on: the two monthly keys fall due within the next 30 days, and only they.
    std::fs::write(&offset, (25 * DAY).to_string()).expect("offset");
    std::thread::sleep(Duration::from_millis(400));
    let (status, text) = server.http_request("GET", "/v1/rotation/schedule?within=30d", &[TOKEN], "");
    assert_eq!(status, 200, "{text}");
    let page: Value = serde_json::from_str(&text).expect("JSON");
    let listed: Vec<&str> =
        page["rotations"].as_array().expect("keys").iter().filter_map(|k| k["key_id"].as_str()).collect();
    let monthly: Vec<&str> = keys.iter().filter(|(a, _)| a.starts_with("monthly")).map(|(_, id)| id.as_str()).collect();
    assert_eq!(listed.len(), 2, "{text}");
    assert!(listed.iter().all(|id| monthly.contains(id)), "{text}");

    // 31 days on, with no sweep: both are overdue, and the gauge says so.
    std::fs::write(&offset, (31 * DAY).to_string()).expect("offset");
    wait_for(&server, "kmip_rotation_overdue_keys", "2");
    assert_eq!(gauge(&server, "kmip_rotations_total{kind=\"automatic\"}"), "0");

    // The scheduler back at a sweep a second: one sweep rotates both, and the gauge falls.
    server.restart_with_config(&config(dir.path(), &offset, 1));
    wait_for(&server, "kmip_rotation_overdue_keys", "0");
    assert_eq!(gauge(&server, "kmip_rotations_total{kind=\"automatic\"}"), "2");
    let (_, text) = server.http_request("GET", "/v1/rotation/schedule?within=28d", &[TOKEN], "");
    let page: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(
        page["rotations"].as_array().map(Vec::len),
        Some(0),
        "the next rotations are one interval after the due time, 29 days off: {text}"
    );
}

#[test]
fn pykmip_at_kmip_1_2_rotates_a_key_through_the_x_rotate_attributes() {
    let Some(python) = python("pykmip x-rotate attributes") else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let offset = dir.path().join("offset");
    let server = Kmipd::spawn_config(
        env!("CARGO_BIN_EXE_kmipd"),
        &config(dir.path(), &offset, 1),
        &dir.path().join("data"),
        &[],
    );
    let args = [
        "--port".to_owned(),
        server.addr.port().to_string(),
        "--certs".to_owned(),
        certs().display().to_string(),
        "--offset-file".to_owned(),
        offset.display().to_string(),
    ];
    run_driver(&python, "pykmip_rotation.py", &args);
}
