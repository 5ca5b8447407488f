//! Derive Key: PBKDF2, HMAC (HKDF), NIST SP 800-108 counter mode, and encryption, from a key or
//! Secret Data the client owns.
//!
//! > KMIP 1.4 §4.6: "The derivation method and the derivation parameters ... the Cryptographic
//! > Usage Mask of the object(s) used for derivation SHALL have the Derive Key bit set", and
//! > the server sets a Derived Key Link on the base object and a Derivation Base Object Link
//! > on the new one.
//!
//! The primitives are ring's (PBKDF2, HKDF) and aws-lc-rs's (SP 800-108 KBKDF, AES); the
//! methods are PyKMIP's readings of the spec: HMAC is HKDF (RFC 5869) with the salt and the
//! derivation data as its info; SP 800-108 is counter mode with a 32-bit counter before the
//! fixed input.

use aws_lc_rs::kdf::{KbkdfCtrHmacAlgorithmId, get_kbkdf_ctr_hmac_algorithm, kbkdf_ctr_hmac};
use kmip_keystore::{Change, StoredObject};
use kmip_proto::dict::{
    BlockCipherMode, CryptographicAlgorithm, CryptographicUsageMask, DerivationMethod, HashingAlgorithm, KeyFormatType,
    LinkType, ObjectType, SecretDataType, State,
};
use kmip_proto::object::SecretData;
use kmip_proto::payload::{DerivationParameters, DeriveKeyRequest, DeriveKeyResponse};
use kmip_proto::{Attribute, KeyBlock, ManagedObject, SecretBytes};
use ring::{hkdf, pbkdf2};
use ttlv::{Tag, Value};

use super::create::{client_attributes, new_object};
use super::key_use::UsableKey;
use crate::OpError;
use crate::keys::symmetric_key;
use crate::objects::{effective_state, link, touch};
use crate::service::Ctx;

/// The most bytes one derivation makes: HKDF's own limit with SHA-1 (255 × 20), enough for
/// any key.
const MAX_DERIVED_BYTES: usize = 255 * 20;

/// An HKDF output length, as ring wants one.
struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

fn integer(attributes: &[Attribute], tag: Tag) -> Option<i32> {
    match attributes.iter().find(|a| a.tag() == Some(tag)).map(|a| &a.value.value) {
        Some(Value::Integer(v)) => Some(*v),
        _ => None,
    }
}

/// The base object's bytes, if the client owns it, it may derive, and it is usable.
///
/// A Pre-Active base is accepted: §4.6 names only the Derive Key bit, and the suites that
/// register a password and derive from it at once (PyKMIP's) expect it. Deactivated,
/// compromised and destroyed objects are refused.
fn base_bytes(ctx: &Ctx<'_>, uid: &str) -> Result<(StoredObject, SecretBytes), OpError> {
    let stored = ctx.load_owned(uid)?;
    if !matches!(effective_state(&stored, ctx.now), State::ACTIVE | State::PRE_ACTIVE) {
        return Err(OpError::WrongState("a derivation base must be Pre-Active or Active"));
    }
    if !matches!(stored.object_type, ObjectType::SYMMETRIC_KEY | ObjectType::SECRET_DATA) {
        return Err(OpError::IllegalObjectType("Derive Key derives from Symmetric Keys and Secret Data"));
    }
    if let Some(Value::Integer(mask)) = stored.first(Tag::CRYPTOGRAPHIC_USAGE_MASK).map(|a| &a.value.value) {
        if (*mask as u32) & CryptographicUsageMask::DERIVE_KEY.0 == 0 {
            return Err(OpError::UsageMask);
        }
    }
    let bytes = stored
        .object
        .as_ref()
        .and_then(crate::keys::stored_bytes)
        .map(|(_, b)| b.clone())
        .ok_or(OpError::IllegalObjectType("the base object holds no bytes in the clear"))?;
    Ok((stored, bytes))
}

fn hash(parameters: &DerivationParameters) -> Option<HashingAlgorithm> {
    parameters.cryptographic_parameters.as_ref().and_then(|p| p.hashing_algorithm)
}

fn unsupported_hash(method: &str, h: Option<HashingAlgorithm>) -> OpError {
    OpError::Crypto(format!("{method} here takes SHA-1, SHA-256, SHA-384 or SHA-512, not {h:?}"))
}

