//! The KMIP XML and JSON encodings, as the OASIS profiles write them, converted to and from
//! the same [`ttlv::Item`] tree as the binary encoding.
//!
//! > KMIP Profiles 2.1 §5.4 (XML) and §5.5 (JSON): each TTLV item becomes an element or object
//! > carrying its tag name, its type name and its value; enumerations are written by name,
//! > masks as the names of their bits, byte strings in hex, and date-times in ISO 8601.
//!
//! Names come from the registry in [`ttlv::dict`]. The value of a KMIP 1.x Attribute Value
//! depends on its sibling Attribute Name, and a 2.x Attribute Reference names a tag; both are
//! handled here, in [`values`], for both encodings.
//!
//! Test vectors carry placeholders such as `$NOW` and `$UNIQUE_IDENTIFIER_0`; a caller-supplied
//! [`Placeholders`] turns them into values. No I/O here either.

#![warn(missing_docs)]

mod json;
mod values;
mod xml;

pub use json::{from_json, to_json};
pub use xml::{from_xml, from_xml_document, to_xml};

use ttlv::{ItemType, Value};

/// Why a text message does not convert.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TextError {
    /// The XML is not well formed.
    #[error("XML syntax: {0}")]
    Xml(String),
    /// The JSON is not well formed or not shaped as the profile says.
    #[error("JSON: {0}")]
    Json(String),
    /// A tag name that the registry does not know and that is not a hex tag.
    #[error("unknown tag name {0:?}")]
    UnknownTag(String),
    /// A type name that is not one of the TTLV item types.
    #[error("unknown type {0:?} for {1}")]
    UnknownType(String, String),
    /// A value that does not parse as its type.
    #[error("bad {item_type} value {value:?} for {tag}")]
    BadValue {
        /// The item's tag name.
        tag: String,
        /// The item's type name.
        item_type: &'static str,
        /// The text that did not parse.
        value: String,
    },
    /// A placeholder that the [`Placeholders`] could not resolve.
    #[error("unresolved placeholder {0:?}")]
    Placeholder(String),
}

/// Resolves the placeholders (`$NOW`, `$UNIQUE_IDENTIFIER_3`, ...) of test vectors.
pub trait Placeholders {
    /// The value to put where `text` (which starts with `$`) stands for an item of this type.
    /// `None` leaves a Text String as written and fails any other type.
    fn resolve(&mut self, text: &str, item_type: ItemType) -> Option<Value>;
}

/// Accepts no placeholders: every `$` value is taken literally, or fails.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoPlaceholders;

impl Placeholders for NoPlaceholders {
    fn resolve(&mut self, _: &str, _: ItemType) -> Option<Value> {
        None
    }
}

/// Entry points for the fuzz targets, kept in the library so that unit tests run the same
/// code on the corpus seeds.
#[doc(hidden)]
pub mod __fuzz {
    use crate::{NoPlaceholders, from_json, from_xml, to_json, to_xml};

    /// XML parsing never panics, and what parses survives to_xml → from_xml unchanged.
    pub fn xml(data: &[u8]) {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        if let Ok(item) = from_xml(text, &mut NoPlaceholders) {
            let again = from_xml(&to_xml(&item), &mut NoPlaceholders).expect("our own XML parses");
            assert_eq!(again, item);
        }
    }

    /// JSON parsing never panics, and what parses survives to_json → from_json unchanged.
    pub fn json(data: &[u8]) {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        if let Ok(item) = from_json(text, &mut NoPlaceholders) {
            let again = from_json(&to_json(&item), &mut NoPlaceholders).expect("our own JSON parses");
            assert_eq!(again, item);
        }
    }
}
