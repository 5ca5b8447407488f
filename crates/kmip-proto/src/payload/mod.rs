//! Typed operation payloads, and the one dispatch from an Operation to its payload type.
//!
//! Operations this model types have a request and a response struct each; any other
//! operation's payload is carried whole as [`RequestPayload::Other`] /
//! [`ResponsePayload::Other`], so every message decodes and a server can answer "Operation Not
//! Supported" with the batch item's own operation and id.

mod attributes;
mod crypto;
mod derive;
mod discovery;
mod keypair;
mod lifecycle;
mod retrieval;

pub use attributes::*;
pub use crypto::*;
pub use derive::*;
pub use discovery::*;
pub use keypair::*;
pub use lifecycle::*;
pub use retrieval::*;

use ttlv::dict::Operation;
use ttlv::{DecodeError, Field, Item, Tag};

use crate::codec::{Decode, Encode, Encoder};

/// Declares the request and response payload enums over one operation table, so that the
/// operation → type mapping is written once.
macro_rules! payloads {
    ($($variant:ident($op:ident, $req:ty, $resp:ty),)*) => {
        /// A request payload, typed by its operation.
        #[derive(Clone, Debug, PartialEq)]
        #[non_exhaustive]
        #[allow(missing_docs)]
        pub enum RequestPayload {
            $($variant($req),)*
            /// The payload of an operation this model does not type.
            Other(Item),
        }

        /// A response payload, typed by its operation.
        #[derive(Clone, Debug, PartialEq)]
        #[non_exhaustive]
        #[allow(missing_docs)]
        pub enum ResponsePayload {
            $($variant($resp),)*
            /// The payload of an operation this model does not type.
            Other(Item),
        }

        impl RequestPayload {
            /// Decodes the payload of `operation`.
            pub fn decode(operation: Operation, field: Field<'_>) -> Result<Self, DecodeError> {
                Ok(match operation {
                    $(Operation::$op => RequestPayload::$variant(<$req>::decode(field)?),)*
                    _ => RequestPayload::Other(field.into_item()?),
                })
            }

            /// The operation this payload belongs to, for the typed ones.
            pub fn operation(&self) -> Option<Operation> {
                match self {
                    $(RequestPayload::$variant(_) => Some(Operation::$op),)*
                    RequestPayload::Other(_) => None,
                }
            }

            /// Writes the payload as `Request Payload`.
            pub fn encode_payload(&self, e: &mut Encoder) {
                match self {
                    $(RequestPayload::$variant(p) => p.encode(Tag::REQUEST_PAYLOAD, e),)*
                    RequestPayload::Other(item) => item.encode(Tag::REQUEST_PAYLOAD, e),
                }
            }
        }

        impl ResponsePayload {
            /// Decodes the payload of `operation`.
            pub fn decode(operation: Operation, field: Field<'_>) -> Result<Self, DecodeError> {
                Ok(match operation {
                    $(Operation::$op => ResponsePayload::$variant(<$resp>::decode(field)?),)*
                    _ => ResponsePayload::Other(field.into_item()?),
                })
            }

            /// Writes the payload as `Response Payload`.
            pub fn encode_payload(&self, e: &mut Encoder) {
                match self {
                    $(ResponsePayload::$variant(p) => p.encode(Tag::RESPONSE_PAYLOAD, e),)*
                    ResponsePayload::Other(item) => item.encode(Tag::RESPONSE_PAYLOAD, e),
                }
            }
        }
    };
}

impl RequestPayload {
    /// Drops every Attribute Index: 2.x has none.
    pub fn clear_attribute_indexes(&mut self) {
        fn clear(list: &mut [crate::Attribute]) {
            list.iter_mut().for_each(|a| a.index = None);
        }
        match self {
            RequestPayload::Create(r) => clear(&mut r.attributes.list),
            RequestPayload::Register(r) => {
                clear(&mut r.attributes.list);
                r.object.clear_attribute_indexes();
            }
            RequestPayload::ReKey(r) => clear(&mut r.attributes.list),
            RequestPayload::DeriveKey(r) => clear(&mut r.attributes.list),
            RequestPayload::CreateKeyPair(r) => r.attributes.clear_attribute_indexes(),
            RequestPayload::ReKeyKeyPair(r) => r.attributes.clear_attribute_indexes(),
            RequestPayload::Locate(r) => clear(&mut r.attributes),
            RequestPayload::AddAttribute(r) => r.attribute.index = None,
            RequestPayload::SetAttribute(r) => r.attribute.index = None,
            RequestPayload::ModifyAttribute(r) => {
                r.attribute.index = None;
                r.current.iter_mut().for_each(|c| c.index = None);
            }
            RequestPayload::DeleteAttribute(r) => {
                r.index = None;
                r.current.iter_mut().for_each(|c| c.index = None);
            }
            _ => {}
        }
    }
}

payloads! {
    DiscoverVersions(DISCOVER_VERSIONS, DiscoverVersionsRequest, DiscoverVersionsResponse),
    Query(QUERY, QueryRequest, QueryResponse),
    Check(CHECK, CheckRequest, CheckResponse),
    Create(CREATE, CreateRequest, CreateResponse),
    CreateKeyPair(CREATE_KEY_PAIR, CreateKeyPairRequest, CreateKeyPairResponse),
    ReKeyKeyPair(REKEY_KEY_PAIR, ReKeyKeyPairRequest, CreateKeyPairResponse),
    Register(REGISTER, RegisterRequest, RegisterResponse),
    Get(GET, GetRequest, GetResponse),
    GetAttributes(GET_ATTRIBUTES, GetAttributesRequest, GetAttributesResponse),
    GetAttributeList(GET_ATTRIBUTE_LIST, GetAttributeListRequest, GetAttributeListResponse),
    AddAttribute(ADD_ATTRIBUTE, AddAttributeRequest, AttributeChangeResponse),
    SetAttribute(SET_ATTRIBUTE, SetAttributeRequest, AttributeChangeResponse),
    ModifyAttribute(MODIFY_ATTRIBUTE, ModifyAttributeRequest, AttributeChangeResponse),
    DeleteAttribute(DELETE_ATTRIBUTE, DeleteAttributeRequest, AttributeChangeResponse),
    Locate(LOCATE, LocateRequest, LocateResponse),
    Activate(ACTIVATE, UidRequest, UidResponse),
    Revoke(REVOKE, RevokeRequest, UidResponse),
    Destroy(DESTROY, UidRequest, UidResponse),
    ReKey(REKEY, ReKeyRequest, ReKeyResponse),
    Encrypt(ENCRYPT, EncryptRequest, EncryptResponse),
    Decrypt(DECRYPT, DecryptRequest, DecryptResponse),
    Mac(MAC, MacRequest, MacResponse),
    MacVerify(MAC_VERIFY, MacVerifyRequest, MacVerifyResponse),
    Sign(SIGN, SignRequest, SignResponse),
    SignatureVerify(SIGNATURE_VERIFY, SignatureVerifyRequest, SignatureVerifyResponse),
    RngRetrieve(RNG_RETRIEVE, RngRetrieveRequest, RngRetrieveResponse),
    Hash(HASH, HashRequest, HashResponse),
    DeriveKey(DERIVE_KEY, DeriveKeyRequest, DeriveKeyResponse),
}
