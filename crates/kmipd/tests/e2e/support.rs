//! Payload builders the tests share.

use kmip_proto::dict::{CryptographicAlgorithm, NameType, ObjectType, Operation, ResultStatus};
use kmip_proto::payload::{CreateRequest, UidRequest};
use kmip_proto::{Attribute, Attributes, ProtocolVersion, RequestPayload, ResponseBatchItem, ResponsePayload};
use kmip_test_support::{Client, Kmipd};
use ttlv::{Item, Tag, Value};

pub(crate) fn kmipd(dir: &tempfile::TempDir) -> Kmipd {
    Kmipd::spawn(env!("CARGO_BIN_EXE_kmipd"), dir.path())
}

pub(crate) fn name(value: &str) -> Attribute {
    Attribute::from_item(Item::structure(
        Tag::NAME,
        vec![
            Item::new(Tag::NAME_VALUE, Value::TextString(value.into())),
            Item::new(Tag::NAME_TYPE, Value::Enumeration(NameType::UNINTERPRETED_TEXT_STRING.0)),
        ],
    ))
}

pub(crate) fn create_aes(name_value: &str) -> RequestPayload {
    RequestPayload::Create(CreateRequest {
        object_type: ObjectType::SYMMETRIC_KEY,
        attributes: Attributes {
            list: vec![
                Attribute::new(Tag::CRYPTOGRAPHIC_ALGORITHM, Value::Enumeration(CryptographicAlgorithm::AES.0)),
                Attribute::new(Tag::CRYPTOGRAPHIC_LENGTH, Value::Integer(256)),
                Attribute::new(Tag::CRYPTOGRAPHIC_USAGE_MASK, Value::Integer(0x0C)),
                name(name_value),
            ],
            template_names: Vec::new(),
        },
        protection_storage_masks: None,
    })
}

pub(crate) fn uid_request(uid: &str) -> UidRequest {
    UidRequest { unique_identifier: Some(uid.into()) }
}

pub(crate) fn ok(item: ResponseBatchItem) -> ResponsePayload {
    assert_eq!(item.result_status, ResultStatus::SUCCESS, "{:?}: {:?}", item.result_reason, item.result_message);
    item.payload.expect("a payload")
}

/// Creates an AES-256 key and returns its identifier.
pub(crate) fn create_key(client: &mut Client, version: ProtocolVersion, name_value: &str) -> String {
    match ok(client.call(version, Operation::CREATE, create_aes(name_value))) {
        ResponsePayload::Create(r) => r.unique_identifier,
        other => panic!("not a Create response: {other:?}"),
    }
}

/// The raw bytes of a symmetric key.
pub(crate) fn key_bytes(client: &mut Client, version: ProtocolVersion, uid: &str) -> Vec<u8> {
    let get = kmip_proto::payload::GetRequest {
        unique_identifier: Some(uid.into()),
        key_format_type: None,
        key_wrap_type: None,
        key_compression_type: None,
        key_wrapping_specification: None,
    };
    match ok(client.call(version, Operation::GET, RequestPayload::Get(get))) {
        ResponsePayload::Get(r) => match r.object.key_block().and_then(|b| b.key_value.clone()) {
            Some(kmip_proto::KeyValue::Plain { material: kmip_proto::KeyMaterial::Bytes(b), .. }) => {
                b.secret_bytes().to_vec()
            }
            other => panic!("no raw key bytes: {other:?}"),
        },
        other => panic!("not a Get response: {other:?}"),
    }
}
