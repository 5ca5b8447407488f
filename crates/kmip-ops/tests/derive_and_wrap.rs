//! Derive Key, Get with key wrapping, and Hash through the whole service: known-answer
//! vectors from the RFCs, the wrapped bytes unwrapped again, and the refusals (wrong state,
//! a usage mask that forbids it, a wrong key type) with their Result Reasons.

mod common;

use common::{Server, server};
use kmip_proto::dict::{
    BlockCipherMode, CryptographicAlgorithm as Alg, CryptographicUsageMask as Mask, DerivationMethod, EncodingOption,
    HashingAlgorithm, LinkType, ObjectType, Operation, PaddingMethod, ResultReason, RevocationReasonCode,
    SecretDataType, WrappingMethod,
};
use kmip_proto::object::{KeyObject, SecretData};
use kmip_proto::payload::*;
use kmip_proto::{
    Attribute, Attributes, CryptographicParameters, EncryptionKeyInformation, KeyBlock, KeyMaterial, KeyValue,
    KeyWrappingSpecification, ManagedObject, RequestPayload, ResponsePayload, RevocationReason, SecretBytes,
};
use ttlv::{Tag, Value};

fn attributes(list: Vec<Attribute>) -> Attributes {
    Attributes { list, template_names: Vec::new() }
}

fn mask(m: u32) -> Attribute {
    Attribute::new(Tag::CRYPTOGRAPHIC_USAGE_MASK, Value::Integer(m as i32))
}

fn block(format: kmip_proto::dict::KeyFormatType, bytes: &[u8], algorithm: Option<Alg>) -> KeyBlock {
    KeyBlock {
        key_format_type: format,
        key_compression_type: None,
        key_value: Some(KeyValue::Plain {
            material: KeyMaterial::Bytes(SecretBytes::new(bytes.to_vec())),
            attributes: Vec::new(),
        }),
        cryptographic_algorithm: algorithm,
        cryptographic_length: Some(bytes.len() as i32 * 8),
        key_wrapping_data: None,
    }
}

impl Server {
    fn register(&self, object: ManagedObject, usage: u32) -> String {
        let request = RegisterRequest {
            object_type: object.object_type(),
            attributes: attributes(vec![mask(usage)]),
            object,
            protection_storage_masks: None,
        };
        match self.call(Operation::REGISTER, RequestPayload::Register(request)) {
            ResponsePayload::Register(r) => r.unique_identifier,
            other => panic!("{other:?}"),
        }
    }

    fn password(&self, password: &[u8], usage: u32) -> String {
        let secret = SecretData {
            secret_data_type: SecretDataType::PASSWORD,
            key_block: block(kmip_proto::dict::KeyFormatType::OPAQUE, password, None),
        };
        self.register(ManagedObject::SecretData(secret), usage)
    }

    fn aes(&self, bytes: &[u8], usage: u32) -> String {
        let key = KeyObject { key_block: block(kmip_proto::dict::KeyFormatType::RAW, bytes, Some(Alg::AES)) };
        self.register(ManagedObject::SymmetricKey(key), usage)
    }

    fn derive(
        &self,
        base: &str,
        object_type: ObjectType,
        method: DerivationMethod,
        parameters: DerivationParameters,
        bits: i32,
    ) -> Result<String, ResultReason> {
        let mut list = vec![Attribute::new(Tag::CRYPTOGRAPHIC_LENGTH, Value::Integer(bits))];
        if object_type == ObjectType::SYMMETRIC_KEY {
            list.push(Attribute::new(Tag::CRYPTOGRAPHIC_ALGORITHM, Value::Enumeration(Alg::AES.0)));
        }
        let request = DeriveKeyRequest {
            object_type,
            unique_identifiers: vec![base.into()],
            derivation_method: method,
            derivation_parameters: Box::new(parameters),
            attributes: attributes(list),
        };
        match self.try_call(Operation::DERIVE_KEY, RequestPayload::DeriveKey(request))? {
            ResponsePayload::DeriveKey(r) => Ok(r.unique_identifier),
            other => panic!("{other:?}"),
        }
    }

    fn bytes(&self, uid: &str) -> Vec<u8> {
        let got = self.get(uid, None).expect("get");
        match got.object.key_block().and_then(|b| b.key_value.clone()) {
            Some(KeyValue::Plain { material: KeyMaterial::Bytes(b), .. }) => b.secret_bytes().to_vec(),
            other => panic!("{other:?}"),
        }
    }

