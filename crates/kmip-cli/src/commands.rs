//! What each kmipctl command sends, and what it reports back (as JSON values, which the binary
//! prints as a table or as JSON). Key bytes are reported only when the caller asks.

use kmip_proto::attribute::is_single_valued;
use kmip_proto::dict::{
    BlockCipherMode, CryptographicAlgorithm, KeyFormatType, ObjectType, Operation, PaddingMethod, QueryFunction,
    RevocationReasonCode, SecretDataType,
};
use kmip_proto::object::{KeyObject, SecretData};
use kmip_proto::payload::{
    AddAttributeRequest, CreateRequest, DecryptRequest, DeleteAttributeRequest, DiscoverVersionsRequest,
    EncryptRequest, GetAttributesRequest, GetRequest, LocateRequest, MacRequest, QueryRequest, ReKeyRequest,
    RegisterRequest, RevokeRequest, SetAttributeRequest, UidRequest,
};
use kmip_proto::{
    Attribute, AttributeName, Attributes, CryptographicParameters, KeyBlock, KeyMaterial, KeyValue, ManagedObject,
    ProtocolVersion, RequestPayload as Req, ResponsePayload as Resp, RevocationReason, SecretBytes,
};
use serde_json::{Value, json};
use ttlv::{Item, Tag};

use crate::{Client, ClientError};

fn unexpected(what: &str) -> ClientError {
    ClientError::Refused {
        reason: "UnexpectedResponse".into(),
        message: format!("the server did not answer with {what}"),
    }
}

/// A rendering of an attribute value for people: enumerations by name, byte strings in hex.
fn show(item: &Item) -> Value {
    match &item.value {
        ttlv::Value::TextString(t) => json!(t),
        ttlv::Value::Integer(i) => json!(i),
        ttlv::Value::LongInteger(i) => json!(i),
        ttlv::Value::Enumeration(e) => match ttlv::dict::enum_kind(item.tag).and_then(|kind| kind.value_name(*e)) {
            Some(name) => json!(name),
            None => json!(e),
        },
        ttlv::Value::Boolean(b) => json!(b),
        ttlv::Value::DateTime(t) => json!(t),
        ttlv::Value::Interval(i) => json!(i),
        ttlv::Value::ByteString(b) => json!(hex::encode(b)),
        ttlv::Value::Structure(children) => {
            Value::Object(children.iter().map(|c| (format!("{:?}", c.tag), show(c))).collect())
        }
        other => json!(format!("{other:?}")),
    }
}

/// Discover Versions.
pub fn discover(client: &mut Client, v: ProtocolVersion) -> Result<Value, ClientError> {
    match client.call(
        v,
        Operation::DISCOVER_VERSIONS,
        Req::DiscoverVersions(DiscoverVersionsRequest { versions: Vec::new() }),
    )? {
        Resp::DiscoverVersions(r) => {
            Ok(json!({"versions": r.versions.iter().map(ToString::to_string).collect::<Vec<_>>()}))
        }
        _ => Err(unexpected("versions")),
    }
}

/// Query: operations, objects, server information.
pub fn query(client: &mut Client, v: ProtocolVersion) -> Result<Value, ClientError> {
    let functions =
        vec![QueryFunction::QUERY_OPERATIONS, QueryFunction::QUERY_OBJECTS, QueryFunction::QUERY_SERVER_INFORMATION];
    match client.call(v, Operation::QUERY, Req::Query(QueryRequest { functions }))? {
        Resp::Query(r) => Ok(json!({
            "operations": r.operations.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "objects": r.object_types.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "vendor": r.vendor_identification,
        })),
        _ => Err(unexpected("a query")),
    }
}

/// Create a symmetric key (AES or HMAC), optionally named and activated.
pub fn create(
    client: &mut Client,
    v: ProtocolVersion,
    algorithm: CryptographicAlgorithm,
    length: i32,
    key_name: Option<&str>,
    activate: bool,
) -> Result<Value, ClientError> {
    let mask = if algorithm == CryptographicAlgorithm::AES { 0x0C } else { 0x80 | 0x100 };
    let request = CreateRequest::symmetric_key(algorithm, length, mask, key_name.map(Attribute::name));
    let Resp::Create(created) = client.call(v, Operation::CREATE, Req::Create(request))? else {
        return Err(unexpected("a created key"));
    };
    if activate {
        uid_operation(client, v, Operation::ACTIVATE, &created.unique_identifier)?;
    }
    Ok(json!({"unique_identifier": created.unique_identifier, "active": activate}))
}

