//! Decoding errors: what went wrong, at which byte offset, under which tag path.

use std::fmt;

use crate::{ItemType, Tag};

/// Why a TTLV decode failed. Kept small and `Copy` so that the hot path carries it cheaply;
/// the location travels beside it in [`DecodeError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// Fewer bytes remain than the item header or its declared length needs.
    Truncated {
        /// Bytes the item needs.
        needed: usize,
        /// Bytes that remain.
        available: usize,
    },
    /// The first tag byte is neither 0x42 nor 0x54.
    BadTag(Tag),
    /// A type byte no KMIP version defines.
    BadType(u8),
    /// A fixed-size type with another length.
    BadLength {
        /// The item's type.
        item_type: ItemType,
        /// The declared length.
        length: u32,
    },
    /// A Structure or Big Integer whose length is not a multiple of 8.
    LengthNotMultipleOf8 {
        /// The item's type.
        item_type: ItemType,
        /// The declared length.
        length: u32,
    },
    /// A padding byte that is not zero.
    NonZeroPadding,
    /// A Boolean other than 0 or 1.
    BadBoolean,
    /// A Text String that is not UTF-8.
    InvalidUtf8,
    /// Bytes left after the last item.
    TrailingBytes(usize),
    /// The message is larger than [`crate::Limits::max_message_size`].
    MessageTooLarge {
        /// The message's size.
        size: usize,
        /// The cap.
        limit: usize,
    },
    /// Structures nest deeper than [`crate::Limits::max_depth`].
    TooDeep(usize),
    /// More items than [`crate::Limits::max_items`].
    TooManyItems(usize),
    /// A typed decoder found an item of the wrong type.
    UnexpectedType {
        /// What the field needs.
        expected: ItemType,
        /// What came.
        found: ItemType,
    },
    /// A typed decoder found a tag it does not allow at that place.
    UnexpectedTag(Tag),
    /// A typed decoder missed a required field.
    MissingField(Tag),
    /// A typed decoder found a value outside the field's range.
    BadValue(&'static str),
}

/// A decode failure with its location.
#[derive(Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// What went wrong.
    pub kind: DecodeErrorKind,
    /// Byte offset of the item at fault, from the start of the message.
    pub offset: usize,
    /// Tags of the enclosing structures, outermost first, ending with the item at fault when
    /// its tag was read.
    pub path: Vec<Tag>,
}

impl DecodeError {
    /// An error at `offset`, with an empty path.
    pub fn new(kind: DecodeErrorKind, offset: usize) -> Self {
        DecodeError { kind, offset, path: Vec::new() }
    }

    /// Adds an enclosing tag to the path: each structure level calls this as the error passes.
    pub fn within(mut self, tag: Tag) -> Self {
        self.path.insert(0, tag);
        self
    }
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated { needed, available } => {
                write!(f, "item needs {needed} bytes but {available} remain")
            }
            Self::BadTag(tag) => write!(f, "bad tag 0x{:06X} (first byte must be 0x42 or 0x54)", tag.0),
            Self::BadType(t) => write!(f, "bad item type 0x{t:02X}"),
            Self::BadLength { item_type, length } => {
                write!(f, "bad length {length} for {}", item_type.name())
            }
            Self::LengthNotMultipleOf8 { item_type, length } => {
                write!(f, "length {length} of {} is not a multiple of 8", item_type.name())
            }
            Self::NonZeroPadding => f.write_str("non-zero padding"),
            Self::BadBoolean => f.write_str("boolean is neither 0 nor 1"),
            Self::InvalidUtf8 => f.write_str("text string is not valid UTF-8"),
            Self::TrailingBytes(n) => write!(f, "{n} trailing bytes after the message"),
            Self::MessageTooLarge { size, limit } => {
                write!(f, "message of {size} bytes exceeds the {limit}-byte limit")
            }
            Self::TooDeep(limit) => write!(f, "structures nest deeper than {limit} levels"),
            Self::TooManyItems(limit) => write!(f, "more than {limit} items"),
            Self::UnexpectedType { expected, found } => {
                write!(f, "expected {}, found {}", expected.name(), found.name())
            }
            Self::UnexpectedTag(tag) => write!(f, "unexpected field {tag}"),
            Self::MissingField(tag) => write!(f, "missing required field {tag}"),
            Self::BadValue(what) => write!(f, "bad value: {what}"),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind, self.offset)?;
        if !self.path.is_empty() {
            f.write_str(" under ")?;
            for (i, tag) in self.path.iter().enumerate() {
                if i > 0 {
                    f.write_str("/")?;
                }
                write!(f, "{tag}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for DecodeError {}
