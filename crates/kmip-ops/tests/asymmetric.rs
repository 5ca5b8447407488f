//! Key pairs, signatures and RSA encryption through the whole service: every kind signs and
//! verifies, formats convert, and every new operation refuses a wrong key state, a usage mask
//! that forbids it, a wrong key type, and a tampered signature or ciphertext, each with its
//! own Result Reason.

mod common;

use kmip_proto::dict::{
    CryptographicAlgorithm as Alg, CryptographicUsageMask as Mask, HashingAlgorithm, KeyFormatType, LinkType,
    ObjectType, Operation, PaddingMethod, RecommendedCurve, ResultReason, ValidityIndicator,
};
use kmip_proto::payload::*;
use kmip_proto::{
    Attribute, Attributes, CryptographicParameters, KeyMaterial, KeyValue, RequestPayload, ResponsePayload,
};
use ttlv::{Item, Tag, Value};

use common::server;

fn rsa(bits: i32) -> Vec<Attribute> {
    vec![
        Attribute::new(Tag::CRYPTOGRAPHIC_ALGORITHM, Value::Enumeration(Alg::RSA.0)),
        Attribute::new(Tag::CRYPTOGRAPHIC_LENGTH, Value::Integer(bits)),
    ]
}

fn ec(curve: RecommendedCurve) -> Vec<Attribute> {
    vec![
        Attribute::new(Tag::CRYPTOGRAPHIC_ALGORITHM, Value::Enumeration(Alg::EC.0)),
        Attribute::from_item(Item::structure(
            Tag::CRYPTOGRAPHIC_DOMAIN_PARAMETERS,
            vec![Item::new(Tag::RECOMMENDED_CURVE, Value::Enumeration(curve.0))],
        )),
    ]
}

fn ed25519() -> Vec<Attribute> {
    vec![Attribute::new(Tag::CRYPTOGRAPHIC_ALGORITHM, Value::Enumeration(Alg::ED25519.0))]
}

fn params(padding: Option<PaddingMethod>, hash: Option<HashingAlgorithm>) -> CryptographicParameters {
    CryptographicParameters { padding_method: padding, hashing_algorithm: hash, ..Default::default() }
}

