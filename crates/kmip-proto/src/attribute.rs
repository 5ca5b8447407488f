//! Attributes, in the one neutral form the rest of the product uses, and the only place that
//! converts between the KMIP 1.x and 2.x shapes.
//!
//! - 1.x: `Attribute { Attribute Name (text), [Attribute Index], Attribute Value }`, collected
//!   in a `Template-Attribute` (which may also name templates), and attribute names as text.
//! - 2.x: each attribute is an item whose tag is the attribute's tag, collected in an
//!   `Attributes` structure; a vendor attribute is `Attribute { Vendor Identification,
//!   Attribute Name, Attribute Value }`; names are `Attribute Reference`s.
//!
//! The neutral form is the 2.x one: an [`Attribute`] holds its value as an item tagged with
//! the attribute's own tag. Decoding accepts either shape whatever the message version says
//! (lenient input); encoding writes the shape of the [`Encoder`]'s version (strict output).

use std::borrow::Cow;

use ttlv::dict::{NameType, attribute_name, attribute_tag};
use ttlv::{DecodeError, DecodeErrorKind, Field, Item, Tag, Value};

use crate::codec::{Decode, Encode, Encoder, kmip_struct, missing, put_once, read_fields};

/// Which attribute: one the specification defines, or a vendor's.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AttributeName {
    /// A standard attribute, named by its tag.
    Standard(Tag),
    /// A vendor attribute. In 1.x its name is `vendor-name` (`x-Vendor` has vendor `x`).
    Custom {
        /// Vendor Identification; empty when a 1.x name has no `-`.
        vendor: String,
        /// Attribute Name within the vendor's namespace.
        name: String,
    },
}

impl AttributeName {
    /// The attribute a 1.x name denotes.
    pub fn from_v1(name: &str) -> Self {
        if let Some(tag) = attribute_tag(name) {
            return AttributeName::Standard(tag);
        }
        match name.split_once('-') {
            // An empty vendor part ("-Name") is no vendor: the name is the whole string, so
            // that writing it back as 1.x text gives the same string.
            Some((vendor, rest)) if !vendor.is_empty() => {
                AttributeName::Custom { vendor: vendor.into(), name: rest.into() }
            }
            _ => AttributeName::Custom { vendor: String::new(), name: name.into() },
        }
    }

    /// A vendor attribute from a 2.x Vendor Identification and Attribute Name, in the one
    /// form that survives both shapes: the form its 1.x name (`vendor-name`) reads back as.
    /// So an empty vendor with a standard name is the standard attribute, and a vendor with a
    /// `-` in it splits at the first one.
    pub fn custom(vendor: &str, name: &str) -> Self {
        if vendor.is_empty() {
            AttributeName::from_v1(name)
        } else {
            AttributeName::from_v1(&format!("{vendor}-{name}"))
        }
    }

    /// The 1.x name. Decoding builds `Standard` only for tags the attribute table names, so
    /// the fallbacks serve hand-built values only.
    pub fn v1_name(&self) -> Cow<'_, str> {
        match self {
            AttributeName::Standard(tag) => match attribute_name(*tag).or_else(|| tag.name()) {
                Some(name) => Cow::Borrowed(name),
                None => Cow::Owned(format!("0x{:06X}", tag.0)),
            },
            AttributeName::Custom { vendor, name } if vendor.is_empty() => Cow::Borrowed(name),
            AttributeName::Custom { vendor, name } => Cow::Owned(format!("{vendor}-{name}")),
        }
    }

    /// The tag a value of this attribute carries in the neutral form.
    pub fn value_tag(&self) -> Tag {
        match self {
            AttributeName::Standard(tag) => *tag,
            AttributeName::Custom { .. } => Tag::ATTRIBUTE_VALUE,
        }
    }

    /// Writes the name as the version asks: `Attribute Name` text (1.x) or `Attribute
    /// Reference` (2.x).
    pub fn encode_reference(&self, e: &mut Encoder) {
        if !e.version.is_2x() {
            e.w.text(Tag::ATTRIBUTE_NAME, &self.v1_name());
            return;
        }
        match self {
            AttributeName::Standard(tag) => e.w.enumeration(Tag::ATTRIBUTE_REFERENCE, tag.0),
            AttributeName::Custom { vendor, name } => e.structure(Tag::ATTRIBUTE_REFERENCE, |e| {
                e.w.text(Tag::VENDOR_IDENTIFICATION, vendor);
                e.w.text(Tag::ATTRIBUTE_NAME, name);
            }),
        }
    }
}

