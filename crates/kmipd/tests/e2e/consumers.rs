//! `GET /v1/keys/{key_id}/consumers`: two client identities using one rotating key; the list
//! shows each one's last version, and the old version is safe to retire only once both have
//! moved on.

use kmip_proto::dict::Operation;
use kmip_proto::payload::GetRequest;
use kmip_proto::{ProtocolVersion, RequestPayload};
use kmip_test_support::{Kmipd, config_with};
use serde_json::{Value, json};

const TOKEN: (&str, &str) = ("X-Auth-Token", "dev-token");

#[test]
fn the_consumers_list_shows_each_clients_version_and_retirement_waits_for_both() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("consumers.toml");
    // The second identity reads the project's keys as an admin (a backup agent, say).
    let access = "[access]\nadmins = [\"O=kmipd dev PKI, CN=kmip-client-2\"]\n\n";
    std::fs::write(&config, config_with(&[("[access]", access)])).expect("config");
    let server = Kmipd::spawn_config(env!("CARGO_BIN_EXE_kmipd"), &config, &dir.path().join("data"), &[]);
    let post = |action: &str, body| crate::support::kms(&server, action, body);
    let made = post("create-key", json!({"key_alias": "consumed"}));
    let key_id = made["key_info"]["key_id"].as_str().expect("a key id").to_owned();
    let view = || -> Value {
        let (status, text) = server.http_request("GET", &format!("/v1/keys/{key_id}/consumers"), &[TOKEN], "");
        assert_eq!(status, 200, "{text}");
        serde_json::from_str(&text).expect("JSON")
    };
    let get = |stem: &str, uid: &str| {
        let item =
            server.client(stem).call(ProtocolVersion::V1_4, Operation::GET, RequestPayload::Get(GetRequest::of(uid)));
        assert!(item.payload.is_some(), "{stem} Get {uid}: {:?}", item.result_reason);
    };
    let v1 = view()["versions"][0]["uid"].as_str().expect("a version").to_owned();
    get("client", &v1);
    get("client2", &v1);
    post("rotate-on-demand", json!({"key_id": key_id}));
    let v2 = view()["versions"][1]["uid"].as_str().expect("a second version").to_owned();
    get("client", &v2);

    let page = view();
    let by = |cn: &str| -> Value {
        page["consumers"]
            .as_array()
            .expect("consumers")
            .iter()
            .find(|c| c["identity"].as_str().is_some_and(|i| i.contains(cn)))
            .cloned()
            .unwrap_or_else(|| panic!("no {cn}: {page}"))
    };
    assert_eq!(
        (by("kmip-client-1")["version"].as_str(), by("kmip-client-1")["generation"].as_i64()),
        (Some(v2.as_str()), Some(2))
    );
    assert_eq!(
        (by("kmip-client-2")["version"].as_str(), by("kmip-client-2")["generation"].as_i64()),
        (Some(v1.as_str()), Some(1))
    );
    assert_eq!(page["versions"][0]["safe_to_retire"], false, "the second client still uses version 1: {page}");

    get("client2", &v2);
    let page = view();
    assert_eq!(page["versions"][0]["safe_to_retire"], true, "both have moved on: {page}");
    assert_eq!(page["versions"][1]["safe_to_retire"], false, "the current version never is");
    // Without a token, nothing.
    assert_eq!(server.http_request("GET", &format!("/v1/keys/{key_id}/consumers"), &[], "").0, 401);
}
