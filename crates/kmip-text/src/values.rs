//! Values as text: the rules both encodings share for tag names, enumeration and mask names,
//! hex, and date-times.

use std::borrow::Cow;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use ttlv::dict::{EnumKind, attribute_tag, enum_kind};
use ttlv::{BigInt, ItemType, Tag, Value};

use crate::{Placeholders, TextError};

/// The tag for an element or object name: a registry name, or hex (`0x540001`) for tags the
/// registry does not know.
pub(crate) fn parse_tag(name: &str) -> Result<Tag, TextError> {
    if let Some(tag) = Tag::from_name(name) {
        return Ok(tag);
    }
    parse_hex_u32(name).map(Tag).filter(|t| t.is_valid()).ok_or_else(|| TextError::UnknownTag(name.to_owned()))
}

/// The name to write for a tag: its registry name, or `None` when it has none.
pub(crate) fn tag_hex(tag: Tag) -> String {
    format!("0x{:06X}", tag.0)
}

/// Which names an Enumeration or mask Integer is written with, at one place in a message.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Names {
    /// An enumeration or mask kind.
    Kind(EnumKind),
    /// Tag names: a KMIP 2.x Attribute Reference names an attribute by its tag.
    Tags,
    /// No names: values are written as numbers.
    None,
}

/// What the siblings before an item say about it: the 1.x Attribute Name that types the
/// Attribute Value after it.
#[derive(Debug, Default)]
pub(crate) struct Siblings {
    attribute_name: Option<String>,
}

impl Siblings {
    /// Notes an item once it is parsed or written.
    pub(crate) fn saw(&mut self, tag: Tag, value: &Value) {
        if let (Tag::ATTRIBUTE_NAME, Value::TextString(name)) = (tag, value) {
            self.attribute_name = Some(name.clone());
        }
    }

    /// The names for values of `tag` here.
    pub(crate) fn names(&self, tag: Tag) -> Names {
        let kind = match tag {
            Tag::ATTRIBUTE_REFERENCE => return Names::Tags,
            Tag::ATTRIBUTE_VALUE => self.attribute_name.as_deref().and_then(attribute_tag).and_then(enum_kind),
            _ => enum_kind(tag),
        };
        kind.map_or(Names::None, Names::Kind)
    }
}

fn parse_hex_u32(text: &str) -> Option<u32> {
    let digits = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X"))?;
    u32::from_str_radix(digits, 16).ok()
}

fn parse_hex_u64(text: &str) -> Option<u64> {
    let digits = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X"))?;
    u64::from_str_radix(digits, 16).ok()
}

/// Parses a value written as text (every XML value, and the string forms of JSON).
pub(crate) fn parse_value(
    tag: Tag,
    item_type: ItemType,
    text: &str,
    names: Names,
    placeholders: &mut dyn Placeholders,
) -> Result<Value, TextError> {
    if text.starts_with('$') {
        if let Some(value) = placeholders.resolve(text, item_type) {
            return Ok(value);
        }
        if item_type != ItemType::TextString {
            return Err(TextError::Placeholder(text.to_owned()));
        }
    }
    let bad = || TextError::BadValue {
        tag: tag.name().map_or_else(|| tag_hex(tag), str::to_owned),
        item_type: item_type.name(),
        value: text.to_owned(),
    };
    Ok(match item_type {
        ItemType::Structure => return Err(bad()),
        ItemType::Integer => Value::Integer(match (parse_hex_u32(text), names) {
            (Some(v), _) => v as i32,
            (None, Names::Kind(kind))
                if kind.is_mask() && !text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) =>
            {
                parse_mask(kind, text).ok_or_else(bad)? as i32
            }
            _ => text.parse().map_err(|_| bad())?,
        }),
        ItemType::LongInteger => Value::LongInteger(match parse_hex_u64(text) {
            Some(v) => v as i64,
            None => text.parse().map_err(|_| bad())?,
        }),
        ItemType::BigInteger => {
            let digits = text.strip_prefix("0x").unwrap_or(text);
            let bytes = hex::decode(digits).map_err(|_| bad())?;
            Value::BigInteger(BigInt::from_signed_bytes_be(&bytes))
        }
        ItemType::Enumeration => Value::Enumeration(match (parse_hex_u32(text), names) {
            (Some(v), _) => v,
            (None, Names::Kind(kind)) => kind.value_by_name(text).ok_or_else(bad)?,
            (None, Names::Tags) => Tag::from_name(text).ok_or_else(bad)?.0,
            (None, Names::None) => return Err(bad()),
        }),
        ItemType::Boolean => Value::Boolean(match text {
            "true" => true,
            "false" => false,
            _ => match parse_hex_u64(text) {
                Some(0) => false,
                Some(1) => true,
                _ => return Err(bad()),
            },
        }),
        ItemType::TextString => Value::TextString(text.to_owned()),
        ItemType::ByteString => Value::ByteString(hex::decode(text).map_err(|_| bad())?),
        ItemType::DateTime => Value::DateTime(match parse_hex_u64(text) {
            Some(v) => v as i64,
            None => OffsetDateTime::parse(text, &Rfc3339).map_err(|_| bad())?.unix_timestamp(),
        }),
        ItemType::Interval => Value::Interval(match parse_hex_u32(text) {
            Some(v) => v,
            None => text.parse().map_err(|_| bad())?,
        }),
        ItemType::DateTimeExtended => Value::DateTimeExtended(match parse_hex_u64(text) {
            Some(v) => v as i64,
            None => {
                let t = OffsetDateTime::parse(text, &Rfc3339).map_err(|_| bad())?;
                i64::try_from(t.unix_timestamp_nanos() / 1000).map_err(|_| bad())?
            }
        }),
        _ => return Err(bad()),
    })
}