/// The kinds of key pair `create_key_pair` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairKind {
    /// RSA with a modulus of this many bits.
    Rsa(i32),
    /// ECDSA on P-256.
    EcP256,
    /// ECDSA on P-384.
    EcP384,
    /// Ed25519.
    Ed25519,
}

/// Create Key Pair: a private key that signs (or decrypts) and its public key.
pub fn create_key_pair(
    client: &mut Client,
    v: ProtocolVersion,
    kind: PairKind,
    for_encryption: bool,
    key_name: Option<&str>,
    activate: bool,
) -> Result<Value, ClientError> {
    use kmip_proto::dict::{CryptographicUsageMask as Mask, RecommendedCurve};
    use kmip_proto::payload::{CreateKeyPairRequest, KeyPairAttributes};
    let enumeration = |tag, v: u32| Attribute::new(tag, ttlv::Value::Enumeration(v));
    let mut common = match kind {
        PairKind::Rsa(bits) => vec![
            enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, CryptographicAlgorithm::RSA.0),
            Attribute::new(Tag::CRYPTOGRAPHIC_LENGTH, ttlv::Value::Integer(bits)),
        ],
        PairKind::EcP256 | PairKind::EcP384 => {
            let curve = if kind == PairKind::EcP256 { RecommendedCurve::P_256 } else { RecommendedCurve::P_384 };
            vec![
                enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, CryptographicAlgorithm::EC.0),
                Attribute::from_item(Item::structure(
                    Tag::CRYPTOGRAPHIC_DOMAIN_PARAMETERS,
                    vec![Item::new(Tag::RECOMMENDED_CURVE, ttlv::Value::Enumeration(curve.0))],
                )),
            ]
        }
        PairKind::Ed25519 => vec![enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, CryptographicAlgorithm::ED25519.0)],
    };
    common.extend(key_name.map(Attribute::name));
    let (private_mask, public_mask) =
        if for_encryption { (Mask::DECRYPT, Mask::ENCRYPT) } else { (Mask::SIGN, Mask::VERIFY) };
    let usage = |m: Mask| Attributes {
        list: vec![Attribute::new(Tag::CRYPTOGRAPHIC_USAGE_MASK, ttlv::Value::Integer(m.0 as i32))],
        template_names: Vec::new(),
    };
    let request = CreateKeyPairRequest {
        attributes: KeyPairAttributes {
            common: Some(Attributes { list: common, template_names: Vec::new() }),
            private: Some(usage(private_mask)),
            public: Some(usage(public_mask)),
        },
        protection_storage_masks: Vec::new(),
    };
    let Resp::CreateKeyPair(made) = client.call(v, Operation::CREATE_KEY_PAIR, Req::CreateKeyPair(request))? else {
        return Err(unexpected("a key pair"));
    };
    if activate {
        uid_operation(client, v, Operation::ACTIVATE, &made.private_key_unique_identifier)?;
        uid_operation(client, v, Operation::ACTIVATE, &made.public_key_unique_identifier)?;
    }
    Ok(json!({
        "private_key": made.private_key_unique_identifier,
        "public_key": made.public_key_unique_identifier,
        "active": activate,
    }))
}

