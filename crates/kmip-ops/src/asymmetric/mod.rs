//! Asymmetric keys: which kinds the server makes and uses, generating a pair, and loading a
//! stored key block into an aws-lc-rs key.
//!
//! ring cannot generate RSA keys, nor decrypt with them, so every asymmetric primitive here is
//! aws-lc-rs (the maintained library that is also a rustls provider). The `rsa` crate is not
//! used: its decryption has a timing side channel (RUSTSEC-2023-0071). Formats are converted in
//! [`formats`], signatures made and checked in [`signature`], RSA encryption in
//! [`rsa_encryption`].

pub(crate) mod formats;
pub(crate) mod rsa_encryption;
pub(crate) mod signature;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair, EcdsaSigningAlgorithm,
    Ed25519KeyPair, KeyPair as _,
};
use kmip_keystore::StoredObject;
use kmip_proto::SecretBytes;
use kmip_proto::dict::{CryptographicAlgorithm, KeyFormatType, RecommendedCurve};
use ttlv::{Tag, Value};

use crate::OpError;

/// The kinds of asymmetric key the server generates and uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyKind {
    /// RSA with a modulus of this many bits.
    Rsa(u32),
    /// ECDSA on NIST P-256.
    P256,
    /// ECDSA on NIST P-384.
    P384,
    /// EdDSA on edwards25519 (RFC 8032).
    Ed25519,
}

impl KeyKind {
    /// The kind a Create Key Pair asks for, from its Cryptographic Algorithm, Cryptographic
    /// Length and Recommended Curve.
    ///
    /// > KMIP 1.4 §3.4-3.5: Cryptographic Length is "the length in bits of the ... key";
    /// > for elliptic-curve keys the curve may instead be named in the Cryptographic Domain
    /// > Parameters' Recommended Curve.
    pub(crate) fn for_create(
        algorithm: CryptographicAlgorithm,
        length: Option<i32>,
        curve: Option<RecommendedCurve>,
    ) -> Result<Self, OpError> {
        let bad = |what: String| Err(OpError::Crypto(what));
        match algorithm {
            CryptographicAlgorithm::RSA => match length {
                Some(bits @ (2048 | 3072 | 4096)) => Ok(KeyKind::Rsa(bits as u32)),
                Some(bits) => bad(format!("RSA keys here are 2048, 3072 or 4096 bits, not {bits}")),
                None => Err(OpError::InvalidField("Create Key Pair of RSA needs a Cryptographic Length".into())),
            },
            CryptographicAlgorithm::EC | CryptographicAlgorithm::ECDSA => match (curve, length) {
                (Some(RecommendedCurve::P_256), _) | (None, Some(256)) => Ok(KeyKind::P256),
                (Some(RecommendedCurve::P_384), _) | (None, Some(384)) => Ok(KeyKind::P384),
                (Some(c), _) => bad(format!("elliptic curve {c} is not supported; P-256 and P-384 are")),
                (None, Some(bits)) => bad(format!("no elliptic curve of {bits} bits; P-256 and P-384 are")),
                (None, None) => Err(OpError::InvalidField(
                    "an EC key pair needs a Recommended Curve or a Cryptographic Length".into(),
                )),
            },
            CryptographicAlgorithm::ED25519 => Ok(KeyKind::Ed25519),
            other => bad(format!("Create Key Pair does not generate {other} keys")),
        }
    }

    /// The kind of a stored key, from its attributes; `None` for keys that are not one of
    /// the kinds above.
    pub(crate) fn of(object: &StoredObject) -> Option<Self> {
        let length = match object.first(Tag::CRYPTOGRAPHIC_LENGTH).map(|a| &a.value.value) {
            Some(Value::Integer(l)) => Some(*l),
            _ => None,
        };
        let curve = object
            .first(Tag::CRYPTOGRAPHIC_DOMAIN_PARAMETERS)
            .and_then(|a| a.value.child(Tag::RECOMMENDED_CURVE))
            .and_then(|c| match c.value {
                Value::Enumeration(v) => Some(RecommendedCurve(v)),
                _ => None,
            });
        match object.algorithm()? {
            CryptographicAlgorithm::RSA => Some(KeyKind::Rsa(length.unwrap_or(0).max(0) as u32)),
            a @ (CryptographicAlgorithm::EC | CryptographicAlgorithm::ECDSA) => Self::for_create(a, length, curve).ok(),
            CryptographicAlgorithm::ED25519 => Some(KeyKind::Ed25519),
            _ => None,
        }
    }

