//! Create Key Pair and Re-key Key Pair.
//!
//! > KMIP 1.4 §4.2: the server "SHALL create a link between the two objects": the private key
//! > gets a Public Key Link to the public key, and the public key a Private Key Link back.
//! > "attributes in the Private Key Template-Attribute [and Public ...] SHALL take precedence
//! > over" those in the Common Template-Attribute.

use kmip_keystore::{Change, StoredObject};
use kmip_proto::dict::{CryptographicAlgorithm, LinkType, ObjectType, RecommendedCurve, State};
use kmip_proto::object::KeyObject;
use kmip_proto::payload::{CreateKeyPairRequest, CreateKeyPairResponse, KeyPairAttributes, ReKeyKeyPairRequest};
use kmip_proto::{Attribute, Attributes, KeyBlock, ManagedObject, SecretBytes};
use ttlv::{Tag, Value};

use super::create::{client_attributes, new_object};
use super::lifecycle::replacement_with;
use crate::OpError;
use crate::asymmetric::{self, GeneratedPair, KeyKind};
use crate::keys::rng_attribute;
use crate::objects::link;
use crate::service::Ctx;

/// The private and the public key's attributes: each half's own over the common ones.
fn split(attributes: KeyPairAttributes, max: usize) -> Result<(Vec<Attribute>, Vec<Attribute>), OpError> {
    let common = client_attributes(attributes.common.unwrap_or_default(), max)?;
    let merge = |own: Option<Attributes>| -> Result<Vec<Attribute>, OpError> {
        let own = client_attributes(own.unwrap_or_default(), max)?;
        let mut out: Vec<Attribute> =
            common.iter().filter(|c| !own.iter().any(|o| o.name == c.name)).cloned().collect();
        out.extend(own);
        Ok(out)
    };
    Ok((merge(attributes.private)?, merge(attributes.public)?))
}

fn find(attributes: &[Attribute], tag: Tag) -> Option<&Value> {
    attributes.iter().find(|a| a.tag() == Some(tag)).map(|a| &a.value.value)
}

/// The kind the attributes ask for. The private key's attributes decide; the public key's
/// may not disagree.
fn requested_kind(private: &[Attribute], public: &[Attribute]) -> Result<KeyKind, OpError> {
    let kind_in = |attributes: &[Attribute]| -> Result<Option<KeyKind>, OpError> {
        let Some(algorithm) = find(attributes, Tag::CRYPTOGRAPHIC_ALGORITHM) else { return Ok(None) };
        let Value::Enumeration(algorithm) = algorithm else {
            return Err(OpError::InvalidField("Cryptographic Algorithm must be an Enumeration".into()));
        };
        let length = match find(attributes, Tag::CRYPTOGRAPHIC_LENGTH) {
            None => None,
            Some(Value::Integer(l)) => Some(*l),
            Some(_) => return Err(OpError::InvalidField("Cryptographic Length must be an Integer".into())),
        };
        let curve = attributes
            .iter()
            .find(|a| a.tag() == Some(Tag::CRYPTOGRAPHIC_DOMAIN_PARAMETERS))
            .and_then(|a| a.value.child(Tag::RECOMMENDED_CURVE))
            .and_then(|c| if let Value::Enumeration(v) = c.value { Some(RecommendedCurve(v)) } else { None });
        KeyKind::for_create(CryptographicAlgorithm(*algorithm), length, curve).map(Some)
    };
    match (kind_in(private)?, kind_in(public)?) {
        (Some(a), Some(b)) if a != b => {
            Err(OpError::InvalidField("the private and public key attributes ask for different keys".into()))
        }
        (Some(kind), _) | (None, Some(kind)) => Ok(kind),
        (None, None) => Err(OpError::InvalidField("Create Key Pair needs a Cryptographic Algorithm".into())),
    }
}

/// A key object holding `bytes` in `format`.
fn key_object(
    kind: KeyKind,
    algorithm: CryptographicAlgorithm,
    format: kmip_proto::dict::KeyFormatType,
    bytes: SecretBytes,
) -> KeyObject {
    KeyObject { key_block: KeyBlock::plain(format, bytes, Some(algorithm), Some(kind.length())) }
}

/// The two managed objects of a generated pair.
fn pair_objects(
    kind: KeyKind,
    algorithm: CryptographicAlgorithm,
    pair: GeneratedPair,
) -> (ManagedObject, ManagedObject) {
    let (private_format, private_bytes) = pair.private;
    let (public_format, public_bytes) = pair.public;
    (
        ManagedObject::PrivateKey(key_object(kind, algorithm, private_format, private_bytes)),
        ManagedObject::PublicKey(key_object(kind, algorithm, public_format, SecretBytes::new(public_bytes))),
    )
}

/// Fills in what the key is when the client left it implicit (a curve named, no length).
fn complete(attributes: &mut Vec<Attribute>, kind: KeyKind, algorithm: CryptographicAlgorithm) {
    if find(attributes, Tag::CRYPTOGRAPHIC_ALGORITHM).is_none() {
        attributes.push(Attribute::new(Tag::CRYPTOGRAPHIC_ALGORITHM, Value::Enumeration(algorithm.0)));
    }
    if find(attributes, Tag::CRYPTOGRAPHIC_LENGTH).is_none() {
        attributes.push(Attribute::new(Tag::CRYPTOGRAPHIC_LENGTH, Value::Integer(kind.length())));
    }
    if let (Some(curve), None) = (kind.curve(), find(attributes, Tag::CRYPTOGRAPHIC_DOMAIN_PARAMETERS)) {
        attributes.push(Attribute::from_item(ttlv::Item::structure(
            Tag::CRYPTOGRAPHIC_DOMAIN_PARAMETERS,
            vec![ttlv::Item::new(Tag::RECOMMENDED_CURVE, Value::Enumeration(curve.0))],
        )));
    }
    attributes.push(rng_attribute());
}

