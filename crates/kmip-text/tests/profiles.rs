//! Every request and response of every OASIS profile test case converts
//! XML → items → TTLV → items → XML → items, and items → JSON → items, with nothing lost.

use kmip_test_support::{FixedPlaceholders, case_name, load_case, profile_files};
use kmip_text::{NoPlaceholders, from_json, from_xml, to_json, to_xml};
use ttlv::{Limits, decode_item, encode_item};

#[test]
fn every_profile_message_round_trips_through_ttlv_xml_and_json() {
    let files = profile_files();
    let mut messages = 0;
    let mut misses = Vec::new();
    for path in &files {
        for (i, item) in load_case(path).into_iter().enumerate() {
            messages += 1;
            let name = format!("{} message {i}", case_name(path));
            let bytes = encode_item(&item);
            // The fuzz targets' logic, on the same seeds the corpus starts from.
            kmip_text::__fuzz::xml(to_xml(&item).as_bytes());
            kmip_text::__fuzz::json(to_json(&item).as_bytes());
            match decode_item(&bytes, &Limits::default()) {
                Ok(back) if back == item => {}
                Ok(_) => misses.push(format!("{name}: TTLV round trip changed the items")),
                Err(e) => misses.push(format!("{name}: TTLV: {e}")),
            }
            match from_xml(&to_xml(&item), &mut NoPlaceholders) {
                Ok(back) if back == item => {}
                Ok(_) => misses.push(format!("{name}: XML round trip changed the items")),
                Err(e) => misses.push(format!("{name}: XML: {e}")),
            }
            match from_json(&to_json(&item), &mut FixedPlaceholders::default()) {
                Ok(back) if back == item => {}
                Ok(_) => misses.push(format!("{name}: JSON round trip changed the items")),
                Err(e) => misses.push(format!("{name}: JSON: {e}")),
            }
        }
    }
    println!("profile vectors: {} files, {messages} messages, {} misses", files.len(), misses.len());
    assert!(misses.is_empty(), "{misses:#?}");
    assert!(files.len() >= 160 && messages >= 1000, "too few vectors found");
}
