//! A redacted rendering of items, for logs and `Debug`.
//!
//! Byte strings and big integers carry key material (key values, private exponents, wrapped
//! keys, MACs and ciphertexts), and a password is a secret too: the rendering shows their size
//! only. It is the only way an [`Item`] prints, so a stray `{:?}` cannot leak a key.

use std::fmt;

use crate::{Item, Limits, Tag, Value};

/// Text strings under these tags are secrets.
const SECRET_TEXT: [Tag; 2] = [Tag::PASSWORD, Tag::CREDENTIAL_VALUE];

/// Renders an item on one line: `RequestMessage{RequestHeader{...} ...}`.
pub fn render(item: &Item) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = write_item(&mut out, item);
    out
}

/// Renders raw message bytes: the decoded, redacted tree, or a note that they do not decode.
pub fn render_bytes(bytes: &[u8]) -> String {
    match crate::decode_item(bytes, &Limits::default()) {
        Ok(item) => render(&item),
        Err(e) => format!("<{} undecodable bytes: {e}>", bytes.len()),
    }
}

fn write_item(out: &mut impl fmt::Write, item: &Item) -> fmt::Result {
    write!(out, "{:?}", item.tag)?;
    write_value(out, item.tag, &item.value)
}

fn write_value(out: &mut impl fmt::Write, tag: Tag, value: &Value) -> fmt::Result {
    match value {
        Value::Structure(children) => {
            out.write_char('{')?;
            for (i, child) in children.iter().enumerate() {
                if i > 0 {
                    out.write_char(' ')?;
                }
                write_item(out, child)?;
            }
            out.write_char('}')
        }
        Value::Integer(v) => write!(out, "={v}"),
        Value::LongInteger(v) => write!(out, "={v}L"),
        Value::BigInteger(v) => write!(out, "=<big integer, {} bytes>", v.as_bytes().len()),
        Value::Enumeration(v) => match crate::dict::enum_kind(tag).and_then(|k| k.value_name(*v)) {
            Some(name) => write!(out, "={name}"),
            None => write!(out, "=0x{v:08X}"),
        },
        Value::Boolean(v) => write!(out, "={v}"),
        Value::TextString(_) if SECRET_TEXT.contains(&tag) => out.write_str("=<redacted>"),
        Value::TextString(v) => write!(out, "={v:?}"),
        Value::ByteString(v) => write!(out, "=<{} bytes>", v.len()),
        Value::DateTime(v) => write!(out, "=@{v}"),
        Value::Interval(v) => write!(out, "={v}s"),
        Value::DateTimeExtended(v) => write!(out, "=@{v}us"),
    }
}

impl fmt::Debug for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_item(f, self)
    }
}

/// A value alone has no tag to say whether its text is a secret, so all text is redacted.
impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.item_type().name())?;
        write_value(f, Tag::PASSWORD, self)
    }
}

impl fmt::Debug for crate::BigInt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BigInt(<{} bytes>)", self.as_bytes().len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_material_never_renders() {
        let secret = vec![0xAB; 32];
        let item = Item::structure(
            Tag::KEY_VALUE,
            vec![
                Item::new(Tag::KEY_MATERIAL, Value::ByteString(secret)),
                Item::new(Tag::PASSWORD, Value::TextString("hunter2".into())),
                Item::new(Tag::CRYPTOGRAPHIC_ALGORITHM, Value::Enumeration(3)),
            ],
        );
        let text = format!("{item:?}");
        assert!(!text.to_lowercase().contains("abab"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("KeyMaterial=<32 bytes>"), "{text}");
        assert!(text.contains("CryptographicAlgorithm=AES"), "{text}");
    }
}
