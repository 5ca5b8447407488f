//! Encrypt, Decrypt, MAC, MAC Verify and RNG Retrieve, with keys the server holds.
//!
//! AES-GCM and HMAC come from ring; AES-CBC, which ring lacks, from aws-lc-rs. Nothing here
//! is written by hand.

use aws_lc_rs::cipher::{
    AES_128, AES_192, AES_256, DecryptingKey, DecryptionContext, EncryptingKey, EncryptionContext,
    PaddedBlockDecryptingKey, PaddedBlockEncryptingKey, UnboundCipherKey,
};
use kmip_proto::dict::{
    BlockCipherMode, CryptographicAlgorithm, CryptographicUsageMask, ObjectType, PaddingMethod, ValidityIndicator,
};
use kmip_proto::payload::{
    DecryptRequest, DecryptResponse, EncryptRequest, EncryptResponse, HashRequest, HashResponse, MacRequest,
    MacResponse, MacVerifyRequest, MacVerifyResponse, RngRetrieveRequest, RngRetrieveResponse,
};
use kmip_proto::{CryptographicParameters, SecretBytes};
use ring::aead::{AES_128_GCM, AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};

use super::key_use::{UsableKey, charge_usage, no_streaming, usable_key};
use crate::OpError;
use crate::asymmetric::rsa_encryption;
use crate::keys::{hmac_algorithm, random_bytes};
use crate::service::Ctx;

/// The most random bytes one RNG Retrieve returns.
const MAX_RNG_BYTES: i32 = 64 * 1024;
/// AES-GCM tag length: ring produces 16-byte tags only.
const GCM_TAG_LEN: usize = 16;

/// The request's parameters, or else the key's own, or else the defaults.
fn mode_of(
    request: Option<&CryptographicParameters>,
    key: &UsableKey,
) -> (BlockCipherMode, Option<PaddingMethod>, Option<i32>) {
    let p = request.or(key.parameters.as_ref());
    (
        p.and_then(|p| p.block_cipher_mode).unwrap_or(BlockCipherMode::GCM),
        p.and_then(|p| p.padding_method),
        p.and_then(|p| p.tag_length),
    )
}

fn gcm_key(key: &UsableKey) -> Result<LessSafeKey, OpError> {
    let algorithm = match key.bytes.len() {
        16 => &AES_128_GCM,
        32 => &AES_256_GCM,
        n => {
            return Err(OpError::Crypto(format!("AES-GCM here takes 128- or 256-bit keys, not {} bits", n * 8)));
        }
    };
    let unbound =
        UnboundKey::new(algorithm, key.bytes.secret_bytes()).map_err(|_| OpError::Crypto("bad AES key".into()))?;
    Ok(LessSafeKey::new(unbound))
}

fn cbc_key(key: &UsableKey) -> Result<UnboundCipherKey, OpError> {
    let algorithm = match key.bytes.len() {
        16 => &AES_128,
        24 => &AES_192,
        32 => &AES_256,
        n => return Err(OpError::Crypto(format!("no AES key of {} bits", n * 8))),
    };
    UnboundCipherKey::new(algorithm, key.bytes.secret_bytes()).map_err(|_| OpError::Crypto("bad AES key".into()))
}

fn check_tag_length(tag_length: Option<i32>) -> Result<(), OpError> {
    match tag_length {
        None | Some(16) => Ok(()),
        Some(n) => Err(OpError::Crypto(format!("AES-GCM tags here are 16 bytes, not {n}"))),
    }
}

