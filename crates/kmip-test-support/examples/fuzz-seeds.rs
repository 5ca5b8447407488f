//! Writes the fuzz corpus seeds from the shared vectors: every profile test case message as
//! TTLV (for `ttlv_roundtrip`, and the requests for `request_decode` and `request_path`), as
//! XML (`xml_decode`) and as JSON (`json_decode`), plus the raw TTLV vectors; and the side
//! API's seed bodies (`side_api`).
//!
//! `cargo run -p kmip-test-support --example fuzz-seeds -- fuzz/corpus`

use std::path::PathBuf;

use kmip_test_support::{case_name, load_case, profile_files, vectors_dir};
use ttlv::{Tag, encode_item};

fn main() -> std::io::Result<()> {
    let out = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "fuzz/corpus".into()));
    let targets = ["ttlv_roundtrip", "request_decode", "request_path", "xml_decode", "json_decode", "side_api"];
    for t in targets {
        std::fs::create_dir_all(out.join(t))?;
    }
    let mut count = 0;
    for path in profile_files() {
        for (i, item) in load_case(&path).into_iter().enumerate() {
            let name = format!("{}-{i}", case_name(&path));
            let bytes = encode_item(&item);
            std::fs::write(out.join("ttlv_roundtrip").join(&name), &bytes)?;
            if item.tag == Tag::REQUEST_MESSAGE {
                std::fs::write(out.join("request_decode").join(&name), &bytes)?;
                std::fs::write(out.join("request_path").join(&name), &bytes)?;
            }
            std::fs::write(out.join("xml_decode").join(&name), kmip_text::to_xml(&item))?;
            std::fs::write(out.join("json_decode").join(&name), kmip_text::to_json(&item))?;
            count += 1;
        }
    }
    for file in std::fs::read_dir(vectors_dir().join("ttlv"))? {
        let path = file?.path();
        let text = std::fs::read_to_string(&path)?;
        for (i, hex) in text.match_indices("\"wire_hex\": \"").enumerate() {
            let rest = &text[hex.0 + hex.1.len()..];
            let end = rest.find('"').unwrap_or(0);
            if let Ok(bytes) = hex::decode(&rest[..end]) {
                std::fs::write(out.join("ttlv_roundtrip").join(format!("{}-{i}", case_name(&path))), bytes)?;
            }
        }
    }
    for (i, (route, body)) in kmip_server::__fuzz::SEEDS.iter().enumerate() {
        std::fs::write(out.join("side_api").join(format!("seed-{i}")), [&[*route][..], body.as_bytes()].concat())?;
    }
    println!("wrote seeds for {count} messages into {}", out.display());
    Ok(())
}
