//! Add, Set, Modify and Delete Attribute.
//!
//! 1.x carries the attribute in an `Attribute` structure; 2.x wraps it in `New Attribute` /
//! `Current Attribute`, or names it with an `Attribute Reference`. 1.x responses echo the
//! attribute; 2.x responses return the identifier only.

use ttlv::{DecodeError, Field, Tag};

use crate::attribute::{Attribute, AttributeName};
use crate::codec::{Decode, Encode, Encoder, missing, put_once, read_fields};

/// Decodes the one attribute inside a 2.x `New Attribute` / `Current Attribute` wrapper.
fn decode_wrapped(field: Field<'_>) -> Result<Attribute, DecodeError> {
    let (parent, offset) = (field.tag, field.offset);
    let mut attribute = None;
    read_fields(field, |f| {
        if attribute.is_some() {
            return Ok(false);
        }
        attribute = Some(Attribute::decode_any(f)?);
        Ok(true)
    })?;
    attribute.ok_or_else(|| missing(parent, Tag::ATTRIBUTE, offset))
}

fn encode_wrapped(wrapper: Tag, attribute: &Attribute, e: &mut Encoder) {
    if e.version.is_2x() {
        e.structure(wrapper, |e| attribute.encode_as(e));
    } else {
        attribute.encode_as(e);
    }
}

/// The fields every attribute-changing request may carry.
#[derive(Default)]
struct Parts {
    uid: Option<String>,
    attribute: Option<Attribute>,
    current: Option<Attribute>,
    reference: Option<AttributeName>,
    index: Option<i32>,
}

fn decode_parts(field: Field<'_>) -> Result<Parts, DecodeError> {
    let mut p = Parts::default();
    read_fields(field, |f| match f.tag {
        Tag::UNIQUE_IDENTIFIER => put_once(&mut p.uid, f),
        Tag::ATTRIBUTE if p.attribute.is_none() => {
            p.attribute = Some(Attribute::decode_any(f)?);
            Ok(true)
        }
        Tag::NEW_ATTRIBUTE if p.attribute.is_none() => {
            p.attribute = Some(decode_wrapped(f)?);
            Ok(true)
        }
        Tag::CURRENT_ATTRIBUTE if p.current.is_none() => {
            p.current = Some(decode_wrapped(f)?);
            Ok(true)
        }
        Tag::ATTRIBUTE_NAME | Tag::ATTRIBUTE_REFERENCE => put_once(&mut p.reference, f),
        Tag::ATTRIBUTE_INDEX => put_once(&mut p.index, f),
        _ => Ok(false),
    })?;
    Ok(p)
}

/// Add Attribute request (KMIP 1.4 §4.16).
#[derive(Clone, Debug, PartialEq)]
pub struct AddAttributeRequest {
    /// Unique Identifier; the ID Placeholder when absent.
    pub unique_identifier: Option<String>,
    /// The attribute to add.
    pub attribute: Attribute,
}

impl Decode for AddAttributeRequest {
    fn decode(field: Field<'_>) -> Result<Self, DecodeError> {
        let (parent, offset) = (field.tag, field.offset);
        let p = decode_parts(field)?;
        Ok(AddAttributeRequest {
            unique_identifier: p.uid,
            attribute: p.attribute.ok_or_else(|| missing(parent, Tag::ATTRIBUTE, offset))?,
        })
    }
}

impl Encode for AddAttributeRequest {
    fn encode(&self, tag: Tag, e: &mut Encoder) {
        e.structure(tag, |e| {
            e.opt(Tag::UNIQUE_IDENTIFIER, &self.unique_identifier);
            encode_wrapped(Tag::NEW_ATTRIBUTE, &self.attribute, e);
        });
    }
}

/// Set Attribute request (KMIP 2.0 §6.1.51): set a single-valued attribute, creating it if
/// need be.
#[derive(Clone, Debug, PartialEq)]
pub struct SetAttributeRequest {
    /// Unique Identifier; the ID Placeholder when absent.
    pub unique_identifier: Option<String>,
    /// The new value.
    pub attribute: Attribute,
}

impl Decode for SetAttributeRequest {
    fn decode(field: Field<'_>) -> Result<Self, DecodeError> {
        let (parent, offset) = (field.tag, field.offset);
        let p = decode_parts(field)?;
        Ok(SetAttributeRequest {
            unique_identifier: p.uid,
            attribute: p.attribute.ok_or_else(|| missing(parent, Tag::NEW_ATTRIBUTE, offset))?,
        })
    }
}