    fn wrapped(
        &self,
        uid: &str,
        kek: &str,
        mode: Option<BlockCipherMode>,
        encoding: Option<EncodingOption>,
    ) -> Result<GetResponse, ResultReason> {
        let spec = KeyWrappingSpecification {
            wrapping_method: WrappingMethod::ENCRYPT,
            encryption_key_information: Some(EncryptionKeyInformation {
                unique_identifier: kek.into(),
                cryptographic_parameters: mode
                    .map(|m| CryptographicParameters { block_cipher_mode: Some(m), ..Default::default() }),
            }),
            mac_signature_key_information: None,
            attribute_names: Vec::new(),
            encoding_option: encoding,
        };
        let request = GetRequest {
            unique_identifier: Some(uid.into()),
            key_format_type: None,
            key_wrap_type: None,
            key_compression_type: None,
            key_wrapping_specification: Some(Box::new(spec)),
        };
        match self.try_call(Operation::GET, RequestPayload::Get(request))? {
            ResponsePayload::Get(r) => Ok(r),
            other => panic!("{other:?}"),
        }
    }
}

fn pbkdf2(iterations: i32) -> DerivationParameters {
    DerivationParameters {
        cryptographic_parameters: Some(CryptographicParameters {
            hashing_algorithm: Some(HashingAlgorithm::SHA_1),
            ..Default::default()
        }),
        salt: Some(b"salt".to_vec()),
        iteration_count: Some(iterations),
        ..Default::default()
    }
}

#[test]
fn derive_key_gives_the_rfc_answers_and_links_the_objects() {
    let s = server();
    // > RFC 6070 §2: PBKDF2-HMAC-SHA1("password", "salt", 4096, 20).
    let password = s.password(b"password", Mask::DERIVE_KEY.0);
    let key =
        s.derive(&password, ObjectType::SYMMETRIC_KEY, DerivationMethod::PBKDF2, pbkdf2(4096), 160).expect("derives");
    assert_eq!(hex::encode(s.bytes(&key)), "4b007901b765489abead49d926f721d065a429c1");
    let has = |uid: &str, t: LinkType, to: &str| {
        s.links(uid).iter().any(|l| l.link_type == t && l.linked_object_identifier == to)
    };
    assert!(has(&key, LinkType::DERIVATION_BASE_OBJECT_LINK, &password));
    assert!(has(&password, LinkType::DERIVED_KEY_LINK, &key));

    // > RFC 5869 A.1: HKDF-SHA256, 22-byte IKM of 0x0b, salt 0x00..0x0c, info 0xf0..0xf9, L=42.
    let ikm = s.aes(&[0x0b; 22], Mask::DERIVE_KEY.0);
    let hkdf = DerivationParameters {
        cryptographic_parameters: Some(CryptographicParameters {
            hashing_algorithm: Some(HashingAlgorithm::SHA_256),
            ..Default::default()
        }),
        salt: Some((0x00..=0x0c).collect()),
        derivation_data: Some(SecretBytes::new((0xf0..=0xf9).collect())),
        ..Default::default()
    };
    let okm = s.derive(&ikm, ObjectType::SECRET_DATA, DerivationMethod::HMAC, hkdf, 336).expect("derives");
    assert_eq!(
        hex::encode(s.bytes(&okm)),
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    );
}

#[test]
fn derive_key_refuses_wrong_state_mask_type_and_parameters() {
    let s = server();
    let no_derive = s.password(b"password", Mask::ENCRYPT.0);
    let refused =
        |base: &str, parameters| s.derive(base, ObjectType::SYMMETRIC_KEY, DerivationMethod::PBKDF2, parameters, 128);
    assert_eq!(refused(&no_derive, pbkdf2(1000)), Err(ResultReason::INCOMPATIBLE_CRYPTOGRAPHIC_USAGE_MASK));
    let base = s.password(b"password", Mask::DERIVE_KEY.0);
    assert_eq!(refused(&base, pbkdf2(0)), Err(ResultReason::INVALID_FIELD));
    assert_eq!(refused(&base, DerivationParameters::default()), Err(ResultReason::INVALID_FIELD));
    // A revoked (compromised) base derives nothing.
    let revoke = RevokeRequest {
        unique_identifier: Some(base.clone()),
        revocation_reason: RevocationReason { code: RevocationReasonCode::KEY_COMPROMISE, message: None },
        compromise_occurrence_date: None,
    };
    s.call(Operation::REVOKE, RequestPayload::Revoke(revoke));
    assert_eq!(refused(&base, pbkdf2(1000)), Err(ResultReason::WRONG_KEY_LIFECYCLE_STATE));
    // A public key is not a derivation base.
    let usage = Mask(Mask::DERIVE_KEY.0 | Mask::VERIFY.0);
    let (_, public) = s.pair(
        vec![
            Attribute::new(Tag::CRYPTOGRAPHIC_ALGORITHM, Value::Enumeration(Alg::RSA.0)),
            Attribute::new(Tag::CRYPTOGRAPHIC_LENGTH, Value::Integer(2048)),
        ],
        usage,
        usage,
    );
    assert_eq!(refused(&public, pbkdf2(1000)), Err(ResultReason::ILLEGAL_OBJECT_TYPE));
}

