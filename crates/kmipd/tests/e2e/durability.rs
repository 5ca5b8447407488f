//! Durability: every key whose Create got a response survives a SIGKILL, with identical bytes
//! and attributes.

use kmip_proto::dict::Operation;
use kmip_proto::payload::GetAttributesRequest;
use kmip_proto::{ProtocolVersion, RequestPayload, ResponsePayload};

use crate::support::{create_key, key_bytes, kmipd, ok};

const V: ProtocolVersion = ProtocolVersion::V1_4;

fn attributes(client: &mut kmip_test_support::Client, uid: &str) -> Vec<kmip_proto::Attribute> {
    let request = GetAttributesRequest { unique_identifier: Some(uid.into()), names: Vec::new() };
    match ok(client.call(V, Operation::GET_ATTRIBUTES, RequestPayload::GetAttributes(request))) {
        ResponsePayload::GetAttributes(r) => r.attributes,
        other => panic!("{other:?}"),
    }
}

#[test]
fn acknowledged_creates_survive_sigkill() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut server = kmipd(&dir);
    let mut before = Vec::new();
    {
        let mut client = server.client("client");
        for i in 0..25 {
            let uid = create_key(&mut client, V, &format!("durable-{i}"));
            before.push((uid.clone(), key_bytes(&mut client, V, &uid), attributes(&mut client, &uid)));
        }
    }
    server.restart(); // SIGKILL, then start again on the same data dir
    let mut client = server.client("client");
    for (uid, bytes, attrs) in before {
        assert_eq!(key_bytes(&mut client, V, &uid), bytes, "{uid}: key bytes");
        assert_eq!(attributes(&mut client, &uid), attrs, "{uid}: attributes");
    }
}
