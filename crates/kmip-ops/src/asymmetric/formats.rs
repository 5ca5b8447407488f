//! Key Format Type conversions for asymmetric keys, for Get.
//!
//! > KMIP 1.4 §2.1.7: PKCS#1 (RFC 8017 RSAPrivateKey / RSAPublicKey), PKCS#8 (RFC 5208
//! > PrivateKeyInfo), X.509 (RFC 5280 SubjectPublicKeyInfo), ECPrivateKey (RFC 5915) and the
//! > Transparent structures, whose fields are Big Integers.
//!
//! Re-encoding goes through aws-lc-rs; only the unwrapping of a PKCS#8 envelope, the reading
//! of RSA components and of an X.509 key's point is done here, with the DER reader
//! x509-parser already brings.

use aws_lc_rs::encoding::{AsBigEndian, AsDer};
use aws_lc_rs::rsa::PublicKey as RsaPublicKey;
use aws_lc_rs::signature::EcdsaKeyPair;
use kmip_proto::dict::KeyFormatType;
use kmip_proto::{KeyMaterial, SecretBytes, SecretItem};
use ttlv::{BigInt, Item, Tag, Value};
use x509_parser::der_parser::ber::BerObject;
use x509_parser::der_parser::parse_der;
use x509_parser::prelude::FromDer;
use x509_parser::x509::SubjectPublicKeyInfo;

use super::{KeyKind, rsa_private};
use crate::OpError;

fn malformed(what: &str) -> OpError {
    OpError::Crypto(format!("the stored key is not a well-formed {what}"))
}

/// The elements of a DER SEQUENCE.
fn sequence<'a>(der: &'a [u8], what: &str) -> Result<Vec<BerObject<'a>>, OpError> {
    let (_, object) = parse_der(der).map_err(|_| malformed(what))?;
    object.as_sequence().cloned().map_err(|_| malformed(what))
}

/// The private key inside a PKCS#8 PrivateKeyInfo: RSAPrivateKey for RSA, ECPrivateKey for EC.
///
/// > RFC 5208 §5: `PrivateKeyInfo ::= SEQUENCE { version Version, privateKeyAlgorithm
/// > PrivateKeyAlgorithmIdentifier, privateKey PrivateKey, ... }` with `PrivateKey ::= OCTET
/// > STRING`.
pub(crate) fn pkcs8_inner(der: &[u8]) -> Result<&[u8], OpError> {
    let (_, object) = parse_der(der).map_err(|_| malformed("PKCS#8 key"))?;
    let fields = object.as_sequence().map_err(|_| malformed("PKCS#8 key"))?;
    fields.get(2).and_then(|f| f.as_slice().ok()).ok_or_else(|| malformed("PKCS#8 key"))
}

