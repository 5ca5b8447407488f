//! Get, Get Attributes, Get Attribute List and Locate: the operations that read.

use ttlv::dict::{KeyCompressionType, KeyFormatType, KeyWrapType, ObjectGroupMember, ObjectType, StorageStatusMask};
use ttlv::{DecodeError, Field, Tag};

use crate::attribute::{Attribute, AttributeName, Attributes};
use crate::codec::{Decode, Encode, Encoder, kmip_struct, missing, put_once, read_fields};
use crate::object::ManagedObject;

kmip_struct! {
    /// Get request (KMIP 1.4 §4.11).
    pub struct GetRequest {
        /// Unique Identifier; the ID Placeholder when absent.
        pub unique_identifier: opt String = UNIQUE_IDENTIFIER,
        /// The format to return the key in.
        pub key_format_type: opt KeyFormatType = KEY_FORMAT_TYPE,
        /// Key Wrap Type (1.4 and later).
        pub key_wrap_type: opt KeyWrapType = KEY_WRAP_TYPE,
        /// Key Compression Type.
        pub key_compression_type: opt KeyCompressionType = KEY_COMPRESSION_TYPE,
        /// How to wrap the key.
        pub key_wrapping_specification: opt Box<crate::KeyWrappingSpecification> = KEY_WRAPPING_SPECIFICATION,
    }
}

impl GetRequest {
    /// Get the object `uid` as it is held: no format, no wrapping.
    pub fn of(uid: &str) -> Self {
        GetRequest {
            unique_identifier: Some(uid.to_owned()),
            key_format_type: None,
            key_wrap_type: None,
            key_compression_type: None,
            key_wrapping_specification: None,
        }
    }
}

/// Get response.
#[derive(Clone, Debug, PartialEq)]
pub struct GetResponse {
    /// Object Type.
    pub object_type: ObjectType,
    /// Unique Identifier.
    pub unique_identifier: String,
    /// The object.
    pub object: ManagedObject,
}

impl Decode for GetResponse {
    fn decode(field: Field<'_>) -> Result<Self, DecodeError> {
        let (parent, offset) = (field.tag, field.offset);
        let (mut object_type, mut uid, mut object) = (None, None, None);
        read_fields(field, |f| match f.tag {
            Tag::OBJECT_TYPE => put_once(&mut object_type, f),
            Tag::UNIQUE_IDENTIFIER => put_once(&mut uid, f),
            t if ManagedObject::TAGS.contains(&t) => put_once(&mut object, f),
            _ => Ok(false),
        })?;
        Ok(GetResponse {
            object_type: object_type.ok_or_else(|| missing(parent, Tag::OBJECT_TYPE, offset))?,
            unique_identifier: uid.ok_or_else(|| missing(parent, Tag::UNIQUE_IDENTIFIER, offset))?,
            object: object.ok_or_else(|| missing(parent, Tag::SYMMETRIC_KEY, offset))?,
        })
    }
}

impl Encode for GetResponse {
    fn encode(&self, tag: Tag, e: &mut Encoder) {
        e.structure(tag, |e| {
            self.object_type.encode(Tag::OBJECT_TYPE, e);
            self.unique_identifier.encode(Tag::UNIQUE_IDENTIFIER, e);
            self.object.encode_object(e);
        });
    }
}

/// Reads a payload of a Unique Identifier and attribute names (1.x `Attribute Name` text or
/// 2.x `Attribute Reference`).
fn decode_uid_and_names(field: Field<'_>) -> Result<(Option<String>, Vec<AttributeName>), DecodeError> {
    let (mut uid, mut names) = (None, Vec::new());
    read_fields(field, |f| match f.tag {
        Tag::UNIQUE_IDENTIFIER => put_once(&mut uid, f),
        Tag::ATTRIBUTE_NAME | Tag::ATTRIBUTE_REFERENCE => {
            names.push(AttributeName::decode(f)?);
            Ok(true)
        }
        _ => Ok(false),
    })?;
    Ok((uid, names))
}

fn encode_uid_and_names(tag: Tag, uid: Option<&String>, names: &[AttributeName], e: &mut Encoder) {
    e.structure(tag, |e| {
        if let Some(uid) = uid {
            uid.encode(Tag::UNIQUE_IDENTIFIER, e);
        }
        names.iter().for_each(|n| n.encode_reference(e));
    });
}

/// Get Attributes request (KMIP 1.4 §4.12).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct GetAttributesRequest {
    /// Unique Identifier; the ID Placeholder when absent.
    pub unique_identifier: Option<String>,
    /// The attributes wanted; all of them when empty.
    pub names: Vec<AttributeName>,
}

impl Decode for GetAttributesRequest {
    fn decode(field: Field<'_>) -> Result<Self, DecodeError> {
        let (unique_identifier, names) = decode_uid_and_names(field)?;
        Ok(GetAttributesRequest { unique_identifier, names })
    }
}

impl Encode for GetAttributesRequest {
    fn encode(&self, tag: Tag, e: &mut Encoder) {
        encode_uid_and_names(tag, self.unique_identifier.as_ref(), &self.names, e);
    }
}

/// Get Attributes response: 1.x lists `Attribute`s in the payload, 2.x wraps them in
/// `Attributes`.
#[derive(Clone, Debug, PartialEq)]
pub struct GetAttributesResponse {
    /// Unique Identifier.
    pub unique_identifier: String,
    /// The attributes found.
    pub attributes: Vec<Attribute>,
}

