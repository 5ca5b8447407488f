//! Create Key Pair and Re-key Key Pair: the operations that make a public and a private key
//! together.
//!
//! > KMIP 1.4 §4.2: "This operation requests the server to generate a new public/private key
//! > pair and register the two corresponding new Managed Cryptographic Objects. The request
//! > contains attributes to be assigned to the objects (e.g., Cryptographic Algorithm,
//! > Cryptographic Length, etc.). Attributes and Template Names MAY be specified for both keys
//! > at the same time by specifying a Common Template-Attribute object in the request."

use ttlv::{DecodeError, Field, Item, Tag};

use crate::attribute::Attributes;
use crate::codec::{Decode, Encode, Encoder, Interval, kmip_struct, put_once, read_fields};

/// The three attribute sets of a key-pair request, in either version's container tags:
/// Common/Private Key/Public Key Template-Attribute (1.x) or ... Attributes (2.x).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KeyPairAttributes {
    /// Attributes for both keys.
    pub common: Option<Attributes>,
    /// Attributes for the private key only.
    pub private: Option<Attributes>,
    /// Attributes for the public key only.
    pub public: Option<Attributes>,
}

impl KeyPairAttributes {
    /// Takes `f` into the right set if it is one of the six container tags.
    fn put(&mut self, f: Field<'_>) -> Result<bool, DecodeError> {
        match f.tag {
            Tag::COMMON_TEMPLATE_ATTRIBUTE | Tag::COMMON_ATTRIBUTES => put_once(&mut self.common, f),
            Tag::PRIVATE_KEY_TEMPLATE_ATTRIBUTE | Tag::PRIVATE_KEY_ATTRIBUTES => put_once(&mut self.private, f),
            Tag::PUBLIC_KEY_TEMPLATE_ATTRIBUTE | Tag::PUBLIC_KEY_ATTRIBUTES => put_once(&mut self.public, f),
            _ => Ok(false),
        }
    }

    /// Drops every Attribute Index: 2.x has none.
    pub(crate) fn clear_attribute_indexes(&mut self) {
        for set in [&mut self.common, &mut self.private, &mut self.public].into_iter().flatten() {
            set.list.iter_mut().for_each(|a| a.index = None);
        }
    }

    /// Takes `f` into the right set, or into `masks` if it is a Protection Storage Masks.
    fn put_or_mask(&mut self, f: Field<'_>, masks: &mut Vec<Item>) -> Result<bool, DecodeError> {
        if is_mask(f.tag) {
            masks.push(f.into_item()?);
            return Ok(true);
        }
        self.put(f)
    }

    fn encode(&self, e: &mut Encoder) {
        e.opt(Tag::COMMON_ATTRIBUTES, &self.common);
        e.opt(Tag::PRIVATE_KEY_ATTRIBUTES, &self.private);
        e.opt(Tag::PUBLIC_KEY_ATTRIBUTES, &self.public);
    }
}

/// Create Key Pair request (KMIP 1.4 §4.2, KMIP 2.1 §6.1.4).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CreateKeyPairRequest {
    /// The attributes of the two keys.
    pub attributes: KeyPairAttributes,
    /// Common, Private Key and Public Key Protection Storage Masks (2.x), kept as sent.
    pub protection_storage_masks: Vec<Item>,
}

fn is_mask(tag: Tag) -> bool {
    matches!(
        tag,
        Tag::COMMON_PROTECTION_STORAGE_MASKS
            | Tag::PRIVATE_PROTECTION_STORAGE_MASKS
            | Tag::PUBLIC_PROTECTION_STORAGE_MASKS
    )
}

impl Decode for CreateKeyPairRequest {
    fn decode(field: Field<'_>) -> Result<Self, DecodeError> {
        let mut out = CreateKeyPairRequest::default();
        read_fields(field, |f| out.attributes.put_or_mask(f, &mut out.protection_storage_masks))?;
        Ok(out)
    }
}

impl Encode for CreateKeyPairRequest {
    fn encode(&self, tag: Tag, e: &mut Encoder) {
        e.structure(tag, |e| {
            self.attributes.encode(e);
            self.protection_storage_masks.iter().for_each(|m| e.w.item(m));
        });
    }
}

kmip_struct! {
    /// Create Key Pair response, and Re-key Key Pair response.
    pub struct CreateKeyPairResponse {
        /// The new private key.
        pub private_key_unique_identifier: req String = PRIVATE_KEY_UNIQUE_IDENTIFIER,
        /// The new public key.
        pub public_key_unique_identifier: req String = PUBLIC_KEY_UNIQUE_IDENTIFIER,
        /// Attributes the server set implicitly on the private key (1.x only).
        pub private_key_template_attribute: opt Attributes = PRIVATE_KEY_TEMPLATE_ATTRIBUTE,
        /// Attributes the server set implicitly on the public key (1.x only).
        pub public_key_template_attribute: opt Attributes = PUBLIC_KEY_TEMPLATE_ATTRIBUTE,
    }
}

/// Re-key Key Pair request (KMIP 1.4 §4.5): a new pair to replace the one whose private key is
/// named.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReKeyKeyPairRequest {
    /// The private key to replace; the ID Placeholder when absent.
    pub private_key_unique_identifier: Option<String>,
    /// Offset between the new keys' Initial Date and their Activation Date.
    pub offset: Option<Interval>,
    /// Attributes for the new keys.
    pub attributes: KeyPairAttributes,
    /// Protection Storage Masks (2.x), kept as sent.
    pub protection_storage_masks: Vec<Item>,
}

impl Decode for ReKeyKeyPairRequest {
    fn decode(field: Field<'_>) -> Result<Self, DecodeError> {
        let mut out = ReKeyKeyPairRequest::default();
        read_fields(field, |f| match f.tag {
            Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER => put_once(&mut out.private_key_unique_identifier, f),
            Tag::OFFSET => put_once(&mut out.offset, f),
            _ => out.attributes.put_or_mask(f, &mut out.protection_storage_masks),
        })?;
        Ok(out)
    }
}

impl Encode for ReKeyKeyPairRequest {
    fn encode(&self, tag: Tag, e: &mut Encoder) {
        e.structure(tag, |e| {
            e.opt(Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER, &self.private_key_unique_identifier);
            e.opt(Tag::OFFSET, &self.offset);
            self.attributes.encode(e);
            self.protection_storage_masks.iter().for_each(|m| e.w.item(m));
        });
    }
}
