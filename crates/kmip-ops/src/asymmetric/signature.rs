//! Signatures: RSA PKCS#1 v1.5 and PSS with SHA-256, SHA-384 and SHA-512, ECDSA on P-256 and
//! P-384, and Ed25519; over the data, or over a digest the client computed.
//!
//! > KMIP 1.4 §4.31 (Sign): "the Data or Digested Data ... is signed ... using the private
//! > key"; §4.32 (Signature Verify) returns a Validity Indicator.

use aws_lc_rs::digest::{self, Digest};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    self as sig, EcdsaKeyPair, Ed25519KeyPair, RsaEncoding, RsaPssSaltLength, RsaSignatureEncoding,
    VerificationAlgorithm,
};
use kmip_proto::CryptographicParameters;
use kmip_proto::dict::{DigitalSignatureAlgorithm as Dsa, HashingAlgorithm, KeyFormatType, PaddingMethod};

use super::{KeyKind, rsa_private};
use crate::OpError;

/// A hash the signature schemes here take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hash {
    /// SHA-1: to verify old PKCS#1 v1.5 signatures only, never to make new ones.
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn from_kmip(h: HashingAlgorithm) -> Result<Self, OpError> {
        match h {
            HashingAlgorithm::SHA_1 => Ok(Hash::Sha1),
            HashingAlgorithm::SHA_256 => Ok(Hash::Sha256),
            HashingAlgorithm::SHA_384 => Ok(Hash::Sha384),
            HashingAlgorithm::SHA_512 => Ok(Hash::Sha512),
            other => Err(OpError::Crypto(format!("signatures here use SHA-256, SHA-384 or SHA-512, not {other}"))),
        }
    }

    fn digest_algorithm(self) -> &'static digest::Algorithm {
        match self {
            Hash::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            Hash::Sha256 => &digest::SHA256,
            Hash::Sha384 => &digest::SHA384,
            Hash::Sha512 => &digest::SHA512,
        }
    }
}

/// A signature scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// RSASSA-PKCS1-v1_5 (RFC 8017 §8.2).
    RsaPkcs1(Hash),
    /// RSASSA-PSS (RFC 8017 §8.1), MGF1 with the same hash, with the Salt Length asked for
    /// (in bytes), or else a salt as long as the hash when signing and either that or the
    /// longest the key allows (PyKMIP's and OpenSSL's choice) when verifying.
    RsaPss(Hash, Option<i32>),
    /// ECDSA with the curve's hash, DER-encoded signature.
    Ecdsa(Hash),
    /// Ed25519 (RFC 8032), over the message only.
    Ed25519,
}

/// The scheme for a key of `kind`, from the request's Cryptographic Parameters (or the key's).
///
/// Digital Signature Algorithm names the scheme whole; otherwise Padding Method and Hashing
/// Algorithm do, with PKCS#1 v1.5 and SHA-256 the defaults for RSA.
pub(crate) fn scheme(kind: KeyKind, params: Option<&CryptographicParameters>) -> Result<Scheme, OpError> {
    let hash = params.and_then(|p| p.hashing_algorithm).map(Hash::from_kmip).transpose()?;
    let dsa = params.and_then(|p| p.digital_signature_algorithm);
    let padding = params.and_then(|p| p.padding_method);
    let salt = params.and_then(|p| p.salt_length);
    let unsupported = |what: String| Err(OpError::Crypto(what));
    match kind {
        KeyKind::Rsa(_) => match dsa {
            Some(Dsa::SHA256_WITH_RSA_ENCRYPTION) => Ok(Scheme::RsaPkcs1(Hash::Sha256)),
            Some(Dsa::SHA384_WITH_RSA_ENCRYPTION) => Ok(Scheme::RsaPkcs1(Hash::Sha384)),
            Some(Dsa::SHA512_WITH_RSA_ENCRYPTION) => Ok(Scheme::RsaPkcs1(Hash::Sha512)),
            Some(Dsa::RSASSA_PSS) => pss(hash, salt),
            Some(other) => unsupported(format!("{other} is not a signature algorithm for RSA keys here")),
            None => match padding {
                None | Some(PaddingMethod::PKCS1V15) => Ok(Scheme::RsaPkcs1(hash.unwrap_or(Hash::Sha256))),
                Some(PaddingMethod::PSS) => pss(hash, salt),
                Some(other) => unsupported(format!("padding {other} is not a signature padding")),
            },
        },
        KeyKind::P256 | KeyKind::P384 => {
            let own = if kind == KeyKind::P256 { Hash::Sha256 } else { Hash::Sha384 };
            let named = match dsa {
                None => hash,
                Some(Dsa::ECDSA_WITH_SHA256) => Some(Hash::Sha256),
                Some(Dsa::ECDSA_WITH_SHA384) => Some(Hash::Sha384),
                Some(Dsa::ECDSA_WITH_SHA512) => Some(Hash::Sha512),
                Some(other) => return unsupported(format!("{other} is not a signature algorithm for EC keys")),
            };
            match named {
                None => Ok(Scheme::Ecdsa(own)),
                Some(h) if h == own => Ok(Scheme::Ecdsa(own)),
                Some(h) => unsupported(format!("ECDSA here pairs each curve with its own hash, not {h:?}")),
            }
        }
        KeyKind::Ed25519 => Ok(Scheme::Ed25519),
    }
}

