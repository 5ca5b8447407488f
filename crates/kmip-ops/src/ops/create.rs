//! Create and Register: the two ways an object comes into being.

use kmip_keystore::StoredObject;
use kmip_proto::dict::{CryptographicAlgorithm, ObjectType, ResultReason, State};
use kmip_proto::payload::{CreateRequest, CreateResponse, RegisterRequest, RegisterResponse};
use kmip_proto::{Attribute, Attributes, ManagedObject};
use ttlv::{Tag, Value};

use crate::OpError;
use crate::keys::{check_length, digest_attribute, new_uid, random_bytes, rng_attribute, symmetric_key};
use crate::objects::{SERVER_MANAGED, settle_state};
use crate::service::Ctx;
use kmip_proto::attribute::is_single_valued;

/// The attributes a client asked for, checked: not too many, none the server manages, no
/// second value of a single-valued one.
pub(crate) fn client_attributes(attributes: Attributes, max: usize) -> Result<Vec<Attribute>, OpError> {
    if attributes.list.len() > max {
        return Err(OpError::InvalidField(format!("more than {max} attributes in one request")));
    }
    let mut out: Vec<Attribute> = Vec::with_capacity(attributes.list.len());
    for attribute in attributes.list {
        if let Some(tag) = attribute.tag() {
            if SERVER_MANAGED.contains(&tag) {
                return Err(OpError::InvalidField(format!("{tag} is set by the server, not the client")));
            }
            if is_single_valued(tag) && out.iter().any(|a| a.tag() == Some(tag)) {
                return Err(OpError::InvalidField(format!("{tag} given twice")));
            }
        }
        out.push(attribute);
    }
    Ok(out)
}

fn enumeration(attributes: &[Attribute], tag: Tag) -> Result<Option<u32>, OpError> {
    match attributes.iter().find(|a| a.tag() == Some(tag)).map(|a| &a.value.value) {
        None => Ok(None),
        Some(Value::Enumeration(v)) => Ok(Some(*v)),
        Some(_) => Err(OpError::InvalidField(format!("{tag} must be an Enumeration"))),
    }
}

fn integer(attributes: &[Attribute], tag: Tag) -> Result<Option<i32>, OpError> {
    match attributes.iter().find(|a| a.tag() == Some(tag)).map(|a| &a.value.value) {
        None => Ok(None),
        Some(Value::Integer(v)) => Ok(Some(*v)),
        Some(_) => Err(OpError::InvalidField(format!("{tag} must be an Integer"))),
    }
}

/// A new stored object with the server's own attributes set.
///
/// > KMIP 1.4 §4.1: the server sets Unique Identifier, Object Type, State (Pre-Active, or
/// > Active when the Activation Date is reached), Initial Date and Last Change Date.
pub(crate) fn new_object(
    ctx: &Ctx<'_>,
    object_type: ObjectType,
    mut attributes: Vec<Attribute>,
    object: ManagedObject,
) -> Result<StoredObject, OpError> {
    attributes.push(Attribute::new(Tag::INITIAL_DATE, Value::DateTime(ctx.now)));
    // > KMIP 1.3 §3.55 (Original Creation Date): "the date and time the object was originally
    // > created", set by the server when the object is created or registered.
    attributes.push(Attribute::new(Tag::ORIGINAL_CREATION_DATE, Value::DateTime(ctx.now)));
    // > KMIP 1.4 §3.49-3.51: Always Sensitive and Never Extractable record whether Sensitive
    // > has always been True and Extractable always False; the server keeps them.
    if ctx.version >= kmip_proto::ProtocolVersion::V1_4 {
        let flag = |tag| attributes.iter().any(|a| a.tag() == Some(tag) && a.value.value == Value::Boolean(true));
        let (sensitive, extractable_given) =
            (flag(Tag::SENSITIVE), attributes.iter().any(|a| a.tag() == Some(Tag::EXTRACTABLE)));
        let never_extractable = extractable_given && !flag(Tag::EXTRACTABLE);
        attributes.push(Attribute::new(Tag::ALWAYS_SENSITIVE, Value::Boolean(sensitive)));
        attributes.push(Attribute::new(Tag::NEVER_EXTRACTABLE, Value::Boolean(never_extractable)));
    }
    // > KMIP 1.4 §3.18 (Operation Policy Name): "the name of a policy object known to the key
    // > management system". This server has one policy: the owner uses and changes the
    // > object, admins may read it. It is called "default", as PyKMIP's is.
    if !attributes.iter().any(|a| a.tag() == Some(Tag::OPERATION_POLICY_NAME)) {
        attributes.push(Attribute::new(Tag::OPERATION_POLICY_NAME, Value::TextString("default".into())));
    }
    if !attributes.iter().any(|a| a.tag() == Some(Tag::FRESH)) {
        attributes.push(Attribute::new(Tag::FRESH, Value::Boolean(true)));
    }
    attributes.push(Attribute::new(Tag::LAST_CHANGE_DATE, Value::DateTime(ctx.now)));
    attributes.extend(digest_attribute(&object));
    let mut stored = StoredObject {
        uid: new_uid(&ctx.svc.rng, &*ctx.svc.clock)?,
        owner: ctx.client.subject().to_owned(),
        object_type,
        state: State::PRE_ACTIVE,
        attributes,
        object: Some(object),
        revision: 0,
    };
    settle_state(&mut stored, ctx.now);
    Ok(stored)
}

