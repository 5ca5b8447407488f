//! The owned item tree: what the text encodings, the conformance runner and the fuzzers work
//! on. The typed message model decodes from [`crate::Reader`] directly and never builds it.

use crate::{ItemType, Tag};

/// One TTLV item: a tag and a typed value.
///
/// `Debug` prints the redacted rendering of [`crate::diag`]: byte strings and big integers
/// (key material) never appear in it.
#[derive(Clone, PartialEq, Eq)]
pub struct Item {
    /// The item's tag.
    pub tag: Tag,
    /// The item's value; its variant is the item type.
    pub value: Value,
}

/// A TTLV value, one variant per item type.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Value {
    /// Child items, in order.
    Structure(Vec<Item>),
    /// A 32-bit signed integer (also the carrier of masks).
    Integer(i32),
    /// A 64-bit signed integer.
    LongInteger(i64),
    /// An arbitrary-precision integer, as its wire bytes.
    BigInteger(BigInt),
    /// A 32-bit enumeration value.
    Enumeration(u32),
    /// A boolean.
    Boolean(bool),
    /// UTF-8 text.
    TextString(String),
    /// Raw bytes.
    ByteString(Vec<u8>),
    /// Seconds since the Unix epoch.
    DateTime(i64),
    /// A number of seconds.
    Interval(u32),
    /// Microseconds since the Unix epoch (KMIP 2.0 and later).
    DateTimeExtended(i64),
}

impl Item {
    /// An item.
    pub fn new(tag: Tag, value: Value) -> Self {
        Item { tag, value }
    }

    /// A Structure item.
    pub fn structure(tag: Tag, children: Vec<Item>) -> Self {
        Item::new(tag, Value::Structure(children))
    }

    /// The children of a Structure; empty for any other type.
    pub fn children(&self) -> &[Item] {
        match &self.value {
            Value::Structure(children) => children,
            _ => &[],
        }
    }

    /// The first child with this tag.
    pub fn child(&self, tag: Tag) -> Option<&Item> {
        self.children().iter().find(|c| c.tag == tag)
    }
}

impl Value {
    /// The item type of this value.
    pub fn item_type(&self) -> ItemType {
        match self {
            Value::Structure(_) => ItemType::Structure,
            Value::Integer(_) => ItemType::Integer,
            Value::LongInteger(_) => ItemType::LongInteger,
            Value::BigInteger(_) => ItemType::BigInteger,
            Value::Enumeration(_) => ItemType::Enumeration,
            Value::Boolean(_) => ItemType::Boolean,
            Value::TextString(_) => ItemType::TextString,
            Value::ByteString(_) => ItemType::ByteString,
            Value::DateTime(_) => ItemType::DateTime,
            Value::Interval(_) => ItemType::Interval,
            Value::DateTimeExtended(_) => ItemType::DateTimeExtended,
        }
    }
}

/// A Big Integer, kept as its two's complement big-endian wire bytes.
///
/// > KMIP 1.4 §9.1.1.4: "Big Integers are padded with leading sign-extended bytes (which are
/// > included in the length) so that the length is a multiple of 8 bytes."
///
/// The decoder keeps a peer's bytes exactly, extra sign bytes included, so that re-encoding
/// gives back the same wire bytes; the constructors produce the shortest valid form.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct BigInt(Vec<u8>);

impl zeroize::Zeroize for BigInt {
    /// Wipes the digits (a Big Integer may be a private exponent) and leaves zero.
    fn zeroize(&mut self) {
        self.0.zeroize();
        self.0.clear();
    }
}

impl BigInt {
    /// From two's complement big-endian bytes of any length; sign-extends them to a multiple of 8.
    pub fn from_signed_bytes_be(bytes: &[u8]) -> Self {
        let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
        let len = bytes.len().max(1).div_ceil(8) * 8;
        let mut out = vec![if negative { 0xFF } else { 0x00 }; len - bytes.len()];
        out.extend_from_slice(bytes);
        BigInt(out)
    }

    /// The wire bytes: two's complement, big-endian, a multiple of 8 long.
    pub fn as_bytes(&self) -> &[u8] {
        if self.0.is_empty() { &[0; 8] } else { &self.0 }
    }

    /// The magnitude as unsigned big-endian bytes with leading zeros removed, for
    /// non-negative values (RSA moduli and exponents); `None` when negative.
    pub fn to_unsigned_be(&self) -> Option<&[u8]> {
        let bytes = self.as_bytes();
        if bytes[0] & 0x80 != 0 {
            return None;
        }
        let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
        Some(&bytes[start..])
    }

    /// From an unsigned big-endian magnitude (leading zeros allowed).
    pub fn from_unsigned_be(magnitude: &[u8]) -> Self {
        let start = magnitude.iter().position(|b| *b != 0).unwrap_or(magnitude.len());
        let digits = &magnitude[start..];
        let mut bytes = Vec::with_capacity(digits.len() + 1);
        if digits.first().is_none_or(|b| b & 0x80 != 0) {
            bytes.push(0);
        }
        bytes.extend_from_slice(digits);
        Self::from_signed_bytes_be(&bytes)
    }
}
