//! Key wrapping: how a client asks for a wrapped key, and how a key block says it is wrapped.
//!
//! > KMIP 1.4 §2.1.5: "The Key Block MAY also supply OPTIONAL information about a
//! > cryptographic key wrapping mechanism used to wrap the Key Value. This consists of a Key
//! > Wrapping Data structure"; §2.1.6: the Key Wrapping Specification is "used inside the Get
//! > ... operation to specify how the returned object is to be wrapped".

use ttlv::Item;
use ttlv::dict::{EncodingOption, WrappingMethod};

use crate::CryptographicParameters;
use crate::codec::kmip_struct;

kmip_struct! {
    /// Encryption Key Information (KMIP 1.4 §2.1.5): the wrapping key and how to use it.
    pub struct EncryptionKeyInformation {
        /// The wrapping key.
        pub unique_identifier: req String = UNIQUE_IDENTIFIER,
        /// Mode, padding and hash for the wrap.
        pub cryptographic_parameters: opt CryptographicParameters = CRYPTOGRAPHIC_PARAMETERS,
    }
}

kmip_struct! {
    /// Key Wrapping Specification (KMIP 1.4 §2.1.6).
    pub struct KeyWrappingSpecification {
        /// Encrypt, MAC/sign, or both.
        pub wrapping_method: req WrappingMethod = WRAPPING_METHOD,
        /// The key to encrypt with.
        pub encryption_key_information: opt EncryptionKeyInformation = ENCRYPTION_KEY_INFORMATION,
        /// The key to MAC or sign with, kept as sent.
        pub mac_signature_key_information: opt Item = MAC_SIGNATURE_KEY_INFORMATION,
        /// Attributes to wrap along with the key value.
        pub attribute_names: many String = ATTRIBUTE_NAME,
        /// No Encoding (the raw key material) or TTLV Encoding (the Key Value structure).
        pub encoding_option: opt EncodingOption = ENCODING_OPTION,
    }
}

kmip_struct! {
    /// Key Wrapping Data (KMIP 1.4 §2.1.5): how a wrapped Key Value was wrapped.
    pub struct KeyWrappingData {
        /// Encrypt, MAC/sign, or both.
        pub wrapping_method: req WrappingMethod = WRAPPING_METHOD,
        /// The key it was encrypted with.
        pub encryption_key_information: opt EncryptionKeyInformation = ENCRYPTION_KEY_INFORMATION,
        /// The key it was MACed or signed with, kept as sent.
        pub mac_signature_key_information: opt Item = MAC_SIGNATURE_KEY_INFORMATION,
        /// The MAC or signature.
        pub mac_signature: opt Vec<u8> = MAC_SIGNATURE,
        /// The IV the wrap used.
        pub iv_counter_nonce: opt Vec<u8> = IV_COUNTER_NONCE,
        /// No Encoding or TTLV Encoding.
        pub encoding_option: opt EncodingOption = ENCODING_OPTION,
    }
}
