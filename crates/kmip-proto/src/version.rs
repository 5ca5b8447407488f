//! Protocol Version.

use ttlv::{DecodeError, DecodeErrorKind, Field, Tag};

use crate::codec::{Decode, Encode, Encoder, missing, put_once, read_fields};

/// A KMIP protocol version.
///
/// > KMIP 2.1 §6.1.35: "This field contains the version number of the protocol, ensuring that
/// > the protocol is fully understood by both communicating parties."
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProtocolVersion {
    /// Protocol Version Major.
    pub major: i32,
    /// Protocol Version Minor.
    pub minor: i32,
}

impl ProtocolVersion {
    /// KMIP 1.0.
    pub const V1_0: Self = Self::new(1, 0);
    /// KMIP 1.1.
    pub const V1_1: Self = Self::new(1, 1);
    /// KMIP 1.2.
    pub const V1_2: Self = Self::new(1, 2);
    /// KMIP 1.3.
    pub const V1_3: Self = Self::new(1, 3);
    /// KMIP 1.4.
    pub const V1_4: Self = Self::new(1, 4);
    /// KMIP 2.0.
    pub const V2_0: Self = Self::new(2, 0);
    /// KMIP 2.1.
    pub const V2_1: Self = Self::new(2, 1);

    /// Every version this model speaks, newest first (the order DiscoverVersions answers in).
    pub const SUPPORTED: [Self; 7] =
        [Self::V2_1, Self::V2_0, Self::V1_4, Self::V1_3, Self::V1_2, Self::V1_1, Self::V1_0];

    /// A version.
    pub const fn new(major: i32, minor: i32) -> Self {
        ProtocolVersion { major, minor }
    }

    /// Whether messages of this version use the 2.x shapes (Attributes rather than
    /// Template-Attribute, Attribute Reference rather than Attribute Name).
    pub const fn is_2x(self) -> bool {
        self.major >= 2
    }

    /// Whether this model speaks the version.
    pub fn is_supported(self) -> bool {
        Self::SUPPORTED.contains(&self)
    }
}

/// Parses `MAJOR.MINOR`, accepting only the versions this model speaks (command-line flags).
impl std::str::FromStr for ProtocolVersion {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let parsed = text.split_once('.').and_then(|(a, b)| Some(Self::new(a.parse().ok()?, b.parse().ok()?)));
        parsed.filter(|v| v.is_supported()).ok_or_else(|| format!("expected one of 1.0 .. 1.4, 2.0, 2.1; got {text:?}"))
    }
}

impl std::fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl Decode for ProtocolVersion {
    fn decode(field: Field<'_>) -> Result<Self, DecodeError> {
        let (parent, offset) = (field.tag, field.offset);
        let (mut major, mut minor) = (None, None);
        read_fields(field, |f| match f.tag {
            Tag::PROTOCOL_VERSION_MAJOR => put_once(&mut major, f),
            Tag::PROTOCOL_VERSION_MINOR => put_once(&mut minor, f),
            _ => Ok(false),
        })?;
        let major = major.ok_or_else(|| missing(parent, Tag::PROTOCOL_VERSION_MAJOR, offset))?;
        let minor = minor.ok_or_else(|| missing(parent, Tag::PROTOCOL_VERSION_MINOR, offset))?;
        if major < 0 || minor < 0 {
            return Err(DecodeError::new(DecodeErrorKind::BadValue("negative protocol version"), offset));
        }
        Ok(ProtocolVersion { major, minor })
    }
}

impl Encode for ProtocolVersion {
    fn encode(&self, tag: Tag, e: &mut Encoder) {
        e.structure(tag, |e| {
            e.w.integer(Tag::PROTOCOL_VERSION_MAJOR, self.major);
            e.w.integer(Tag::PROTOCOL_VERSION_MINOR, self.minor);
        });
    }
}