/// Register a key or a secret read from a file.
pub fn register(
    client: &mut Client,
    v: ProtocolVersion,
    secret: bool,
    bytes: Vec<u8>,
    key_name: Option<&str>,
) -> Result<Value, ClientError> {
    let length = (bytes.len() * 8) as i32;
    let key_block = |format, algorithm: Option<CryptographicAlgorithm>| {
        KeyBlock::plain(format, SecretBytes::new(bytes.clone()), algorithm, algorithm.map(|_| length))
    };
    let (object_type, object) = if secret {
        let block = key_block(KeyFormatType::OPAQUE, None);
        (
            ObjectType::SECRET_DATA,
            ManagedObject::SecretData(SecretData { secret_data_type: SecretDataType::PASSWORD, key_block: block }),
        )
    } else {
        let block = key_block(KeyFormatType::RAW, Some(CryptographicAlgorithm::AES));
        (ObjectType::SYMMETRIC_KEY, ManagedObject::SymmetricKey(KeyObject { key_block: block }))
    };
    let attributes =
        Attributes { list: key_name.map(Attribute::name).into_iter().collect(), template_names: Vec::new() };
    let request = RegisterRequest { object_type, attributes, object, protection_storage_masks: None };
    match client.call(v, Operation::REGISTER, Req::Register(request))? {
        Resp::Register(r) => Ok(json!({"unique_identifier": r.unique_identifier})),
        _ => Err(unexpected("a registered object")),
    }
}

/// Get: the object's type and size; its bytes only when `reveal` (or written to a file).
pub fn get(
    client: &mut Client,
    v: ProtocolVersion,
    uid: &str,
    format: Option<KeyFormatType>,
) -> Result<(Value, Option<Fetched>), ClientError> {
    let request = GetRequest { key_format_type: format, ..GetRequest::of(uid) };
    let Resp::Get(got) = client.call(v, Operation::GET, Req::Get(request))? else {
        return Err(unexpected("an object"));
    };
    let bytes = match got.object.key_block().and_then(|b| b.key_value.clone()) {
        Some(KeyValue::Plain { material: KeyMaterial::Bytes(b), .. }) => Some(b),
        _ => match &got.object {
            ManagedObject::OpaqueObject(o) => Some(o.value.clone()),
            ManagedObject::Certificate(c) => Some(SecretBytes::new(c.value.clone())),
            _ => None,
        },
    };
    let format = got.object.key_block().map(|b| b.key_format_type);
    let summary = json!({
        "unique_identifier": got.unique_identifier,
        "object_type": got.object_type.to_string(),
        "key_format_type": format.map(|f| f.to_string()),
        "bytes": bytes.as_ref().map(SecretBytes::len),
    });
    Ok((summary, bytes.map(|bytes| Fetched { object_type: got.object_type, format, bytes })))
}

/// An object's bytes as Get returned them, with what they are.
#[derive(Debug)]
pub struct Fetched {
    /// What the object is.
    pub object_type: ObjectType,
    /// The key block's format, for keys.
    pub format: Option<KeyFormatType>,
    /// The bytes.
    pub bytes: SecretBytes,
}

impl Fetched {
    /// The PEM label of these bytes (RFC 7468), when they have one: certificates, and keys in
    /// PKCS#1, PKCS#8, X.509 or ECPrivateKey form.
    pub fn pem_label(&self) -> Option<&'static str> {
        Some(match (self.object_type, self.format) {
            (ObjectType::CERTIFICATE, _) => "CERTIFICATE",
            (ObjectType::PRIVATE_KEY, Some(KeyFormatType::PKCS_1)) => "RSA PRIVATE KEY",
            (ObjectType::PUBLIC_KEY, Some(KeyFormatType::PKCS_1)) => "RSA PUBLIC KEY",
            (ObjectType::PRIVATE_KEY, Some(KeyFormatType::PKCS_8)) => "PRIVATE KEY",
            (ObjectType::PRIVATE_KEY, Some(KeyFormatType::EC_PRIVATE_KEY)) => "EC PRIVATE KEY",
            (ObjectType::PUBLIC_KEY, Some(KeyFormatType::X_509)) => "PUBLIC KEY",
            _ => return None,
        })
    }

    /// The bytes as PEM text, when they have a PEM form.
    pub fn to_pem(&self) -> Option<SecretBytes> {
        let block = pem::Pem::new(self.pem_label()?, self.bytes.secret_bytes().to_vec());
        Some(SecretBytes::new(pem::encode(&block).into_bytes()))
    }
}