/// A Transparent key structure of Big Integers, from the INTEGERs of a PKCS#1 structure.
fn transparent(integers: &[BerObject<'_>], tags: &[(usize, Tag)], what: &str) -> Result<KeyMaterial, OpError> {
    let mut fields = Vec::with_capacity(tags.len());
    for (index, tag) in tags {
        let bytes = integers.get(*index).and_then(|i| i.as_slice().ok()).ok_or_else(|| malformed(what))?;
        fields.push(Item::new(*tag, Value::BigInteger(BigInt::from_signed_bytes_be(bytes))));
    }
    Ok(KeyMaterial::Transparent(SecretItem(Item::structure(Tag::KEY_MATERIAL, fields))))
}

/// A private key of `kind`, held as `from`, in the format `to`.
pub(crate) fn private_as(
    kind: KeyKind,
    from: KeyFormatType,
    bytes: &SecretBytes,
    to: KeyFormatType,
) -> Result<KeyMaterial, OpError> {
    let der = bytes.secret_bytes();
    let out = |b: &[u8]| Ok(KeyMaterial::Bytes(SecretBytes::new(b.to_vec())));
    match (kind, from, to) {
        (_, a, b) if a == b => out(der),
        (KeyKind::Rsa(_), KeyFormatType::PKCS_1, KeyFormatType::PKCS_8) => {
            let pkcs8 = rsa_private(from, der)?.as_der().map_err(|_| malformed("RSA key"))?;
            out(pkcs8.as_ref())
        }
        (KeyKind::Rsa(_), KeyFormatType::PKCS_8, KeyFormatType::PKCS_1) => out(pkcs8_inner(der)?),
        (KeyKind::Rsa(_), _, KeyFormatType::TRANSPARENT_RSA_PRIVATE_KEY) => {
            let pkcs1 = if from == KeyFormatType::PKCS_8 { pkcs8_inner(der)? } else { der };
            // > RFC 8017 A.1.2: RSAPrivateKey ::= SEQUENCE { version, modulus, publicExponent,
            // > privateExponent, prime1, prime2, exponent1, exponent2, coefficient, ... }
            let integers = sequence(pkcs1, "PKCS#1 RSA private key")?;
            transparent(
                &integers,
                &[
                    (1, Tag::MODULUS),
                    (3, Tag::PRIVATE_EXPONENT),
                    (2, Tag::PUBLIC_EXPONENT),
                    (4, Tag::P),
                    (5, Tag::Q),
                    (6, Tag::PRIME_EXPONENT_P),
                    (7, Tag::PRIME_EXPONENT_Q),
                    (8, Tag::CRT_COEFFICIENT),
                ],
                "PKCS#1 RSA private key",
            )
        }
        // > RFC 5915 §3: the ECPrivateKey is what PKCS#8 wraps for an EC key.
        (KeyKind::P256 | KeyKind::P384, KeyFormatType::PKCS_8, KeyFormatType::EC_PRIVATE_KEY) => out(pkcs8_inner(der)?),
        // > KMIP 1.4 §2.1.7: a Transparent EC Private Key is { Recommended Curve, D }; 1.x's
        // > Transparent ECDSA and ECDH forms have the same fields.
        (KeyKind::P256 | KeyKind::P384, KeyFormatType::PKCS_8, t) if is_transparent_ec(t, true) => {
            let algorithm = kind.ecdsa().ok_or_else(|| malformed("EC key"))?;
            let pair = EcdsaKeyPair::from_pkcs8(algorithm, der).map_err(|_| malformed("PKCS#8 EC key"))?;
            let d = pair.private_key().as_be_bytes().map_err(|_| malformed("EC key"))?;
            Ok(transparent_ec(kind, Tag::D, Value::BigInteger(BigInt::from_unsigned_be(d.as_ref()))))
        }
        _ => Err(not_supported(to)),
    }
}

/// A public key of `kind`, held as `from`, in the format `to`.
pub(crate) fn public_as(
    kind: KeyKind,
    from: KeyFormatType,
    der: &[u8],
    to: KeyFormatType,
) -> Result<KeyMaterial, OpError> {
    let out = |b: &[u8]| Ok(KeyMaterial::Bytes(SecretBytes::new(b.to_vec())));
    if from == to {
        return out(der);
    }
    if matches!(kind, KeyKind::P256 | KeyKind::P384) && from == KeyFormatType::X_509 && is_transparent_ec(to, false) {
        // > KMIP 1.4 §2.1.7: a Transparent EC Public Key is { Recommended Curve, Q String },
        // > Q the point as SEC 1 encodes it: the subjectPublicKey of the X.509 form.
        let (_, spki) = SubjectPublicKeyInfo::from_der(der).map_err(|_| malformed("X.509 public key"))?;
        let q = spki.subject_public_key.data.to_vec();
        return Ok(transparent_ec(kind, Tag::Q_STRING, Value::ByteString(q)));
    }
    let KeyKind::Rsa(_) = kind else { return Err(not_supported(to)) };
    // aws-lc-rs reads an RSA public key as PKCS#1 or as X.509 SubjectPublicKeyInfo.
    let key = RsaPublicKey::from_der(der).map_err(|_| malformed("RSA public key"))?;
    match to {
        KeyFormatType::PKCS_1 => out(key.as_ref()),
        KeyFormatType::X_509 => out(key.as_der().map_err(|_| malformed("RSA public key"))?.as_ref()),
        KeyFormatType::TRANSPARENT_RSA_PUBLIC_KEY => {
            // > RFC 8017 A.1.1: RSAPublicKey ::= SEQUENCE { modulus, publicExponent }
            let integers = sequence(key.as_ref(), "PKCS#1 RSA public key")?;
            transparent(&integers, &[(0, Tag::MODULUS), (1, Tag::PUBLIC_EXPONENT)], "PKCS#1 RSA public key")
        }
        other => Err(not_supported(other)),
    }
}

/// Whether `format` is one of the Transparent EC forms, private or public.
fn is_transparent_ec(format: KeyFormatType, private: bool) -> bool {
    let forms = if private {
        [
            KeyFormatType::TRANSPARENT_EC_PRIVATE_KEY,
            KeyFormatType::TRANSPARENT_ECDSA_PRIVATE_KEY,
            KeyFormatType::TRANSPARENT_ECDH_PRIVATE_KEY,
        ]
    } else {
        [
            KeyFormatType::TRANSPARENT_EC_PUBLIC_KEY,
            KeyFormatType::TRANSPARENT_ECDSA_PUBLIC_KEY,
            KeyFormatType::TRANSPARENT_ECDH_PUBLIC_KEY,
        ]
    };
    forms.contains(&format)
}

/// A Transparent EC key: the curve and one field.
fn transparent_ec(kind: KeyKind, tag: Tag, value: Value) -> KeyMaterial {
    let curve = kind.curve().map_or(0, |c| c.0);
    KeyMaterial::Transparent(SecretItem(Item::structure(
        Tag::KEY_MATERIAL,
        vec![Item::new(Tag::RECOMMENDED_CURVE, Value::Enumeration(curve)), Item::new(tag, value)],
    )))
}

/// The Get error for a format the server cannot produce.
pub(crate) fn not_supported(format: KeyFormatType) -> OpError {
    OpError::Attribute {
        reason: kmip_proto::dict::ResultReason::KEY_FORMAT_TYPE_NOT_SUPPORTED,
        message: format!("cannot return this object as {format}"),
    }
}
