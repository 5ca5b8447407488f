//! Get with a Key Wrapping Specification: the key leaves the server encrypted under another
//! key the client owns, never in the clear.
//!
//! > KMIP 1.4 §4.11 (Get): "Key Wrapping Specification ... Specifies keys and other
//! > information for wrapping the returned object"; §2.1.4: the wrapped value is "either the
//! > wrapped TTLV-encoded Key Value structure, or the wrapped un-encoded value of the Byte
//! > String Key Material field", as the Encoding Option says (TTLV Encoding when absent).
//!
//! AES Key Wrap (RFC 3394, "NIST Key Wrap") and AES Key Wrap with Padding (RFC 5649) are
//! aws-lc-rs's; RSA-OAEP wrapping is the RSA encryption of `asymmetric::rsa_encryption`.

use aws_lc_rs::key_wrap::{AES_128, AES_256, AesKek, KeyWrap, KeyWrapPadded};
use kmip_proto::dict::{
    BlockCipherMode, CryptographicAlgorithm, CryptographicUsageMask, EncodingOption, ObjectType, WrappingMethod,
};
use kmip_proto::{
    Encode, Encoder, KeyMaterial, KeyValue, KeyWrappingData, KeyWrappingSpecification, ManagedObject, SecretBytes,
};
use ttlv::Tag;

use super::key_use::{UsableKey, usable_key};
use crate::OpError;
use crate::asymmetric::rsa_encryption;
use crate::service::Ctx;

/// Wraps `object`'s key value as `spec` asks.
pub(crate) fn wrap(
    ctx: &Ctx<'_>,
    mut object: ManagedObject,
    spec: KeyWrappingSpecification,
) -> Result<ManagedObject, OpError> {
    if spec.wrapping_method != WrappingMethod::ENCRYPT {
        return Err(OpError::FeatureNotSupported("key wrapping by MAC or signature"));
    }
    if !spec.attribute_names.is_empty() {
        return Err(OpError::FeatureNotSupported("wrapping attributes with the key"));
    }
    let information = spec
        .encryption_key_information
        .clone()
        .ok_or_else(|| OpError::InvalidField("Key Wrapping Specification needs Encryption Key Information".into()))?;
    let wrapping_key = usable_key(ctx, Some(information.unique_identifier.clone()), CryptographicUsageMask::WRAP_KEY)?;
    let encoding = spec.encoding_option.unwrap_or(EncodingOption::TTLV_ENCODING);
    let block =
        object.key_block_mut().ok_or(OpError::IllegalObjectType("only objects with a key block can be wrapped"))?;
    let Some(value @ KeyValue::Plain { .. }) = &block.key_value else {
        return Err(OpError::InvalidField("the object is already wrapped".into()));
    };
    let plain = match (encoding, value) {
        (EncodingOption::NO_ENCODING, KeyValue::Plain { material: KeyMaterial::Bytes(bytes), .. }) => bytes.clone(),
        (EncodingOption::NO_ENCODING, _) => {
            return Err(OpError::Attribute {
                reason: kmip_proto::dict::ResultReason::ENCODING_OPTION_ERROR,
                message: "a structured key value can only be wrapped TTLV-encoded".into(),
            });
        }
        (_, value) => {
            let mut e = Encoder::new(ctx.version);
            value.encode(Tag::KEY_VALUE, &mut e);
            SecretBytes::new(e.into_bytes())
        }
    };
    let params = information.cryptographic_parameters.as_ref().or(wrapping_key.parameters.as_ref());
    let wrapped = match (wrapping_key.object_type, wrapping_key.algorithm) {
        (ObjectType::SYMMETRIC_KEY, CryptographicAlgorithm::AES) => {
            let mode = params.and_then(|p| p.block_cipher_mode).unwrap_or(BlockCipherMode::NIST_KEY_WRAP);
            aes_key_wrap(&wrapping_key, mode, plain.secret_bytes())?
        }
        (ObjectType::PUBLIC_KEY, CryptographicAlgorithm::RSA) => {
            let label = params.and_then(|p| p.p_source.as_deref());
            rsa_encryption::encrypt(
                wrapping_key.bytes.secret_bytes(),
                rsa_encryption::scheme(params)?,
                label,
                plain.secret_bytes(),
            )?
        }
        (ObjectType::SYMMETRIC_KEY | ObjectType::PUBLIC_KEY, algorithm) => {
            return Err(OpError::Crypto(format!("wrapping here is with AES keys or RSA public keys, not {algorithm}")));
        }
        _ => return Err(OpError::IllegalObjectType("a wrapping key is a Symmetric Key or a Public Key")),
    };
    // With TTLV Encoding the whole Key Value structure was wrapped, so the Key Value is the
    // wrapped Byte String; with No Encoding only the Key Material was, and it stays in a
    // Key Value structure (as PyKMIP writes and reads it).
    let wrapped = SecretBytes::new(wrapped);
    block.key_value = Some(match encoding {
        EncodingOption::NO_ENCODING => {
            KeyValue::Plain { material: KeyMaterial::Bytes(wrapped), attributes: Vec::new() }
        }
        _ => KeyValue::Wrapped(wrapped),
    });
    block.key_wrapping_data = Some(Box::new(KeyWrappingData {
        wrapping_method: WrappingMethod::ENCRYPT,
        encryption_key_information: Some(information),
        mac_signature_key_information: None,
        mac_signature: None,
        iv_counter_nonce: None,
        // As the client said it: the profiles' AX-M-2 expects no Encoding Option back when
        // none was asked for.
        encoding_option: spec.encoding_option,
    }));
    Ok(object)
}

/// RFC 3394 (NIST Key Wrap) or RFC 5649 (AES Key Wrap with Padding).
fn aes_key_wrap(key: &UsableKey, mode: BlockCipherMode, plain: &[u8]) -> Result<Vec<u8>, OpError> {
    let cipher = match key.bytes.len() {
        16 => &AES_128,
        32 => &AES_256,
        n => return Err(OpError::Crypto(format!("AES key wrap here takes 128- or 256-bit keys, not {} bits", n * 8))),
    };
    let kek = AesKek::new(cipher, key.bytes.secret_bytes()).map_err(|_| OpError::Crypto("bad AES key".into()))?;
    let mut out = vec![0u8; plain.len() + 16];
    let failed = |_| OpError::Crypto("key wrap failed".into());
    let written = match mode {
        // > RFC 3394 §2: the key data is "n 64-bit blocks", n at least 2.
        BlockCipherMode::NIST_KEY_WRAP => {
            if plain.len() % 8 != 0 || plain.len() < 16 {
                return Err(OpError::Crypto(
                    "NIST key wrap takes whole 8-byte blocks, at least two; use AES Key Wrap Padding".into(),
                ));
            }
            kek.wrap(plain, &mut out).map_err(failed)?.len()
        }
        BlockCipherMode::AES_KEY_WRAP_PADDING => kek.wrap_with_padding(plain, &mut out).map_err(failed)?.len(),
        other => {
            return Err(OpError::Crypto(format!(
                "key wrapping takes NIST Key Wrap or AES Key Wrap Padding, not {other}"
            )));
        }
    };
    out.truncate(written);
    Ok(out)
}
