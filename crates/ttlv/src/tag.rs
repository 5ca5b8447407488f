//! Tags and item types: the first four bytes of every TTLV item.

use std::fmt;

/// A TTLV tag: three bytes on the wire, held in the low 24 bits.
///
/// > KMIP 1.4 §9.1.1.1: "An Item Tag is a three-byte binary unsigned integer, transmitted big
/// > endian, which contains a number that designates the specific Protocol Field or Object that
/// > the TTLV object represents."
///
/// Every defined tag has a named constant (`Tag::UNIQUE_IDENTIFIER`); any other value (vendor
/// extensions in `0x54xxxx`, tags from a later version) is kept as it is, so it round-trips.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(pub u32);

impl Tag {
    /// The registry name of this tag, as the XML and JSON encodings write it.
    pub fn name(self) -> Option<&'static str> {
        crate::dict::tag_name(self)
    }

    /// The tag with this registry name (`"UniqueIdentifier"`).
    pub fn from_name(name: &str) -> Option<Tag> {
        crate::dict::tag_by_name(name)
    }

    /// `0x54xxxx` is the range the specification sets aside for extensions.
    ///
    /// > KMIP 2.1 §11.1: "Extensions: 540000 - 54FFFF".
    pub const fn is_extension(self) -> bool {
        self.0 >> 16 == 0x54
    }

    /// A tag whose first byte is 0x42 (defined by KMIP) or 0x54 (extensions). The decoder
    /// refuses any other first byte.
    pub const fn is_valid(self) -> bool {
        matches!(self.0 >> 16, 0x42 | 0x54) && self.0 <= 0x00FF_FFFF
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "0x{:06X}", self.0),
        }
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// The type byte of a TTLV item.
///
/// > KMIP 2.1 §11.1.2: "An Item Type is a byte containing a coded value that indicates the data
/// > type of the data object."
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum ItemType {
    /// 0x01
    Structure,
    /// 0x02, 32-bit signed.
    Integer,
    /// 0x03, 64-bit signed.
    LongInteger,
    /// 0x04, two's complement, a multiple of 8 bytes.
    BigInteger,
    /// 0x05, 32-bit unsigned.
    Enumeration,
    /// 0x06, 64-bit 0 or 1.
    Boolean,
    /// 0x07, UTF-8.
    TextString,
    /// 0x08
    ByteString,
    /// 0x09, seconds since the epoch, 64-bit signed.
    DateTime,
    /// 0x0A, seconds, 32-bit unsigned.
    Interval,
    /// 0x0B, microseconds since the epoch (KMIP 2.0 and later).
    DateTimeExtended,
}

impl ItemType {
    /// Every item type, in wire order.
    pub const ALL: [ItemType; 11] = [
        Self::Structure,
        Self::Integer,
        Self::LongInteger,
        Self::BigInteger,
        Self::Enumeration,
        Self::Boolean,
        Self::TextString,
        Self::ByteString,
        Self::DateTime,
        Self::Interval,
        Self::DateTimeExtended,
    ];

    /// The type byte.
    pub const fn code(self) -> u8 {
        match self {
            Self::Structure => 0x01,
            Self::Integer => 0x02,
            Self::LongInteger => 0x03,
            Self::BigInteger => 0x04,
            Self::Enumeration => 0x05,
            Self::Boolean => 0x06,
            Self::TextString => 0x07,
            Self::ByteString => 0x08,
            Self::DateTime => 0x09,
            Self::Interval => 0x0A,
            Self::DateTimeExtended => 0x0B,
        }
    }

    /// The type for a type byte; `None` for a byte no KMIP version up to 2.1 defines.
    pub const fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0x01 => Self::Structure,
            0x02 => Self::Integer,
            0x03 => Self::LongInteger,
            0x04 => Self::BigInteger,
            0x05 => Self::Enumeration,
            0x06 => Self::Boolean,
            0x07 => Self::TextString,
            0x08 => Self::ByteString,
            0x09 => Self::DateTime,
            0x0A => Self::Interval,
            0x0B => Self::DateTimeExtended,
            _ => return None,
        })
    }

    /// The name the XML and JSON encodings use in their `type` attribute.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Structure => "Structure",
            Self::Integer => "Integer",
            Self::LongInteger => "LongInteger",
            Self::BigInteger => "BigInteger",
            Self::Enumeration => "Enumeration",
            Self::Boolean => "Boolean",
            Self::TextString => "TextString",
            Self::ByteString => "ByteString",
            Self::DateTime => "DateTime",
            Self::Interval => "Interval",
            Self::DateTimeExtended => "DateTimeExtended",
        }
    }

    /// The type with this encoding name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The one length this type allows on the wire, for the fixed-size types.
    ///
    /// > KMIP 1.4 §9.1.1.3: Integer "length 4", Long Integer, Boolean, Date-Time "length 8",
    /// > Enumeration, Interval "length 4".
    pub const fn fixed_len(self) -> Option<usize> {
        match self {
            Self::Integer | Self::Enumeration | Self::Interval => Some(4),
            Self::LongInteger | Self::Boolean | Self::DateTime | Self::DateTimeExtended => Some(8),
            _ => None,
        }
    }
}