/// Runs the derivation: `out.len()` bytes from `secret`.
fn derive(
    method: DerivationMethod,
    parameters: &DerivationParameters,
    base: &StoredObject,
    secret: &SecretBytes,
    out: &mut [u8],
) -> Result<(), OpError> {
    let data = parameters.derivation_data.as_ref().map(|d| d.secret_bytes()).unwrap_or_default();
    fn failed<E>(_: E) -> OpError {
        OpError::Crypto("derivation failed".into())
    }
    match method {
        DerivationMethod::PBKDF2 => {
            let algorithm = match hash(parameters).unwrap_or(HashingAlgorithm::SHA_1) {
                HashingAlgorithm::SHA_1 => pbkdf2::PBKDF2_HMAC_SHA1,
                HashingAlgorithm::SHA_256 => pbkdf2::PBKDF2_HMAC_SHA256,
                HashingAlgorithm::SHA_384 => pbkdf2::PBKDF2_HMAC_SHA384,
                HashingAlgorithm::SHA_512 => pbkdf2::PBKDF2_HMAC_SHA512,
                other => return Err(unsupported_hash("PBKDF2", Some(other))),
            };
            let salt = parameters.salt.as_deref().ok_or_else(|| OpError::InvalidField("PBKDF2 needs a Salt".into()))?;
            let iterations = parameters
                .iteration_count
                .and_then(|n| u32::try_from(n).ok())
                .and_then(std::num::NonZeroU32::new)
                .ok_or_else(|| OpError::InvalidField("PBKDF2 needs a positive Iteration Count".into()))?;
            pbkdf2::derive(algorithm, iterations, salt, secret.secret_bytes(), out);
            Ok(())
        }
        DerivationMethod::HMAC => {
            let algorithm = match hash(parameters) {
                Some(HashingAlgorithm::SHA_1) => hkdf::HKDF_SHA1_FOR_LEGACY_USE_ONLY,
                Some(HashingAlgorithm::SHA_256) | None => hkdf::HKDF_SHA256,
                Some(HashingAlgorithm::SHA_384) => hkdf::HKDF_SHA384,
                Some(HashingAlgorithm::SHA_512) => hkdf::HKDF_SHA512,
                other => return Err(unsupported_hash("HMAC derivation", other)),
            };
            let salt = hkdf::Salt::new(algorithm, parameters.salt.as_deref().unwrap_or_default());
            let info = [data];
            let prk = salt.extract(secret.secret_bytes());
            prk.expand(&info, Len(out.len())).map_err(failed)?.fill(out).map_err(failed)
        }
        DerivationMethod::NIST800_108_C => {
            let id = match hash(parameters) {
                Some(HashingAlgorithm::SHA_256) | None => KbkdfCtrHmacAlgorithmId::Sha256,
                Some(HashingAlgorithm::SHA_384) => KbkdfCtrHmacAlgorithmId::Sha384,
                Some(HashingAlgorithm::SHA_512) => KbkdfCtrHmacAlgorithmId::Sha512,
                other => return Err(unsupported_hash("NIST SP 800-108", other)),
            };
            let algorithm =
                get_kbkdf_ctr_hmac_algorithm(id).ok_or_else(|| OpError::Crypto("no such KBKDF algorithm".into()))?;
            kbkdf_ctr_hmac(algorithm, secret.secret_bytes(), data, out).map_err(failed)
        }
        DerivationMethod::ENCRYPT => {
            let params = parameters.cryptographic_parameters.clone().unwrap_or_default();
            let algorithm = params.cryptographic_algorithm.or(base.algorithm()).unwrap_or(CryptographicAlgorithm::AES);
            let iv = parameters.initialization_vector.as_deref();
            let ciphertext = match algorithm {
                CryptographicAlgorithm::AES => aes_encrypt(base, secret, &params, iv, data)?,
                CryptographicAlgorithm::BLOWFISH => blowfish_cbc_encrypt(secret, &params, iv, data)?,
                other => {
                    return Err(OpError::Crypto(format!(
                        "derivation by encryption takes AES or Blowfish, not {other}"
                    )));
                }
            };
            let made = ciphertext.get(..out.len()).ok_or_else(|| {
                OpError::InvalidField("the Derivation Data encrypts to fewer bytes than asked for".into())
            })?;
            out.copy_from_slice(made);
            Ok(())
        }
        other => Err(OpError::FeatureNotSupported(match other {
            DerivationMethod::HASH => "derivation by hashing",
            _ => "this derivation method",
        })),
    }
}

/// AES in CBC or ECB mode, for derivation by encryption.
fn aes_encrypt(
    base: &StoredObject,
    secret: &SecretBytes,
    params: &kmip_proto::CryptographicParameters,
    iv: Option<&[u8]>,
    data: &[u8],
) -> Result<Vec<u8>, OpError> {
    let key = UsableKey {
        uid: base.uid.clone(),
        object_type: base.object_type,
        algorithm: CryptographicAlgorithm::AES,
        kind: None,
        format: KeyFormatType::RAW,
        bytes: secret.clone(),
        parameters: None,
        cmk: None,
    };
    let mode = params.block_cipher_mode.unwrap_or(BlockCipherMode::CBC);
    if !matches!(mode, BlockCipherMode::CBC | BlockCipherMode::ECB) {
        return Err(OpError::Crypto(format!("derivation by encryption takes CBC or ECB, not {mode}")));
    }
    super::crypto::block_encrypt(&key, mode, params.padding_method, iv, data)
}