fn pss(hash: Option<Hash>, salt: Option<i32>) -> Result<Scheme, OpError> {
    match hash.unwrap_or(Hash::Sha256) {
        Hash::Sha1 => Err(OpError::Crypto("PSS here uses SHA-256, SHA-384 or SHA-512".into())),
        hash => Ok(Scheme::RsaPss(hash, salt)),
    }
}

/// What is signed: the message, or the digest of it the client computed. No `Debug`: the
/// data may be secret.
#[derive(Clone, Copy)]
pub(crate) enum Signed<'a> {
    /// The data itself.
    Data(&'a [u8]),
    /// A digest of the data, by the scheme's hash.
    Digest(&'a [u8]),
}

fn imported(scheme: Scheme, digest: &[u8]) -> Result<Digest, OpError> {
    let hash = match scheme {
        Scheme::RsaPkcs1(h) | Scheme::RsaPss(h, _) | Scheme::Ecdsa(h) => h,
        Scheme::Ed25519 => return Err(OpError::InvalidField("Ed25519 signs the data, not a digest of it".into())),
    };
    Digest::import_less_safe(digest, hash.digest_algorithm())
        .map_err(|_| OpError::InvalidField(format!("Digested Data is not a {hash:?} digest")))
}

/// The salt length a PSS signature is made with: the hash's length unless asked otherwise.
/// aws-lc-rs signs with static encodings, so the two lengths in use are offered: the
/// hash's length and the longest the key allows.
fn pss_salt(hash: Hash, salt: Option<i32>, modulus_bytes: usize) -> Result<RsaPssSaltLength, OpError> {
    let digest = hash.digest_algorithm().output_len();
    let max = modulus_bytes.saturating_sub(digest + 2);
    match salt {
        None => Ok(RsaPssSaltLength::Digest),
        Some(n) if n as usize == digest => Ok(RsaPssSaltLength::Digest),
        Some(n) if n >= 0 && n as usize == max => Ok(RsaPssSaltLength::Max),
        Some(n) => Err(OpError::Crypto(format!("PSS here signs with a {digest}- or {max}-byte salt, not {n}"))),
    }
}

/// The aws-lc-rs encoding to sign with; `None` for SHA-1, which is never used to sign.
fn rsa_encoding(scheme: Scheme, salt: RsaPssSaltLength) -> Option<&'static dyn RsaEncoding> {
    const PSS_MAX: [RsaSignatureEncoding; 3] = [
        sig::RSA_PSS_SHA256.with_pss_salt_length(RsaPssSaltLength::Max),
        sig::RSA_PSS_SHA384.with_pss_salt_length(RsaPssSaltLength::Max),
        sig::RSA_PSS_SHA512.with_pss_salt_length(RsaPssSaltLength::Max),
    ];
    Some(match (scheme, salt) {
        (Scheme::RsaPss(Hash::Sha256, _), RsaPssSaltLength::Max) => &PSS_MAX[0],
        (Scheme::RsaPss(Hash::Sha384, _), RsaPssSaltLength::Max) => &PSS_MAX[1],
        (Scheme::RsaPss(Hash::Sha512, _), RsaPssSaltLength::Max) => &PSS_MAX[2],
        (Scheme::RsaPss(Hash::Sha256, _), _) => &sig::RSA_PSS_SHA256,
        (Scheme::RsaPss(Hash::Sha384, _), _) => &sig::RSA_PSS_SHA384,
        (Scheme::RsaPss(Hash::Sha512, _), _) => &sig::RSA_PSS_SHA512,
        (Scheme::RsaPkcs1(Hash::Sha256), _) => &sig::RSA_PKCS1_SHA256,
        (Scheme::RsaPkcs1(Hash::Sha384), _) => &sig::RSA_PKCS1_SHA384,
        (Scheme::RsaPkcs1(Hash::Sha512), _) => &sig::RSA_PKCS1_SHA512,
        _ => return None,
    })
}