/// Get Attributes (all, or the named ones).
pub fn attributes(client: &mut Client, v: ProtocolVersion, uid: &str, names: &[String]) -> Result<Value, ClientError> {
    let names = names.iter().map(|n| AttributeName::from_v1(n)).collect();
    let request = GetAttributesRequest { unique_identifier: Some(uid.into()), names };
    let Resp::GetAttributes(attrs) = client.call(v, Operation::GET_ATTRIBUTES, Req::GetAttributes(request))? else {
        return Err(unexpected("attributes"));
    };
    let mut out = serde_json::Map::new();
    for attribute in attrs.attributes {
        let key = attribute.name.v1_name().into_owned();
        let value = show(&attribute.value);
        match out.get_mut(&key) {
            Some(Value::Array(list)) => list.push(value),
            Some(first) => *first = json!([first.clone(), value]),
            None => {
                out.insert(key, value);
            }
        }
    }
    Ok(Value::Object(out))
}

/// Set a text attribute (Name, Object Group, Description, Contact Information, or a vendor
/// `x-` attribute). A multi-valued attribute gets one more instance (Add Attribute); a
/// single-valued one is replaced with Set Attribute in 2.x, and added in 1.x, which has no Set.
pub fn set_attribute(
    client: &mut Client,
    v: ProtocolVersion,
    uid: &str,
    attribute: &str,
    value: &str,
) -> Result<Value, ClientError> {
    let name_of = AttributeName::from_v1(attribute);
    let single = match name_of {
        AttributeName::Standard(tag) => is_single_valued(tag),
        _ => true,
    };
    let attribute = match name_of {
        AttributeName::Standard(Tag::NAME) => Attribute::name(value),
        AttributeName::Standard(tag) => Attribute::new(tag, ttlv::Value::TextString(value.into())),
        custom => Attribute {
            index: None,
            value: Item::new(custom.value_tag(), ttlv::Value::TextString(value.into())),
            name: custom,
        },
    };
    let unique_identifier = Some(uid.to_owned());
    let (operation, payload) = if v.is_2x() && single {
        (Operation::SET_ATTRIBUTE, Req::SetAttribute(SetAttributeRequest { unique_identifier, attribute }))
    } else {
        (Operation::ADD_ATTRIBUTE, Req::AddAttribute(AddAttributeRequest { unique_identifier, attribute }))
    };
    client.call(v, operation, payload)?;
    Ok(json!({"unique_identifier": uid}))
}

/// Delete an attribute.
pub fn delete_attribute(
    client: &mut Client,
    v: ProtocolVersion,
    uid: &str,
    attribute: &str,
) -> Result<Value, ClientError> {
    let request = DeleteAttributeRequest {
        unique_identifier: Some(uid.into()),
        name: AttributeName::from_v1(attribute),
        index: None,
        current: None,
    };
    client.call(v, Operation::DELETE_ATTRIBUTE, Req::DeleteAttribute(request))?;
    Ok(json!({"unique_identifier": uid}))
}

/// Locate by name and/or object group.
pub fn locate(
    client: &mut Client,
    v: ProtocolVersion,
    key_name: Option<&str>,
    group: Option<&str>,
    max: Option<i32>,
) -> Result<Value, ClientError> {
    let mut attributes: Vec<Attribute> = key_name.map(Attribute::name).into_iter().collect();
    attributes.extend(group.map(|g| Attribute::new(Tag::OBJECT_GROUP, ttlv::Value::TextString(g.into()))));
    let request = LocateRequest { maximum_items: max, attributes, ..LocateRequest::default() };
    match client.call(v, Operation::LOCATE, Req::Locate(request))? {
        Resp::Locate(r) => Ok(json!({"unique_identifiers": r.unique_identifiers})),
        _ => Err(unexpected("identifiers")),
    }
}

/// Activate or Destroy.
pub fn uid_operation(
    client: &mut Client,
    v: ProtocolVersion,
    operation: Operation,
    uid: &str,
) -> Result<Value, ClientError> {
    let request = UidRequest { unique_identifier: Some(uid.into()) };
    let payload = if operation == Operation::ACTIVATE { Req::Activate(request) } else { Req::Destroy(request) };
    client.call(v, operation, payload)?;
    Ok(json!({"unique_identifier": uid}))
}

/// Revoke with a reason.
pub fn revoke(
    client: &mut Client,
    v: ProtocolVersion,
    uid: &str,
    code: RevocationReasonCode,
) -> Result<Value, ClientError> {
    let request = RevokeRequest {
        unique_identifier: Some(uid.into()),
        revocation_reason: RevocationReason { code, message: None },
        compromise_occurrence_date: None,
    };
    client.call(v, Operation::REVOKE, Req::Revoke(request))?;
    Ok(json!({"unique_identifier": uid}))
}