/// `"Encrypt Decrypt"` → 0x0C. The profiles separate bit names with spaces; `|` is accepted
/// too.
fn parse_mask(kind: EnumKind, text: &str) -> Option<u32> {
    text.split([' ', '|'])
        .filter(|w| !w.is_empty())
        .try_fold(0u32, |acc, word| Some(acc | kind.value_by_name(word).or_else(|| parse_hex_u32(word))?))
}

/// Writes a value as text. Structures have no text form.
pub(crate) fn format_value(value: &Value, names: Names) -> Cow<'static, str> {
    match value {
        Value::Integer(v) => match names {
            Names::Kind(kind) if kind.is_mask() => {
                format_mask(kind, *v as u32).map_or_else(|| Cow::Owned(v.to_string()), Cow::Owned)
            }
            _ => Cow::Owned(v.to_string()),
        },
        Value::LongInteger(v) => Cow::Owned(v.to_string()),
        Value::BigInteger(v) => Cow::Owned(hex::encode(v.as_bytes())),
        Value::Enumeration(v) => {
            let name = match names {
                Names::Kind(kind) => kind.value_name(*v),
                Names::Tags => Tag(*v).name(),
                Names::None => None,
            };
            name.map_or_else(|| Cow::Owned(format!("0x{v:08X}")), Cow::Borrowed)
        }
        Value::Boolean(v) => Cow::Borrowed(if *v { "true" } else { "false" }),
        Value::TextString(v) => Cow::Owned(v.clone()),
        Value::ByteString(v) => Cow::Owned(hex::encode(v)),
        Value::DateTime(v) => Cow::Owned(format_date_time(i128::from(*v) * 1_000_000_000, false)),
        Value::Interval(v) => Cow::Owned(v.to_string()),
        Value::DateTimeExtended(v) => Cow::Owned(format_date_time(i128::from(*v) * 1000, true)),
        _ => Cow::Borrowed(""),
    }
}

/// The names of a mask's set bits, in table order; `None` when a set bit has no name (the
/// value is then written as a number, so nothing is lost).
fn format_mask(kind: EnumKind, mask: u32) -> Option<String> {
    if mask == 0 {
        return None;
    }
    let mut rest = mask;
    let mut words = Vec::new();
    for (bit, name) in kind.values() {
        if mask & bit == *bit && *bit != 0 {
            words.push(*name);
            rest &= !bit;
        }
    }
    (rest == 0).then(|| words.join(" "))
}

/// ISO 8601 in UTC with an explicit offset, as the profiles' vectors write it
/// (`2000-01-01T00:00:00+00:00`); microseconds for Date-Time Extended. Out-of-range values
/// (a peer may send any 64-bit number) fall back to hex, which the parser accepts too.
fn format_date_time(nanos: i128, micros: bool) -> String {
    let format = if micros {
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]+00:00")
    } else {
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]+00:00")
    };
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .filter(|t| (0..=9999).contains(&t.year()))
        .and_then(|t| t.format(format).ok())
        .unwrap_or_else(|| {
            let raw = if micros { nanos / 1000 } else { nanos / 1_000_000_000 };
            format!("0x{:016X}", raw as i64)
        })
}