pub(crate) fn encrypt(ctx: &Ctx<'_>, request: EncryptRequest) -> Result<EncryptResponse, OpError> {
    no_streaming(request.init_indicator, request.final_indicator, &request.correlation_value)?;
    // > F3: a rotating key encrypts with its newest version, whichever version was named; the
    // > response's Unique Identifier says which one.
    let named = ctx.uid(request.unique_identifier.clone())?;
    let cmk = cmk_record(ctx, &named)?;
    let uid = cmk.as_ref().and_then(|r| r.current_uid().map(str::to_owned)).unwrap_or(named);
    let mut key = usable_key(ctx, Some(uid), CryptographicUsageMask::ENCRYPT)?;
    // A CMK with a cap on encryptions per version: count this one (the caller's access to
    // the key was checked just above), which may move it to a newer version.
    let mut last_use = None;
    if let Some((record, cap)) = cmk.as_ref().and_then(|r| Some((r, r.policy.max_encryptions?))) {
        let crate::usage_rotation::Use::Granted { version, last } = ctx.svc.count_encryption(record, cap)?;
        let key_id = record.key_id.clone();
        if version != key.uid {
            key = usable_key(ctx, Some(version), CryptographicUsageMask::ENCRYPT)?;
        }
        last_use = last.then_some(key_id);
    }
    if key.algorithm == CryptographicAlgorithm::RSA {
        return rsa_encrypt(ctx, key, request);
    }
    if key.algorithm != CryptographicAlgorithm::AES {
        return Err(OpError::Crypto(format!("Encrypt here takes AES keys, not {}", key.algorithm)));
    }
    let data = request.data.ok_or_else(|| OpError::InvalidField("Encrypt needs Data".into()))?;
    charge_usage(ctx, &key.uid, data.len())?;
    let (mode, padding, tag_length) = mode_of(request.cryptographic_parameters.as_ref(), &key);
    // > KMIP 1.4 §4.29: "the IV/Counter/Nonce ... If not provided and the mode requires one,
    // > the server SHALL generate it and return it in the response."
    let supplied = request.iv_counter_nonce;
    let iv = match (mode, &supplied) {
        (BlockCipherMode::ECB, _) => None,
        (_, Some(iv)) => Some(iv.clone()),
        (BlockCipherMode::GCM, None) => Some(random_bytes(&ctx.svc.rng, NONCE_LEN)?.secret_bytes().to_vec()),
        (_, None) => Some(random_bytes(&ctx.svc.rng, 16)?.secret_bytes().to_vec()),
    };
    let (ciphertext, tag) = match mode {
        BlockCipherMode::GCM => {
            check_tag_length(tag_length)?;
            let aad = request.authenticated_encryption_additional_data.unwrap_or_default();
            let mut buffer = data.secret_bytes().to_vec();
            let tag = gcm_key(&key)?
                .seal_in_place_separate_tag(gcm_nonce(iv.as_deref())?, Aad::from(aad), &mut buffer)
                .map_err(|_| OpError::Crypto("AES-GCM encryption failed".into()))?;
            (buffer, Some(tag.as_ref().to_vec()))
        }
        BlockCipherMode::CBC | BlockCipherMode::ECB => {
            (block_encrypt(&key, mode, padding, iv.as_deref(), data.secret_bytes())?, None)
        }
        other => return Err(OpError::Crypto(format!("block cipher mode {other} is not supported"))),
    };
    noted(ctx, &key);
    if let Some(key_id) = last_use {
        // The ciphertext is made: a failed rotation must not lose it. The next Encrypt finds
        // the cap spent and rotates then.
        if let Err(e) = ctx.svc.rotate_after_last_use(&key_id, &key.uid) {
            tracing::error!(key_id = %key_id, error = %e, "rotation at the encryption cap failed");
        }
    }
    Ok(EncryptResponse {
        unique_identifier: key.uid,
        data: Some(ciphertext),
        iv_counter_nonce: if supplied.is_some() { None } else { iv },
        correlation_value: None,
        authenticated_encryption_tag: tag,
    })
}

