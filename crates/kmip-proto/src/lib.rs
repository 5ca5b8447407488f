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
mod wrapping;

pub use attribute::{Attribute, AttributeName, Attributes, Link, Name, RevocationReason};
pub use codec::{DateTime, Decode, Encode, Encoder, Interval};
pub use crypto_params::CryptographicParameters;
pub use message::{
    DecodedRequest, ItemError, RequestBatchItem, RequestHeader, RequestMessage, ResponseBatchItem, ResponseHeader,
    ResponseMessage, decode_request,
};
pub use object::{KeyBlock, KeyMaterial, KeyValue, ManagedObject};
pub use payload::{RequestPayload, ResponsePayload};
pub use secret::{SecretBytes, SecretItem};
pub use ttlv::dict;
pub use version::ProtocolVersion;
pub use wrapping::{EncryptionKeyInformation, KeyWrappingData, KeyWrappingSpecification};

/// Entry points for the fuzz targets, kept in the library so that unit tests run the same
/// code on the corpus seeds.
#[doc(hidden)]
pub mod __fuzz {
    use ttlv::Limits;

    use crate::{RequestMessage, decode_request};

    /// Staged request decoding never panics, and a request that decodes whole survives
    /// typed encode → decode unchanged. Returns whether the header decoded.
    pub fn request(data: &[u8]) -> bool {
        let limits = Limits::default();
        let Ok(decoded) = decode_request(data, &limits) else {
            return false;
        };
        let items: Result<Vec<_>, _> = decoded.items.into_iter().collect();
        if let Ok(items) = items {
            let message = RequestMessage { header: decoded.header, items };
            if message.header.protocol_version.is_supported() {
                let bytes = message.to_ttlv();
                let again = RequestMessage::from_ttlv(&bytes, &limits).expect("our own encoding decodes");
                assert_eq!(again, message, "typed round trip changed the request");
            }
        }
        true
    }
}
