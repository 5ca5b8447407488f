//! The codec trait pair of the message model, its impls for the primitive field types, and
//! the `kmip_struct!` macro that derives both for a plain KMIP structure.
//!
//! Decoding reads from a [`ttlv::Field`], so it never builds the owned item tree; encoding
//! appends to an [`Encoder`], which knows the protocol version being written, because a few
//! shapes differ between 1.x and 2.x (attributes above all).

use ttlv::{DecodeError, DecodeErrorKind, Field, OpenStructure, Tag, Writer};

use crate::ProtocolVersion;

/// Decodes a value from one TTLV field.
pub trait Decode: Sized {
    /// Decodes `field`; errors carry the field's offset and tag.
    fn decode(field: Field<'_>) -> Result<Self, DecodeError>;
}

/// Encodes a value as one TTLV item with the given tag.
pub trait Encode {
    /// Appends the item.
    fn encode(&self, tag: Tag, e: &mut Encoder);
}

/// A [`Writer`] plus the protocol version being written.
#[derive(Debug)]
pub struct Encoder {
    /// The output.
    pub w: Writer,
    /// The version whose shapes to write.
    pub version: ProtocolVersion,
}

impl Encoder {
    /// An encoder for messages of `version`.
    pub fn new(version: ProtocolVersion) -> Self {
        Encoder { w: Writer::with_capacity(256), version }
    }

    /// Writes a Structure whose children `body` writes.
    pub fn structure(&mut self, tag: Tag, body: impl FnOnce(&mut Encoder)) {
        let open: OpenStructure = self.w.open(tag);
        body(self);
        self.w.close(open);
    }

    /// Writes `value` if present.
    pub fn opt<T: Encode>(&mut self, tag: Tag, value: &Option<T>) {
        if let Some(v) = value {
            v.encode(tag, self);
        }
    }

    /// Writes every element of `values`.
    pub fn many<T: Encode>(&mut self, tag: Tag, values: &[T]) {
        for v in values {
            v.encode(tag, self);
        }
    }

    /// The encoded bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.w.into_bytes()
    }
}