pub(crate) fn decrypt(ctx: &Ctx<'_>, request: DecryptRequest) -> Result<DecryptResponse, OpError> {
    no_streaming(request.init_indicator, request.final_indicator, &request.correlation_value)?;
    let named = ctx.uid(request.unique_identifier.clone())?;
    let key = usable_key(ctx, Some(named.clone()), CryptographicUsageMask::DECRYPT)?;
    if key.algorithm == CryptographicAlgorithm::RSA {
        return rsa_decrypt(key, request);
    }
    if key.algorithm != CryptographicAlgorithm::AES {
        return Err(OpError::Crypto(format!("Decrypt here takes AES keys, not {}", key.algorithm)));
    }
    let data = request.data.ok_or_else(|| OpError::InvalidField("Decrypt needs Data".into()))?;
    let (mode, padding, tag_length) = mode_of(request.cryptographic_parameters.as_ref(), &key);
    let iv = request.iv_counter_nonce;
    if iv.is_none() && mode != BlockCipherMode::ECB {
        return Err(OpError::InvalidMessage("missing-iv: Decrypt needs the IV/Counter/Nonce".into()));
    }
    let plaintext = match mode {
        BlockCipherMode::GCM => {
            check_tag_length(tag_length)?;
            let tag = request.authenticated_encryption_tag.ok_or_else(|| {
                OpError::InvalidField("AES-GCM decryption needs the Authenticated Encryption Tag".into())
            })?;
            if tag.len() != GCM_TAG_LEN {
                return Err(OpError::Crypto("AES-GCM tags here are 16 bytes".into()));
            }
            let aad = request.authenticated_encryption_additional_data.unwrap_or_default();
            let mut sealed = data;
            sealed.extend_from_slice(&tag);
            // The named version first; for a rotating key, then every other version, newest
            // first: the tag tells which one encrypted (F3: decryption finds the version).
            let mut candidates = vec![key];
            if let Some(versions) = cmk_versions(ctx, &named)? {
                for uid in versions.iter().rev().filter(|u| **u != named) {
                    if let Ok(version) = usable_key(ctx, Some(uid.clone()), CryptographicUsageMask::DECRYPT) {
                        candidates.push(version);
                    }
                }
            }
            let mut opened = None;
            for candidate in &candidates {
                let mut buffer = sealed.clone();
                if let Ok(plain) =
                    gcm_key(candidate)?.open_in_place(gcm_nonce(iv.as_deref())?, Aad::from(aad.clone()), &mut buffer)
                {
                    noted(ctx, candidate);
                    opened = Some((candidate.uid.clone(), plain.to_vec()));
                    break;
                }
            }
            let (uid, plain) = opened.ok_or_else(|| OpError::Crypto("authentication failed".into()))?;
            return Ok(DecryptResponse {
                unique_identifier: uid,
                data: Some(SecretBytes::new(plain)),
                correlation_value: None,
            });
        }
        BlockCipherMode::CBC | BlockCipherMode::ECB => block_decrypt(&key, mode, padding, iv.as_deref(), &data)?,
        other => return Err(OpError::Crypto(format!("block cipher mode {other} is not supported"))),
    };
    noted(ctx, &key);
    Ok(DecryptResponse { unique_identifier: key.uid, data: Some(SecretBytes::new(plaintext)), correlation_value: None })
}

/// RSA encryption with a public key.
fn rsa_encrypt(ctx: &Ctx<'_>, key: UsableKey, request: EncryptRequest) -> Result<EncryptResponse, OpError> {
    if key.object_type != ObjectType::PUBLIC_KEY {
        return Err(OpError::IllegalObjectType("RSA encryption takes a Public Key"));
    }
    let data = request.data.ok_or_else(|| OpError::InvalidField("Encrypt needs Data".into()))?;
    charge_usage(ctx, &key.uid, data.len())?;
    let params = request.cryptographic_parameters.as_ref().or(key.parameters.as_ref());
    let scheme = rsa_encryption::scheme(params)?;
    let label = params.and_then(|p| p.p_source.as_deref());
    let ciphertext = rsa_encryption::encrypt(key.bytes.secret_bytes(), scheme, label, data.secret_bytes())?;
    Ok(EncryptResponse {
        unique_identifier: key.uid,
        data: Some(ciphertext),
        iv_counter_nonce: None,
        correlation_value: None,
        authenticated_encryption_tag: None,
    })
}

/// RSA decryption with a private key.
fn rsa_decrypt(key: UsableKey, request: DecryptRequest) -> Result<DecryptResponse, OpError> {
    if key.object_type != ObjectType::PRIVATE_KEY {
        return Err(OpError::IllegalObjectType("RSA decryption takes a Private Key"));
    }
    let data = request.data.ok_or_else(|| OpError::InvalidField("Decrypt needs Data".into()))?;
    let params = request.cryptographic_parameters.as_ref().or(key.parameters.as_ref());
    let scheme = rsa_encryption::scheme(params)?;
    let label = params.and_then(|p| p.p_source.as_deref());
    let plain = rsa_encryption::decrypt(key.format, key.bytes.secret_bytes(), scheme, label, &data)?;
    Ok(DecryptResponse { unique_identifier: key.uid, data: Some(SecretBytes::new(plain)), correlation_value: None })
}

/// Notes, for the consumers view, that the client used `key` if it is a CMK's version.
fn noted(ctx: &Ctx<'_>, key: &UsableKey) {
    if let Some(cmk) = &key.cmk {
        ctx.svc.note_use(ctx.client.subject(), &key.uid, cmk.clone());
    }
}

/// The CMK record of the rotating key `uid` is a version of; `None` for other keys.
fn cmk_record(ctx: &Ctx<'_>, uid: &str) -> Result<Option<kmip_keystore::CmkRecord>, OpError> {
    let Some(object) = ctx.svc.store.get(uid)? else { return Ok(None) };
    let Some(key_id) = crate::rotation::cmk_of(&object) else { return Ok(None) };
    Ok(ctx.svc.store.cmk(&key_id)?)
}

