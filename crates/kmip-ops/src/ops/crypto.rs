//! Encrypt, Decrypt, MAC, MAC Verify and RNG Retrieve, with keys the server holds.
//!
//! AES-GCM and HMAC come from ring; AES-CBC, which ring lacks, from aws-lc-rs. Nothing here
//! is written by hand.

use aws_lc_rs::cipher::{
    AES_128, AES_192, AES_256, DecryptionContext, PaddedBlockDecryptingKey,
    PaddedBlockEncryptingKey, UnboundCipherKey,
};
use kmip_keystore::StoredObject;
use kmip_proto::dict::{
    BlockCipherMode, CryptographicAlgorithm, CryptographicUsageMask, PaddingMethod, State,
    ValidityIndicator,
};
use kmip_proto::payload::{
    DecryptRequest, DecryptResponse, EncryptRequest, EncryptResponse, MacRequest, MacResponse,
    MacVerifyRequest, MacVerifyResponse, RngRetrieveRequest, RngRetrieveResponse,
};
use kmip_proto::{CryptographicParameters, SecretBytes};
use ring::aead::{AES_128_GCM, AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ttlv::{Tag, Value};

use crate::OpError;
use crate::keys::{hmac_algorithm, material, random_bytes};
use crate::objects::effective_state;
use crate::service::Ctx;

/// The most random bytes one RNG Retrieve returns.
const MAX_RNG_BYTES: i32 = 64 * 1024;
/// AES-GCM tag length: ring produces 16-byte tags only.
const GCM_TAG_LEN: usize = 16;

/// A key ready for use: owned by the client, Active, allowed the operation by its mask.
struct UsableKey {
    uid: String,
    algorithm: CryptographicAlgorithm,
    bytes: SecretBytes,
    parameters: Option<CryptographicParameters>,
}

fn usable_key(
    ctx: &Ctx<'_>,
    uid: Option<String>,
    needs: CryptographicUsageMask,
) -> Result<UsableKey, OpError> {
    let uid = ctx.uid(uid)?;
    let stored: StoredObject = ctx.load_owned(&uid)?;
    // > KMIP 1.4 §3.22: "Active: the object MAY be used for all cryptographic purposes"; a
    // > Deactivated or Compromised one only to process (decrypt, verify) what exists.
    let state = effective_state(&stored, ctx.now);
    let processing = matches!(
        needs,
        CryptographicUsageMask::DECRYPT | CryptographicUsageMask::MAC_VERIFY
    );
    let allowed = state == State::ACTIVE
        || (processing && matches!(state, State::DEACTIVATED | State::COMPROMISED));
    if !allowed {
        return Err(OpError::WrongState("the key is not Active"));
    }
    if let Some(Value::Integer(mask)) = stored
        .first(Tag::CRYPTOGRAPHIC_USAGE_MASK)
        .map(|a| &a.value.value)
    {
        if (*mask as u32) & needs.0 == 0 {
            return Err(OpError::UsageMask);
        }
    }
    let algorithm = stored.algorithm().ok_or(OpError::IllegalObjectType(
        "the object has no Cryptographic Algorithm",
    ))?;
    let parameters = stored
        .first(Tag::CRYPTOGRAPHIC_PARAMETERS)
        .and_then(|a| kmip_proto::attribute::typed_value(&a.value).ok());
    let bytes = stored
        .object
        .as_ref()
        .and_then(material)
        .cloned()
        .ok_or(OpError::IllegalObjectType("the object holds no key bytes"))?;
    Ok(UsableKey {
        uid,
        algorithm,
        bytes,
        parameters,
    })
}

/// The request's parameters, or else the key's own, or else the defaults.
fn mode_of(
    request: Option<&CryptographicParameters>,
    key: &UsableKey,
) -> (BlockCipherMode, Option<PaddingMethod>, Option<i32>) {
    let p = request.or(key.parameters.as_ref());
    (
        p.and_then(|p| p.block_cipher_mode)
            .unwrap_or(BlockCipherMode::GCM),
        p.and_then(|p| p.padding_method),
        p.and_then(|p| p.tag_length),
    )
}

fn gcm_key(key: &UsableKey) -> Result<LessSafeKey, OpError> {
    let algorithm = match key.bytes.len() {
        16 => &AES_128_GCM,
        32 => &AES_256_GCM,
        n => {
            return Err(OpError::Crypto(format!(
                "AES-GCM here takes 128- or 256-bit keys, not {} bits",
                n * 8
            )));
        }
    };
    let unbound = UnboundKey::new(algorithm, key.bytes.secret_bytes())
        .map_err(|_| OpError::Crypto("bad AES key".into()))?;
    Ok(LessSafeKey::new(unbound))
}

fn cbc_key(key: &UsableKey) -> Result<UnboundCipherKey, OpError> {
    let algorithm = match key.bytes.len() {
        16 => &AES_128,
        24 => &AES_192,
        32 => &AES_256,
        n => return Err(OpError::Crypto(format!("no AES key of {} bits", n * 8))),
    };
    UnboundCipherKey::new(algorithm, key.bytes.secret_bytes())
        .map_err(|_| OpError::Crypto("bad AES key".into()))
}

fn check_tag_length(tag_length: Option<i32>) -> Result<(), OpError> {
    match tag_length {
        None | Some(16) => Ok(()),
        Some(n) => Err(OpError::Crypto(format!(
            "AES-GCM tags here are 16 bytes, not {n}"
        ))),
    }
}

fn no_streaming(
    init: Option<bool>,
    fin: Option<bool>,
    correlation: &Option<Vec<u8>>,
) -> Result<(), OpError> {
    if init == Some(true) || fin == Some(true) || correlation.is_some() {
        return Err(OpError::FeatureNotSupported(
            "streaming cryptographic operations",
        ));
    }
    Ok(())
}

pub(crate) fn encrypt(ctx: &Ctx<'_>, request: EncryptRequest) -> Result<EncryptResponse, OpError> {
    no_streaming(
        request.init_indicator,
        request.final_indicator,
        &request.correlation_value,
    )?;
    let key = usable_key(
        ctx,
        request.unique_identifier,
        CryptographicUsageMask::ENCRYPT,
    )?;
    if key.algorithm != CryptographicAlgorithm::AES {
        return Err(OpError::Crypto(format!(
            "Encrypt here takes AES keys, not {}",
            key.algorithm
        )));
    }
    let data = request
        .data
        .ok_or_else(|| OpError::InvalidField("Encrypt needs Data".into()))?;
    let (mode, padding, tag_length) = mode_of(request.cryptographic_parameters.as_ref(), &key);
    // > KMIP 1.4 §4.29: "the IV/Counter/Nonce ... If not provided and the mode requires one,
    // > the server SHALL generate it and return it in the response."
    let supplied_iv = request.iv_counter_nonce;
    let response = |data, iv: Option<Vec<u8>>, tag| EncryptResponse {
        unique_identifier: key.uid.clone(),
        data: Some(data),
        iv_counter_nonce: if supplied_iv.is_some() { None } else { iv },
        correlation_value: None,
        authenticated_encryption_tag: tag,
    };
    match mode {
        BlockCipherMode::GCM => {
            check_tag_length(tag_length)?;
            let iv = match &supplied_iv {
                Some(iv) => iv.clone(),
                None => random_bytes(&ctx.svc.rng, NONCE_LEN)?
                    .secret_bytes()
                    .to_vec(),
            };
            let nonce = Nonce::try_assume_unique_for_key(&iv)
                .map_err(|_| OpError::Crypto("AES-GCM takes a 96-bit IV".into()))?;
            let aad = request
                .authenticated_encryption_additional_data
                .unwrap_or_default();
            let mut buffer = data.secret_bytes().to_vec();
            let tag = gcm_key(&key)?
                .seal_in_place_separate_tag(nonce, Aad::from(aad), &mut buffer)
                .map_err(|_| OpError::Crypto("AES-GCM encryption failed".into()))?;
            Ok(response(buffer, Some(iv), Some(tag.as_ref().to_vec())))
        }
        BlockCipherMode::CBC => {
            if !matches!(padding, None | Some(PaddingMethod::PKCS5)) {
                return Err(OpError::Crypto("AES-CBC here pads with PKCS#5 only".into()));
            }
            let cipher = PaddedBlockEncryptingKey::cbc_pkcs7(cbc_key(&key)?)
                .map_err(|_| OpError::Crypto("bad AES key".into()))?;
            let iv = match &supplied_iv {
                Some(iv) => iv.clone(),
                None => random_bytes(&ctx.svc.rng, 16)?.secret_bytes().to_vec(),
            };
            let iv_block: [u8; 16] = iv
                .as_slice()
                .try_into()
                .map_err(|_| OpError::Crypto("AES-CBC takes a 128-bit IV".into()))?;
            let mut buffer = data.secret_bytes().to_vec();
            cipher
                .less_safe_encrypt(
                    &mut buffer,
                    aws_lc_rs::cipher::EncryptionContext::Iv128(iv_block.into()),
                )
                .map_err(|_| OpError::Crypto("AES-CBC encryption failed".into()))?;
            Ok(response(buffer, Some(iv), None))
        }
        other => Err(OpError::Crypto(format!(
            "block cipher mode {other} is not supported"
        ))),
    }
}

pub(crate) fn decrypt(ctx: &Ctx<'_>, request: DecryptRequest) -> Result<DecryptResponse, OpError> {
    no_streaming(
        request.init_indicator,
        request.final_indicator,
        &request.correlation_value,
    )?;
    let key = usable_key(
        ctx,
        request.unique_identifier,
        CryptographicUsageMask::DECRYPT,
    )?;
    if key.algorithm != CryptographicAlgorithm::AES {
        return Err(OpError::Crypto(format!(
            "Decrypt here takes AES keys, not {}",
            key.algorithm
        )));
    }
    let data = request
        .data
        .ok_or_else(|| OpError::InvalidField("Decrypt needs Data".into()))?;
    let iv = request.iv_counter_nonce.ok_or_else(|| {
        OpError::InvalidMessage("missing-iv: Decrypt needs the IV/Counter/Nonce".into())
    })?;
    let (mode, padding, tag_length) = mode_of(request.cryptographic_parameters.as_ref(), &key);
    let plaintext = match mode {
        BlockCipherMode::GCM => {
            check_tag_length(tag_length)?;
            let tag = request.authenticated_encryption_tag.ok_or_else(|| {
                OpError::InvalidField(
                    "AES-GCM decryption needs the Authenticated Encryption Tag".into(),
                )
            })?;
            let nonce = Nonce::try_assume_unique_for_key(&iv)
                .map_err(|_| OpError::Crypto("AES-GCM takes a 96-bit IV".into()))?;
            if tag.len() != GCM_TAG_LEN {
                return Err(OpError::Crypto("AES-GCM tags here are 16 bytes".into()));
            }
            let aad = request
                .authenticated_encryption_additional_data
                .unwrap_or_default();
            let mut buffer = data;
            buffer.extend_from_slice(&tag);
            let plain = gcm_key(&key)?
                .open_in_place(nonce, Aad::from(aad), &mut buffer)
                .map_err(|_| OpError::Crypto("authentication failed".into()))?;
            plain.to_vec()
        }
        BlockCipherMode::CBC => {
            if !matches!(padding, None | Some(PaddingMethod::PKCS5)) {
                return Err(OpError::Crypto("AES-CBC here pads with PKCS#5 only".into()));
            }
            let iv_block: [u8; 16] = iv
                .as_slice()
                .try_into()
                .map_err(|_| OpError::Crypto("AES-CBC takes a 128-bit IV".into()))?;
            let cipher = PaddedBlockDecryptingKey::cbc_pkcs7(cbc_key(&key)?)
                .map_err(|_| OpError::Crypto("bad AES key".into()))?;
            let mut buffer = data;
            let plain = cipher
                .decrypt(&mut buffer, DecryptionContext::Iv128(iv_block.into()))
                .map_err(|_| OpError::Crypto("decryption failed".into()))?;
            plain.to_vec()
        }
        other => {
            return Err(OpError::Crypto(format!(
                "block cipher mode {other} is not supported"
            )));
        }
    };
    Ok(DecryptResponse {
        unique_identifier: key.uid,
        data: Some(SecretBytes::new(plaintext)),
        correlation_value: None,
    })
}

fn hmac_key(key: &UsableKey) -> Result<ring::hmac::Key, OpError> {
    let algorithm = hmac_algorithm(key.algorithm)
        .ok_or_else(|| OpError::Crypto(format!("{} is not an HMAC key", key.algorithm)))?;
    Ok(ring::hmac::Key::new(algorithm, key.bytes.secret_bytes()))
}

pub(crate) fn mac(ctx: &Ctx<'_>, request: MacRequest) -> Result<MacResponse, OpError> {
    no_streaming(
        request.init_indicator,
        request.final_indicator,
        &request.correlation_value,
    )?;
    let key = usable_key(
        ctx,
        request.unique_identifier,
        CryptographicUsageMask::MAC_GENERATE,
    )?;
    let data = request
        .data
        .ok_or_else(|| OpError::InvalidField("MAC needs Data".into()))?;
    let tag = ring::hmac::sign(&hmac_key(&key)?, data.secret_bytes());
    Ok(MacResponse {
        unique_identifier: key.uid,
        mac_data: Some(tag.as_ref().to_vec()),
        correlation_value: None,
    })
}

pub(crate) fn mac_verify(
    ctx: &Ctx<'_>,
    request: MacVerifyRequest,
) -> Result<MacVerifyResponse, OpError> {
    no_streaming(
        request.init_indicator,
        request.final_indicator,
        &request.correlation_value,
    )?;
    let key = usable_key(
        ctx,
        request.unique_identifier,
        CryptographicUsageMask::MAC_VERIFY,
    )?;
    let data = request
        .data
        .ok_or_else(|| OpError::InvalidField("MAC Verify needs Data".into()))?;
    let mac = request
        .mac_data
        .ok_or_else(|| OpError::InvalidField("MAC Verify needs MAC Data".into()))?;
    // ring compares in constant time.
    let valid = ring::hmac::verify(&hmac_key(&key)?, data.secret_bytes(), &mac).is_ok();
    let validity_indicator = if valid {
        ValidityIndicator::VALID
    } else {
        ValidityIndicator::INVALID
    };
    Ok(MacVerifyResponse {
        unique_identifier: key.uid,
        validity_indicator,
        correlation_value: None,
    })
}

pub(crate) fn rng_retrieve(
    ctx: &Ctx<'_>,
    request: RngRetrieveRequest,
) -> Result<RngRetrieveResponse, OpError> {
    if !(1..=MAX_RNG_BYTES).contains(&request.data_length) {
        return Err(OpError::InvalidField(format!(
            "Data Length must be 1 to {MAX_RNG_BYTES}"
        )));
    }
    Ok(RngRetrieveResponse {
        data: random_bytes(&ctx.svc.rng, request.data_length as usize)?,
    })
}
