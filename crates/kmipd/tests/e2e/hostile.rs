//! Hostile input: each case gets the right KMIP error or a clean close, within the server's
//! timeouts, and afterwards the server still serves other clients.

use std::time::{Duration, Instant};

use kmip_proto::dict::{Operation, ResultReason};
use kmip_proto::payload::DiscoverVersionsRequest;
use kmip_proto::{ProtocolVersion, RequestPayload, ResponseMessage};
use kmip_test_support::{Kmipd, config_with};
use ttlv::{Item, Limits, Tag, Value, encode_item};

use crate::support::ok;

/// A kmipd whose read timeout is one second, so that slow and short requests end quickly,
/// with `caps` added to its `[limits]`.
fn server(dir: &tempfile::TempDir, caps: &str) -> Kmipd {
    let limits = format!(
        "[limits]\nmax_message_size = 1048576\nmax_connections = 64\nhandshake_timeout_ms = 2000\n\
         idle_timeout_ms = 5000\nread_timeout_ms = 1000\n{caps}\n"
    );
    let config = dir.path().join("kmipd.toml");
    std::fs::write(&config, config_with(&[("[limits]", &limits)])).expect("config");
    Kmipd::spawn_config(env!("CARGO_BIN_EXE_kmipd"), &config, &dir.path().join("data"), &[])
}

fn still_serving(server: &Kmipd) {
    let mut client = server.client("client2");
    ok(client.call(
        ProtocolVersion::V1_4,
        Operation::DISCOVER_VERSIONS,
        RequestPayload::DiscoverVersions(DiscoverVersionsRequest { versions: Vec::new() }),
    ));
}

fn integer(tag: Tag, v: i32) -> Item {
    Item::new(tag, Value::Integer(v))
}

/// A 1.4 request message with these batch items and this Batch Count.
fn message(batch_count: i32, items: Vec<Item>) -> Item {
    let header = Item::structure(
        Tag::REQUEST_HEADER,
        vec![
            Item::structure(
                Tag::PROTOCOL_VERSION,
                vec![integer(Tag::PROTOCOL_VERSION_MAJOR, 1), integer(Tag::PROTOCOL_VERSION_MINOR, 4)],
            ),
            integer(Tag::BATCH_COUNT, batch_count),
        ],
    );
    Item::structure(Tag::REQUEST_MESSAGE, [vec![header], items].concat())
}

fn batch_item(operation: u32, payload: Vec<Item>) -> Item {
    Item::structure(
        Tag::BATCH_ITEM,
        vec![Item::new(Tag::OPERATION, Value::Enumeration(operation)), Item::structure(Tag::REQUEST_PAYLOAD, payload)],
    )
}

fn get(uid: &str) -> Item {
    batch_item(Operation::GET.0, vec![Item::new(Tag::UNIQUE_IDENTIFIER, Value::TextString(uid.into()))])
}

/// Sends `bytes` and returns the first item's Result Reason, or `None` when the server closed
/// the connection instead; either within five seconds.
fn outcome(server: &Kmipd, bytes: &[u8]) -> Option<ResultReason> {
    let mut client = server.client("client");
    let started = Instant::now();
    client.send_raw(bytes).expect("sent");
    let answer = client.read_message();
    assert!(started.elapsed() < Duration::from_secs(5), "the server took {:?}", started.elapsed());
    let bytes = answer.ok()?;
    let response = ResponseMessage::from_ttlv(&bytes, &Limits::default()).expect("the error response decodes");
    response.items.first().and_then(|i| i.result_reason)
}

/// A TTLV item header.
fn header(tag: Tag, item_type: u8, len: usize) -> Vec<u8> {
    let tag = tag.0.to_be_bytes();
    [&tag[1..], &[item_type], &(len as u32).to_be_bytes()[..]].concat()
}