/// Decodes an `Attribute Name` (text, 1.x) or an `Attribute Reference` (2.x).
impl Decode for AttributeName {
    fn decode(field: Field<'_>) -> Result<Self, DecodeError> {
        match field.item_type() {
            ttlv::ItemType::TextString => Ok(AttributeName::from_v1(field.text()?)),
            ttlv::ItemType::Enumeration => {
                let tag = Tag(field.enumeration()?);
                if attribute_name(tag).is_none() {
                    return Err(field.error(DecodeErrorKind::BadValue("Attribute Reference names no attribute")));
                }
                Ok(AttributeName::Standard(tag))
            }
            _ => {
                let (parent, offset) = (field.tag, field.offset);
                let (mut vendor, mut name) = (None::<String>, None::<String>);
                read_fields(field, |f| match f.tag {
                    Tag::VENDOR_IDENTIFICATION => put_once(&mut vendor, f),
                    Tag::ATTRIBUTE_NAME => put_once(&mut name, f),
                    _ => Ok(false),
                })?;
                let name = name.ok_or_else(|| missing(parent, Tag::ATTRIBUTE_NAME, offset))?;
                Ok(AttributeName::custom(vendor.as_deref().unwrap_or_default(), &name))
            }
        }
    }
}

/// One attribute and its value.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    /// Which attribute.
    pub name: AttributeName,
    /// Attribute Index (1.x only; 2.x dropped it).
    pub index: Option<i32>,
    /// The value, tagged with [`AttributeName::value_tag`].
    pub value: Item,
}

impl Attribute {
    /// A standard attribute.
    pub fn new(tag: Tag, value: Value) -> Self {
        Attribute { name: AttributeName::Standard(tag), index: None, value: Item::new(tag, value) }
    }

    /// A Name attribute of type Uninterpreted Text String, the kind clients give keys.
    pub fn name(value: &str) -> Self {
        Self::from_item(Item::structure(
            Tag::NAME,
            vec![
                Item::new(Tag::NAME_VALUE, Value::TextString(value.to_owned())),
                Item::new(Tag::NAME_TYPE, Value::Enumeration(ttlv::dict::NameType::UNINTERPRETED_TEXT_STRING.0)),
            ],
        ))
    }

    /// A standard attribute from an item in the 2.x shape (its tag names the attribute).
    pub fn from_item(item: Item) -> Self {
        Attribute { name: AttributeName::Standard(item.tag), index: None, value: item }
    }

    /// The attribute's tag, for a standard one.
    pub fn tag(&self) -> Option<Tag> {
        match self.name {
            AttributeName::Standard(tag) => Some(tag),
            AttributeName::Custom { .. } => None,
        }
    }

