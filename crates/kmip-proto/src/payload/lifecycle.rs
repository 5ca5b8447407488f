//! Create, Register, Activate, Revoke, Destroy and ReKey: the operations that bring an object
//! into being and move it through its states.

use ttlv::dict::ObjectType;
use ttlv::{DecodeError, Field, Item, Tag};

use crate::attribute::{Attributes, RevocationReason};
use crate::codec::{DateTime, Decode, Encode, Encoder, Interval, kmip_struct, missing, put_once, read_fields};
use crate::object::ManagedObject;

/// The attribute container of a request: `Template-Attribute` (1.x) or `Attributes` (2.x).
fn is_attribute_container(tag: Tag) -> bool {
    matches!(tag, Tag::TEMPLATE_ATTRIBUTE | Tag::ATTRIBUTES)
}

/// Create request (KMIP 1.4 §4.1).
#[derive(Clone, Debug, PartialEq)]
pub struct CreateRequest {
    /// Object Type: Symmetric Key, Secret Data...
    pub object_type: ObjectType,
    /// The attributes to give the new object.
    pub attributes: Attributes,
    /// Protection Storage Masks (2.x).
    pub protection_storage_masks: Option<Item>,
}

impl CreateRequest {
    /// Create a symmetric key of this algorithm, length (bits) and Cryptographic Usage Mask,
    /// with further attributes (a Name, an Object Group...).
    pub fn symmetric_key(
        algorithm: ttlv::dict::CryptographicAlgorithm,
        length: i32,
        usage_mask: i32,
        more: impl IntoIterator<Item = crate::Attribute>,
    ) -> Self {
        use crate::Attribute;
        let mut list = vec![
            Attribute::new(Tag::CRYPTOGRAPHIC_ALGORITHM, ttlv::Value::Enumeration(algorithm.0)),
            Attribute::new(Tag::CRYPTOGRAPHIC_LENGTH, ttlv::Value::Integer(length)),
            Attribute::new(Tag::CRYPTOGRAPHIC_USAGE_MASK, ttlv::Value::Integer(usage_mask)),
        ];
        list.extend(more);
        CreateRequest {
            object_type: ObjectType::SYMMETRIC_KEY,
            attributes: Attributes { list, template_names: Vec::new() },
            protection_storage_masks: None,
        }
    }
}

impl Decode for CreateRequest {
    fn decode(field: Field<'_>) -> Result<Self, DecodeError> {
        let (parent, offset) = (field.tag, field.offset);
        let (mut object_type, mut attributes, mut masks) = (None, None, None);
        read_fields(field, |f| match f.tag {
            Tag::OBJECT_TYPE => put_once(&mut object_type, f),
            t if is_attribute_container(t) => put_once(&mut attributes, f),
            Tag::PROTECTION_STORAGE_MASKS => put_once(&mut masks, f),
            _ => Ok(false),
        })?;
        Ok(CreateRequest {
            object_type: object_type.ok_or_else(|| missing(parent, Tag::OBJECT_TYPE, offset))?,
            attributes: attributes.unwrap_or_default(),
            protection_storage_masks: masks,
        })
    }
}

impl Encode for CreateRequest {
    fn encode(&self, tag: Tag, e: &mut Encoder) {
        e.structure(tag, |e| {
            self.object_type.encode(Tag::OBJECT_TYPE, e);
            self.attributes.encode(Tag::ATTRIBUTES, e);
            e.opt(Tag::PROTECTION_STORAGE_MASKS, &self.protection_storage_masks);
        });
    }
}

kmip_struct! {
    /// Create response.
    pub struct CreateResponse {
        /// Object Type.
        pub object_type: req ObjectType = OBJECT_TYPE,
        /// The new object's Unique Identifier.
        pub unique_identifier: req String = UNIQUE_IDENTIFIER,
        /// Attributes the server set implicitly (1.x only).
        pub template_attribute: opt Attributes = TEMPLATE_ATTRIBUTE,
    }
}

/// Register request (KMIP 1.4 §4.3).
#[derive(Clone, Debug, PartialEq)]
pub struct RegisterRequest {
    /// Object Type.
    pub object_type: ObjectType,
    /// The attributes to give the object.
    pub attributes: Attributes,
    /// The object itself.
    pub object: ManagedObject,
    /// Protection Storage Masks (2.x).
    pub protection_storage_masks: Option<Item>,
}

