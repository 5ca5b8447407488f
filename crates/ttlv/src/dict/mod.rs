//! The KMIP dictionary: tag names, enumeration kinds and their value names, mask kinds, and
//! the 1.x attribute names. The text encodings (XML, JSON) and the message model read it.
//!
//! The tables are data files ([`tag_table`](self) and [`enum_table`](self)); the macros below
//! turn them into named constants and lookup tables, so that a name is written once.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::Tag;
use tag_table::TAG_NAMES;

/// Expands the tag table into `Tag` constants and one value-sorted name table.
macro_rules! tags {
    ($($konst:ident = $value:literal => $name:literal,)*) => {
        #[allow(missing_docs)]
        impl Tag {
            $(pub const $konst: Tag = Tag($value);)*
        }

        /// `(value, name)`, ascending by value.
        pub(crate) static TAG_NAMES: &[(u32, &str)] = &[$(($value, $name),)*];
    };
}

/// Expands the enumeration table into one newtype a kind, its constants, and the registry.
macro_rules! enumerations {
    ($($kind:ident { $($konst:ident = $value:literal => $name:literal,)* })*) => {
        $(
            #[doc = concat!("The KMIP `", stringify!($kind), "` enumeration. Any `u32` is accepted, ",
                "so that extension values round-trip.")]
            #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
            #[allow(clippy::upper_case_acronyms)]
            pub struct $kind(pub u32);

            #[allow(missing_docs)]
            impl $kind {
                $(pub const $konst: $kind = $kind($value);)*

                /// `(value, name)` for every defined value.
                pub const NAMES: &'static [(u32, &'static str)] = &[$(($value, $name),)*];

                /// The encoding name of this value, if it is a defined one.
                pub fn name(self) -> Option<&'static str> {
                    Self::NAMES.iter().find(|(v, _)| *v == self.0).map(|(_, n)| *n)
                }

                /// The value with this encoding name.
                pub fn from_name(name: &str) -> Option<Self> {
                    Self::NAMES.iter().find(|(_, n)| *n == name).map(|(v, _)| Self(*v))
                }
            }

            impl std::fmt::Debug for $kind {
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    match self.name() {
                        Some(name) => f.write_str(name),
                        None => write!(f, "{}(0x{:08X})", stringify!($kind), self.0),
                    }
                }
            }

            impl std::fmt::Display for $kind {
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    std::fmt::Debug::fmt(self, f)
                }
            }
        )*

        /// Every enumeration kind: `(kind name, (value, name) table)`.
        pub(crate) static ENUM_KINDS: &[(&str, &[(u32, &str)])] = &[
            $((stringify!($kind), $kind::NAMES),)*
        ];
    };
}

mod attribute_names;
mod enum_table;
mod tag_table;

pub use attribute_names::{attribute_name, attribute_tag};
pub use enum_table::*;

/// The registry name of a tag.
pub fn tag_name(tag: Tag) -> Option<&'static str> {
    TAG_NAMES.binary_search_by_key(&tag.0, |(v, _)| *v).ok().map(|i| TAG_NAMES[i].1)
}

static TAGS_BY_NAME: LazyLock<HashMap<&'static str, Tag>> =
    LazyLock::new(|| TAG_NAMES.iter().map(|(v, n)| (*n, Tag(*v))).collect());

/// The tag with this registry name.
pub fn tag_by_name(name: &str) -> Option<Tag> {
    TAGS_BY_NAME.get(name).copied()
}

/// A family of enumeration values: which table names the values of an Enumeration item, or
/// the bits of a mask Integer.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct EnumKind {
    name: &'static str,
    values: &'static [(u32, &'static str)],
}

impl EnumKind {
    /// The kind's name (`"CryptographicAlgorithm"`).
    pub fn name(self) -> &'static str {
        self.name
    }

    /// The kind with this name.
    pub fn from_name(name: &str) -> Option<Self> {
        ENUM_KINDS.iter().find(|(n, _)| *n == name).map(|(name, values)| EnumKind { name, values })
    }

    /// The encoding name of a value.
    pub fn value_name(self, value: u32) -> Option<&'static str> {
        self.values.iter().find(|(v, _)| *v == value).map(|(_, n)| *n)
    }

    /// The value with this encoding name.
    pub fn value_by_name(self, name: &str) -> Option<u32> {
        self.values.iter().find(|(_, n)| *n == name).map(|(v, _)| *v)
    }

    /// Whether the kind is a bit mask carried in an Integer (Cryptographic Usage Mask and
    /// the like), whose text form is the names of its bits joined by spaces.
    pub fn is_mask(self) -> bool {
        MASK_KINDS.contains(&self.name)
    }

    /// The `(bit, name)` pairs of a mask kind, in table order.
    pub fn values(self) -> &'static [(u32, &'static str)] {
        self.values
    }
}

const MASK_KINDS: [&str; 3] = ["CryptographicUsageMask", "StorageStatusMask", "ProtectionStorageMask"];

/// Tags whose values come from a kind of another name.
const KIND_ALIASES: [(Tag, &str); 3] = [
    (Tag::MASK_GENERATOR_HASHING_ALGORITHM, "HashingAlgorithm"),
    (Tag::PKCS11_FUNCTION, "PKCS11Function"),
    (Tag::PKCS11_RETURN_CODE, "PKCS11ReturnCode"),
];

/// The enumeration (or mask) kind that names the values of items with this tag.
///
/// Most tags share their kind's name (Cryptographic Algorithm); a few borrow another's. The
/// value of a 1.x Attribute Value depends on its Attribute Name instead: see
/// [`attribute_tag`], then call this with the attribute's tag.
pub fn enum_kind(tag: Tag) -> Option<EnumKind> {
    if let Some((_, kind)) = KIND_ALIASES.iter().find(|(t, _)| *t == tag) {
        return EnumKind::from_name(kind);
    }
    EnumKind::from_name(tag.name()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_table_is_sorted_and_unique() {
        assert!(TAG_NAMES.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(TAGS_BY_NAME.len(), TAG_NAMES.len());
    }

    #[test]
    fn names_resolve_both_ways() {
        assert_eq!(Tag::from_name("UniqueIdentifier"), Some(Tag::UNIQUE_IDENTIFIER));
        assert_eq!(Tag::UNIQUE_IDENTIFIER.0, 0x42_0094);
        assert_eq!(Tag::ROTATE_INTERVAL.0, 0x42_016A);
        assert_eq!(Tag(0x54_0001).name(), None);
        let alg = enum_kind(Tag::CRYPTOGRAPHIC_ALGORITHM).expect("kind");
        assert_eq!(alg.value_by_name("AES"), Some(3));
        assert!(enum_kind(Tag::CRYPTOGRAPHIC_USAGE_MASK).expect("mask").is_mask());
        assert_eq!(Operation::REKEY.name(), Some("ReKey"));
        assert_eq!(format!("{:?}", Operation(0x8000_0001)), "Operation(0x80000001)");
    }
}
