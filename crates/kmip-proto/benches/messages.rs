//! Decode and encode of typical messages through the typed model: a Get request, a Get
//! response carrying a 32-byte AES key, and a Create request with a template (1.4 and 2.1).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use kmip_proto::dict::{CryptographicAlgorithm, KeyFormatType, ObjectType, Operation};
use kmip_proto::object::KeyObject;
use kmip_proto::payload::{CreateRequest, GetRequest, GetResponse};
use kmip_proto::{
    Attribute, Attributes, DateTime, KeyBlock, KeyMaterial, KeyValue, ManagedObject, ProtocolVersion, RequestMessage,
    RequestPayload, ResponseBatchItem, ResponseHeader, ResponseMessage, ResponsePayload, SecretBytes, decode_request,
};
use ttlv::{Item, Limits, Tag, Value};

fn request(version: ProtocolVersion, operation: Operation, payload: RequestPayload) -> RequestMessage {
    kmip_test_support::message(version, vec![(operation, payload)])
}

fn get_request() -> RequestMessage {
    request(
        ProtocolVersion::V1_4,
        Operation::GET,
        RequestPayload::Get(GetRequest {
            unique_identifier: Some("e3b0c442-98fc-1c14-9afb-f4c8996fb924".into()),
            key_format_type: None,
            key_wrap_type: None,
            key_compression_type: None,
            key_wrapping_specification: None,
        }),
    )
}

fn get_response() -> ResponseMessage {
    let key = KeyBlock {
        key_format_type: KeyFormatType::RAW,
        key_compression_type: None,
        key_value: Some(KeyValue::Plain {
            material: KeyMaterial::Bytes(SecretBytes::new(vec![7; 32])),
            attributes: Vec::new(),
        }),
        cryptographic_algorithm: Some(CryptographicAlgorithm::AES),
        cryptographic_length: Some(256),
        key_wrapping_data: None,
    };
    ResponseMessage {
        header: ResponseHeader {
            protocol_version: ProtocolVersion::V1_4,
            time_stamp: DateTime(1_767_225_600),
            nonce: None,
            server_hashed_password: None,
            attestation_types: Vec::new(),
            client_correlation_value: None,
            server_correlation_value: None,
            batch_count: 1,
        },
        items: vec![ResponseBatchItem::success(
            Operation::GET,
            None,
            ResponsePayload::Get(GetResponse {
                object_type: ObjectType::SYMMETRIC_KEY,
                unique_identifier: "e3b0c442-98fc-1c14-9afb-f4c8996fb924".into(),
                object: ManagedObject::SymmetricKey(KeyObject { key_block: key }),
            }),
        )],
    }
}

fn create_request(version: ProtocolVersion) -> RequestMessage {
    let name = Item::structure(
        Tag::NAME,
        vec![
            Item::new(Tag::NAME_VALUE, Value::TextString("backup-master-key".into())),
            Item::new(Tag::NAME_TYPE, Value::Enumeration(1)),
        ],
    );
    let attributes = Attributes {
        list: vec![
            Attribute::new(Tag::CRYPTOGRAPHIC_ALGORITHM, Value::Enumeration(CryptographicAlgorithm::AES.0)),
            Attribute::new(Tag::CRYPTOGRAPHIC_LENGTH, Value::Integer(256)),
            Attribute::new(Tag::CRYPTOGRAPHIC_USAGE_MASK, Value::Integer(0x0C)),
            Attribute::from_item(name),
        ],
        template_names: Vec::new(),
    };
    request(
        version,
        Operation::CREATE,
        RequestPayload::Create(CreateRequest {
            object_type: ObjectType::SYMMETRIC_KEY,
            attributes,
            protection_storage_masks: None,
        }),
    )
}

fn bench(c: &mut Criterion) {
    let limits = Limits::default();
    let cases = [
        ("get_request_1.4", get_request().to_ttlv()),
        ("create_request_1.4", create_request(ProtocolVersion::V1_4).to_ttlv()),
        ("create_request_2.1", create_request(ProtocolVersion::V2_1).to_ttlv()),
    ];
    for (name, bytes) in &cases {
        println!("{name}: {} bytes", bytes.len());
        c.bench_function(&format!("decode_typed/{name}"), |b| {
            b.iter(|| decode_request(black_box(bytes), &limits).expect("decodes"))
        });
        let message = RequestMessage::from_ttlv(bytes, &limits).expect("decodes");
        c.bench_function(&format!("encode_typed/{name}"), |b| b.iter(|| black_box(&message).to_ttlv()));
    }
    let response = get_response().to_ttlv();
    println!("get_response_aes256_1.4: {} bytes", response.len());
    c.bench_function("decode_typed/get_response_aes256_1.4", |b| {
        b.iter(|| ResponseMessage::from_ttlv(black_box(&response), &limits).expect("decodes"))
    });
    let message = get_response();
    c.bench_function("encode_typed/get_response_aes256_1.4", |b| b.iter(|| black_box(&message).to_ttlv()));
}

criterion_group!(benches, bench);
criterion_main!(benches);