#[test]
fn get_wraps_with_aes_key_wrap_and_rsa_oaep() {
    let s = server();
    let secret = [7u8; 32];
    let key = s.aes(&secret, Mask::ENCRYPT.0);
    let kek_bytes = [9u8; 32];
    let kek = s.aes(&kek_bytes, Mask::WRAP_KEY.0);
    assert_eq!(s.wrapped(&key, &kek, None, None).map(|_| ()), Err(ResultReason::WRONG_KEY_LIFECYCLE_STATE));
    s.activate(&kek);

    // No Encoding: the key material itself, RFC 3394, which unwraps to the key.
    let got =
        s.wrapped(&key, &kek, Some(BlockCipherMode::NIST_KEY_WRAP), Some(EncodingOption::NO_ENCODING)).expect("wraps");
    let block = got.object.key_block().expect("block");
    let Some(KeyValue::Plain { material: KeyMaterial::Bytes(wrapped), .. }) = &block.key_value else { panic!() };
    assert_eq!(block.key_wrapping_data.as_ref().map(|d| d.wrapping_method), Some(WrappingMethod::ENCRYPT));
    use aws_lc_rs::key_wrap::{AES_256, AesKek, KeyWrap};
    let mut out = [0u8; 40];
    let unwrapped =
        AesKek::new(&AES_256, &kek_bytes).expect("kek").unwrap(wrapped.secret_bytes(), &mut out).expect("unwraps");
    assert_eq!(unwrapped, secret);

    // TTLV Encoding (the default): the whole Key Value, as a Byte String.
    let got = s.wrapped(&key, &kek, Some(BlockCipherMode::AES_KEY_WRAP_PADDING), None).expect("wraps");
    assert!(matches!(got.object.key_block().and_then(|b| b.key_value.as_ref()), Some(KeyValue::Wrapped(_))));

    // RSA-OAEP wrapping with a public key, unwrapped by Decrypt with the private key.
    let (private, public) = s.pair(
        vec![
            Attribute::new(Tag::CRYPTOGRAPHIC_ALGORITHM, Value::Enumeration(Alg::RSA.0)),
            Attribute::new(Tag::CRYPTOGRAPHIC_LENGTH, Value::Integer(2048)),
        ],
        Mask(Mask::DECRYPT.0 | Mask::UNWRAP_KEY.0),
        Mask::WRAP_KEY,
    );
    s.activate(&private);
    s.activate(&public);
    let got = s.wrapped(&key, &public, None, Some(EncodingOption::NO_ENCODING)).expect("wraps");
    let Some(KeyValue::Plain { material: KeyMaterial::Bytes(wrapped), .. }) =
        got.object.key_block().and_then(|b| b.key_value.clone())
    else {
        panic!()
    };
    let oaep = CryptographicParameters { padding_method: Some(PaddingMethod::OAEP), ..Default::default() };
    assert_eq!(s.decrypt(&private, oaep, wrapped.secret_bytes()).expect("unwraps"), secret);

    // Refusals: a KEK whose mask forbids wrapping, and a private key as the KEK.
    let encrypt_only = s.aes(&kek_bytes, Mask::ENCRYPT.0);
    s.activate(&encrypt_only);
    assert_eq!(
        s.wrapped(&key, &encrypt_only, None, None).map(|_| ()),
        Err(ResultReason::INCOMPATIBLE_CRYPTOGRAPHIC_USAGE_MASK)
    );
    let (lax_private, _) = s.pair(
        vec![
            Attribute::new(Tag::CRYPTOGRAPHIC_ALGORITHM, Value::Enumeration(Alg::RSA.0)),
            Attribute::new(Tag::CRYPTOGRAPHIC_LENGTH, Value::Integer(2048)),
        ],
        Mask::WRAP_KEY,
        Mask::WRAP_KEY,
    );
    s.activate(&lax_private);
    assert_eq!(s.wrapped(&key, &lax_private, None, None).map(|_| ()), Err(ResultReason::ILLEGAL_OBJECT_TYPE));
}

#[test]
fn hash_gives_the_fips_answer() {
    let s = server();
    let request = HashRequest {
        cryptographic_parameters: CryptographicParameters {
            hashing_algorithm: Some(HashingAlgorithm::SHA_256),
            ..Default::default()
        },
        data: Some(SecretBytes::new(b"abc".to_vec())),
        correlation_value: None,
        init_indicator: None,
        final_indicator: None,
    };
    let ResponsePayload::Hash(hashed) = s.call(Operation::HASH, RequestPayload::Hash(request)) else { panic!() };
    // > FIPS 180-2 appendix B.1: SHA-256("abc").
    assert_eq!(
        hex::encode(hashed.data.expect("digest")),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}