impl Encode for SetAttributeRequest {
    fn encode(&self, tag: Tag, e: &mut Encoder) {
        e.structure(tag, |e| {
            e.opt(Tag::UNIQUE_IDENTIFIER, &self.unique_identifier);
            e.structure(Tag::NEW_ATTRIBUTE, |e| self.attribute.encode_as(e));
        });
    }
}

/// Modify Attribute request (KMIP 1.4 §4.17).
#[derive(Clone, Debug, PartialEq)]
pub struct ModifyAttributeRequest {
    /// Unique Identifier; the ID Placeholder when absent.
    pub unique_identifier: Option<String>,
    /// The value to replace (2.x `Current Attribute`); in 1.x the new attribute's name and
    /// index say which.
    pub current: Option<Attribute>,
    /// The new value.
    pub attribute: Attribute,
}

impl Decode for ModifyAttributeRequest {
    fn decode(field: Field<'_>) -> Result<Self, DecodeError> {
        let (parent, offset) = (field.tag, field.offset);
        let p = decode_parts(field)?;
        Ok(ModifyAttributeRequest {
            unique_identifier: p.uid,
            current: p.current,
            attribute: p.attribute.ok_or_else(|| missing(parent, Tag::ATTRIBUTE, offset))?,
        })
    }
}

impl Encode for ModifyAttributeRequest {
    fn encode(&self, tag: Tag, e: &mut Encoder) {
        e.structure(tag, |e| {
            e.opt(Tag::UNIQUE_IDENTIFIER, &self.unique_identifier);
            if let (Some(current), true) = (&self.current, e.version.is_2x()) {
                e.structure(Tag::CURRENT_ATTRIBUTE, |e| current.encode_as(e));
            }
            encode_wrapped(Tag::NEW_ATTRIBUTE, &self.attribute, e);
        });
    }
}

/// Delete Attribute request (KMIP 1.4 §4.18).
#[derive(Clone, Debug, PartialEq)]
pub struct DeleteAttributeRequest {
    /// Unique Identifier; the ID Placeholder when absent.
    pub unique_identifier: Option<String>,
    /// Which attribute.
    pub name: AttributeName,
    /// Which instance (1.x Attribute Index).
    pub index: Option<i32>,
    /// Which instance, by value (2.x Current Attribute).
    pub current: Option<Attribute>,
}

impl Decode for DeleteAttributeRequest {
    fn decode(field: Field<'_>) -> Result<Self, DecodeError> {
        let (parent, offset) = (field.tag, field.offset);
        let p = decode_parts(field)?;
        let name = match (&p.reference, &p.current) {
            (Some(name), _) => name.clone(),
            (None, Some(current)) => current.name.clone(),
            (None, None) => return Err(missing(parent, Tag::ATTRIBUTE_NAME, offset)),
        };
        Ok(DeleteAttributeRequest { unique_identifier: p.uid, name, index: p.index, current: p.current })
    }
}

impl Encode for DeleteAttributeRequest {
    fn encode(&self, tag: Tag, e: &mut Encoder) {
        e.structure(tag, |e| {
            e.opt(Tag::UNIQUE_IDENTIFIER, &self.unique_identifier);
            match (&self.current, e.version.is_2x()) {
                (Some(current), true) => e.structure(Tag::CURRENT_ATTRIBUTE, |e| current.encode_as(e)),
                _ => {
                    self.name.encode_reference(e);
                    if !e.version.is_2x() {
                        e.opt(Tag::ATTRIBUTE_INDEX, &self.index);
                    }
                }
            }
        });
    }
}

/// The response of Add, Set, Modify and Delete Attribute: the identifier, and in 1.x the
/// attribute as it now stands (or as it was, for Delete).
#[derive(Clone, Debug, PartialEq)]
pub struct AttributeChangeResponse {
    /// Unique Identifier.
    pub unique_identifier: String,
    /// The attribute (1.x only).
    pub attribute: Option<Attribute>,
}

impl Decode for AttributeChangeResponse {
    fn decode(field: Field<'_>) -> Result<Self, DecodeError> {
        let (parent, offset) = (field.tag, field.offset);
        let p = decode_parts(field)?;
        Ok(AttributeChangeResponse {
            unique_identifier: p.uid.ok_or_else(|| missing(parent, Tag::UNIQUE_IDENTIFIER, offset))?,
            attribute: p.attribute,
        })
    }
}

impl Encode for AttributeChangeResponse {
    fn encode(&self, tag: Tag, e: &mut Encoder) {
        e.structure(tag, |e| {
            self.unique_identifier.encode(Tag::UNIQUE_IDENTIFIER, e);
            if let (Some(attribute), false) = (&self.attribute, e.version.is_2x()) {
                attribute.encode_as(e);
            }
        });
    }
}
