//! Access: client B cannot Get, Locate, modify or destroy client A's keys.

use kmip_proto::dict::{Operation, ResultReason};
use kmip_proto::payload::{GetRequest, LocateRequest, ModifyAttributeRequest};
use kmip_proto::{ProtocolVersion, RequestPayload, ResponsePayload};

use crate::support::{create_key, kmipd, ok, uid_request};

const V: ProtocolVersion = ProtocolVersion::V1_2;

fn locate_by_name(client: &mut kmip_test_support::Client, value: &str) -> Vec<String> {
    let request = LocateRequest { attributes: vec![kmip_proto::Attribute::name(value)], ..LocateRequest::default() };
    match ok(client.call(V, Operation::LOCATE, RequestPayload::Locate(request))) {
        ResponsePayload::Locate(r) => r.unique_identifiers,
        other => panic!("{other:?}"),
    }
}

#[test]
fn one_client_cannot_touch_anothers_keys() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = kmipd(&dir);
    let mut alice = server.client("client");
    let mut bob = server.client("client2");
    let uid = create_key(&mut alice, V, "alice-key");

    let get = GetRequest::of(&uid);
    let denied = |item: kmip_proto::ResponseBatchItem| {
        assert_eq!(item.result_reason, Some(ResultReason::PERMISSION_DENIED), "{:?}", item.result_message);
        assert!(item.payload.is_none());
    };
    denied(bob.call(V, Operation::GET, RequestPayload::Get(get.clone())));
    denied(bob.call(V, Operation::DESTROY, RequestPayload::Destroy(uid_request(&uid))));
    denied(bob.call(V, Operation::ACTIVATE, RequestPayload::Activate(uid_request(&uid))));
    let modify = ModifyAttributeRequest {
        unique_identifier: Some(uid.clone()),
        current: None,
        attribute: kmip_proto::Attribute::name("stolen"),
    };
    denied(bob.call(V, Operation::MODIFY_ATTRIBUTE, RequestPayload::ModifyAttribute(modify)));
    assert!(locate_by_name(&mut bob, "alice-key").is_empty(), "Locate shows Bob nothing of Alice's");

    // Alice still has it all.
    assert_eq!(locate_by_name(&mut alice, "alice-key"), std::slice::from_ref(&uid));
    ok(alice.call(V, Operation::GET, RequestPayload::Get(get)));
}
