//! RSA encryption: RSAES-OAEP both ways, and RSAES-PKCS1-v1_5 decryption for old clients.
//!
//! > KMIP 1.4 §4.29-4.30: Encrypt and Decrypt take the Padding Method (OAEP, PKCS1 v1.5), the
//! > Hashing Algorithm (OAEP's hash), the Mask Generator Hashing Algorithm (2.x) and the P
//! > Source (OAEP's label) from the Cryptographic Parameters.
//!
//! PKCS#1 v1.5 decryption is AWS-LC's, which checks the padding in constant time; the server
//! refuses to *encrypt* with v1.5, so it never makes new ciphertexts that invite Bleichenbacher.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OAEP_SHA384_MGF1SHA384, OAEP_SHA512_MGF1SHA512, OaepAlgorithm,
    OaepPrivateDecryptingKey, OaepPublicEncryptingKey, Pkcs1PrivateDecryptingKey, PrivateDecryptingKey,
    PublicEncryptingKey, PublicKey as RsaPublicKey,
};
use kmip_proto::CryptographicParameters;
use kmip_proto::dict::{HashingAlgorithm, KeyFormatType, PaddingMethod};

use super::rsa_private;
use crate::OpError;

/// An RSA encryption scheme.
#[derive(Clone, Copy, Debug)]
pub(crate) enum RsaScheme {
    /// RSAES-OAEP with this hash for both OAEP and MGF1.
    Oaep(&'static OaepAlgorithm),
    /// RSAES-PKCS1-v1_5: decryption only.
    Pkcs1v15,
}

/// The scheme the Cryptographic Parameters name: OAEP with SHA-1 (the RFC 8017 default) unless
/// a hash is named.
pub(crate) fn scheme(params: Option<&CryptographicParameters>) -> Result<RsaScheme, OpError> {
    let padding = params.and_then(|p| p.padding_method).unwrap_or(PaddingMethod::OAEP);
    let hash = params.and_then(|p| p.hashing_algorithm).unwrap_or(HashingAlgorithm::SHA_1);
    let mgf = params.and_then(|p| p.mask_generator_hashing_algorithm).unwrap_or(hash);
    match padding {
        PaddingMethod::OAEP => {
            if mgf != hash {
                return Err(OpError::Crypto("OAEP here uses one hash for OAEP and MGF1".into()));
            }
            let algorithm = match hash {
                HashingAlgorithm::SHA_1 => &OAEP_SHA1_MGF1SHA1,
                HashingAlgorithm::SHA_256 => &OAEP_SHA256_MGF1SHA256,
                HashingAlgorithm::SHA_384 => &OAEP_SHA384_MGF1SHA384,
                HashingAlgorithm::SHA_512 => &OAEP_SHA512_MGF1SHA512,
                other => return Err(OpError::Crypto(format!("OAEP with {other} is not supported"))),
            };
            Ok(RsaScheme::Oaep(algorithm))
        }
        PaddingMethod::PKCS1V15 => Ok(RsaScheme::Pkcs1v15),
        other => Err(OpError::Crypto(format!("padding {other} is not an RSA encryption padding"))),
    }
}

/// Encrypts with an RSA public key held as PKCS#1 or X.509.
pub(crate) fn encrypt(public: &[u8], scheme: RsaScheme, label: Option<&[u8]>, data: &[u8]) -> Result<Vec<u8>, OpError> {
    let RsaScheme::Oaep(algorithm) = scheme else {
        return Err(OpError::Crypto("RSA PKCS#1 v1.5 encryption is refused; use OAEP".into()));
    };
    fn unreadable<E>(_: E) -> OpError {
        OpError::Crypto("the RSA public key does not parse".into())
    }
    // PublicEncryptingKey reads SubjectPublicKeyInfo; a PKCS#1 key is re-wrapped first.
    let spki = RsaPublicKey::from_der(public).map_err(unreadable)?.as_der().map_err(unreadable)?;
    let key = OaepPublicEncryptingKey::new(PublicEncryptingKey::from_der(spki.as_ref()).map_err(unreadable)?)
        .map_err(unreadable)?;
    if data.len() > key.max_plaintext_size(algorithm) {
        return Err(OpError::Crypto(format!(
            "OAEP with this key takes at most {} bytes",
            key.max_plaintext_size(algorithm)
        )));
    }
    let mut out = vec![0u8; key.ciphertext_size()];
    let written = key
        .encrypt(algorithm, data, &mut out, label)
        .map_err(|_| OpError::Crypto("RSA encryption failed".into()))?
        .len();
    out.truncate(written);
    Ok(out)
}

/// Decrypts with an RSA private key held as PKCS#1 or PKCS#8. Every failure is the same
/// error, whatever went wrong, so that the answer is no padding oracle.
pub(crate) fn decrypt(
    format: KeyFormatType,
    private: &[u8],
    scheme: RsaScheme,
    label: Option<&[u8]>,
    data: &[u8],
) -> Result<Vec<u8>, OpError> {
    let pkcs8 = rsa_private(format, private)?
        .as_der()
        .map_err(|_| OpError::Crypto("the RSA private key does not parse".into()))?;
    let key = PrivateDecryptingKey::from_pkcs8(pkcs8.as_ref())
        .map_err(|_| OpError::Crypto("the RSA private key does not parse".into()))?;
    let failed = |_| OpError::Crypto("decryption failed".into());
    let mut out = vec![0u8; key.key_size_bytes()];
    let written = match scheme {
        RsaScheme::Oaep(algorithm) => OaepPrivateDecryptingKey::new(key)
            .map_err(failed)?
            .decrypt(algorithm, data, &mut out, label)
            .map_err(failed)?
            .len(),
        RsaScheme::Pkcs1v15 => {
            Pkcs1PrivateDecryptingKey::new(key).map_err(failed)?.decrypt(data, &mut out).map_err(failed)?.len()
        }
    };
    out.truncate(written);
    Ok(out)
}