/// Blowfish in CBC mode (PKCS#5 padding or none), for derivation by encryption with a
/// Blowfish key: neither ring nor aws-lc-rs has Blowfish, so RustCrypto's does it.
fn blowfish_cbc_encrypt(
    secret: &SecretBytes,
    params: &kmip_proto::CryptographicParameters,
    iv: Option<&[u8]>,
    data: &[u8],
) -> Result<Vec<u8>, OpError> {
    use cbc::cipher::block_padding::{NoPadding, Pkcs7};
    use cbc::cipher::{BlockEncryptMut, KeyIvInit};
    if params.block_cipher_mode.is_some_and(|m| m != BlockCipherMode::CBC) {
        return Err(OpError::Crypto("Blowfish here runs in CBC mode only".into()));
    }
    let iv = iv.ok_or_else(|| OpError::InvalidField("Blowfish-CBC needs an Initialization Vector".into()))?;
    let cipher = cbc::Encryptor::<blowfish::Blowfish>::new_from_slices(secret.secret_bytes(), iv)
        .map_err(|_| OpError::Crypto("Blowfish takes a 4- to 56-byte key and an 8-byte IV".into()))?;
    match params.padding_method.unwrap_or(kmip_proto::dict::PaddingMethod::NONE) {
        kmip_proto::dict::PaddingMethod::PKCS5 => Ok(cipher.encrypt_padded_vec_mut::<Pkcs7>(data)),
        kmip_proto::dict::PaddingMethod::NONE if data.len() % 8 == 0 => {
            Ok(cipher.encrypt_padded_vec_mut::<NoPadding>(data))
        }
        kmip_proto::dict::PaddingMethod::NONE => {
            Err(OpError::Crypto("without padding, Blowfish takes whole 8-byte blocks".into()))
        }
        other => Err(OpError::Crypto(format!("padding {other} is not supported for Blowfish"))),
    }
}

pub(crate) fn derive_key(ctx: &Ctx<'_>, request: DeriveKeyRequest) -> Result<DeriveKeyResponse, OpError> {
    let base_uid = match request.unique_identifiers.as_slice() {
        [] => ctx.uid(None)?,
        [one] => one.clone(),
        _ => return Err(OpError::FeatureNotSupported("derivation from several objects")),
    };
    let (mut base, secret) = base_bytes(ctx, &base_uid)?;
    let mut attributes = client_attributes(request.attributes, ctx.svc.config.max_attributes)?;
    let bits = integer(&attributes, Tag::CRYPTOGRAPHIC_LENGTH)
        .ok_or_else(|| OpError::InvalidField("Derive Key needs the Cryptographic Length to make".into()))?;
    if bits <= 0 || bits % 8 != 0 || bits as usize / 8 > MAX_DERIVED_BYTES {
        return Err(OpError::InvalidField(format!(
            "cannot derive {bits} bits: whole bytes, at most {MAX_DERIVED_BYTES}"
        )));
    }
    let mut out = vec![0u8; bits as usize / 8];
    derive(request.derivation_method, &request.derivation_parameters, &base, &secret, &mut out)?;
    let bytes = SecretBytes::new(out);
    let object = match request.object_type {
        ObjectType::SYMMETRIC_KEY => {
            let algorithm = match attributes.iter().find(|a| a.tag() == Some(Tag::CRYPTOGRAPHIC_ALGORITHM)) {
                Some(a) => match a.value.value {
                    Value::Enumeration(v) => CryptographicAlgorithm(v),
                    _ => return Err(OpError::InvalidField("Cryptographic Algorithm must be an Enumeration".into())),
                },
                None => {
                    return Err(OpError::InvalidField(
                        "a derived Symmetric Key needs a Cryptographic Algorithm".into(),
                    ));
                }
            };
            // The length is the client's: derivation makes the bytes asked for (PyKMIP's suite
            // derives a 160-bit "AES" key), and Encrypt refuses a key that is not a cipher's.
            symmetric_key(algorithm, bits, bytes)
        }
        ObjectType::SECRET_DATA => ManagedObject::SecretData(SecretData {
            secret_data_type: SecretDataType::SEED,
            key_block: KeyBlock::plain(KeyFormatType::OPAQUE, bytes, None, Some(bits)),
        }),
        _ => return Err(OpError::IllegalObjectType("Derive Key makes Symmetric Keys and Secret Data")),
    };
    attributes.push(link(LinkType::DERIVATION_BASE_OBJECT_LINK, &base.uid));
    let derived = new_object(ctx, request.object_type, attributes, object)?;
    base.attributes.push(link(LinkType::DERIVED_KEY_LINK, &derived.uid));
    touch(&mut base, ctx.now);
    let uid = derived.uid.clone();
    ctx.svc.store.commit(vec![Change::Insert(derived), Change::Update(base)])?;
    Ok(DeriveKeyResponse { unique_identifier: uid, template_attribute: None })
}