impl Decode for GetAttributesResponse {
    fn decode(field: Field<'_>) -> Result<Self, DecodeError> {
        let (parent, offset) = (field.tag, field.offset);
        let (mut uid, mut attributes) = (None, Vec::new());
        read_fields(field, |f| match f.tag {
            Tag::UNIQUE_IDENTIFIER => put_once(&mut uid, f),
            Tag::ATTRIBUTE => {
                attributes.push(Attribute::decode_any(f)?);
                Ok(true)
            }
            Tag::ATTRIBUTES => {
                attributes.extend(Attributes::decode(f)?.list);
                Ok(true)
            }
            _ => Ok(false),
        })?;
        Ok(GetAttributesResponse {
            unique_identifier: uid.ok_or_else(|| missing(parent, Tag::UNIQUE_IDENTIFIER, offset))?,
            attributes,
        })
    }
}

impl Encode for GetAttributesResponse {
    fn encode(&self, tag: Tag, e: &mut Encoder) {
        e.structure(tag, |e| {
            self.unique_identifier.encode(Tag::UNIQUE_IDENTIFIER, e);
            if e.version.is_2x() {
                e.structure(Tag::ATTRIBUTES, |e| self.attributes.iter().for_each(|a| a.encode_as(e)));
            } else {
                self.attributes.iter().for_each(|a| a.encode_as(e));
            }
        });
    }
}

kmip_struct! {
    /// Get Attribute List request (KMIP 1.4 §4.13).
    pub struct GetAttributeListRequest {
        /// Unique Identifier; the ID Placeholder when absent.
        pub unique_identifier: opt String = UNIQUE_IDENTIFIER,
    }
}

/// Get Attribute List response: attribute names (1.x) or references (2.x).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct GetAttributeListResponse {
    /// Unique Identifier.
    pub unique_identifier: String,
    /// The names of the object's attributes.
    pub names: Vec<AttributeName>,
}

impl Decode for GetAttributeListResponse {
    fn decode(field: Field<'_>) -> Result<Self, DecodeError> {
        let (parent, offset) = (field.tag, field.offset);
        let (uid, names) = decode_uid_and_names(field)?;
        Ok(GetAttributeListResponse {
            unique_identifier: uid.ok_or_else(|| missing(parent, Tag::UNIQUE_IDENTIFIER, offset))?,
            names,
        })
    }
}

impl Encode for GetAttributeListResponse {
    fn encode(&self, tag: Tag, e: &mut Encoder) {
        encode_uid_and_names(tag, Some(&self.unique_identifier), &self.names, e);
    }
}

/// Locate request (KMIP 1.4 §4.9): 1.x lists `Attribute`s in the payload, 2.x wraps them in
/// `Attributes`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct LocateRequest {
    /// Maximum Items to return.
    pub maximum_items: Option<i32>,
    /// Offset Items to skip (1.3 and later).
    pub offset_items: Option<i32>,
    /// Which storage to search: on-line, archived, destroyed.
    pub storage_status_mask: Option<StorageStatusMask>,
    /// Object Group Member (1.1 and later).
    pub object_group_member: Option<ObjectGroupMember>,
    /// The attributes every match must have.
    pub attributes: Vec<Attribute>,
}

impl Decode for LocateRequest {
    fn decode(field: Field<'_>) -> Result<Self, DecodeError> {
        let mut out = LocateRequest::default();
        read_fields(field, |f| match f.tag {
            Tag::MAXIMUM_ITEMS => put_once(&mut out.maximum_items, f),
            Tag::OFFSET_ITEMS => put_once(&mut out.offset_items, f),
            Tag::STORAGE_STATUS_MASK => put_once(&mut out.storage_status_mask, f),
            Tag::OBJECT_GROUP_MEMBER => put_once(&mut out.object_group_member, f),
            Tag::ATTRIBUTE => {
                out.attributes.push(Attribute::decode_any(f)?);
                Ok(true)
            }
            Tag::ATTRIBUTES => {
                out.attributes.extend(Attributes::decode(f)?.list);
                Ok(true)
            }
            _ => Ok(false),
        })?;
        Ok(out)
    }
}

impl Encode for LocateRequest {
    fn encode(&self, tag: Tag, e: &mut Encoder) {
        e.structure(tag, |e| {
            e.opt(Tag::MAXIMUM_ITEMS, &self.maximum_items);
            e.opt(Tag::OFFSET_ITEMS, &self.offset_items);
            e.opt(Tag::STORAGE_STATUS_MASK, &self.storage_status_mask);
            e.opt(Tag::OBJECT_GROUP_MEMBER, &self.object_group_member);
            if e.version.is_2x() {
                e.structure(Tag::ATTRIBUTES, |e| self.attributes.iter().for_each(|a| a.encode_as(e)));
            } else {
                self.attributes.iter().for_each(|a| a.encode_as(e));
            }
        });
    }
}

kmip_struct! {
    /// Locate response.
    pub struct LocateResponse {
        /// How many objects matched in all (1.3 and later).
        pub located_items: opt i32 = LOCATED_ITEMS,
        /// The matches returned.
        pub unique_identifiers: many String = UNIQUE_IDENTIFIER,
    }
}
