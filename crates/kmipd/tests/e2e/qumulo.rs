//! The sequence a Qumulo cluster runs at KMIP 1.0: Create AES-256 with a Name, Activate, Get
//! by UID (the same 32 bytes every time), GetAttributes(State), Revoke.

use kmip_proto::dict::{Operation, ResultReason, ResultStatus, RevocationReasonCode, State};
use kmip_proto::payload::{GetAttributesRequest, RevokeRequest};
use kmip_proto::{AttributeName, ProtocolVersion, RequestPayload, ResponsePayload, RevocationReason};
use ttlv::{Tag, Value};

use crate::support::{create_key, key_bytes, kmipd, ok, uid_request};

const V: ProtocolVersion = ProtocolVersion::V1_0;

fn state(client: &mut kmip_test_support::Client, uid: &str) -> State {
    let request =
        GetAttributesRequest { unique_identifier: Some(uid.into()), names: vec![AttributeName::Standard(Tag::STATE)] };
    match ok(client.call(V, Operation::GET_ATTRIBUTES, RequestPayload::GetAttributes(request))) {
        ResponsePayload::GetAttributes(r) => {
            assert_eq!(r.attributes.len(), 1);
            match r.attributes[0].value.value {
                Value::Enumeration(s) => State(s),
                ref other => panic!("State is not an Enumeration: {other:?}"),
            }
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn qumulo_sequence_at_kmip_1_0() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = kmipd(&dir);
    let mut client = server.client("client");

    let uid = create_key(&mut client, V, "qumulo-master-key");
    assert_eq!(state(&mut client, &uid), State::PRE_ACTIVE);
    ok(client.call(V, Operation::ACTIVATE, RequestPayload::Activate(uid_request(&uid))));
    assert_eq!(state(&mut client, &uid), State::ACTIVE);

    let first = key_bytes(&mut client, V, &uid);
    assert_eq!(first.len(), 32);
    for _ in 0..3 {
        assert_eq!(key_bytes(&mut client, V, &uid), first, "Get returns the same bytes every time");
    }

    let revoke = RevokeRequest {
        unique_identifier: Some(uid.clone()),
        revocation_reason: RevocationReason { code: RevocationReasonCode::CESSATION_OF_OPERATION, message: None },
        compromise_occurrence_date: None,
    };
    ok(client.call(V, Operation::REVOKE, RequestPayload::Revoke(revoke)));
    assert_ne!(state(&mut client, &uid), State::ACTIVE, "a revoked key is not Active");

    let get = kmip_proto::payload::GetRequest::of("no-such-key");
    let missing = client.call(V, Operation::GET, RequestPayload::Get(get));
    assert_eq!(missing.result_reason, Some(ResultReason::ITEM_NOT_FOUND));
    let unknown = client.call(
        V,
        Operation::GET_ATTRIBUTES,
        RequestPayload::GetAttributes(GetAttributesRequest {
            unique_identifier: Some("no-such-key".into()),
            names: vec![AttributeName::Standard(Tag::STATE)],
        }),
    );
    assert_eq!(unknown.result_status, ResultStatus::OPERATION_FAILED);
    assert_eq!(unknown.result_reason, Some(ResultReason::ITEM_NOT_FOUND));
}

/// Cosmian KMS issue 687: a KMIP 1.0 client failed because the server sent the 1.1 Fresh
/// attribute. At 1.0, Get Attributes with no names returns only attributes 1.0 defines.
#[test]
fn a_1_0_client_sees_only_1_0_attributes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = kmipd(&dir);
    let mut client = server.client("client");
    let uid = create_key(&mut client, V, "version-scoped");
    let request = GetAttributesRequest { unique_identifier: Some(uid), names: Vec::new() };
    let ResponsePayload::GetAttributes(all) =
        ok(client.call(V, Operation::GET_ATTRIBUTES, RequestPayload::GetAttributes(request)))
    else {
        panic!("a Get Attributes response")
    };
    assert!(!all.attributes.is_empty());
    for attribute in &all.attributes {
        let tag = attribute.tag().expect("a standard attribute");
        assert_eq!(kmip_proto::attribute::introduced_in(tag), V, "{tag:?} is not a KMIP 1.0 attribute");
    }
}