    /// Cryptographic Length, in bits.
    pub(crate) fn length(self) -> i32 {
        match self {
            KeyKind::Rsa(bits) => bits as i32,
            KeyKind::P256 | KeyKind::Ed25519 => 256,
            KeyKind::P384 => 384,
        }
    }

    /// The Recommended Curve of an elliptic-curve kind.
    pub(crate) fn curve(self) -> Option<RecommendedCurve> {
        match self {
            KeyKind::P256 => Some(RecommendedCurve::P_256),
            KeyKind::P384 => Some(RecommendedCurve::P_384),
            _ => None,
        }
    }

    /// The ECDSA signing algorithm of an elliptic-curve kind: the curve's own hash (aws-lc-rs
    /// pairs each curve with one).
    pub(crate) fn ecdsa(self) -> Option<&'static EcdsaSigningAlgorithm> {
        match self {
            KeyKind::P256 => Some(&ECDSA_P256_SHA256_ASN1_SIGNING),
            KeyKind::P384 => Some(&ECDSA_P384_SHA384_ASN1_SIGNING),
            _ => None,
        }
    }
}

/// A freshly generated pair, each half in the format it is stored in.
pub(crate) struct GeneratedPair {
    /// The private key and its format.
    pub(crate) private: (KeyFormatType, SecretBytes),
    /// The public key and its format.
    pub(crate) public: (KeyFormatType, Vec<u8>),
}

/// Generates a key pair of `kind`.
///
/// RSA keys are stored as PKCS#1, as the OASIS profiles' vectors expect (their Digest is over
/// PKCS#1); elliptic-curve keys as PKCS#8 and X.509 SubjectPublicKeyInfo, the formats every
/// library reads.
pub(crate) fn generate(kind: KeyKind) -> Result<GeneratedPair, OpError> {
    let failed = |_| OpError::Crypto("key pair generation failed".into());
    match kind {
        KeyKind::Rsa(bits) => {
            let size = match bits {
                2048 => KeySize::Rsa2048,
                3072 => KeySize::Rsa3072,
                4096 => KeySize::Rsa4096,
                other => return Err(OpError::Crypto(format!("no RSA key size of {other} bits"))),
            };
            let pair = RsaKeyPair::generate(size).map_err(failed)?;
            let pkcs8 = pair.as_der().map_err(failed)?;
            let pkcs1 = formats::pkcs8_inner(pkcs8.as_ref())?;
            Ok(GeneratedPair {
                private: (KeyFormatType::PKCS_1, SecretBytes::new(pkcs1.to_vec())),
                public: (KeyFormatType::PKCS_1, pair.public_key().as_ref().to_vec()),
            })
        }
        KeyKind::P256 | KeyKind::P384 => {
            let algorithm = kind.ecdsa().ok_or_else(|| OpError::Crypto("no such curve".into()))?;
            let pair = EcdsaKeyPair::generate(algorithm).map_err(failed)?;
            let pkcs8 = pair.to_pkcs8v1().map_err(failed)?;
            let spki = pair.public_key().as_der().map_err(failed)?;
            Ok(GeneratedPair {
                private: (KeyFormatType::PKCS_8, SecretBytes::new(pkcs8.as_ref().to_vec())),
                public: (KeyFormatType::X_509, spki.as_ref().to_vec()),
            })
        }
        KeyKind::Ed25519 => {
            let pair = Ed25519KeyPair::generate().map_err(failed)?;
            let pkcs8 = pair.to_pkcs8v1().map_err(failed)?;
            let spki = pair.public_key().as_der().map_err(failed)?;
            Ok(GeneratedPair {
                private: (KeyFormatType::PKCS_8, SecretBytes::new(pkcs8.as_ref().to_vec())),
                public: (KeyFormatType::X_509, spki.as_ref().to_vec()),
            })
        }
    }
}

/// An RSA private key, from PKCS#1 or PKCS#8.
pub(crate) fn rsa_private(format: KeyFormatType, der: &[u8]) -> Result<RsaKeyPair, OpError> {
    let parsed = match format {
        KeyFormatType::PKCS_1 => RsaKeyPair::from_der(der),
        KeyFormatType::PKCS_8 => RsaKeyPair::from_pkcs8(der),
        other => return Err(OpError::Crypto(format!("cannot use an RSA private key held as {other}"))),
    };
    parsed.map_err(|_| OpError::Crypto("the RSA private key does not parse".into()))
}
