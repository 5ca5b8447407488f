//! KMIP TTLV: the binary Tag-Type-Length-Value encoding of every KMIP message.
//!
//! This crate owns the item model ([`Item`], [`Value`]), strict and bounded decoding
//! ([`Reader`], [`decode_item`], [`Limits`]), encoding ([`Writer`]), the registry of tag and
//! enumeration names ([`dict`]), and a redacted rendering for logs ([`diag`]).
//!
//! It does **not** send or receive anything: no sockets, no async, no files. Transports read
//! the 8-byte header, check it with [`message_len`], read the body, and hand the bytes here.
//!
//! > KMIP 2.1 §9.1: "The TTLV encoding ... is a byte-oriented encoding in which each data item
//! > is a Tag, a Type, a Length and a Value."

#![warn(missing_docs)]

mod decode;
pub mod diag;
pub mod dict;
mod encode;
mod error;
mod item;
mod tag;

pub use decode::{DecodeContext, Field, HEADER_LEN, Limits, RawValue, Reader, decode_item, message_len};
pub use encode::{OpenStructure, Writer, encode_item};
pub use error::{DecodeError, DecodeErrorKind};
pub use item::{BigInt, Item, Value};
pub use tag::{ItemType, Tag};

/// Entry points for the fuzz targets, kept in the library so that unit tests run the same
/// code on the corpus seeds.
#[doc(hidden)]
pub mod __fuzz {
    use crate::{Limits, decode_item, encode_item};

    /// Decode → encode → decode. The decoder is strict (no padding or length freedom), so a
    /// message it accepts has exactly one encoding: re-encoding must give the input back.
    ///
    /// Panics when the property fails; returns whether the input decoded.
    pub fn roundtrip(data: &[u8]) -> bool {
        let limits = Limits::default();
        let Ok(item) = decode_item(data, &limits) else {
            return false;
        };
        let bytes = encode_item(&item);
        assert_eq!(bytes, data, "re-encoding changed the bytes of {item:?}");
        let again = decode_item(&bytes, &limits);
        assert_eq!(again.as_ref(), Ok(&item), "second decode differs");
        true
    }
}
