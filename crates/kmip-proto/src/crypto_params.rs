//! Cryptographic Parameters (KMIP 1.4 §3.6, KMIP 2.1 §4.8).

use ttlv::dict::{
    BlockCipherMode, CryptographicAlgorithm, DigitalSignatureAlgorithm, HashingAlgorithm, KeyRoleType, MaskGenerator,
    PaddingMethod,
};

use crate::codec::kmip_struct;

kmip_struct! {
    /// How to run a cryptographic operation: mode, padding, hash, IV and tag lengths.
    /// Every field is optional, so `Default` is "no parameters".
    #[derive(Default)]
    pub struct CryptographicParameters {
        /// Block Cipher Mode.
        pub block_cipher_mode: opt BlockCipherMode = BLOCK_CIPHER_MODE,
        /// Padding Method.
        pub padding_method: opt PaddingMethod = PADDING_METHOD,
        /// Hashing Algorithm.
        pub hashing_algorithm: opt HashingAlgorithm = HASHING_ALGORITHM,
        /// Key Role Type.
        pub key_role_type: opt KeyRoleType = KEY_ROLE_TYPE,
        /// Digital Signature Algorithm.
        pub digital_signature_algorithm: opt DigitalSignatureAlgorithm = DIGITAL_SIGNATURE_ALGORITHM,
        /// Cryptographic Algorithm.
        pub cryptographic_algorithm: opt CryptographicAlgorithm = CRYPTOGRAPHIC_ALGORITHM,
        /// Random IV: the server generates the IV.
        pub random_iv: opt bool = RANDOM_IV,
        /// IV Length, in bits.
        pub iv_length: opt i32 = IV_LENGTH,
        /// Tag Length, in bytes.
        pub tag_length: opt i32 = TAG_LENGTH,
        /// Fixed Field Length.
        pub fixed_field_length: opt i32 = FIXED_FIELD_LENGTH,
        /// Invocation Field Length.
        pub invocation_field_length: opt i32 = INVOCATION_FIELD_LENGTH,
        /// Counter Length.
        pub counter_length: opt i32 = COUNTER_LENGTH,
        /// Initial Counter Value.
        pub initial_counter_value: opt i32 = INITIAL_COUNTER_VALUE,
        /// Salt Length.
        pub salt_length: opt i32 = SALT_LENGTH,
        /// Mask Generator.
        pub mask_generator: opt MaskGenerator = MASK_GENERATOR,
        /// Mask Generator Hashing Algorithm.
        pub mask_generator_hashing_algorithm: opt HashingAlgorithm = MASK_GENERATOR_HASHING_ALGORITHM,
        /// P Source (OAEP label).
        pub p_source: opt Vec<u8> = P_SOURCE,
        /// Trailer Field.
        pub trailer_field: opt i32 = TRAILER_FIELD,
    }
}