/// Signs with a private key of `kind` held as `format`.
pub(crate) fn sign(
    kind: KeyKind,
    format: KeyFormatType,
    key: &[u8],
    scheme: Scheme,
    signed: Signed<'_>,
) -> Result<Vec<u8>, OpError> {
    let failed = |_| OpError::Crypto("signing failed".into());
    let unreadable = |_| OpError::Crypto("the private key does not parse".into());
    match scheme {
        Scheme::RsaPkcs1(_) | Scheme::RsaPss(..) => {
            let pair = rsa_private(format, key)?;
            let salt = match scheme {
                Scheme::RsaPss(hash, salt) => pss_salt(hash, salt, pair.public_modulus_len())?,
                _ => RsaPssSaltLength::Digest,
            };
            let encoding = rsa_encoding(scheme, salt)
                .ok_or_else(|| OpError::Crypto("SHA-1 signatures are verified here, never made".into()))?;
            let mut out = vec![0u8; pair.public_modulus_len()];
            match signed {
                Signed::Data(data) => pair.sign(encoding, &SystemRandom::new(), data, &mut out).map_err(failed)?,
                Signed::Digest(d) => pair.sign_digest(encoding, &imported(scheme, d)?, &mut out).map_err(failed)?,
            }
            Ok(out)
        }
        Scheme::Ecdsa(_) => {
            let algorithm = kind.ecdsa().ok_or_else(|| OpError::Crypto("not an EC key".into()))?;
            let pair = match format {
                KeyFormatType::PKCS_8 => EcdsaKeyPair::from_pkcs8(algorithm, key).map_err(unreadable)?,
                KeyFormatType::EC_PRIVATE_KEY => {
                    EcdsaKeyPair::from_private_key_der(algorithm, key).map_err(unreadable)?
                }
                other => return Err(OpError::Crypto(format!("cannot sign with an EC key held as {other}"))),
            };
            let signature = match signed {
                Signed::Data(data) => pair.sign(&SystemRandom::new(), data).map_err(failed)?,
                Signed::Digest(d) => pair.sign_digest(&imported(scheme, d)?).map_err(failed)?,
            };
            Ok(signature.as_ref().to_vec())
        }
        Scheme::Ed25519 => {
            let Signed::Data(data) = signed else {
                return Err(OpError::InvalidField("Ed25519 signs the data, not a digest of it".into()));
            };
            let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(key).map_err(unreadable)?;
            Ok(pair.sign(data).as_ref().to_vec())
        }
    }
}

fn check(
    algorithm: &dyn VerificationAlgorithm,
    public: &[u8],
    signed: Signed<'_>,
    signature: &[u8],
    scheme: Scheme,
) -> Result<bool, OpError> {
    Ok(match signed {
        Signed::Data(data) => algorithm.verify_sig(public, data, signature).is_ok(),
        Signed::Digest(d) => algorithm.verify_digest_sig(public, &imported(scheme, d)?, signature).is_ok(),
    })
}

/// Whether `signature` is valid under a public key (PKCS#1 or X.509 for RSA, X.509 for the
/// others: aws-lc-rs reads either).
pub(crate) fn verify(public: &[u8], scheme: Scheme, signed: Signed<'_>, signature: &[u8]) -> Result<bool, OpError> {
    let fixed: &dyn VerificationAlgorithm = match scheme {
        Scheme::RsaPkcs1(Hash::Sha1) => &sig::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
        Scheme::RsaPkcs1(Hash::Sha256) => &sig::RSA_PKCS1_2048_8192_SHA256,
        Scheme::RsaPkcs1(Hash::Sha384) => &sig::RSA_PKCS1_2048_8192_SHA384,
        Scheme::RsaPkcs1(Hash::Sha512) => &sig::RSA_PKCS1_2048_8192_SHA512,
        Scheme::Ecdsa(Hash::Sha384) => &sig::ECDSA_P384_SHA384_ASN1,
        Scheme::Ecdsa(_) => &sig::ECDSA_P256_SHA256_ASN1,
        Scheme::Ed25519 => &sig::ED25519,
        Scheme::RsaPss(hash, salt) => {
            let base = |length| match hash {
                // `scheme` never pairs PSS with SHA-1.
                Hash::Sha1 | Hash::Sha256 => sig::RSA_PSS_2048_8192_SHA256.with_pss_salt_length(length),
                Hash::Sha384 => sig::RSA_PSS_2048_8192_SHA384.with_pss_salt_length(length),
                Hash::Sha512 => sig::RSA_PSS_2048_8192_SHA512.with_pss_salt_length(length),
            };
            // > RFC 8017 §9.1: the salt length is the signer's choice; a verifier that was
            // > not told it accepts the two in common use.
            let lengths = match salt {
                Some(n) => vec![RsaPssSaltLength::Custom(
                    u16::try_from(n).map_err(|_| OpError::InvalidField(format!("Salt Length {n} is out of range")))?,
                )],
                None => vec![RsaPssSaltLength::Digest, RsaPssSaltLength::Max],
            };
            for length in lengths {
                if check(&base(length), public, signed, signature, scheme)? {
                    return Ok(true);
                }
            }
            return Ok(false);
        }
    };
    check(fixed, public, signed, signature, scheme)
}