/// What Create Key Pair and Re-key Key Pair answer: the two new identifiers.
fn response(private: &StoredObject, public: &StoredObject) -> CreateKeyPairResponse {
    CreateKeyPairResponse {
        private_key_unique_identifier: private.uid.clone(),
        public_key_unique_identifier: public.uid.clone(),
        private_key_template_attribute: None,
        public_key_template_attribute: None,
    }
}

/// Links the two halves to each other.
fn link_pair(private: &mut StoredObject, public: &mut StoredObject) {
    private.attributes.push(link(LinkType::PUBLIC_KEY_LINK, &public.uid));
    public.attributes.push(link(LinkType::PRIVATE_KEY_LINK, &private.uid));
}

/// The algorithm the client named (RSA, EC or ECDSA, Ed25519), the private key's first.
fn algorithm_of(private: &[Attribute], public: &[Attribute], kind: KeyKind) -> CryptographicAlgorithm {
    let named = |attributes: &[Attribute]| match find(attributes, Tag::CRYPTOGRAPHIC_ALGORITHM) {
        Some(Value::Enumeration(a)) => Some(CryptographicAlgorithm(*a)),
        _ => None,
    };
    match named(private).or_else(|| named(public)) {
        Some(algorithm) => algorithm,
        None => match kind {
            KeyKind::Rsa(_) => CryptographicAlgorithm::RSA,
            KeyKind::P256 | KeyKind::P384 => CryptographicAlgorithm::EC,
            KeyKind::Ed25519 => CryptographicAlgorithm::ED25519,
        },
    }
}

pub(crate) fn create_key_pair(
    ctx: &mut Ctx<'_>,
    request: CreateKeyPairRequest,
) -> Result<CreateKeyPairResponse, OpError> {
    let (mut private_attributes, mut public_attributes) = split(request.attributes, ctx.svc.config.max_attributes)?;
    let kind = requested_kind(&private_attributes, &public_attributes)?;
    let algorithm = algorithm_of(&private_attributes, &public_attributes, kind);
    complete(&mut private_attributes, kind, algorithm);
    complete(&mut public_attributes, kind, algorithm);
    let (private_value, public_value) = pair_objects(kind, algorithm, asymmetric::generate(kind)?);
    let mut private = new_object(ctx, ObjectType::PRIVATE_KEY, private_attributes, private_value)?;
    let mut public = new_object(ctx, ObjectType::PUBLIC_KEY, public_attributes, public_value)?;
    link_pair(&mut private, &mut public);
    let response = response(&private, &public);
    ctx.insert_new(vec![private, public])?;
    Ok(response)
}

/// The Unique Identifier a Link of `link_type` points to.
fn linked(object: &StoredObject, link_type: LinkType) -> Option<String> {
    object
        .attributes
        .iter()
        .filter(|a| a.tag() == Some(Tag::LINK))
        .filter_map(|a| kmip_proto::attribute::typed_value::<kmip_proto::Link>(&a.value).ok())
        .find(|l| l.link_type == link_type)
        .map(|l| l.linked_object_identifier)
}

/// > KMIP 1.4 §4.5: "This request is used to generate a replacement key pair for an existing
/// > public/private key pair", with the same links and attribute rules as Re-key, one pair
/// > for the other.
pub(crate) fn rekey_key_pair(ctx: &Ctx<'_>, request: ReKeyKeyPairRequest) -> Result<CreateKeyPairResponse, OpError> {
    let uid = ctx.uid(request.private_key_unique_identifier)?;
    let old_private = ctx.load_owned(&uid)?;
    if old_private.object_type != ObjectType::PRIVATE_KEY {
        return Err(OpError::IllegalObjectType("Re-key Key Pair takes the pair's Private Key"));
    }
    if matches!(old_private.state, State::DESTROYED | State::DESTROYED_COMPROMISED) {
        return Err(OpError::WrongState("a destroyed key cannot be re-keyed"));
    }
    let public_uid = linked(&old_private, LinkType::PUBLIC_KEY_LINK)
        .ok_or_else(|| OpError::InvalidField("the private key has no Public Key Link".into()))?;
    let old_public = ctx.load_owned(&public_uid)?;
    let kind = KeyKind::of(&old_private)
        .ok_or_else(|| OpError::Crypto("Re-key Key Pair does not generate this kind of key".into()))?;
    let algorithm = old_private.algorithm().unwrap_or(CryptographicAlgorithm::RSA);
    let (private_overrides, public_overrides) = split(request.attributes, ctx.svc.config.max_attributes)?;
    let (private_value, public_value) = pair_objects(kind, algorithm, asymmetric::generate(kind)?);
    let offset = request.offset.map(|o| o.0);
    let (mut private, old_private) =
        replacement_with(ctx.svc, ctx.now, old_private, offset, private_overrides, private_value)?;
    let (mut public, old_public) =
        replacement_with(ctx.svc, ctx.now, old_public, offset, public_overrides, public_value)?;
    link_pair(&mut private, &mut public);
    let response = response(&private, &public);
    ctx.svc.store.commit(vec![
        Change::Insert(private),
        Change::Insert(public),
        Change::Update(old_private),
        Change::Update(old_public),
    ])?;
    Ok(response)
}