fn material(got: &GetResponse) -> (KeyFormatType, KeyMaterial) {
    let block = got.object.key_block().expect("a key block");
    match &block.key_value {
        Some(KeyValue::Plain { material, .. }) => (block.key_format_type, material.clone()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_kind_makes_a_linked_pair_that_signs_and_verifies() {
    let s = server();
    let message = b"the quick brown fox";
    let cases = [
        (rsa(2048), params(None, None)),
        (rsa(3072), params(Some(PaddingMethod::PSS), Some(HashingAlgorithm::SHA_384))),
        (ec(RecommendedCurve::P_256), params(None, None)),
        (ec(RecommendedCurve::P_384), params(None, Some(HashingAlgorithm::SHA_384))),
        (ed25519(), params(None, None)),
    ];
    for (attributes, scheme) in cases {
        let (private, public) = s.pair(attributes.clone(), Mask::SIGN, Mask::VERIFY);
        let links = s.links(&private);
        assert!(links.iter().any(|l| l.link_type == LinkType::PUBLIC_KEY_LINK && l.linked_object_identifier == public));
        let links = s.links(&public);
        assert!(
            links.iter().any(|l| l.link_type == LinkType::PRIVATE_KEY_LINK && l.linked_object_identifier == private)
        );
        s.activate(&private);
        s.activate(&public);
        let signature = s.sign(&private, scheme.clone(), message).expect("signs");
        let valid = s.verify(&public, scheme.clone(), (Some(message), None), &signature);
        assert_eq!(valid, Ok(ValidityIndicator::VALID), "{attributes:?}");
        // A tampered signature, and a tampered message, are Invalid, not an error.
        let mut tampered = signature.clone();
        tampered[signature.len() / 2] ^= 1;
        let invalid = s.verify(&public, scheme.clone(), (Some(message), None), &tampered);
        assert_eq!(invalid, Ok(ValidityIndicator::INVALID));
        let invalid = s.verify(&public, scheme, (Some(b"the quick brown fix"), None), &signature);
        assert_eq!(invalid, Ok(ValidityIndicator::INVALID));
    }
}

#[test]
fn digested_data_verifies_like_the_data_it_digests() {
    let s = server();
    let (private, public) = s.pair(rsa(2048), Mask::SIGN, Mask::VERIFY);
    s.activate(&private);
    s.activate(&public);
    let scheme = params(Some(PaddingMethod::PKCS1V15), Some(HashingAlgorithm::SHA_256));
    let signature = s.sign(&private, scheme.clone(), b"message").expect("signs");
    let digest = ring::digest::digest(&ring::digest::SHA256, b"message");
    let valid = s.verify(&public, scheme.clone(), (None, Some(digest.as_ref())), &signature);
    assert_eq!(valid, Ok(ValidityIndicator::VALID));
    // PKCS#1 v1.5 is deterministic: signing the digest gives the same signature.
    let request = SignRequest {
        unique_identifier: Some(private.clone()),
        cryptographic_parameters: Some(scheme.clone()),
        data: None,
        digested_data: Some(digest.as_ref().to_vec()),
        correlation_value: None,
        init_indicator: None,
        final_indicator: None,
    };
    let ResponsePayload::Sign(again) = s.call(Operation::SIGN, RequestPayload::Sign(request)) else { panic!() };
    assert_eq!(again.signature_data.as_deref(), Some(signature.as_slice()));
    // A digest of the wrong length is the client's mistake.
    let short = s.verify(&public, scheme, (None, Some(&digest.as_ref()[..20])), &signature);
    assert_eq!(short, Err(ResultReason::INVALID_FIELD));
}

#[test]
fn sign_and_verify_refuse_wrong_state_mask_and_key_type() {
    let s = server();
    let (private, public) = s.pair(rsa(2048), Mask::SIGN, Mask::VERIFY);
    let scheme = params(None, None);
    // Pre-Active keys neither sign nor verify.
    assert_eq!(s.sign(&private, scheme.clone(), b"x"), Err(ResultReason::WRONG_KEY_LIFECYCLE_STATE));
    assert_eq!(
        s.verify(&public, scheme.clone(), (Some(b"x"), None), &[0; 256]),
        Err(ResultReason::WRONG_KEY_LIFECYCLE_STATE)
    );
    s.activate(&private);
    s.activate(&public);
    // A public key does not sign, a private key does not verify, whatever their masks say.
    let both = Mask(Mask::SIGN.0 | Mask::VERIFY.0);
    let (lax_private, lax_public) = s.pair(rsa(2048), both, both);
    s.activate(&lax_private);
    s.activate(&lax_public);
    assert_eq!(s.sign(&lax_public, scheme.clone(), b"x"), Err(ResultReason::ILLEGAL_OBJECT_TYPE));
    assert_eq!(
        s.verify(&lax_private, scheme.clone(), (Some(b"x"), None), &[0; 256]),
        Err(ResultReason::ILLEGAL_OBJECT_TYPE)
    );
    let signature = s.sign(&private, scheme.clone(), b"x").expect("signs");
    assert_eq!(s.verify(&public, scheme.clone(), (Some(b"x"), None), &signature), Ok(ValidityIndicator::VALID));
    // Usage masks that forbid the operation.
    let (encrypt_only, decrypt_only) = s.pair(rsa(2048), Mask::DECRYPT, Mask::ENCRYPT);
    s.activate(&encrypt_only);
    s.activate(&decrypt_only);
    assert_eq!(s.sign(&encrypt_only, scheme.clone(), b"x"), Err(ResultReason::INCOMPATIBLE_CRYPTOGRAPHIC_USAGE_MASK));
    assert_eq!(
        s.verify(&decrypt_only, scheme.clone(), (Some(b"x"), None), &[0; 256]),
        Err(ResultReason::INCOMPATIBLE_CRYPTOGRAPHIC_USAGE_MASK)
    );
    // A symmetric key does not sign.
    let create = CreateRequest::symmetric_key(Alg::AES, 256, Mask::SIGN.0 as i32, []);
    let ResponsePayload::Create(aes) = s.call(Operation::CREATE, RequestPayload::Create(create)) else { panic!() };
    s.activate(&aes.unique_identifier);
    assert_eq!(s.sign(&aes.unique_identifier, scheme.clone(), b"x"), Err(ResultReason::ILLEGAL_OBJECT_TYPE));
    // SHA-1 verifies old signatures but never makes new ones.
    let sha1 = params(Some(PaddingMethod::PKCS1V15), Some(HashingAlgorithm::SHA_1));
    assert_eq!(s.sign(&private, sha1, b"x"), Err(ResultReason::CRYPTOGRAPHIC_FAILURE));
}

#[test]
fn rsa_oaep_round_trips_and_refuses_what_it_must() {
    let s = server();
    let (private, public) = s.pair(rsa(2048), Mask::DECRYPT, Mask::ENCRYPT);
    let oaep = |hash| CryptographicParameters {
        p_source: Some(b"label".to_vec()),
        ..params(Some(PaddingMethod::OAEP), Some(hash))
    };
    assert_eq!(
        s.encrypt(&public, oaep(HashingAlgorithm::SHA_256), b"secret"),
        Err(ResultReason::WRONG_KEY_LIFECYCLE_STATE)
    );
    s.activate(&private);
    s.activate(&public);
    for hash in [HashingAlgorithm::SHA_1, HashingAlgorithm::SHA_256] {
        let ciphertext = s.encrypt(&public, oaep(hash), b"secret").expect("encrypts");
        assert_eq!(ciphertext.len(), 256);
        assert_eq!(s.decrypt(&private, oaep(hash), &ciphertext).as_deref(), Ok(&b"secret"[..]));
        let mut tampered = ciphertext.clone();
        tampered[100] ^= 1;
        assert_eq!(s.decrypt(&private, oaep(hash), &tampered), Err(ResultReason::CRYPTOGRAPHIC_FAILURE));
        // The wrong label fails the same way.
        let other = CryptographicParameters { p_source: Some(b"other".to_vec()), ..oaep(hash) };
        assert_eq!(s.decrypt(&private, other, &ciphertext), Err(ResultReason::CRYPTOGRAPHIC_FAILURE));
    }
    // Keys the wrong way round, and PKCS#1 v1.5 encryption, are refused.
    assert_eq!(
        s.encrypt(&private, oaep(HashingAlgorithm::SHA_256), b"x"),
        Err(ResultReason::INCOMPATIBLE_CRYPTOGRAPHIC_USAGE_MASK)
    );
    assert_eq!(
        s.decrypt(&public, oaep(HashingAlgorithm::SHA_256), &[0; 256]),
        Err(ResultReason::INCOMPATIBLE_CRYPTOGRAPHIC_USAGE_MASK)
    );
    let v15 = params(Some(PaddingMethod::PKCS1V15), None);
    assert_eq!(s.encrypt(&public, v15, b"x"), Err(ResultReason::CRYPTOGRAPHIC_FAILURE));
    // A signing pair's mask forbids encryption.
    let (signer, verifier) = s.pair(rsa(2048), Mask::SIGN, Mask::VERIFY);
    s.activate(&signer);
    s.activate(&verifier);
    assert_eq!(
        s.encrypt(&verifier, oaep(HashingAlgorithm::SHA_256), b"x"),
        Err(ResultReason::INCOMPATIBLE_CRYPTOGRAPHIC_USAGE_MASK)
    );
}

#[test]
fn get_converts_between_the_formats_clients_ask_for() {
    let s = server();
    let (private, public) = s.pair(rsa(2048), Mask::SIGN, Mask::VERIFY);
    let (format, pkcs1) = material(&s.get(&private, None).expect("get"));
    assert_eq!(format, KeyFormatType::PKCS_1);
    let (_, pkcs8) = material(&s.get(&private, Some(KeyFormatType::PKCS_8)).expect("as PKCS#8"));
    assert_ne!(pkcs8, pkcs1);
    let (_, transparent) =
        material(&s.get(&private, Some(KeyFormatType::TRANSPARENT_RSA_PRIVATE_KEY)).expect("as Transparent"));
    let KeyMaterial::Transparent(fields) = transparent else { panic!("a structure") };
    for tag in [Tag::MODULUS, Tag::PRIVATE_EXPONENT, Tag::PUBLIC_EXPONENT, Tag::P, Tag::Q, Tag::CRT_COEFFICIENT] {
        assert!(fields.0.child(tag).is_some(), "{tag:?}");
    }
    let (_, spki) = material(&s.get(&public, Some(KeyFormatType::X_509)).expect("as X.509"));
    let (_, again) = material(&s.get(&public, Some(KeyFormatType::PKCS_1)).expect("as PKCS#1"));
    assert_ne!(spki, again);
    // EC keys in the Transparent forms: the curve and D, the curve and the point Q.
    let (ec_private, ec_public) = s.pair(ec(RecommendedCurve::P_256), Mask::SIGN, Mask::VERIFY);
    let (_, d) =
        material(&s.get(&ec_private, Some(KeyFormatType::TRANSPARENT_EC_PRIVATE_KEY)).expect("as Transparent"));
    let KeyMaterial::Transparent(d) = d else { panic!("a structure") };
    assert_eq!(
        d.0.child(Tag::RECOMMENDED_CURVE).map(|c| c.value.clone()),
        Some(Value::Enumeration(RecommendedCurve::P_256.0))
    );
    assert!(d.0.child(Tag::D).is_some());
    let (_, q) = material(&s.get(&ec_public, Some(KeyFormatType::TRANSPARENT_EC_PUBLIC_KEY)).expect("as Transparent"));
    let KeyMaterial::Transparent(q) = q else { panic!("a structure") };
    let Some(Value::ByteString(point)) = q.0.child(Tag::Q_STRING).map(|c| c.value.clone()) else { panic!("Q") };
    assert_eq!((point.len(), point[0]), (65, 0x04), "an uncompressed P-256 point");
    // An EC public key has no PKCS#1 form: that is RSA's.
    assert_eq!(
        s.get(&ec_public, Some(KeyFormatType::PKCS_1)).map(|_| ()),
        Err(ResultReason::KEY_FORMAT_TYPE_NOT_SUPPORTED)
    );
}

#[test]
fn create_and_rekey_key_pair_refuse_what_they_cannot_make() {
    let s = server();
    let request = |common: Vec<Attribute>| {
        RequestPayload::CreateKeyPair(CreateKeyPairRequest {
            attributes: KeyPairAttributes {
                common: Some(Attributes { list: common, template_names: Vec::new() }),
                private: None,
                public: None,
            },
            protection_storage_masks: Vec::new(),
        })
    };
    let refused = |common| s.try_call(Operation::CREATE_KEY_PAIR, request(common)).map(|_| ());
    assert_eq!(refused(rsa(1024)), Err(ResultReason::CRYPTOGRAPHIC_FAILURE));
    assert_eq!(refused(vec![]), Err(ResultReason::INVALID_FIELD));
    assert_eq!(refused(ec(RecommendedCurve::P_521)), Err(ResultReason::CRYPTOGRAPHIC_FAILURE));
    let aes = vec![Attribute::new(Tag::CRYPTOGRAPHIC_ALGORITHM, Value::Enumeration(Alg::AES.0))];
    assert_eq!(refused(aes), Err(ResultReason::CRYPTOGRAPHIC_FAILURE));

    // Re-key Key Pair: a new linked pair, the old keys pointing at their replacements.
    let (private, public) = s.pair(ec(RecommendedCurve::P_256), Mask::SIGN, Mask::VERIFY);
    let rekey = |uid: &str| {
        RequestPayload::ReKeyKeyPair(ReKeyKeyPairRequest {
            private_key_unique_identifier: Some(uid.into()),
            ..Default::default()
        })
    };
    assert_eq!(
        s.try_call(Operation::REKEY_KEY_PAIR, rekey(&public)).map(|_| ()),
        Err(ResultReason::ILLEGAL_OBJECT_TYPE)
    );
    let ResponsePayload::ReKeyKeyPair(made) = s.call(Operation::REKEY_KEY_PAIR, rekey(&private)) else { panic!() };
    let (new_private, new_public) = (made.private_key_unique_identifier, made.public_key_unique_identifier);
    let has = |uid: &str, t: LinkType, to: &str| {
        s.links(uid).iter().any(|l| l.link_type == t && l.linked_object_identifier == to)
    };
    assert!(has(&new_private, LinkType::PUBLIC_KEY_LINK, &new_public));
    assert!(has(&new_public, LinkType::PRIVATE_KEY_LINK, &new_private));
    assert!(has(&private, LinkType::REPLACEMENT_OBJECT_LINK, &new_private));
    assert!(has(&public, LinkType::REPLACEMENT_OBJECT_LINK, &new_public));
    assert!(has(&new_private, LinkType::REPLACED_OBJECT_LINK, &private));
    assert_eq!(s.get(&new_public, None).map(|g| g.object_type), Ok(ObjectType::PUBLIC_KEY));
    // A destroyed key cannot be re-keyed.
    s.call(Operation::DESTROY, RequestPayload::Destroy(UidRequest { unique_identifier: Some(new_private.clone()) }));
    assert_eq!(
        s.try_call(Operation::REKEY_KEY_PAIR, rekey(&new_private)).map(|_| ()),
        Err(ResultReason::WRONG_KEY_LIFECYCLE_STATE)
    );
}