    /// Decodes an attribute in either shape: a 1.x or vendor `Attribute` structure, or a 2.x
    /// attribute item (any other tag).
    pub fn decode_any(field: Field<'_>) -> Result<Self, DecodeError> {
        if field.tag != Tag::ATTRIBUTE {
            // Only a tag the registry knows as an attribute's is one: anything else could not
            // be named in a 1.x reply, and is a field this structure does not take.
            if attribute_name(field.tag).is_none() {
                return Err(field.error(DecodeErrorKind::UnexpectedTag(field.tag)));
            }
            return Ok(Attribute::from_item(field.into_item()?));
        }
        let (parent, offset) = (field.tag, field.offset);
        let (mut vendor, mut name, mut index, mut value) = (None::<String>, None::<String>, None, None::<Item>);
        read_fields(field, |f| match f.tag {
            Tag::VENDOR_IDENTIFICATION => put_once(&mut vendor, f),
            Tag::ATTRIBUTE_NAME => put_once(&mut name, f),
            Tag::ATTRIBUTE_INDEX => put_once(&mut index, f),
            Tag::ATTRIBUTE_VALUE => put_once(&mut value, f),
            _ => Ok(false),
        })?;
        let name = name.ok_or_else(|| missing(parent, Tag::ATTRIBUTE_NAME, offset))?;
        let name = AttributeName::custom(vendor.as_deref().unwrap_or_default(), &name);
        // > KMIP 1.4 §2.1.1: the Attribute Value "is mandatory in a request" except where
        // > an operation says otherwise (Delete Attribute, Get Attributes): treat a missing
        // > one as an empty structure so that those payloads can decode it.
        let value = value.map_or(Value::Structure(Vec::new()), |v| v.value);
        Ok(Attribute { value: Item::new(name.value_tag(), value), name, index })
    }

    /// Writes the attribute in the shape of the encoder's version: a 1.x `Attribute`
    /// structure, or in 2.x the value under the attribute's own tag (a vendor attribute as
    /// an `Attribute` structure).
    pub fn encode_as(&self, e: &mut Encoder) {
        match (&self.name, e.version.is_2x()) {
            (AttributeName::Standard(_), true) => e.w.item(&self.value),
            (AttributeName::Custom { vendor, name }, true) => e.structure(Tag::ATTRIBUTE, |e| {
                e.w.text(Tag::VENDOR_IDENTIFICATION, vendor);
                e.w.text(Tag::ATTRIBUTE_NAME, name);
                e.w.item(&Item::new(Tag::ATTRIBUTE_VALUE, self.value.value.clone()));
            }),
            (name, false) => e.structure(Tag::ATTRIBUTE, |e| {
                e.w.text(Tag::ATTRIBUTE_NAME, &name.v1_name());
                e.opt(Tag::ATTRIBUTE_INDEX, &self.index);
                e.w.item(&Item::new(Tag::ATTRIBUTE_VALUE, self.value.value.clone()));
            }),
        }
    }
}

/// A set of attributes: a 1.x Template-Attribute (and its Common/Private/Public variants) or
/// a 2.x Attributes structure, whichever came.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Attributes {
    /// The attributes, in the order they came.
    pub list: Vec<Attribute>,
    /// Template names of a 1.x Template-Attribute (deprecated since 1.3, kept as sent).
    pub template_names: Vec<Item>,
}

impl Attributes {
    /// The first attribute with this tag.
    pub fn get(&self, tag: Tag) -> Option<&Attribute> {
        self.list.iter().find(|a| a.tag() == Some(tag))
    }

    /// The 1.x container tag that stands for a 2.x one, for the payloads that carry both.
    pub fn v1_tag(v2: Tag) -> Tag {
        match v2 {
            Tag::ATTRIBUTES => Tag::TEMPLATE_ATTRIBUTE,
            Tag::COMMON_ATTRIBUTES => Tag::COMMON_TEMPLATE_ATTRIBUTE,
            Tag::PRIVATE_KEY_ATTRIBUTES => Tag::PRIVATE_KEY_TEMPLATE_ATTRIBUTE,
            Tag::PUBLIC_KEY_ATTRIBUTES => Tag::PUBLIC_KEY_TEMPLATE_ATTRIBUTE,
            other => other,
        }
    }
}