/// ReKey: a new key replaces this one (for a rotating key, an on-demand rotation).
pub fn rekey(client: &mut Client, v: ProtocolVersion, uid: &str) -> Result<Value, ClientError> {
    let request = ReKeyRequest {
        unique_identifier: Some(uid.into()),
        offset: None,
        attributes: Attributes::default(),
        protection_storage_masks: None,
    };
    match client.call(v, Operation::REKEY, Req::ReKey(request))? {
        Resp::ReKey(r) => Ok(json!({"replaced": uid, "unique_identifier": r.unique_identifier})),
        _ => Err(unexpected("a new key")),
    }
}

fn parameters(mode: BlockCipherMode) -> CryptographicParameters {
    CryptographicParameters {
        block_cipher_mode: Some(mode),
        padding_method: (mode == BlockCipherMode::CBC).then_some(PaddingMethod::PKCS5),
        // Optional for kmipd, which knows the key's algorithm; PyKMIP's server requires it.
        cryptographic_algorithm: Some(CryptographicAlgorithm::AES),
        tag_length: (mode == BlockCipherMode::GCM).then_some(16),
        ..CryptographicParameters::default()
    }
}

/// Encrypt with the server's key; returns the ciphertext and what decryption will need.
pub fn encrypt(
    client: &mut Client,
    v: ProtocolVersion,
    uid: &str,
    mode: BlockCipherMode,
    data: Vec<u8>,
) -> Result<(Value, Vec<u8>), ClientError> {
    let request = EncryptRequest {
        unique_identifier: Some(uid.into()),
        cryptographic_parameters: Some(parameters(mode)),
        data: Some(SecretBytes::new(data)),
        iv_counter_nonce: None,
        correlation_value: None,
        init_indicator: None,
        final_indicator: None,
        authenticated_encryption_additional_data: None,
    };
    let Resp::Encrypt(r) = client.call(v, Operation::ENCRYPT, Req::Encrypt(request))? else {
        return Err(unexpected("ciphertext"));
    };
    let summary = json!({
        "unique_identifier": r.unique_identifier,
        "iv": r.iv_counter_nonce.as_deref().map(hex::encode),
        "tag": r.authenticated_encryption_tag.as_deref().map(hex::encode),
    });
    Ok((summary, r.data.unwrap_or_default()))
}

/// Decrypt with the server's key.
pub fn decrypt(
    client: &mut Client,
    v: ProtocolVersion,
    uid: &str,
    mode: BlockCipherMode,
    data: Vec<u8>,
    iv: Option<Vec<u8>>,
    tag: Option<Vec<u8>>,
) -> Result<(Value, SecretBytes), ClientError> {
    let request = DecryptRequest {
        unique_identifier: Some(uid.into()),
        cryptographic_parameters: Some(parameters(mode)),
        data: Some(data),
        iv_counter_nonce: iv,
        correlation_value: None,
        init_indicator: None,
        final_indicator: None,
        authenticated_encryption_additional_data: None,
        authenticated_encryption_tag: tag,
    };
    let Resp::Decrypt(r) = client.call(v, Operation::DECRYPT, Req::Decrypt(request))? else {
        return Err(unexpected("plaintext"));
    };
    Ok((json!({"unique_identifier": r.unique_identifier}), r.data.unwrap_or_default()))
}

/// MAC with an HMAC key.
pub fn mac(client: &mut Client, v: ProtocolVersion, uid: &str, data: Vec<u8>) -> Result<Value, ClientError> {
    let request = MacRequest {
        unique_identifier: Some(uid.into()),
        cryptographic_parameters: None,
        data: Some(SecretBytes::new(data)),
        correlation_value: None,
        init_indicator: None,
        final_indicator: None,
    };
    match client.call(v, Operation::MAC, Req::Mac(request))? {
        Resp::Mac(r) => {
            Ok(json!({"unique_identifier": r.unique_identifier, "mac": r.mac_data.as_deref().map(hex::encode)}))
        }
        _ => Err(unexpected("a MAC")),
    }
}

