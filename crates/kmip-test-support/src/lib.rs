//! Test-only support: where the shared KMIP vectors live, how to list the OASIS profile test
//! cases, and how to stand in for their placeholders. Used only as a dev-dependency.

#![warn(missing_docs)]

pub mod conformance;
mod kmipd;
pub mod postgres;

pub use kmipd::{Client, Kmipd, certs, client_config, config_with, kmipd_beside, message, repo_root};

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use kmip_text::Placeholders;
use ttlv::{ItemType, Value};

/// `shared/kmip-vectors`: `$KMIP_VECTORS` if set, else beside the repository.
pub fn vectors_dir() -> PathBuf {
    std::env::var_os("KMIP_VECTORS")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/kmip-vectors"), PathBuf::from)
}

/// Every profile test case file (`*.xml`) under `v1.4/profiles` and `v2.1/profiles`, sorted.
pub fn profile_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for version in ["v1.4", "v2.1"] {
        collect_xml(&vectors_dir().join(version).join("profiles"), &mut files);
    }
    files.sort();
    assert!(!files.is_empty(), "no profile vectors under {}", vectors_dir().display());
    files
}

fn collect_xml(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_xml(&path, out);
        } else if path.extension().is_some_and(|e| e == "xml") {
            out.push(path);
        }
    }
}

/// The profile case name of a file: `SKLC-M-1-14`.
pub fn case_name(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Stands in for placeholders with fixed, distinct values, so that a test case converts to
/// TTLV deterministically: `$NOW` is a fixed instant (offsets apply), and byte-string
/// placeholders get distinct bytes of their own. Text placeholders (`$UNIQUE_IDENTIFIER_0`) stay
/// as written.
#[derive(Debug, Default)]
pub struct FixedPlaceholders {
    bytes: HashMap<String, Vec<u8>>,
}

/// The instant `$NOW` stands for here: 2026-01-01T00:00:00Z.
pub const FIXED_NOW: i64 = 1_767_225_600;

impl Placeholders for FixedPlaceholders {
    fn resolve(&mut self, text: &str, item_type: ItemType) -> Option<Value> {
        match item_type {
            ItemType::DateTime => {
                let offset = text.strip_prefix("$NOW")?;
                let offset: i64 = if offset.is_empty() { 0 } else { offset.parse().ok()? };
                Some(Value::DateTime(FIXED_NOW + offset))
            }
            ItemType::ByteString => {
                let n = self.bytes.len() as u8;
                let bytes = self.bytes.entry(text.to_owned()).or_insert_with(|| vec![n; 16]);
                Some(Value::ByteString(bytes.clone()))
            }
            _ => None,
        }
    }
}

/// The messages of one test case file, in order, with placeholders fixed.
pub fn load_case(path: &Path) -> Vec<ttlv::Item> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    kmip_text::from_xml_document(&text, &mut FixedPlaceholders::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