/// Reads the fields of a structure: hands each child to `each`, which returns `false` for a
/// tag it does not take (an error), and adds the structure's tag to any error's path.
pub(crate) fn read_fields(
    field: Field<'_>,
    mut each: impl FnMut(Field<'_>) -> Result<bool, DecodeError>,
) -> Result<(), DecodeError> {
    let tag = field.tag;
    let mut reader = field.into_structure()?;
    while let Some(child) = reader.next_field().map_err(|e| e.within(tag))? {
        let child_tag = child.tag;
        let offset = child.offset;
        if !each(child).map_err(|e| e.within(tag))? {
            return Err(DecodeError::new(DecodeErrorKind::UnexpectedTag(child_tag), offset).within(tag));
        }
    }
    Ok(())
}

/// Stores a field that may appear at most once.
pub(crate) fn put_once<T: Decode>(slot: &mut Option<T>, field: Field<'_>) -> Result<bool, DecodeError> {
    if slot.is_some() {
        return Err(field.error(DecodeErrorKind::UnexpectedTag(field.tag)));
    }
    *slot = Some(T::decode(field)?);
    Ok(true)
}

/// A required field that did not come.
pub(crate) fn missing(parent: Tag, tag: Tag, offset: usize) -> DecodeError {
    DecodeError::new(DecodeErrorKind::MissingField(tag), offset).within(parent)
}

/// A large optional field is boxed, so that a payload enum stays small.
impl<T: Decode> Decode for Box<T> {
    fn decode(field: Field<'_>) -> Result<Self, DecodeError> {
        T::decode(field).map(Box::new)
    }
}

impl<T: Encode> Encode for Box<T> {
    fn encode(&self, tag: Tag, e: &mut Encoder) {
        (**self).encode(tag, e)
    }
}

impl Decode for String {
    fn decode(f: Field<'_>) -> Result<Self, DecodeError> {
        f.text().map(str::to_owned)
    }
}

impl Encode for String {
    fn encode(&self, tag: Tag, e: &mut Encoder) {
        e.w.text(tag, self);
    }
}

impl Decode for i32 {
    fn decode(f: Field<'_>) -> Result<Self, DecodeError> {
        f.integer()
    }
}

impl Encode for i32 {
    fn encode(&self, tag: Tag, e: &mut Encoder) {
        e.w.integer(tag, *self);
    }
}

impl Decode for i64 {
    fn decode(f: Field<'_>) -> Result<Self, DecodeError> {
        f.long_integer()
    }
}

impl Encode for i64 {
    fn encode(&self, tag: Tag, e: &mut Encoder) {
        e.w.long_integer(tag, *self);
    }
}

impl Decode for bool {
    fn decode(f: Field<'_>) -> Result<Self, DecodeError> {
        f.boolean()
    }
}

impl Encode for bool {
    fn encode(&self, tag: Tag, e: &mut Encoder) {
        e.w.boolean(tag, *self);
    }
}

/// A Byte String that is not secret (identifiers, IVs, correlation values). Key material
/// uses [`crate::SecretBytes`] instead.
impl Decode for Vec<u8> {
    fn decode(f: Field<'_>) -> Result<Self, DecodeError> {
        f.bytes().map(<[u8]>::to_vec)
    }
}

impl Encode for Vec<u8> {
    fn encode(&self, tag: Tag, e: &mut Encoder) {
        e.w.bytes(tag, self);
    }
}

/// Any item, kept whole: for parts of the model that are carried but not interpreted.
impl Decode for ttlv::Item {
    fn decode(f: Field<'_>) -> Result<Self, DecodeError> {
        f.into_item()
    }
}

impl Encode for ttlv::Item {
    fn encode(&self, tag: Tag, e: &mut Encoder) {
        e.w.item(&ttlv::Item::new(tag, self.value.clone()));
    }
}

/// A Date-Time: seconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime(pub i64);

impl Decode for DateTime {
    fn decode(f: Field<'_>) -> Result<Self, DecodeError> {
        f.date_time().map(DateTime)
    }
}

impl Encode for DateTime {
    fn encode(&self, tag: Tag, e: &mut Encoder) {
        e.w.date_time(tag, self.0);
    }
}

/// An Interval: a number of seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval(pub u32);

impl Decode for Interval {
    fn decode(f: Field<'_>) -> Result<Self, DecodeError> {
        f.interval().map(Interval)
    }
}

impl Encode for Interval {
    fn encode(&self, tag: Tag, e: &mut Encoder) {
        e.w.interval(tag, self.0);
    }
}

/// Decode/Encode for the registry's enumeration newtypes (carried as Enumerations) and mask
/// newtypes (carried as Integers).
macro_rules! wire_enums {
    (enumerations: $($e:ident),* ; masks: $($m:ident),* $(,)?) => {
        $(
            impl Decode for ttlv::dict::$e {
                fn decode(f: Field<'_>) -> Result<Self, DecodeError> {
                    f.enumeration().map(Self)
                }
            }
            impl Encode for ttlv::dict::$e {
                fn encode(&self, tag: Tag, e: &mut Encoder) {
                    e.w.enumeration(tag, self.0);
                }
            }
        )*
        $(
            impl Decode for ttlv::dict::$m {
                fn decode(f: Field<'_>) -> Result<Self, DecodeError> {
                    f.integer().map(|v| Self(v as u32))
                }
            }
            impl Encode for ttlv::dict::$m {
                fn encode(&self, tag: Tag, e: &mut Encoder) {
                    e.w.integer(tag, self.0 as i32);
                }
            }
        )*
    };
}

wire_enums! {
    enumerations: AlternativeNameType, BatchErrorContinuationOption, BlockCipherMode, CertificateType,
        CredentialType, CryptographicAlgorithm, DerivationMethod, DigitalSignatureAlgorithm,
        EncodingOption, HashingAlgorithm, KeyCompressionType, KeyFormatType, KeyRoleType,
        KeyWrapType, LinkType, MaskGenerator, NameType, ObjectGroupMember, ObjectType,
        OpaqueDataType, Operation, PaddingMethod, ProtectionLevel, QueryFunction,
        RecommendedCurve, ResultReason, ResultStatus, RevocationReasonCode, RNGAlgorithm,
        SecretDataType, SplitKeyMethod, State, UsageLimitsUnit, ValidityIndicator,
        WrappingMethod, AttestationType;
    masks: CryptographicUsageMask, StorageStatusMask, ProtectionStorageMask,
}

/// Derives [`Decode`] and [`Encode`] for a structure whose fields are each `req` (exactly
/// once), `opt` (at most once) or `many` (any number), in spec order. Unknown fields are an
/// error, as KMIP's "Invalid Field" asks.
macro_rules! kmip_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* pub $field:ident : $slot:ident $ty:ty = $tag:ident, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: kmip_struct!(@type $slot $ty), )*
        }

        impl $crate::codec::Decode for $name {
            #[allow(unused_mut, unused_variables)]
            fn decode(field: ttlv::Field<'_>) -> Result<Self, ttlv::DecodeError> {
                let parent = field.tag;
                let offset = field.offset;
                $( let mut $field: kmip_struct!(@acc $slot $ty) = Default::default(); )*
                $crate::codec::read_fields(field, |f| match f.tag {
                    $( ttlv::Tag::$tag => kmip_struct!(@put $slot $field, f), )*
                    _ => Ok(false),
                })?;
                Ok($name {
                    $( $field: kmip_struct!(@finish $slot $field, parent, ttlv::Tag::$tag, offset), )*
                })
            }
        }

        impl $crate::codec::Encode for $name {
            #[allow(unused_variables)]
            fn encode(&self, tag: ttlv::Tag, e: &mut $crate::codec::Encoder) {
                e.structure(tag, |e| {
                    $( kmip_struct!(@write $slot &self.$field, ttlv::Tag::$tag, e); )*
                });
            }
        }
    };
    (@type req $ty:ty) => { $ty };
    (@type opt $ty:ty) => { Option<$ty> };
    (@type many $ty:ty) => { Vec<$ty> };
    (@acc req $ty:ty) => { Option<$ty> };
    (@acc opt $ty:ty) => { Option<$ty> };
    (@acc many $ty:ty) => { Vec<$ty> };
    (@put req $acc:ident, $f:ident) => { $crate::codec::put_once(&mut $acc, $f) };
    (@put opt $acc:ident, $f:ident) => { $crate::codec::put_once(&mut $acc, $f) };
    (@put many $acc:ident, $f:ident) => {{ $acc.push($crate::codec::Decode::decode($f)?); Ok(true) }};
    (@finish req $acc:ident, $parent:ident, $tag:expr, $offset:ident) => {
        $acc.ok_or_else(|| $crate::codec::missing($parent, $tag, $offset))?
    };
    (@finish opt $acc:ident, $parent:ident, $tag:expr, $offset:ident) => { $acc };
    (@finish many $acc:ident, $parent:ident, $tag:expr, $offset:ident) => { $acc };
    (@write req $v:expr, $tag:expr, $e:ident) => { $crate::codec::Encode::encode($v, $tag, $e) };
    (@write opt $v:expr, $tag:expr, $e:ident) => { $e.opt($tag, $v) };
    (@write many $v:expr, $tag:expr, $e:ident) => { $e.many($tag, $v) };
}

pub(crate) use kmip_struct;