/// The versions of the rotating key `uid` belongs to, oldest first; `None` for other keys.
fn cmk_versions(ctx: &Ctx<'_>, uid: &str) -> Result<Option<Vec<String>>, OpError> {
    Ok(cmk_record(ctx, uid)?.map(|r| r.versions.into_iter().map(|v| v.uid).collect()))
}

fn gcm_nonce(iv: Option<&[u8]>) -> Result<Nonce, OpError> {
    Nonce::try_assume_unique_for_key(iv.unwrap_or_default())
        .map_err(|_| OpError::Crypto("AES-GCM takes a 96-bit IV".into()))
}

/// AES in CBC or ECB mode, with PKCS#5 padding or none (the default when the request and the
/// key name no Padding Method, as the profiles' vectors expect).
///
/// > KMIP 1.4 §9.1.3.2.15 Padding Method: "None", "PKCS5"; without padding the data must be
/// > a whole number of 16-byte blocks.
pub(crate) fn block_encrypt(
    key: &UsableKey,
    mode: BlockCipherMode,
    padding: Option<PaddingMethod>,
    iv: Option<&[u8]>,
    data: &[u8],
) -> Result<Vec<u8>, OpError> {
    let failed = |_| OpError::Crypto("encryption failed".into());
    let mut buffer = data.to_vec();
    let context = iv_context(mode, iv)?;
    match padding.unwrap_or(PaddingMethod::NONE) {
        PaddingMethod::PKCS5 => {
            let cipher = match mode {
                BlockCipherMode::CBC => PaddedBlockEncryptingKey::cbc_pkcs7(cbc_key(key)?),
                _ => PaddedBlockEncryptingKey::ecb_pkcs7(cbc_key(key)?),
            }
            .map_err(failed)?;
            cipher.less_safe_encrypt(&mut buffer, context).map_err(failed)?;
        }
        PaddingMethod::NONE => {
            if data.len() % 16 != 0 {
                return Err(OpError::Crypto("without padding, AES takes whole 16-byte blocks".into()));
            }
            let cipher = match mode {
                BlockCipherMode::CBC => EncryptingKey::cbc(cbc_key(key)?),
                _ => EncryptingKey::ecb(cbc_key(key)?),
            }
            .map_err(failed)?;
            cipher.less_safe_encrypt(&mut buffer, context).map_err(failed)?;
        }
        other => return Err(OpError::Crypto(format!("padding {other} is not supported for AES"))),
    }
    Ok(buffer)
}

fn block_decrypt(
    key: &UsableKey,
    mode: BlockCipherMode,
    padding: Option<PaddingMethod>,
    iv: Option<&[u8]>,
    data: &[u8],
) -> Result<Vec<u8>, OpError> {
    let failed = |_| OpError::Crypto("decryption failed".into());
    let mut buffer = data.to_vec();
    let context: DecryptionContext = iv_context(mode, iv)?.into();
    let plain = match padding.unwrap_or(PaddingMethod::NONE) {
        PaddingMethod::PKCS5 => {
            let cipher = match mode {
                BlockCipherMode::CBC => PaddedBlockDecryptingKey::cbc_pkcs7(cbc_key(key)?),
                _ => PaddedBlockDecryptingKey::ecb_pkcs7(cbc_key(key)?),
            }
            .map_err(failed)?;
            cipher.decrypt(&mut buffer, context).map_err(failed)?.to_vec()
        }
        PaddingMethod::NONE => {
            let cipher = match mode {
                BlockCipherMode::CBC => DecryptingKey::cbc(cbc_key(key)?),
                _ => DecryptingKey::ecb(cbc_key(key)?),
            }
            .map_err(failed)?;
            cipher.decrypt(&mut buffer, context).map_err(failed)?.to_vec()
        }
        other => return Err(OpError::Crypto(format!("padding {other} is not supported for AES"))),
    };
    Ok(plain)
}

/// The IV as aws-lc-rs wants it: 16 bytes for CBC, none for ECB.
fn iv_context(mode: BlockCipherMode, iv: Option<&[u8]>) -> Result<EncryptionContext, OpError> {
    if mode == BlockCipherMode::ECB {
        return Ok(EncryptionContext::None);
    }
    let block: [u8; 16] =
        iv.unwrap_or_default().try_into().map_err(|_| OpError::Crypto("AES-CBC takes a 128-bit IV".into()))?;
    Ok(EncryptionContext::Iv128(block.into()))
}

