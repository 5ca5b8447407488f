//! Derive Key: a new key or secret computed from objects the server holds.
//!
//! > KMIP 1.4 §4.6: "This request is used to derive a Symmetric Key or Secret Data object from
//! > keys or Secret Data objects that are already known to the key management system."

use ttlv::dict::{DerivationMethod, ObjectType};
use ttlv::{DecodeError, Field, Tag};

use crate::attribute::Attributes;
use crate::codec::{Decode, Encode, Encoder, kmip_struct, missing, put_once, read_fields};
use crate::{CryptographicParameters, SecretBytes};

kmip_struct! {
    /// Derivation Parameters (KMIP 1.4 §4.6): what the derivation method takes.
    #[derive(Default)]
    pub struct DerivationParameters {
        /// Hash (PBKDF2, HMAC, NIST SP 800-108) or cipher (Encrypt) to derive with.
        pub cryptographic_parameters: opt CryptographicParameters = CRYPTOGRAPHIC_PARAMETERS,
        /// The IV, for the Encrypt method.
        pub initialization_vector: opt Vec<u8> = INITIALIZATION_VECTOR,
        /// The data to derive from (the HMAC info, the SP 800-108 fixed input, the data to
        /// encrypt).
        pub derivation_data: opt SecretBytes = DERIVATION_DATA,
        /// The salt (PBKDF2, HMAC).
        pub salt: opt Vec<u8> = SALT,
        /// The PBKDF2 iteration count.
        pub iteration_count: opt i32 = ITERATION_COUNT,
    }
}

/// Derive Key request.
#[derive(Clone, Debug, PartialEq)]
pub struct DeriveKeyRequest {
    /// What to make: Symmetric Key or Secret Data.
    pub object_type: ObjectType,
    /// The objects to derive from (most methods take one); the ID Placeholder when absent.
    pub unique_identifiers: Vec<String>,
    /// How.
    pub derivation_method: DerivationMethod,
    /// With what (boxed: it is the largest part of any request payload).
    pub derivation_parameters: Box<DerivationParameters>,
    /// The new object's attributes (its Cryptographic Length says how much to derive).
    pub attributes: Attributes,
}

impl Decode for DeriveKeyRequest {
    fn decode(field: Field<'_>) -> Result<Self, DecodeError> {
        let (parent, offset) = (field.tag, field.offset);
        let (mut object_type, mut method, mut parameters, mut attributes) = (None, None, None, None);
        let mut unique_identifiers = Vec::new();
        read_fields(field, |f| match f.tag {
            Tag::OBJECT_TYPE => put_once(&mut object_type, f),
            Tag::UNIQUE_IDENTIFIER => {
                unique_identifiers.push(String::decode(f)?);
                Ok(true)
            }
            Tag::DERIVATION_METHOD => put_once(&mut method, f),
            Tag::DERIVATION_PARAMETERS => put_once(&mut parameters, f),
            Tag::TEMPLATE_ATTRIBUTE | Tag::ATTRIBUTES => put_once(&mut attributes, f),
            _ => Ok(false),
        })?;
        Ok(DeriveKeyRequest {
            object_type: object_type.ok_or_else(|| missing(parent, Tag::OBJECT_TYPE, offset))?,
            unique_identifiers,
            derivation_method: method.ok_or_else(|| missing(parent, Tag::DERIVATION_METHOD, offset))?,
            derivation_parameters: parameters.ok_or_else(|| missing(parent, Tag::DERIVATION_PARAMETERS, offset))?,
            attributes: attributes.unwrap_or_default(),
        })
    }
}

impl Encode for DeriveKeyRequest {
    fn encode(&self, tag: Tag, e: &mut Encoder) {
        e.structure(tag, |e| {
            self.object_type.encode(Tag::OBJECT_TYPE, e);
            self.unique_identifiers.iter().for_each(|u| u.encode(Tag::UNIQUE_IDENTIFIER, e));
            self.derivation_method.encode(Tag::DERIVATION_METHOD, e);
            self.derivation_parameters.encode(Tag::DERIVATION_PARAMETERS, e);
            self.attributes.encode(Tag::ATTRIBUTES, e);
        });
    }
}

kmip_struct! {
    /// Derive Key response.
    pub struct DeriveKeyResponse {
        /// The new object.
        pub unique_identifier: req String = UNIQUE_IDENTIFIER,
        /// Attributes the server set implicitly (1.x only).
        pub template_attribute: opt Attributes = TEMPLATE_ATTRIBUTE,
    }
}