impl Decode for Attributes {
    fn decode(field: Field<'_>) -> Result<Self, DecodeError> {
        // In a 1.x Template-Attribute a bare `Name` names a template; in a 2.x Attributes
        // structure a `Name` item is the Name attribute.
        let template = matches!(
            field.tag,
            Tag::TEMPLATE_ATTRIBUTE
                | Tag::COMMON_TEMPLATE_ATTRIBUTE
                | Tag::PRIVATE_KEY_TEMPLATE_ATTRIBUTE
                | Tag::PUBLIC_KEY_TEMPLATE_ATTRIBUTE
        );
        let mut out = Attributes::default();
        read_fields(field, |f| {
            if template && f.tag == Tag::NAME {
                out.template_names.push(f.into_item()?);
            } else {
                out.list.push(Attribute::decode_any(f)?);
            }
            Ok(true)
        })?;
        Ok(out)
    }
}

/// Writes `Attributes` in 2.x, or the matching Template-Attribute tag in 1.x; `tag` is the
/// 2.x tag.
impl Encode for Attributes {
    fn encode(&self, tag: Tag, e: &mut Encoder) {
        let tag = if e.version.is_2x() { tag } else { Attributes::v1_tag(tag) };
        e.structure(tag, |e| {
            if !e.version.is_2x() {
                for name in &self.template_names {
                    e.w.item(name);
                }
            }
            for attribute in &self.list {
                attribute.encode_as(e);
            }
        });
    }
}

kmip_struct! {
    /// The Name attribute (KMIP 1.4 §3.2).
    pub struct Name {
        /// Name Value.
        pub value: req String = NAME_VALUE,
        /// Name Type.
        pub name_type: req NameType = NAME_TYPE,
    }
}

kmip_struct! {
    /// The Link attribute (KMIP 1.4 §3.35).
    pub struct Link {
        /// Link Type.
        pub link_type: req ttlv::dict::LinkType = LINK_TYPE,
        /// Linked Object Identifier.
        pub linked_object_identifier: req String = LINKED_OBJECT_IDENTIFIER,
    }
}

kmip_struct! {
    /// Revocation Reason (KMIP 1.4 §3.31).
    pub struct RevocationReason {
        /// Revocation Reason Code.
        pub code: req ttlv::dict::RevocationReasonCode = REVOCATION_REASON_CODE,
        /// Revocation Message.
        pub message: opt String = REVOCATION_MESSAGE,
    }
}

/// Decodes a typed value from an attribute's value item (a `Name` from the Name attribute).
pub fn typed_value<T: Decode>(item: &Item) -> Result<T, DecodeError> {
    let bytes = ttlv::encode_item(item);
    let ctx = ttlv::DecodeContext::new(ttlv::Limits::default());
    let mut reader = ctx.reader(&bytes)?;
    let field = reader.next_field()?.ok_or(DecodeError::new(DecodeErrorKind::BadValue("empty attribute value"), 0))?;
    T::decode(field)
}

/// Whether an object may carry several instances of the attribute.
///
/// > KMIP 1.4 §3: Name, Object Group, Link, Application Specific Information and Alternative
/// > Name are the standard attributes with "Multiple instances permitted: Yes".
pub fn is_single_valued(tag: Tag) -> bool {
    !matches!(
        tag,
        Tag::NAME | Tag::OBJECT_GROUP | Tag::LINK | Tag::APPLICATION_SPECIFIC_INFORMATION | Tag::ALTERNATIVE_NAME
    )
}