/// The rotation state of a key, from its KMIP 2.1 Rotate attributes.
pub fn rotation_status(client: &mut Client, uid: &str) -> Result<Value, ClientError> {
    let names = [
        Tag::ROTATE_NAME,
        Tag::ROTATE_GENERATION,
        Tag::ROTATE_LATEST,
        Tag::ROTATE_AUTOMATIC,
        Tag::ROTATE_INTERVAL,
        Tag::ROTATE_DATE,
    ]
    .map(|t| AttributeName::from_v1(ttlv::dict::attribute_name(t).unwrap_or_default()).v1_name().into_owned())
    .to_vec();
    attributes(client, ProtocolVersion::V2_1, uid, &names)
}

/// The rotation calendar of this client's keys: those with automatic rotation on whose next
/// rotation falls within `within` seconds of `now`, soonest first (KMIP 2.1 Rotate Date).
pub fn rotation_schedule(client: &mut Client, within: i64, now: i64) -> Result<Value, ClientError> {
    let v = ProtocolVersion::V2_1;
    let rotating = Attribute::new(Tag::ROTATE_AUTOMATIC, ttlv::Value::Boolean(true));
    let request = LocateRequest { attributes: vec![rotating], ..LocateRequest::default() };
    let Resp::Locate(found) = client.call(v, Operation::LOCATE, Req::Locate(request))? else {
        return Err(unexpected("identifiers"));
    };
    let names = [Tag::ROTATE_NAME, Tag::ROTATE_DATE, Tag::ROTATE_INTERVAL].map(AttributeName::Standard).to_vec();
    let mut rows = Vec::new();
    for uid in found.unique_identifiers {
        let request = GetAttributesRequest { unique_identifier: Some(uid.clone()), names: names.clone() };
        let Resp::GetAttributes(got) = client.call(v, Operation::GET_ATTRIBUTES, Req::GetAttributes(request))? else {
            return Err(unexpected("attributes"));
        };
        let field = |tag| got.attributes.iter().find(|a| a.tag() == Some(tag)).map(|a| a.value.clone());
        let Some(ttlv::Value::DateTime(at)) = field(Tag::ROTATE_DATE).map(|i| i.value) else { continue };
        if at > now.saturating_add(within) {
            continue;
        }
        let key_id = field(Tag::ROTATE_NAME)
            .and_then(|n| n.child(Tag::ROTATE_NAME_VALUE).map(|v| v.value.clone()))
            .and_then(|v| if let ttlv::Value::TextString(t) = v { Some(t) } else { None });
        let interval = match field(Tag::ROTATE_INTERVAL).map(|i| i.value) {
            Some(ttlv::Value::Interval(secs)) => Some(secs / 86_400),
            _ => None,
        };
        rows.push((
            at,
            json!({
                "unique_identifier": uid,
                "key_id": key_id,
                "next_rotation": at,
                "rotation_interval_days": interval,
                "overdue": at <= now,
            }),
        ));
    }
    rows.sort_by_key(|(at, _)| *at);
    Ok(json!({"rotations": rows.into_iter().map(|(_, row)| row).collect::<Vec<_>>()}))
}

/// Turns automatic rotation on (every `days`) or off, through the KMIP 2.1 Rotate attributes.
pub fn rotation_set(client: &mut Client, uid: &str, days: Option<u32>) -> Result<Value, ClientError> {
    let v = ProtocolVersion::V2_1;
    if let Some(days) = days {
        let attribute = Attribute::new(Tag::ROTATE_INTERVAL, ttlv::Value::Interval(days * 86_400));
        client.call(
            v,
            Operation::SET_ATTRIBUTE,
            Req::SetAttribute(SetAttributeRequest { unique_identifier: Some(uid.into()), attribute }),
        )?;
    }
    let attribute = Attribute::new(Tag::ROTATE_AUTOMATIC, ttlv::Value::Boolean(days.is_some()));
    client.call(
        v,
        Operation::SET_ATTRIBUTE,
        Req::SetAttribute(SetAttributeRequest { unique_identifier: Some(uid.into()), attribute }),
    )?;
    rotation_status(client, uid)
}