/// A Get whose payload nests `levels` structures, written byte by byte: building it as an
/// `Item` tree would recurse as deep.
fn deep_message(levels: usize) -> Vec<u8> {
    let mut payload = Vec::with_capacity(levels * 8);
    for level in 0..levels {
        payload.extend(header(Tag::REQUEST_PAYLOAD, 0x01, 8 * (levels - 1 - level)));
    }
    let operation = encode_item(&Item::new(Tag::OPERATION, Value::Enumeration(Operation::GET.0)));
    let batch_item = [header(Tag::BATCH_ITEM, 0x01, operation.len() + payload.len()), operation, payload].concat();
    let request_header = encode_item(&message(1, Vec::new()).children()[0]);
    let body = [request_header, batch_item].concat();
    [header(Tag::REQUEST_MESSAGE, 0x01, body.len()), body].concat()
}

/// `bytes` with the first occurrence of `from` replaced by `to` (same length).
fn patched(mut bytes: Vec<u8>, from: &[u8], to: &[u8]) -> Vec<u8> {
    let at = bytes.windows(from.len()).position(|w| w == from).expect("the pattern is there");
    bytes[at..at + to.len()].copy_from_slice(to);
    bytes
}

#[test]
fn hostile_inputs_get_an_error_or_a_close_and_the_server_carries_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = server(&dir, "");
    let valid = encode_item(&message(1, vec![get("abcd")]));

    // Truncated header; a message shorter than its declared length: closed by the read timeout.
    assert_eq!(outcome(&server, &valid[..5]), None, "truncated header");
    assert_eq!(outcome(&server, &valid[..valid.len() - 4]), None, "body shorter than its length");

    // An inner length running past the end, and one of 2^31: the message frames, the item
    // does not decode.
    let past_end = patched(valid.clone(), &[0x42, 0x00, 0x94, 0x07, 0, 0, 0, 4], &[0x42, 0x00, 0x94, 0x07, 0, 0, 1, 0]);
    assert_eq!(outcome(&server, &past_end), Some(ResultReason::INVALID_MESSAGE), "length past the end");
    let huge = patched(valid.clone(), &[0x42, 0x00, 0x94, 0x07, 0, 0, 0, 4], &[0x42, 0x00, 0x94, 0x07, 0x80, 0, 0, 0]);
    assert_eq!(outcome(&server, &huge), Some(ResultReason::INVALID_MESSAGE), "length 2^31");

    // Nesting 10,000 deep inside a payload: refused at the first field the payload does not
    // take, or at the depth cap, never by recursing 10,000 levels.
    assert!(
        matches!(
            outcome(&server, &deep_message(10_000)),
            Some(ResultReason::INVALID_MESSAGE | ResultReason::INVALID_FIELD)
        ),
        "10,000 deep"
    );

    // A wrong type where the header wants an Integer.
    let wrong_type = message(1, vec![get("abcd")]);
    let bytes = patched(encode_item(&wrong_type), &[0x42, 0x00, 0x0D, 0x02], &[0x42, 0x00, 0x0D, 0x05]);
    assert_eq!(outcome(&server, &bytes), Some(ResultReason::INVALID_MESSAGE), "wrong type");

    // Invalid UTF-8 in a Text String.
    let bytes = patched(valid.clone(), b"abcd", &[0xff, 0xfe, 0xc0, 0x80]);
    assert_eq!(outcome(&server, &bytes), Some(ResultReason::INVALID_MESSAGE), "invalid UTF-8: a malformed encoding");

    // A 512 KiB Big Integer where a Text String belongs.
    let big =
        Item::new(Tag::UNIQUE_IDENTIFIER, Value::BigInteger(ttlv::BigInt::from_unsigned_be(&vec![0x7f; 512 * 1024])));
    let bytes = encode_item(&message(1, vec![batch_item(Operation::GET.0, vec![big])]));
    assert_eq!(outcome(&server, &bytes), Some(ResultReason::INVALID_FIELD), "huge Big Integer");

    // Enumeration values no version defines: an object type, an operation.
    let bad_enum = batch_item(Operation::CREATE.0, vec![Item::new(Tag::OBJECT_TYPE, Value::Enumeration(0x7777))]);
    assert!(
        matches!(
            outcome(&server, &encode_item(&message(1, vec![bad_enum]))),
            Some(ResultReason::INVALID_FIELD | ResultReason::ILLEGAL_OBJECT_TYPE)
        ),
        "bad enumeration"
    );
    let unknown = batch_item(0x0012_3456, Vec::new());
    assert_eq!(
        outcome(&server, &encode_item(&message(1, vec![unknown]))),
        Some(ResultReason::OPERATION_NOT_SUPPORTED),
        "unknown operation"
    );

    // Batch Counts that lie, high and low.
    for count in [5, 0] {
        let bytes = encode_item(&message(count, vec![get("a"), get("b")]));
        assert_eq!(outcome(&server, &bytes), Some(ResultReason::INVALID_MESSAGE), "Batch Count {count}");
    }

    still_serving(&server);
}

