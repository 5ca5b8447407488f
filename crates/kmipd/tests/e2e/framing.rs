//! Framing: garbage costs its sender the connection, never the server; a request that frames
//! always gets a KMIP response.

use kmip_proto::dict::{Operation, ResultReason};
use kmip_proto::payload::DiscoverVersionsRequest;
use kmip_proto::{ProtocolVersion, RequestPayload, ResponseMessage};
use ttlv::Limits;

use crate::support::{kmipd, ok};

fn still_serving(server: &kmip_test_support::Kmipd) {
    let mut client = server.client("client2");
    ok(client.call(
        ProtocolVersion::V1_4,
        Operation::DISCOVER_VERSIONS,
        RequestPayload::DiscoverVersions(DiscoverVersionsRequest { versions: Vec::new() }),
    ));
}

#[test]
fn garbage_closes_only_its_own_connection() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = kmipd(&dir);
    let cases: [&[u8]; 3] = [
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        // A Request Message claiming 2 GiB.
        &[0x42, 0x00, 0x78, 0x01, 0x80, 0x00, 0x00, 0x00],
        // Not a Structure.
        &[0x42, 0x00, 0x78, 0x02, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 0],
    ];
    for garbage in cases {
        let mut client = server.client("client");
        client.send_raw(garbage).expect("sent");
        assert!(client.read_message().is_err(), "the server closes a connection that sent {garbage:?}");
        still_serving(&server);
    }
}

#[test]
fn a_framed_request_with_a_bad_body_gets_a_kmip_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = kmipd(&dir);
    let mut client = server.client("client");
    // A Request Message holding one Integer with a wrong length: frames, does not decode.
    let bytes = [0x42, 0x00, 0x78, 0x01, 0, 0, 0, 0x10, 0x42, 0x00, 0x0D, 0x02, 0, 0, 0, 0x08, 0, 0, 0, 0, 0, 0, 0, 1];
    let response = client.round_trip(&bytes).expect("a response");
    let response = ResponseMessage::from_ttlv(&response, &Limits::default()).expect("decodes");
    assert_eq!(response.items[0].result_reason, Some(ResultReason::INVALID_MESSAGE));
    // The same connection goes on.
    ok(client.call(
        ProtocolVersion::V1_4,
        Operation::DISCOVER_VERSIONS,
        RequestPayload::DiscoverVersions(DiscoverVersionsRequest { versions: Vec::new() }),
    ));
}