/// The HMAC key: the algorithm the request's Cryptographic Parameters name, else the key's own
/// Cryptographic Parameters', else the key's Cryptographic Algorithm (an AES-typed key
/// registered for MAC use names HMAC-SHA256 in its parameters, as CS-AC-M-4 does).
fn hmac_key(key: &UsableKey, request: Option<&CryptographicParameters>) -> Result<ring::hmac::Key, OpError> {
    let named = request.or(key.parameters.as_ref()).and_then(|p| p.cryptographic_algorithm);
    let algorithm = named.unwrap_or(key.algorithm);
    let algorithm =
        hmac_algorithm(algorithm).ok_or_else(|| OpError::Crypto(format!("{algorithm} is not an HMAC algorithm")))?;
    Ok(ring::hmac::Key::new(algorithm, key.bytes.secret_bytes()))
}

pub(crate) fn mac(ctx: &Ctx<'_>, request: MacRequest) -> Result<MacResponse, OpError> {
    no_streaming(request.init_indicator, request.final_indicator, &request.correlation_value)?;
    let key = usable_key(ctx, request.unique_identifier, CryptographicUsageMask::MAC_GENERATE)?;
    let data = request.data.ok_or_else(|| OpError::InvalidField("MAC needs Data".into()))?;
    let tag = ring::hmac::sign(&hmac_key(&key, request.cryptographic_parameters.as_ref())?, data.secret_bytes());
    Ok(MacResponse { unique_identifier: key.uid, mac_data: Some(tag.as_ref().to_vec()), correlation_value: None })
}

pub(crate) fn mac_verify(ctx: &Ctx<'_>, request: MacVerifyRequest) -> Result<MacVerifyResponse, OpError> {
    no_streaming(request.init_indicator, request.final_indicator, &request.correlation_value)?;
    let key = usable_key(ctx, request.unique_identifier, CryptographicUsageMask::MAC_VERIFY)?;
    let data = request.data.ok_or_else(|| OpError::InvalidField("MAC Verify needs Data".into()))?;
    let mac = request.mac_data.ok_or_else(|| OpError::InvalidField("MAC Verify needs MAC Data".into()))?;
    // ring compares in constant time.
    let valid =
        ring::hmac::verify(&hmac_key(&key, request.cryptographic_parameters.as_ref())?, data.secret_bytes(), &mac)
            .is_ok();
    let validity_indicator = if valid { ValidityIndicator::VALID } else { ValidityIndicator::INVALID };
    Ok(MacVerifyResponse { unique_identifier: key.uid, validity_indicator, correlation_value: None })
}

pub(crate) fn rng_retrieve(ctx: &Ctx<'_>, request: RngRetrieveRequest) -> Result<RngRetrieveResponse, OpError> {
    if !(1..=MAX_RNG_BYTES).contains(&request.data_length) {
        return Err(OpError::InvalidField(format!("Data Length must be 1 to {MAX_RNG_BYTES}")));
    }
    Ok(RngRetrieveResponse { data: random_bytes(&ctx.svc.rng, request.data_length as usize)? })
}

/// > KMIP 1.4 §4.37: "This operation requests the server to perform a hash operation on the
/// > data provided", with the Hashing Algorithm from the Cryptographic Parameters.
pub(crate) fn hash(request: HashRequest) -> Result<HashResponse, OpError> {
    use kmip_proto::dict::HashingAlgorithm;
    use ring::digest;
    no_streaming(request.init_indicator, request.final_indicator, &request.correlation_value)?;
    let algorithm = match request.cryptographic_parameters.hashing_algorithm {
        Some(HashingAlgorithm::SHA_1) => &digest::SHA1_FOR_LEGACY_USE_ONLY,
        Some(HashingAlgorithm::SHA_256) => &digest::SHA256,
        Some(HashingAlgorithm::SHA_384) => &digest::SHA384,
        Some(HashingAlgorithm::SHA_512) => &digest::SHA512,
        Some(other) => return Err(OpError::Crypto(format!("hashing with {other} is not supported"))),
        None => return Err(OpError::InvalidField("Hash needs a Hashing Algorithm".into())),
    };
    let data = request.data.ok_or_else(|| OpError::InvalidField("Hash needs Data".into()))?;
    Ok(HashResponse {
        data: Some(digest::digest(algorithm, data.secret_bytes()).as_ref().to_vec()),
        correlation_value: None,
    })
}
