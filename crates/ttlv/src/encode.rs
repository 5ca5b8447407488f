//! TTLV encoding: appends items to a buffer. Structure lengths are back-patched, and padding
//! is written, in one place each.

use crate::{Item, ItemType, Tag, Value};

/// A Structure whose length is not yet written: hand it back to [`Writer::close`].
#[derive(Debug)]
#[must_use = "a Structure must be closed, or its length stays 0"]
pub struct OpenStructure {
    start: usize,
}

/// Appends TTLV items to a byte buffer.
#[derive(Debug, Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Writer::default()
    }

    /// A writer with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        Writer { buf: Vec::with_capacity(capacity) }
    }

    /// The encoded bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// The bytes written so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Writes a Structure whose children `body` writes, then sets its length.
    pub fn structure(&mut self, tag: Tag, body: impl FnOnce(&mut Writer)) {
        let open = self.open(tag);
        body(self);
        self.close(open);
    }

    /// Starts a Structure: its header, with a length that [`Writer::close`] sets once the
    /// children are written. For encoders that wrap a `Writer` and so cannot use
    /// [`Writer::structure`]'s closure.
    #[inline]
    pub fn open(&mut self, tag: Tag) -> OpenStructure {
        let start = self.buf.len();
        self.header(tag, ItemType::Structure, 0);
        OpenStructure { start }
    }

    /// Ends the Structure that `open` started: the one place a Structure length is set.
    #[inline]
    pub fn close(&mut self, open: OpenStructure) {
        let start = open.start;
        // Children are whole items, each a multiple of 8 long, so the structure's length is
        // one too and it needs no padding.
        let length = wire_len(self.buf.len() - start - crate::HEADER_LEN);
        self.buf[start + 4..start + 8].copy_from_slice(&length.to_be_bytes());
    }

    /// Writes an Integer.
    #[inline]
    pub fn integer(&mut self, tag: Tag, value: i32) {
        self.value(tag, ItemType::Integer, &value.to_be_bytes());
    }

    /// Writes a Long Integer.
    pub fn long_integer(&mut self, tag: Tag, value: i64) {
        self.value(tag, ItemType::LongInteger, &value.to_be_bytes());
    }

    /// Writes a Big Integer from its wire bytes (two's complement, a multiple of 8 long).
    pub fn big_integer(&mut self, tag: Tag, wire_bytes: &[u8]) {
        self.value(tag, ItemType::BigInteger, wire_bytes);
    }

    /// Writes an Enumeration.
    #[inline]
    pub fn enumeration(&mut self, tag: Tag, value: u32) {
        self.value(tag, ItemType::Enumeration, &value.to_be_bytes());
    }

    /// Writes a Boolean.
    pub fn boolean(&mut self, tag: Tag, value: bool) {
        self.value(tag, ItemType::Boolean, &u64::from(value).to_be_bytes());
    }

    /// Writes a Text String.
    #[inline]
    pub fn text(&mut self, tag: Tag, value: &str) {
        self.value(tag, ItemType::TextString, value.as_bytes());
    }

    /// Writes a Byte String.
    #[inline]
    pub fn bytes(&mut self, tag: Tag, value: &[u8]) {
        self.value(tag, ItemType::ByteString, value);
    }

    /// Writes a Date-Time, in seconds since the epoch.
    pub fn date_time(&mut self, tag: Tag, seconds: i64) {
        self.value(tag, ItemType::DateTime, &seconds.to_be_bytes());
    }

    /// Writes an Interval, in seconds.
    pub fn interval(&mut self, tag: Tag, seconds: u32) {
        self.value(tag, ItemType::Interval, &seconds.to_be_bytes());
    }

    /// Writes a Date-Time Extended, in microseconds since the epoch.
    pub fn date_time_extended(&mut self, tag: Tag, micros: i64) {
        self.value(tag, ItemType::DateTimeExtended, &micros.to_be_bytes());
    }

    /// Writes an owned item and everything under it.
    pub fn item(&mut self, item: &Item) {
        let tag = item.tag;
        match &item.value {
            Value::Structure(children) => self.structure(tag, |w| {
                for child in children {
                    w.item(child);
                }
            }),
            Value::Integer(v) => self.integer(tag, *v),
            Value::LongInteger(v) => self.long_integer(tag, *v),
            Value::BigInteger(v) => self.big_integer(tag, v.as_bytes()),
            Value::Enumeration(v) => self.enumeration(tag, *v),
            Value::Boolean(v) => self.boolean(tag, *v),
            Value::TextString(v) => self.text(tag, v),
            Value::ByteString(v) => self.bytes(tag, v),
            Value::DateTime(v) => self.date_time(tag, *v),
            Value::Interval(v) => self.interval(tag, *v),
            Value::DateTimeExtended(v) => self.date_time_extended(tag, *v),
        }
    }

    #[inline]
    fn header(&mut self, tag: Tag, item_type: ItemType, length: u32) {
        let t = tag.0.to_be_bytes();
        self.buf.extend_from_slice(&[t[1], t[2], t[3], item_type.code()]);
        self.buf.extend_from_slice(&length.to_be_bytes());
    }

    /// The one place values are written and padded to a multiple of 8.
    #[inline]
    fn value(&mut self, tag: Tag, item_type: ItemType, value: &[u8]) {
        self.header(tag, item_type, wire_len(value.len()));
        self.buf.extend_from_slice(value);
        let padding = value.len().div_ceil(8) * 8 - value.len();
        self.buf.resize(self.buf.len() + padding, 0);
    }
}

/// A length as the 4-byte wire field. Messages are capped far below 4 GiB (the decoder's
/// [`crate::Limits`] and the server's response cap), so a longer value is a bug in the caller;
/// it saturates rather than wrapping into a length that would misframe the stream.
fn wire_len(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// Encodes an owned item.
pub fn encode_item(item: &Item) -> Vec<u8> {
    let mut writer = Writer::new();
    writer.item(item);
    writer.into_bytes()
}
