//! Strict, bounded, zero-copy TTLV decoding.
//!
//! [`Reader`] walks the items of one level of a message without allocating: text and byte
//! strings are borrowed from the input, and a Structure yields a sub-reader confined to the
//! structure's declared length, so that no decoder can read into its neighbour. Every length
//! is checked against the bytes that remain, and the [`Limits`], before anything is touched.
//! The owned tree ([`decode_item`]) and the typed message model are both built on it.

use std::cell::Cell;

use crate::{BigInt, DecodeError, DecodeErrorKind as Kind, Item, ItemType, Tag, Value};

/// Bytes in an item header: tag (3), type (1), length (4).
pub const HEADER_LEN: usize = 8;

/// Caps that a peer cannot make the decoder exceed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest message accepted, header included.
    pub max_message_size: usize,
    /// Deepest nesting of Structures; the message's own Structure is level 1.
    pub max_depth: usize,
    /// Most items in one message, at every level together.
    pub max_items: usize,
}

impl Limits {
    /// 1 MiB: a KMIP request carrying a 4096-bit RSA key pair and its certificate chain is a
    /// few kilobytes, so a megabyte leaves ample room while bounding what a peer can make us
    /// buffer.
    pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 1 << 20;
    /// The deepest structure in the KMIP 2.1 message model (a batch item's payload carrying a
    /// key block with wrapping data and cryptographic parameters) is under 10 levels; 32 leaves
    /// room for extensions and stops a 10,000-deep nest at once.
    pub const DEFAULT_MAX_DEPTH: usize = 32;
    /// One item takes at least 8 bytes, so 1 MiB holds at most 131,072 items; 65,536 is more
    /// than any real message and bounds the owned tree's memory to a few megabytes.
    pub const DEFAULT_MAX_ITEMS: usize = 1 << 16;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_size: Self::DEFAULT_MAX_MESSAGE_SIZE,
            max_depth: Self::DEFAULT_MAX_DEPTH,
            max_items: Self::DEFAULT_MAX_ITEMS,
        }
    }
}

/// The state one decode shares across its readers: the limits and the items counted so far.
#[derive(Debug)]
pub struct DecodeContext {
    limits: Limits,
    items: Cell<usize>,
}

impl DecodeContext {
    /// A fresh context.
    pub fn new(limits: Limits) -> Self {
        DecodeContext { limits, items: Cell::new(0) }
    }

    /// A reader over a whole message; checks the message size against the limit first.
    pub fn reader<'a>(&'a self, bytes: &'a [u8]) -> Result<Reader<'a>, DecodeError> {
        if bytes.len() > self.limits.max_message_size {
            return Err(DecodeError::new(
                Kind::MessageTooLarge { size: bytes.len(), limit: self.limits.max_message_size },
                0,
            ));
        }
        Ok(Reader { buf: bytes, pos: 0, base: 0, depth: 0, ctx: self })
    }
}

/// A cursor over the items of one level.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Offset of `buf[0]` in the whole message, for error locations.
    base: usize,
    depth: usize,
    ctx: &'a DecodeContext,
}

/// One decoded item of a level: its tag, where it starts, and its borrowed value.
#[derive(Debug)]
pub struct Field<'a> {
    /// The item's tag.
    pub tag: Tag,
    /// Offset of the item's header in the message.
    pub offset: usize,
    /// The value, borrowed from the input.
    pub value: RawValue<'a>,
}

