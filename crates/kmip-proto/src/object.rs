//! Managed Objects and their key blocks.
//!
//! > KMIP 1.4 §2.2: "Managed Objects are objects that are the subjects of key management
//! > operations": Certificate, Symmetric Key, Public Key, Private Key, Split Key, Template,
//! > Secret Data, Opaque Object and PGP Key.

use ttlv::dict::{
    CertificateType, CryptographicAlgorithm, KeyCompressionType, KeyFormatType, ObjectType, OpaqueDataType,
    SecretDataType, SplitKeyMethod,
};
use ttlv::{DecodeError, Field, Item, ItemType, Tag};

use crate::attribute::Attribute;
use crate::codec::{Decode, Encode, Encoder, kmip_struct, read_fields};
use crate::{SecretBytes, SecretItem};

/// The Key Material of a Key Value: raw bytes (Raw, Opaque, PKCS#1, PKCS#8 and the like) or a
/// structure (the Transparent formats).
#[derive(Clone, Debug, PartialEq)]
pub enum KeyMaterial {
    /// A Byte String.
    Bytes(SecretBytes),
    /// A Transparent key structure, kept whole.
    Transparent(SecretItem),
}

/// A Key Value: in the clear (material plus 1.x attributes), or wrapped (a Byte String).
///
/// > KMIP 1.4 §2.1.4: "The Key Value is used only inside a Key Block and is either a Byte
/// > String or a structure ... The Key Value Byte String is either the wrapped TTLV-encoded
/// > Key Value structure, or the wrapped un-encoded value of the Byte String Key Material".
#[derive(Clone, Debug, PartialEq)]
pub enum KeyValue {
    /// Key Material and any attributes carried with it.
    Plain {
        /// The material.
        material: KeyMaterial,
        /// Attributes in the Key Value (1.x `Attribute`s, or a 2.x `Attributes`).
        attributes: Vec<Attribute>,
    },
    /// Wrapped bytes; the Key Block's Key Wrapping Data says how.
    Wrapped(SecretBytes),
}

