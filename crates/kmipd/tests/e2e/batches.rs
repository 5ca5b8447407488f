//! Versions and batches: every version answered in kind, Create+Activate chained through the
//! ID Placeholder, a failing item with Stop and Continue, and a Batch Count that lies.

use kmip_proto::dict::{BatchErrorContinuationOption, Operation, ResultReason, ResultStatus, State};
use kmip_proto::payload::{DiscoverVersionsRequest, GetAttributesRequest, UidRequest};
use kmip_proto::{AttributeName, ProtocolVersion, RequestPayload, ResponsePayload};
use kmip_test_support::message;
use ttlv::{Tag, Value};

use crate::support::{create_aes, kmipd, ok};

#[test]
fn every_version_is_answered_in_kind() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = kmipd(&dir);
    let mut client = server.client("client");
    for version in ProtocolVersion::SUPPORTED {
        let item = client.call(
            version,
            Operation::DISCOVER_VERSIONS,
            RequestPayload::DiscoverVersions(DiscoverVersionsRequest { versions: Vec::new() }),
        );
        match ok(item) {
            ResponsePayload::DiscoverVersions(r) => {
                assert_eq!(r.versions, ProtocolVersion::SUPPORTED)
            }
            other => panic!("{other:?}"),
        }
        // And a key created and read at that version.
        let uid = crate::support::create_key(&mut client, version, &format!("v{version}"));
        assert_eq!(crate::support::key_bytes(&mut client, version, &uid).len(), 32);
    }
    // A client that speaks only 1.1 and 9.9 hears back 1.1.
    let asked = vec![ProtocolVersion::new(9, 9), ProtocolVersion::V1_1];
    match ok(client.call(
        ProtocolVersion::V1_1,
        Operation::DISCOVER_VERSIONS,
        RequestPayload::DiscoverVersions(DiscoverVersionsRequest { versions: asked }),
    )) {
        ResponsePayload::DiscoverVersions(r) => assert_eq!(r.versions, [ProtocolVersion::V1_1]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn create_then_activate_in_one_batch_through_the_id_placeholder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = kmipd(&dir);
    let mut client = server.client("client");
    let request = message(
        ProtocolVersion::V1_2,
        vec![
            (Operation::CREATE, create_aes("batched")),
            (Operation::ACTIVATE, RequestPayload::Activate(UidRequest { unique_identifier: None })),
            (
                Operation::GET_ATTRIBUTES,
                RequestPayload::GetAttributes(GetAttributesRequest {
                    unique_identifier: None,
                    names: vec![AttributeName::Standard(Tag::STATE)],
                }),
            ),
        ],
    );
    let response = client.request(&request);
    assert_eq!(response.items.len(), 3);
    let ids: Vec<_> = response.items.iter().map(|i| i.unique_batch_item_id.clone()).collect();
    assert_eq!(ids, [Some(vec![1]), Some(vec![2]), Some(vec![3])]);
    let mut items = response.items.into_iter();
    let ResponsePayload::Create(created) = ok(items.next().expect("create")) else { panic!("create") };
    let ResponsePayload::Activate(activated) = ok(items.next().expect("activate")) else { panic!("activate") };
    assert_eq!(activated.unique_identifier, created.unique_identifier);
    let ResponsePayload::GetAttributes(attrs) = ok(items.next().expect("get attributes")) else { panic!("attrs") };
    assert_eq!(attrs.attributes[0].value.value, Value::Enumeration(State::ACTIVE.0));
}

#[test]
fn a_failing_item_stops_or_continues_as_asked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = kmipd(&dir);
    let mut client = server.client("client");
    let ops = || {
        vec![
            (Operation::ACTIVATE, RequestPayload::Activate(UidRequest { unique_identifier: Some("nope".into()) })),
            (Operation::CREATE, create_aes("after-a-failure")),
        ]
    };
    let stop = client.request(&message(ProtocolVersion::V1_4, ops()));
    assert_eq!(stop.items.len(), 1, "Stop (the default) ends the batch at the failure");
    assert_eq!(stop.items[0].result_reason, Some(ResultReason::ITEM_NOT_FOUND));

    let mut request = message(ProtocolVersion::V1_4, ops());
    request.header.batch_error_continuation_option = Some(BatchErrorContinuationOption::CONTINUE);
    let go_on = client.request(&request);
    assert_eq!(go_on.items.len(), 2);
    assert_eq!(go_on.items[1].result_status, ResultStatus::SUCCESS);
}

#[test]
fn a_batch_count_that_lies_fails_every_item() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = kmipd(&dir);
    let mut client = server.client("client");
    let mut request = message(ProtocolVersion::V1_4, vec![(Operation::CREATE, create_aes("liar"))]);
    request.header.batch_count = 5;
    let response = client.request(&request);
    assert_eq!(response.items.len(), 1);
    assert_eq!(response.items[0].result_reason, Some(ResultReason::INVALID_MESSAGE));
}