/// A borrowed value. A Structure's children are read through its [`Reader`].
#[derive(Debug)]
#[allow(missing_docs)]
pub enum RawValue<'a> {
    Structure(Reader<'a>),
    Integer(i32),
    LongInteger(i64),
    BigInteger(&'a [u8]),
    Enumeration(u32),
    Boolean(bool),
    TextString(&'a str),
    ByteString(&'a [u8]),
    DateTime(i64),
    Interval(u32),
    DateTimeExtended(i64),
}

impl<'a> Reader<'a> {
    /// Whether every item of this level has been read.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// Offset of the next item in the message.
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// The tag of the next item, without consuming it.
    #[inline]
    pub fn peek_tag(&self) -> Option<Tag> {
        let b = self.buf.get(self.pos..self.pos + 3)?;
        Some(Tag(u32::from_be_bytes([0, b[0], b[1], b[2]])))
    }

    /// Reads the next item of this level, or `None` at the end of the level.
    #[inline]
    pub fn next_field(&mut self) -> Result<Option<Field<'a>>, DecodeError> {
        let rest = &self.buf[self.pos..];
        if rest.is_empty() {
            return Ok(None);
        }
        let offset = self.offset();
        let fail = |kind| Err(DecodeError::new(kind, offset));
        let Some((header, body)) = rest.split_first_chunk::<HEADER_LEN>() else {
            return fail(Kind::Truncated { needed: HEADER_LEN, available: rest.len() });
        };
        let tag = Tag(u32::from_be_bytes([0, header[0], header[1], header[2]]));
        if !tag.is_valid() {
            return fail(Kind::BadTag(tag));
        }
        let at_tag = |kind| Err(DecodeError::new(kind, offset).within(tag));
        let Some(item_type) = ItemType::from_code(header[3]) else {
            return at_tag(Kind::BadType(header[3]));
        };
        let length = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
        match item_type.fixed_len() {
            Some(fixed) if length as usize != fixed => {
                return at_tag(Kind::BadLength { item_type, length });
            }
            None if matches!(item_type, ItemType::Structure | ItemType::BigInteger) && length % 8 != 0 => {
                return at_tag(Kind::LengthNotMultipleOf8 { item_type, length });
            }
            None if item_type == ItemType::BigInteger && length == 0 => {
                return at_tag(Kind::BadLength { item_type, length });
            }
            _ => {}
        }
        // > KMIP 1.4 §9.1.1.3: "If the Item Type is Text String or Byte String, then the Item
        // > Value SHALL be padded with the minimal number of zero-bytes following the Item
        // > Value to obtain a multiple of eight bytes."
        let len = length as usize;
        let padded = len.div_ceil(8) * 8;
        if body.len() < padded {
            return at_tag(Kind::Truncated { needed: HEADER_LEN + padded, available: rest.len() });
        }
        let count = self.ctx.items.get() + 1;
        if count > self.ctx.limits.max_items {
            return at_tag(Kind::TooManyItems(self.ctx.limits.max_items));
        }
        self.ctx.items.set(count);
        let (value, padding) = body[..padded].split_at(len);
        if padding.iter().any(|b| *b != 0) {
            return at_tag(Kind::NonZeroPadding);
        }
        self.pos += HEADER_LEN + padded;
        let value = match item_type {
            ItemType::Structure => {
                if self.depth + 1 > self.ctx.limits.max_depth {
                    return at_tag(Kind::TooDeep(self.ctx.limits.max_depth));
                }
                RawValue::Structure(Reader {
                    buf: value,
                    pos: 0,
                    base: offset + HEADER_LEN,
                    depth: self.depth + 1,
                    ctx: self.ctx,
                })
            }
            ItemType::Integer => RawValue::Integer(i32::from_be_bytes(be4(value))),
            ItemType::Enumeration => RawValue::Enumeration(u32::from_be_bytes(be4(value))),
            ItemType::Interval => RawValue::Interval(u32::from_be_bytes(be4(value))),
            ItemType::LongInteger => RawValue::LongInteger(i64::from_be_bytes(be8(value))),
            ItemType::DateTime => RawValue::DateTime(i64::from_be_bytes(be8(value))),
            ItemType::DateTimeExtended => RawValue::DateTimeExtended(i64::from_be_bytes(be8(value))),
            ItemType::Boolean => match u64::from_be_bytes(be8(value)) {
                0 => RawValue::Boolean(false),
                1 => RawValue::Boolean(true),
                _ => return at_tag(Kind::BadBoolean),
            },
            ItemType::TextString => match std::str::from_utf8(value) {
                Ok(text) => RawValue::TextString(text),
                Err(_) => return at_tag(Kind::InvalidUtf8),
            },
            ItemType::ByteString => RawValue::ByteString(value),
            ItemType::BigInteger => RawValue::BigInteger(value),
        };
        Ok(Some(Field { tag, offset, value }))
    }
}

/// The first four bytes; `value` is exactly 4 long because the length was checked.
fn be4(value: &[u8]) -> [u8; 4] {
    let mut out = [0; 4];
    out.copy_from_slice(&value[..4]);
    out
}

/// The first eight bytes; `value` is exactly 8 long because the length was checked.
fn be8(value: &[u8]) -> [u8; 8] {
    let mut out = [0; 8];
    out.copy_from_slice(&value[..8]);
    out
}

impl<'a> Field<'a> {
    /// An error located at this field.
    pub fn error(&self, kind: Kind) -> DecodeError {
        DecodeError::new(kind, self.offset).within(self.tag)
    }

    /// The item type of the value.
    #[inline]
    pub fn item_type(&self) -> ItemType {
        match &self.value {
            RawValue::Structure(_) => ItemType::Structure,
            RawValue::Integer(_) => ItemType::Integer,
            RawValue::LongInteger(_) => ItemType::LongInteger,
            RawValue::BigInteger(_) => ItemType::BigInteger,
            RawValue::Enumeration(_) => ItemType::Enumeration,
            RawValue::Boolean(_) => ItemType::Boolean,
            RawValue::TextString(_) => ItemType::TextString,
            RawValue::ByteString(_) => ItemType::ByteString,
            RawValue::DateTime(_) => ItemType::DateTime,
            RawValue::Interval(_) => ItemType::Interval,
            RawValue::DateTimeExtended(_) => ItemType::DateTimeExtended,
        }
    }

    fn mismatch(&self, expected: ItemType) -> DecodeError {
        self.error(Kind::UnexpectedType { expected, found: self.item_type() })
    }

    /// The children, for a Structure.
    #[inline]
    pub fn into_structure(self) -> Result<Reader<'a>, DecodeError> {
        match self.value {
            RawValue::Structure(reader) => Ok(reader),
            _ => Err(self.mismatch(ItemType::Structure)),
        }
    }

    /// The value of an Integer.
    #[inline]
    pub fn integer(&self) -> Result<i32, DecodeError> {
        match self.value {
            RawValue::Integer(v) => Ok(v),
            _ => Err(self.mismatch(ItemType::Integer)),
        }
    }

    /// The value of a Long Integer.
    #[inline]
    pub fn long_integer(&self) -> Result<i64, DecodeError> {
        match self.value {
            RawValue::LongInteger(v) => Ok(v),
            _ => Err(self.mismatch(ItemType::LongInteger)),
        }
    }

    /// The value of an Enumeration.
    #[inline]
    pub fn enumeration(&self) -> Result<u32, DecodeError> {
        match self.value {
            RawValue::Enumeration(v) => Ok(v),
            _ => Err(self.mismatch(ItemType::Enumeration)),
        }
    }

    /// The value of a Boolean.
    #[inline]
    pub fn boolean(&self) -> Result<bool, DecodeError> {
        match self.value {
            RawValue::Boolean(v) => Ok(v),
            _ => Err(self.mismatch(ItemType::Boolean)),
        }
    }

    /// The value of a Text String.
    #[inline]
    pub fn text(&self) -> Result<&'a str, DecodeError> {
        match self.value {
            RawValue::TextString(v) => Ok(v),
            _ => Err(self.mismatch(ItemType::TextString)),
        }
    }

    /// The value of a Byte String.
    #[inline]
    pub fn bytes(&self) -> Result<&'a [u8], DecodeError> {
        match self.value {
            RawValue::ByteString(v) => Ok(v),
            _ => Err(self.mismatch(ItemType::ByteString)),
        }
    }

    /// The wire bytes of a Big Integer.
    #[inline]
    pub fn big_integer(&self) -> Result<&'a [u8], DecodeError> {
        match self.value {
            RawValue::BigInteger(v) => Ok(v),
            _ => Err(self.mismatch(ItemType::BigInteger)),
        }
    }

    /// The value of a Date-Time, in seconds since the epoch.
    #[inline]
    pub fn date_time(&self) -> Result<i64, DecodeError> {
        match self.value {
            RawValue::DateTime(v) => Ok(v),
            _ => Err(self.mismatch(ItemType::DateTime)),
        }
    }

    /// The value of an Interval, in seconds.
    #[inline]
    pub fn interval(&self) -> Result<u32, DecodeError> {
        match self.value {
            RawValue::Interval(v) => Ok(v),
            _ => Err(self.mismatch(ItemType::Interval)),
        }
    }

    /// Converts the field, and everything under it, into an owned [`Item`].
    pub fn into_item(self) -> Result<Item, DecodeError> {
        let tag = self.tag;
        let value = match self.value {
            RawValue::Structure(mut reader) => {
                let mut children = Vec::new();
                while let Some(child) = reader.next_field().map_err(|e| e.within(tag))? {
                    children.push(child.into_item().map_err(|e| e.within(tag))?);
                }
                Value::Structure(children)
            }
            RawValue::Integer(v) => Value::Integer(v),
            RawValue::LongInteger(v) => Value::LongInteger(v),
            RawValue::BigInteger(v) => Value::BigInteger(BigInt::from_signed_bytes_be(v)),
            RawValue::Enumeration(v) => Value::Enumeration(v),
            RawValue::Boolean(v) => Value::Boolean(v),
            RawValue::TextString(v) => Value::TextString(v.to_owned()),
            RawValue::ByteString(v) => Value::ByteString(v.to_vec()),
            RawValue::DateTime(v) => Value::DateTime(v),
            RawValue::Interval(v) => Value::Interval(v),
            RawValue::DateTimeExtended(v) => Value::DateTimeExtended(v),
        };
        Ok(Item { tag, value })
    }
}

