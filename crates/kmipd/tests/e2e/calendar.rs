//! The rotation calendar over HTTPS: a project's rotating keys, soonest first, paged; and the
//! rotation gauges in `/metrics`.

use serde_json::{Value, json};

use crate::support::kmipd;
use crate::support::kms as post;

const TOKEN: (&str, &str) = ("X-Auth-Token", "dev-token");

#[test]
fn the_calendar_lists_a_projects_rotating_keys_soonest_first() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = kmipd(&dir);
    let mut keys = Vec::new();
    for (alias, days) in [("yearly", 365), ("monthly", 30), ("quarterly", 90)] {
        let made = post(&server, "create-key", json!({"key_alias": alias}));
        let key_id = made["key_info"]["key_id"].as_str().expect("a key id").to_owned();
        post(&server, "enable-key-rotation", json!({"key_id": key_id}));
        post(&server, "update-key-rotation-interval", json!({"key_id": key_id, "rotation_interval": days}));
        keys.push((alias, key_id));
    }

    let (status, text) = server.http_request("GET", "/v1/rotation/schedule?within=400d&limit=2", &[TOKEN], "");
    assert_eq!(status, 200, "{text}");
    let page: Value = serde_json::from_str(&text).expect("JSON");
    let aliases: Vec<&str> =
        page["rotations"].as_array().expect("a list").iter().filter_map(|r| r["key_alias"].as_str()).collect();
    assert_eq!(aliases, ["monthly", "quarterly"]);
    let marker = page["next_marker"].as_str().expect("a next page");
    let (_, text) =
        server.http_request("GET", &format!("/v1/rotation/schedule?within=400d&marker={marker}"), &[TOKEN], "");
    let page: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(page["rotations"][0]["key_alias"], "yearly");
    assert!(page["next_marker"].is_null());
    // Within 60 days, only the monthly key.
    let (_, text) = server.http_request("GET", "/v1/rotation/schedule?within=60d", &[TOKEN], "");
    let page: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(page["rotations"].as_array().map(Vec::len), Some(1));

    assert_eq!(server.http_get("/v1/rotation/schedule").0, 401);
    assert_eq!(server.http_request("GET", "/v1/rotation/schedule?within=soon", &[TOKEN], "").0, 400);
    // A query string that does not parse gets the documented JSON error too.
    let (status, body) = server.http_request("GET", "/v1/rotation/schedule?within=1d&within=2d", &[TOKEN], "");
    assert_eq!(status, 400);
    assert!(serde_json::from_str::<Value>(&body).is_ok_and(|v| v["error"].is_string()), "{body}");
    let (_, metrics) = server.http_get("/metrics");
    assert!(metrics.lines().any(|l| l == "kmip_rotation_overdue_keys 0"), "{metrics}");
    assert!(metrics.lines().any(|l| l.starts_with("kmip_rotation_next_timestamp_seconds ") && !l.ends_with(" 0")));
}
