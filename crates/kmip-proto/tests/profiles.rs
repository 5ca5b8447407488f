//! Every request and response of every OASIS profile test case decodes into the typed message
//! model, and encodes back to exactly the same bytes.

use kmip_proto::{RequestMessage, RequestPayload, ResponseMessage, ResponsePayload};
use kmip_test_support::{case_name, load_case, profile_files};
use ttlv::{Limits, Tag, encode_item};

#[test]
fn every_profile_message_decodes_into_the_typed_model() {
    let files = profile_files();
    let (mut requests, mut responses, mut identical) = (0, 0, 0);
    let (mut typed, mut untyped) = (0, 0);
    let mut misses = Vec::new();
    let mut changed = Vec::new();
    for path in &files {
        for (i, item) in load_case(path).into_iter().enumerate() {
            let name = format!("{} message {i}", case_name(path));
            let bytes = encode_item(&item);
            // The fuzz targets' logic, on the same seeds the corpus starts from.
            assert!(ttlv::__fuzz::roundtrip(&bytes), "{name}");
            if item.tag == Tag::REQUEST_MESSAGE {
                assert!(kmip_proto::__fuzz::request(&bytes), "{name}");
            }
            let again = match item.tag {
                Tag::REQUEST_MESSAGE => {
                    requests += 1;
                    RequestMessage::from_ttlv(&bytes, &Limits::default()).map(|m| {
                        for item in &m.items {
                            match item.payload {
                                RequestPayload::Other(_) => untyped += 1,
                                _ => typed += 1,
                            }
                        }
                        m.to_ttlv()
                    })
                }
                Tag::RESPONSE_MESSAGE => {
                    responses += 1;
                    ResponseMessage::from_ttlv(&bytes, &Limits::default()).map(|m| {
                        for item in &m.items {
                            match item.payload {
                                Some(ResponsePayload::Other(_)) => untyped += 1,
                                Some(_) => typed += 1,
                                None => {}
                            }
                        }
                        m.to_ttlv()
                    })
                }
                other => panic!("{name}: top-level {other:?}"),
            };
            match again {
                Ok(again) if again == bytes => identical += 1,
                Ok(_) => changed.push(name),
                Err(e) => misses.push(format!("{name}: {e}")),
            }
        }
    }
    println!(
        "typed model: {} files, {requests} requests, {responses} responses, {} failed to decode, {identical} re-encode byte for byte",
        files.len(),
        misses.len()
    );
    println!("payloads: {typed} typed, {untyped} carried whole (operations this model does not type)");
    assert!(misses.is_empty(), "{misses:#?}");
    assert!(changed.is_empty(), "re-encoded differently: {changed:#?}");
}
