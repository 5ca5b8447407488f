//! TTLV decode and encode of the spec's example message (MSGENC-HTTPS-M-1-21, a 152-byte
//! Query request) and its 904-byte response: the zero-copy walk, the owned tree, and
//! encoding.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ttlv::{DecodeContext, DecodeError, Limits, RawValue, Reader, decode_item, encode_item};

/// Visits every item without building anything: the cost of validation alone.
fn walk(reader: &mut Reader<'_>) -> Result<usize, DecodeError> {
    let mut n = 0;
    while let Some(field) = reader.next_field()? {
        n += 1;
        if let RawValue::Structure(mut inner) = field.value {
            n += walk(&mut inner)?;
        }
    }
    Ok(n)
}

fn vector(id: &str) -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/kmip-vectors/ttlv/msgenc-https-m-1-21-wire.json");
    let text = std::fs::read_to_string(path).expect("vector file");
    let json: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let message = json["messages"].as_array().expect("messages").iter().find(|m| m["id"] == id).expect("message");
    hex::decode(message["wire_hex"].as_str().expect("hex")).expect("hex")
}

fn bench(c: &mut Criterion) {
    let limits = Limits::default();
    for (name, bytes) in [("query_request_152B", vector("req-1")), ("query_response_904B", vector("resp-1"))] {
        c.bench_function(&format!("walk/{name}"), |b| {
            b.iter(|| {
                let ctx = DecodeContext::new(limits);
                walk(&mut ctx.reader(black_box(&bytes)).expect("size")).expect("valid")
            })
        });
        c.bench_function(&format!("decode_item/{name}"), |b| {
            b.iter(|| decode_item(black_box(&bytes), &limits).expect("valid"))
        });
        let item = decode_item(&bytes, &limits).expect("valid");
        c.bench_function(&format!("encode_item/{name}"), |b| b.iter(|| encode_item(black_box(&item))));
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