/// Decodes one whole item (normally a message) into an owned tree. Bytes after the item are
/// an error.
pub fn decode_item(bytes: &[u8], limits: &Limits) -> Result<Item, DecodeError> {
    let ctx = DecodeContext::new(*limits);
    let mut reader = ctx.reader(bytes)?;
    let field = reader
        .next_field()?
        .ok_or_else(|| DecodeError::new(Kind::Truncated { needed: HEADER_LEN, available: 0 }, 0))?;
    let item = field.into_item()?;
    if !reader.is_empty() {
        return Err(DecodeError::new(Kind::TrailingBytes(bytes.len() - reader.offset()), reader.offset()));
    }
    Ok(item)
}

/// The length of the message whose first bytes are `header`, header included, as declared by
/// its outer item. This is what a transport reads before buffering a body: it checks the
/// outer item is a Structure and its length against `limits` before any body byte is read.
pub fn message_len(header: &[u8; HEADER_LEN], limits: &Limits) -> Result<usize, DecodeError> {
    let tag = Tag(u32::from_be_bytes([0, header[0], header[1], header[2]]));
    if !tag.is_valid() {
        return Err(DecodeError::new(Kind::BadTag(tag), 0));
    }
    if header[3] != ItemType::Structure.code() {
        return Err(DecodeError::new(
            Kind::UnexpectedType {
                expected: ItemType::Structure,
                found: ItemType::from_code(header[3]).ok_or(DecodeError::new(Kind::BadType(header[3]), 0))?,
            },
            0,
        )
        .within(tag));
    }
    let length = u32::from_be_bytes([header[4], header[5], header[6], header[7]]) as usize;
    let size = HEADER_LEN.saturating_add(length);
    if size > limits.max_message_size {
        return Err(DecodeError::new(Kind::MessageTooLarge { size, limit: limits.max_message_size }, 0).within(tag));
    }
    if length % 8 != 0 {
        return Err(DecodeError::new(
            Kind::LengthNotMultipleOf8 { item_type: ItemType::Structure, length: length as u32 },
            0,
        )
        .within(tag));
    }
    Ok(size)
}