impl Decode for KeyValue {
    fn decode(field: Field<'_>) -> Result<Self, DecodeError> {
        if field.item_type() == ItemType::ByteString {
            return SecretBytes::decode(field).map(KeyValue::Wrapped);
        }
        let mut material = None;
        let mut attributes = Vec::new();
        read_fields(field, |f| {
            match f.tag {
                Tag::KEY_MATERIAL if material.is_some() => return Ok(false),
                Tag::KEY_MATERIAL if f.item_type() == ItemType::ByteString => {
                    material = Some(KeyMaterial::Bytes(SecretBytes::decode(f)?));
                }
                Tag::KEY_MATERIAL => material = Some(KeyMaterial::Transparent(SecretItem(f.into_item()?))),
                Tag::ATTRIBUTE => attributes.push(Attribute::decode_any(f)?),
                Tag::ATTRIBUTES => {
                    read_fields(f, |a| {
                        attributes.push(Attribute::decode_any(a)?);
                        Ok(true)
                    })?;
                }
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        let material = material.unwrap_or(KeyMaterial::Bytes(SecretBytes::default()));
        Ok(KeyValue::Plain { material, attributes })
    }
}

impl Encode for KeyValue {
    fn encode(&self, tag: Tag, e: &mut Encoder) {
        match self {
            KeyValue::Wrapped(bytes) => bytes.encode(tag, e),
            KeyValue::Plain { material, attributes } => e.structure(tag, |e| {
                match material {
                    KeyMaterial::Bytes(bytes) => bytes.encode(Tag::KEY_MATERIAL, e),
                    KeyMaterial::Transparent(item) => item.0.encode(Tag::KEY_MATERIAL, e),
                }
                if attributes.is_empty() {
                    return;
                }
                if e.version.is_2x() {
                    e.structure(Tag::ATTRIBUTES, |e| attributes.iter().for_each(|a| a.encode_as(e)));
                } else {
                    attributes.iter().for_each(|a| a.encode_as(e));
                }
            }),
        }
    }
}

kmip_struct! {
    /// Key Block (KMIP 1.4 §2.1.3).
    pub struct KeyBlock {
        /// Key Format Type.
        pub key_format_type: req KeyFormatType = KEY_FORMAT_TYPE,
        /// Key Compression Type.
        pub key_compression_type: opt KeyCompressionType = KEY_COMPRESSION_TYPE,
        /// Key Value; absent when the server holds the object without its value.
        pub key_value: opt KeyValue = KEY_VALUE,
        /// Cryptographic Algorithm.
        pub cryptographic_algorithm: opt CryptographicAlgorithm = CRYPTOGRAPHIC_ALGORITHM,
        /// Cryptographic Length.
        pub cryptographic_length: opt i32 = CRYPTOGRAPHIC_LENGTH,
        /// Key Wrapping Data, for a wrapped Key Value.
        pub key_wrapping_data: opt Box<crate::KeyWrappingData> = KEY_WRAPPING_DATA,
    }
}

impl KeyBlock {
    /// A key block holding `bytes` in the clear, in `format`.
    pub fn plain(
        format: KeyFormatType,
        bytes: SecretBytes,
        algorithm: Option<CryptographicAlgorithm>,
        length: Option<i32>,
    ) -> Self {
        KeyBlock {
            key_format_type: format,
            key_compression_type: None,
            key_value: Some(KeyValue::Plain { material: KeyMaterial::Bytes(bytes), attributes: Vec::new() }),
            cryptographic_algorithm: algorithm,
            cryptographic_length: length,
            key_wrapping_data: None,
        }
    }
}

kmip_struct! {
    /// A Symmetric Key, Public Key or Private Key: a Key Block alone.
    pub struct KeyObject {
        /// The key block.
        pub key_block: req KeyBlock = KEY_BLOCK,
    }
}

kmip_struct! {
    /// Secret Data (KMIP 1.4 §2.2.7).
    pub struct SecretData {
        /// Secret Data Type (Password, Seed).
        pub secret_data_type: req SecretDataType = SECRET_DATA_TYPE,
        /// The key block.
        pub key_block: req KeyBlock = KEY_BLOCK,
    }
}

kmip_struct! {
    /// Opaque Object (KMIP 1.4 §2.2.8).
    pub struct OpaqueObject {
        /// Opaque Data Type.
        pub opaque_data_type: req OpaqueDataType = OPAQUE_DATA_TYPE,
        /// Opaque Data Value.
        pub value: req SecretBytes = OPAQUE_DATA_VALUE,
    }
}

kmip_struct! {
    /// Certificate (KMIP 1.4 §2.2.1).
    pub struct Certificate {
        /// Certificate Type.
        pub certificate_type: req CertificateType = CERTIFICATE_TYPE,
        /// Certificate Value (DER).
        pub value: req Vec<u8> = CERTIFICATE_VALUE,
    }
}

kmip_struct! {
    /// Split Key (KMIP 1.4 §2.2.5).
    pub struct SplitKey {
        /// Split Key Parts.
        pub parts: req i32 = SPLIT_KEY_PARTS,
        /// Key Part Identifier.
        pub key_part_identifier: req i32 = KEY_PART_IDENTIFIER,
        /// Split Key Threshold.
        pub threshold: req i32 = SPLIT_KEY_THRESHOLD,
        /// Split Key Method.
        pub method: req SplitKeyMethod = SPLIT_KEY_METHOD,
        /// Prime Field Size (a Big Integer).
        pub prime_field_size: opt Item = PRIME_FIELD_SIZE,
        /// The key block.
        pub key_block: req KeyBlock = KEY_BLOCK,
    }
}

/// A Managed Object, as a Register request or a Get response carries it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ManagedObject {
    /// Symmetric Key.
    SymmetricKey(KeyObject),
    /// Public Key.
    PublicKey(KeyObject),
    /// Private Key.
    PrivateKey(KeyObject),
    /// Secret Data.
    SecretData(SecretData),
    /// Opaque Object.
    OpaqueObject(OpaqueObject),
    /// Certificate.
    Certificate(Certificate),
    /// Split Key.
    SplitKey(SplitKey),
    /// Template, PGP Key, Certificate Request: carried whole.
    Other(SecretItem),
}

impl ManagedObject {
    /// The tags that carry a Managed Object in a payload.
    pub const TAGS: [Tag; 10] = [
        Tag::SYMMETRIC_KEY,
        Tag::PUBLIC_KEY,
        Tag::PRIVATE_KEY,
        Tag::SECRET_DATA,
        Tag::OPAQUE_OBJECT,
        Tag::CERTIFICATE,
        Tag::SPLIT_KEY,
        Tag::TEMPLATE,
        Tag::PGP_KEY,
        Tag::CERTIFICATE_REQUEST,
    ];

    /// The object's tag.
    pub fn tag(&self) -> Tag {
        match self {
            ManagedObject::SymmetricKey(_) => Tag::SYMMETRIC_KEY,
            ManagedObject::PublicKey(_) => Tag::PUBLIC_KEY,
            ManagedObject::PrivateKey(_) => Tag::PRIVATE_KEY,
            ManagedObject::SecretData(_) => Tag::SECRET_DATA,
            ManagedObject::OpaqueObject(_) => Tag::OPAQUE_OBJECT,
            ManagedObject::Certificate(_) => Tag::CERTIFICATE,
            ManagedObject::SplitKey(_) => Tag::SPLIT_KEY,
            ManagedObject::Other(item) => item.0.tag,
        }
    }

    /// The Object Type that goes with the object.
    pub fn object_type(&self) -> ObjectType {
        match self.tag() {
            Tag::SYMMETRIC_KEY => ObjectType::SYMMETRIC_KEY,
            Tag::PUBLIC_KEY => ObjectType::PUBLIC_KEY,
            Tag::PRIVATE_KEY => ObjectType::PRIVATE_KEY,
            Tag::SECRET_DATA => ObjectType::SECRET_DATA,
            Tag::OPAQUE_OBJECT => ObjectType::OPAQUE_DATA,
            Tag::CERTIFICATE => ObjectType::CERTIFICATE,
            Tag::SPLIT_KEY => ObjectType::SPLIT_KEY,
            Tag::TEMPLATE => ObjectType::TEMPLATE,
            Tag::PGP_KEY => ObjectType::PGP_KEY,
            _ => ObjectType::CERTIFICATE_REQUEST,
        }
    }

    /// Drops the Attribute Index of attributes carried in the Key Value (2.x has none).
    pub fn clear_attribute_indexes(&mut self) {
        let block = match self {
            ManagedObject::SymmetricKey(k) | ManagedObject::PublicKey(k) | ManagedObject::PrivateKey(k) => {
                &mut k.key_block
            }
            ManagedObject::SecretData(s) => &mut s.key_block,
            ManagedObject::SplitKey(s) => &mut s.key_block,
            _ => return,
        };
        if let Some(KeyValue::Plain { attributes, .. }) = &mut block.key_value {
            attributes.iter_mut().for_each(|a| a.index = None);
        }
    }

    /// The object's key block, to change, for the objects that have one.
    pub fn key_block_mut(&mut self) -> Option<&mut KeyBlock> {
        match self {
            ManagedObject::SymmetricKey(k) | ManagedObject::PublicKey(k) | ManagedObject::PrivateKey(k) => {
                Some(&mut k.key_block)
            }
            ManagedObject::SecretData(s) => Some(&mut s.key_block),
            ManagedObject::SplitKey(s) => Some(&mut s.key_block),
            _ => None,
        }
    }

    /// The object's key block, for the objects that have one.
    pub fn key_block(&self) -> Option<&KeyBlock> {
        match self {
            ManagedObject::SymmetricKey(k) | ManagedObject::PublicKey(k) | ManagedObject::PrivateKey(k) => {
                Some(&k.key_block)
            }
            ManagedObject::SecretData(s) => Some(&s.key_block),
            ManagedObject::SplitKey(s) => Some(&s.key_block),
            _ => None,
        }
    }
}

impl Decode for ManagedObject {
    fn decode(field: Field<'_>) -> Result<Self, DecodeError> {
        Ok(match field.tag {
            Tag::SYMMETRIC_KEY => ManagedObject::SymmetricKey(KeyObject::decode(field)?),
            Tag::PUBLIC_KEY => ManagedObject::PublicKey(KeyObject::decode(field)?),
            Tag::PRIVATE_KEY => ManagedObject::PrivateKey(KeyObject::decode(field)?),
            Tag::SECRET_DATA => ManagedObject::SecretData(SecretData::decode(field)?),
            Tag::OPAQUE_OBJECT => ManagedObject::OpaqueObject(OpaqueObject::decode(field)?),
            Tag::CERTIFICATE => ManagedObject::Certificate(Certificate::decode(field)?),
            Tag::SPLIT_KEY => ManagedObject::SplitKey(SplitKey::decode(field)?),
            _ => ManagedObject::Other(SecretItem(field.into_item()?)),
        })
    }
}

impl ManagedObject {
    /// Writes the object under its own tag.
    pub fn encode_object(&self, e: &mut Encoder) {
        let tag = self.tag();
        match self {
            ManagedObject::SymmetricKey(k) | ManagedObject::PublicKey(k) | ManagedObject::PrivateKey(k) => {
                k.encode(tag, e)
            }
            ManagedObject::SecretData(s) => s.encode(tag, e),
            ManagedObject::OpaqueObject(o) => o.encode(tag, e),
            ManagedObject::Certificate(c) => c.encode(tag, e),
            ManagedObject::SplitKey(s) => s.encode(tag, e),
            ManagedObject::Other(item) => e.w.item(&item.0),
        }
    }
}