impl Decode for RegisterRequest {
    fn decode(field: Field<'_>) -> Result<Self, DecodeError> {
        let (parent, offset) = (field.tag, field.offset);
        let (mut object_type, mut attributes, mut object, mut masks) = (None, None, None, None);
        read_fields(field, |f| match f.tag {
            Tag::OBJECT_TYPE => put_once(&mut object_type, f),
            t if is_attribute_container(t) => put_once(&mut attributes, f),
            t if ManagedObject::TAGS.contains(&t) => put_once(&mut object, f),
            Tag::PROTECTION_STORAGE_MASKS => put_once(&mut masks, f),
            _ => Ok(false),
        })?;
        Ok(RegisterRequest {
            object_type: object_type.ok_or_else(|| missing(parent, Tag::OBJECT_TYPE, offset))?,
            attributes: attributes.unwrap_or_default(),
            object: object.ok_or_else(|| missing(parent, Tag::SYMMETRIC_KEY, offset))?,
            protection_storage_masks: masks,
        })
    }
}

impl Encode for RegisterRequest {
    fn encode(&self, tag: Tag, e: &mut Encoder) {
        e.structure(tag, |e| {
            self.object_type.encode(Tag::OBJECT_TYPE, e);
            self.attributes.encode(Tag::ATTRIBUTES, e);
            self.object.encode_object(e);
            e.opt(Tag::PROTECTION_STORAGE_MASKS, &self.protection_storage_masks);
        });
    }
}

kmip_struct! {
    /// Register response.
    pub struct RegisterResponse {
        /// The object's Unique Identifier.
        pub unique_identifier: req String = UNIQUE_IDENTIFIER,
        /// Attributes the server set implicitly (1.x only).
        pub template_attribute: opt Attributes = TEMPLATE_ATTRIBUTE,
    }
}

kmip_struct! {
    /// A request that names one object and nothing else: Activate (§4.19), Destroy (§4.21).
    pub struct UidRequest {
        /// Unique Identifier; the ID Placeholder when absent.
        pub unique_identifier: opt String = UNIQUE_IDENTIFIER,
    }
}

kmip_struct! {
    /// A response that names one object and nothing else: Activate, Revoke, Destroy.
    pub struct UidResponse {
        /// Unique Identifier.
        pub unique_identifier: req String = UNIQUE_IDENTIFIER,
    }
}

kmip_struct! {
    /// Revoke request (KMIP 1.4 §4.20).
    pub struct RevokeRequest {
        /// Unique Identifier; the ID Placeholder when absent.
        pub unique_identifier: opt String = UNIQUE_IDENTIFIER,
        /// Why.
        pub revocation_reason: req RevocationReason = REVOCATION_REASON,
        /// When the compromise happened, for a Key Compromise.
        pub compromise_occurrence_date: opt DateTime = COMPROMISE_OCCURRENCE_DATE,
    }
}

/// ReKey request (KMIP 1.4 §4.4).
#[derive(Clone, Debug, PartialEq)]
pub struct ReKeyRequest {
    /// The key to replace; the ID Placeholder when absent.
    pub unique_identifier: Option<String>,
    /// Offset between the new key's Initial Date and its Activation Date.
    pub offset: Option<Interval>,
    /// Attributes for the new key.
    pub attributes: Attributes,
    /// Protection Storage Masks (2.x).
    pub protection_storage_masks: Option<Item>,
}

impl Decode for ReKeyRequest {
    fn decode(field: Field<'_>) -> Result<Self, DecodeError> {
        let (mut uid, mut offset, mut attributes, mut masks) = (None, None, None, None);
        read_fields(field, |f| match f.tag {
            Tag::UNIQUE_IDENTIFIER => put_once(&mut uid, f),
            Tag::OFFSET => put_once(&mut offset, f),
            t if is_attribute_container(t) => put_once(&mut attributes, f),
            Tag::PROTECTION_STORAGE_MASKS => put_once(&mut masks, f),
            _ => Ok(false),
        })?;
        Ok(ReKeyRequest {
            unique_identifier: uid,
            offset,
            attributes: attributes.unwrap_or_default(),
            protection_storage_masks: masks,
        })
    }
}

impl Encode for ReKeyRequest {
    fn encode(&self, tag: Tag, e: &mut Encoder) {
        e.structure(tag, |e| {
            e.opt(Tag::UNIQUE_IDENTIFIER, &self.unique_identifier);
            e.opt(Tag::OFFSET, &self.offset);
            if !self.attributes.list.is_empty() || !self.attributes.template_names.is_empty() {
                self.attributes.encode(Tag::ATTRIBUTES, e);
            }
            e.opt(Tag::PROTECTION_STORAGE_MASKS, &self.protection_storage_masks);
        });
    }
}

kmip_struct! {
    /// ReKey response.
    pub struct ReKeyResponse {
        /// The new key's Unique Identifier.
        pub unique_identifier: req String = UNIQUE_IDENTIFIER,
        /// Attributes the server set implicitly (1.x only).
        pub template_attribute: opt Attributes = TEMPLATE_ATTRIBUTE,
    }
}