#[test]
fn batches_attributes_and_locate_results_are_capped() {
    use crate::support::create_aes;
    use kmip_proto::payload::LocateRequest;
    let dir = tempfile::tempdir().expect("temp dir");
    let server = server(&dir, "max_batch_items = 4\nmax_attributes = 8\nmax_locate_results = 5\n");
    let mut client = server.client("client");

    let five = kmip_proto::RequestMessage::new(
        ProtocolVersion::V2_1,
        (0..5).map(|i| (Operation::CREATE, create_aes(&format!("batch-{i}")))).collect(),
    );
    let response = client.request(&five);
    assert!(response.items.iter().all(|i| i.result_reason == Some(ResultReason::INVALID_MESSAGE)), "{response:?}");

    let RequestPayload::Create(mut many) = create_aes("many") else { unreachable!() };
    for i in 0..6 {
        many.attributes.list.push(kmip_proto::Attribute::new(Tag::OBJECT_GROUP, Value::TextString(format!("g{i}"))));
    }
    let refused = client.call(ProtocolVersion::V2_1, Operation::CREATE, RequestPayload::Create(many));
    assert_eq!(refused.result_reason, Some(ResultReason::INVALID_FIELD));

    for i in 0..6 {
        ok(client.call(ProtocolVersion::V2_1, Operation::CREATE, create_aes(&format!("key-{i}"))));
    }
    let locate =
        client.call(ProtocolVersion::V2_1, Operation::LOCATE, RequestPayload::Locate(LocateRequest::default()));
    assert_eq!(locate.result_reason, Some(ResultReason::INVALID_FIELD), "more matches than the cap");
    still_serving(&server);
}

/// A connection that says nothing for the idle timeout is closed; one that pauses for less
/// between requests is served on. (The listener keeps one timer per connection and moves it
/// for each wait: this is what that timer must still do.)
#[test]
fn a_silent_connection_is_closed_after_the_idle_timeout() {
    let dir = tempfile::tempdir().expect("temp dir");
    let limits = "[limits]\nmax_message_size = 1048576\nmax_connections = 64\nhandshake_timeout_ms = 2000\n\
                  idle_timeout_ms = 800\nread_timeout_ms = 1000\n";
    let config = dir.path().join("kmipd.toml");
    std::fs::write(&config, config_with(&[("[limits]", limits)])).expect("config");
    let server = Kmipd::spawn_config(env!("CARGO_BIN_EXE_kmipd"), &config, &dir.path().join("data"), &[]);
    let discover = || RequestPayload::DiscoverVersions(DiscoverVersionsRequest { versions: Vec::new() });

    let mut client = server.client("client");
    for _ in 0..3 {
        ok(client.call(ProtocolVersion::V1_4, Operation::DISCOVER_VERSIONS, discover()));
        std::thread::sleep(Duration::from_millis(400));
    }
    let silent_since = Instant::now();
    assert!(client.read_message().is_err(), "the server closes a silent connection");
    let closed_after = silent_since.elapsed();
    assert!(
        closed_after >= Duration::from_millis(300) && closed_after < Duration::from_secs(5),
        "closed {closed_after:?} into the silence (idle timeout 800 ms, 400 ms of it already gone)"
    );
    still_serving(&server);
}