pub(crate) fn create(ctx: &mut Ctx<'_>, request: CreateRequest) -> Result<CreateResponse, OpError> {
    if request.object_type != ObjectType::SYMMETRIC_KEY {
        return Err(OpError::IllegalObjectType("Create makes Symmetric Keys; Register the other types"));
    }
    let mut attributes = client_attributes(request.attributes, ctx.svc.config.max_attributes)?;
    let algorithm = enumeration(&attributes, Tag::CRYPTOGRAPHIC_ALGORITHM)?
        .map(CryptographicAlgorithm)
        .ok_or_else(|| OpError::InvalidField("Create needs a Cryptographic Algorithm".into()))?;
    let length = check_length(algorithm, integer(&attributes, Tag::CRYPTOGRAPHIC_LENGTH)?)?;
    if integer(&attributes, Tag::CRYPTOGRAPHIC_LENGTH)?.is_none() {
        attributes.push(Attribute::new(Tag::CRYPTOGRAPHIC_LENGTH, Value::Integer(length)));
    }
    // > KMIP 2.0 §4.47 (Quantum Safe): a client asking for a quantum-safe key must not get
    // > one that is not. Grover's search halves AES's strength: only 256-bit keys qualify.
    let quantum_safe =
        attributes.iter().any(|a| a.tag() == Some(Tag::QUANTUM_SAFE) && a.value.value == Value::Boolean(true));
    if quantum_safe && !(algorithm == CryptographicAlgorithm::AES && length == 256) {
        return Err(OpError::Attribute {
            reason: ResultReason::GENERAL_FAILURE,
            message: "NOT_SAFE: only AES-256 keys are quantum safe".into(),
        });
    }
    attributes.push(rng_attribute());
    let bytes = random_bytes(&ctx.svc.rng, crate::keys::key_bytes(algorithm, length))?;
    let stored = new_object(ctx, ObjectType::SYMMETRIC_KEY, attributes, symmetric_key(algorithm, length, bytes))?;
    let uid = stored.uid.clone();
    ctx.insert_new(vec![stored])?;
    Ok(CreateResponse { object_type: ObjectType::SYMMETRIC_KEY, unique_identifier: uid, template_attribute: None })
}

pub(crate) fn register(ctx: &mut Ctx<'_>, request: RegisterRequest) -> Result<RegisterResponse, OpError> {
    if request.object.object_type() != request.object_type {
        return Err(OpError::InvalidField(format!(
            "Object Type {} does not match the {} object sent",
            request.object_type,
            request.object.object_type()
        )));
    }
    if !super::discover::OBJECT_TYPES.contains(&request.object_type) {
        return Err(OpError::IllegalObjectType("Register does not take this object type"));
    }
    let mut attributes = client_attributes(request.attributes, ctx.svc.config.max_attributes)?;
    // The key block says what the key is; keep the attributes in step with it.
    if let Some(block) = request.object.key_block() {
        if let (Some(alg), None) =
            (block.cryptographic_algorithm, enumeration(&attributes, Tag::CRYPTOGRAPHIC_ALGORITHM)?)
        {
            attributes.push(Attribute::new(Tag::CRYPTOGRAPHIC_ALGORITHM, Value::Enumeration(alg.0)));
        }
        if let (Some(len), None) = (block.cryptographic_length, integer(&attributes, Tag::CRYPTOGRAPHIC_LENGTH)?) {
            attributes.push(Attribute::new(Tag::CRYPTOGRAPHIC_LENGTH, Value::Integer(len)));
        }
    }
    if let ManagedObject::Certificate(certificate) = &request.object {
        if certificate.certificate_type == kmip_proto::dict::CertificateType::X_509 {
            let read = crate::certificate::x509_attributes(&certificate.value)?;
            attributes.retain(|a| !read.iter().any(|r| r.name == a.name));
            attributes.extend(read);
        }
    }
    let stored = new_object(ctx, request.object_type, attributes, request.object)?;
    let uid = stored.uid.clone();
    ctx.insert_new(vec![stored])?;
    Ok(RegisterResponse { unique_identifier: uid, template_attribute: None })
}
