//! The rotation calendar over HTTPS: a project's rotating keys, soonest first, paged (an
//! operator token's: the fleet's); and the rotation gauges in `/metrics`.

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

#[test]
fn a_project_token_sees_its_projects_calendar_and_an_operator_token_the_fleets() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("fleet.toml");
    let tokens = "[[http.tokens]]\ntoken = \"dev-token\"\nproject = \"dev-project\"\noperator = true\n\n\
                  [[http.tokens]]\ntoken = \"other-token\"\nproject = \"other-project\"\n\n";
    let projects = "[[http.projects]]\nid = \"dev-project\"\nkmip_owner = \"O=kmipd dev PKI, CN=kmip-client-1\"\n\n\
                    [[http.projects]]\nid = \"other-project\"\nkmip_owner = \"O=kmipd dev PKI, CN=kmip-client-2\"\n\n";
    let text = kmip_test_support::config_with(&[("[[http.tokens]]", tokens), ("[[http.projects]]", projects)]);
    std::fs::write(&config, text).expect("config");
    let server =
        kmip_test_support::Kmipd::spawn_config(env!("CARGO_BIN_EXE_kmipd"), &config, &dir.path().join("data"), &[]);
    let rotating = |project: &str, token: &str| {
        let call = |action: &str, body: Value| {
            let (status, text) = server.http_request(
                "POST",
                &format!("/v1.0/{project}/kms/{action}"),
                &[("X-Auth-Token", token)],
                &body.to_string(),
            );
            assert_eq!(status, 200, "{action}: {text}");
            serde_json::from_str::<Value>(&text).expect("JSON")
        };
        let key_id =
            call("create-key", json!({"key_alias": project}))["key_info"]["key_id"].as_str().expect("id").to_owned();
        call("enable-key-rotation", json!({"key_id": key_id}));
    };
    rotating("dev-project", "dev-token");
    rotating("other-project", "other-token");
    let projects = |token: &str| -> Vec<String> {
        let (status, text) =
            server.http_request("GET", "/v1/rotation/schedule?within=400d", &[("X-Auth-Token", token)], "");
        assert_eq!(status, 200, "{text}");
        let page: Value = serde_json::from_str(&text).expect("JSON");
        let mut seen: Vec<String> = page["rotations"]
            .as_array()
            .expect("rotations")
            .iter()
            .filter_map(|r| r["project"].as_str().map(str::to_owned))
            .collect();
        seen.sort();
        seen
    };
    assert_eq!(projects("other-token"), ["other-project"], "a project sees its own keys");
    assert_eq!(projects("dev-token"), ["dev-project", "other-project"], "an operator sees the fleet");
}