/// The first protocol version that defines an attribute. A server must not send an attribute
/// to a client of an earlier version (Cosmian KMS issue 687: a KMIP 1.0 client failed on the
/// 1.1 `Fresh` attribute).
///
/// > KMIP 1.1 §3 added Certificate Length, the X.509 certificate names, Digital Signature
/// > Algorithm and Fresh; 1.2 Alternative Name, Key Value Present/Location and Original
/// > Creation Date; 1.3 Random Number Generator; 1.4 PKCS#12 Friendly Name, Description,
/// > Comment, Sensitive, Always Sensitive, Extractable and Never Extractable. Everything not
/// > in KMIP 1.4 arrived with 2.0, and the Rotate attributes with 2.1.
pub fn introduced_in(tag: Tag) -> crate::ProtocolVersion {
    use crate::ProtocolVersion as V;
    match tag {
        Tag::CERTIFICATE_LENGTH
        | Tag::X_509_CERTIFICATE_IDENTIFIER
        | Tag::X_509_CERTIFICATE_SUBJECT
        | Tag::X_509_CERTIFICATE_ISSUER
        | Tag::DIGITAL_SIGNATURE_ALGORITHM
        | Tag::FRESH => V::V1_1,
        Tag::ALTERNATIVE_NAME | Tag::KEY_VALUE_PRESENT | Tag::KEY_VALUE_LOCATION | Tag::ORIGINAL_CREATION_DATE => {
            V::V1_2
        }
        Tag::RANDOM_NUMBER_GENERATOR => V::V1_3,
        Tag::PKCS12_FRIENDLY_NAME
        | Tag::DESCRIPTION
        | Tag::COMMENT
        | Tag::SENSITIVE
        | Tag::ALWAYS_SENSITIVE
        | Tag::EXTRACTABLE
        | Tag::NEVER_EXTRACTABLE => V::V1_4,
        Tag::ROTATE_INTERVAL
        | Tag::ROTATE_AUTOMATIC
        | Tag::ROTATE_OFFSET
        | Tag::ROTATE_DATE
        | Tag::ROTATE_GENERATION
        | Tag::ROTATE_NAME
        | Tag::ROTATE_LATEST => V::V2_1,
        Tag::UNIQUE_IDENTIFIER
        | Tag::NAME
        | Tag::OBJECT_TYPE
        | Tag::CRYPTOGRAPHIC_ALGORITHM
        | Tag::CRYPTOGRAPHIC_LENGTH
        | Tag::CRYPTOGRAPHIC_PARAMETERS
        | Tag::CRYPTOGRAPHIC_DOMAIN_PARAMETERS
        | Tag::CERTIFICATE_TYPE
        | Tag::CERTIFICATE_IDENTIFIER
        | Tag::CERTIFICATE_SUBJECT
        | Tag::CERTIFICATE_ISSUER
        | Tag::DIGEST
        | Tag::OPERATION_POLICY_NAME
        | Tag::CRYPTOGRAPHIC_USAGE_MASK
        | Tag::LEASE_TIME
        | Tag::USAGE_LIMITS
        | Tag::STATE
        | Tag::INITIAL_DATE
        | Tag::ACTIVATION_DATE
        | Tag::PROCESS_START_DATE
        | Tag::PROTECT_STOP_DATE
        | Tag::DEACTIVATION_DATE
        | Tag::DESTROY_DATE
        | Tag::COMPROMISE_OCCURRENCE_DATE
        | Tag::COMPROMISE_DATE
        | Tag::REVOCATION_REASON
        | Tag::ARCHIVE_DATE
        | Tag::OBJECT_GROUP
        | Tag::LINK
        | Tag::APPLICATION_SPECIFIC_INFORMATION
        | Tag::CONTACT_INFORMATION
        | Tag::LAST_CHANGE_DATE
        | Tag::CUSTOM_ATTRIBUTE => V::V1_0,
        _ => V::V2_0,
    }
}

/// Whether `version` defines the attribute: introduced by then, and not yet removed.
///
/// > KMIP 2.0 §1.5 (changes since 1.4): Operation Policy Name, and the 1.0 Certificate
/// > Identifier, Certificate Subject and Certificate Issuer, deprecated in 1.3 and 1.1, are
/// > removed.
pub fn defined_in(tag: Tag, version: crate::ProtocolVersion) -> bool {
    let removed = matches!(
        tag,
        Tag::OPERATION_POLICY_NAME | Tag::CERTIFICATE_IDENTIFIER | Tag::CERTIFICATE_SUBJECT | Tag::CERTIFICATE_ISSUER
    );
    introduced_in(tag) <= version && !(removed && version.is_2x())
}
