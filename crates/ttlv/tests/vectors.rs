//! Every vector in `shared/kmip-vectors/ttlv/*.json`: decoding gives the stated value,
//! encoding the value gives exactly the bytes, and each malformed case gives its error.

use std::path::PathBuf;

use num_bigint::BigInt as Num;
use serde_json::Value as Json;
use ttlv::{BigInt, DecodeErrorKind, Item, ItemType, Limits, Tag, Value, decode_item, encode_item};

fn vectors_dir() -> PathBuf {
    std::env::var_os("KMIP_VECTORS")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/kmip-vectors"), PathBuf::from)
}

fn load(name: &str) -> Json {
    let path = vectors_dir().join("ttlv").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("vector file is JSON")
}

fn bytes_of(v: &Json) -> Vec<u8> {
    hex::decode(v["wire_hex"].as_str().expect("wire_hex")).expect("hex")
}

/// Builds the value that a vector's `decoded_value` states, for the item type the bytes carry.
fn value_from_json(item_type: ItemType, stated: &Json) -> Value {
    match item_type {
        ItemType::Integer => Value::Integer(stated.as_i64().expect("int") as i32),
        ItemType::LongInteger => Value::LongInteger(stated.as_i64().expect("long")),
        ItemType::BigInteger => {
            let n: Num = stated.as_str().expect("decimal string").parse().expect("decimal");
            Value::BigInteger(BigInt::from_signed_bytes_be(&n.to_signed_bytes_be()))
        }
        ItemType::Enumeration => Value::Enumeration(stated.as_u64().expect("enum") as u32),
        ItemType::Boolean => Value::Boolean(stated.as_bool().expect("bool")),
        ItemType::TextString => Value::TextString(stated.as_str().expect("text").to_owned()),
        ItemType::ByteString => Value::ByteString(hex::decode(stated.as_str().expect("hex")).expect("hex")),
        ItemType::DateTime => Value::DateTime(stated.as_i64().expect("date-time")),
        ItemType::Interval => Value::Interval(stated.as_u64().expect("interval") as u32),
        ItemType::DateTimeExtended => Value::DateTimeExtended(stated.as_i64().expect("micros")),
        ItemType::Structure => Value::Structure(
            stated
                .as_array()
                .expect("children")
                .iter()
                .map(|c| {
                    let tag = u32::from_str_radix(c["tag"].as_str().expect("tag").trim_start_matches("0x"), 16);
                    let t = ItemType::from_name(c["type"].as_str().expect("type")).expect("known type");
                    Item::new(Tag(tag.expect("hex tag")), value_from_json(t, &c["value"]))
                })
                .collect(),
        ),
        _ => unreachable!("no other item types in the vectors"),
    }
}

fn check_valid(v: &Json) {
    let id = v["id"].as_str().unwrap_or("?");
    let bytes = bytes_of(v);
    let item = decode_item(&bytes, &Limits::default()).unwrap_or_else(|e| panic!("{id}: {e}"));
    assert_eq!(encode_item(&item), bytes, "{id}: re-encoding differs");
    if let Some(tag) = v["tag"].as_str() {
        assert_eq!(item.tag.0, u32::from_str_radix(&tag[2..], 16).expect("hex"), "{id}: tag");
    }
    let stated = &v["decoded_value"];
    if stated.is_null() {
        return; // only the round trip is stated
    }
    let expected = Item::new(item.tag, value_from_json(item.value.item_type(), stated));
    assert_eq!(item, expected, "{id}: decoded value");
    assert_eq!(encode_item(&expected), bytes, "{id}: encoding the stated value");
}

#[test]
fn spec_examples_decode_and_encode_exactly() {
    let file = load("spec-9.1.2-examples.json");
    let vectors = file["vectors"].as_array().expect("vectors");
    for v in vectors {
        let t = ItemType::from_name(v["type"].as_str().expect("type")).expect("known type");
        let item = decode_item(&bytes_of(v), &Limits::default()).expect("decodes");
        assert_eq!(item.value.item_type(), t, "{}", v["id"]);
        check_valid(v);
    }
    assert_eq!(vectors.len(), 10);
}

#[test]
fn constructed_valid_cases_round_trip() {
    let file = load("constructed-edge-cases.json");
    for v in file["valid"].as_array().expect("valid") {
        check_valid(v);
    }
}

#[test]
fn constructed_invalid_cases_fail_with_the_stated_error() {
    let file = load("constructed-edge-cases.json");
    for v in file["invalid"].as_array().expect("invalid") {
        let id = v["id"].as_str().expect("id");
        let err = decode_item(&bytes_of(v), &Limits::default()).expect_err(id);
        let reference = v["reference_decoder_error"].as_str().expect("reference");
        let matches = match err.kind {
            DecodeErrorKind::BadTag(_) => reference.starts_with("bad tag"),
            DecodeErrorKind::BadType(_) => reference.starts_with("bad type"),
            DecodeErrorKind::BadLength { .. } => reference.starts_with("bad length"),
            DecodeErrorKind::BadBoolean => reference.starts_with("bad boolean"),
            DecodeErrorKind::NonZeroPadding => reference.starts_with("nonzero padding"),
            DecodeErrorKind::Truncated { .. } => reference.starts_with("overrun"),
            DecodeErrorKind::LengthNotMultipleOf8 { .. } => reference.starts_with("length not multiple of 8"),
            _ => false,
        };
        assert!(matches, "{id}: got `{err}`, reference says `{reference}`");
        assert_eq!(err.offset, 0, "{id}: offset");
    }
}

#[test]
fn msgenc_https_wire_messages_round_trip() {
    let file = load("msgenc-https-m-1-21-wire.json");
    for m in file["messages"].as_array().expect("messages") {
        let bytes = bytes_of(m);
        assert_eq!(bytes.len() as u64, m["length"].as_u64().expect("length"), "{}", m["id"]);
        check_valid(m);
    }
}

#[test]
fn errors_name_the_offset_and_tag_path() {
    // RequestMessage { RequestHeader { BatchCount: Integer with length 8 } }
    let bytes = hex::decode(concat!(
        "42007801",
        "00000018",
        "42007701",
        "00000010",
        "42000d02",
        "00000008",
        "0000000000000001"
    ))
    .expect("hex");
    let err = decode_item(&bytes, &Limits::default()).expect_err("bad length");
    assert_eq!(err.offset, 16);
    assert_eq!(err.path, [Tag::REQUEST_MESSAGE, Tag::REQUEST_HEADER, Tag::BATCH_COUNT]);
    assert_eq!(err.to_string(), "bad length 8 for Integer at byte 16 under RequestMessage/RequestHeader/BatchCount");
}
