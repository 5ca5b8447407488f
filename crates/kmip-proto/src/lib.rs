//! The KMIP message model, versions 1.0 to 1.4 and 2.0 to 2.1.
//!
//! This crate owns request and response messages, their headers and batch items
//! ([`message`]), Managed Objects and key blocks ([`object`]), attributes in both the 1.x and
//! 2.x shapes and the one conversion between them ([`attribute`]), Cryptographic Parameters,
//! and typed payloads for the operations the server implements ([`payload`]). Enumerations
//! (Operation, Result Reason, Object Type...) are the registry's, re-exported from
//! [`ttlv::dict`].
//!
//! It is sans-I/O and knows nothing of keys' meaning: it decodes and encodes. Decoding
//! accepts either version's shapes (lenient input); encoding writes the shapes of the
//! message's protocol version (strict output).

#![warn(missing_docs)]

pub mod attribute;
mod codec;
mod crypto_params;
pub mod message;
pub mod object;
pub mod payload;
mod secret;
mod version;

pub use attribute::{Attribute, AttributeName, Attributes, Link, Name, RevocationReason};
pub use codec::{DateTime, Decode, Encode, Encoder, Interval};
pub use crypto_params::CryptographicParameters;
pub use message::{
    DecodedRequest, ItemError, RequestBatchItem, RequestHeader, RequestMessage, ResponseBatchItem,
    ResponseHeader, ResponseMessage, decode_request,
};
pub use object::{KeyBlock, KeyMaterial, KeyValue, ManagedObject};
pub use payload::{RequestPayload, ResponsePayload};
pub use secret::{SecretBytes, SecretItem};
pub use ttlv::dict;
pub use version::ProtocolVersion;
