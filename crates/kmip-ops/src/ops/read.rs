//! Get, Get Attributes and Get Attribute List.

use kmip_keystore::Change;
use kmip_proto::dict::{KeyFormatType, ResultReason};
use kmip_proto::object::KeyObject;
use kmip_proto::payload::{
    GetAttributeListRequest, GetAttributeListResponse, GetAttributesRequest, GetAttributesResponse, GetRequest,
    GetResponse,
};
use kmip_proto::{AttributeName, KeyMaterial, KeyValue, ManagedObject, SecretItem};
use ttlv::{Item, Tag, Value};

use crate::OpError;
use crate::asymmetric::KeyKind;
use crate::asymmetric::formats::{self, not_supported};
use crate::objects::{for_version, number_instances, select_attributes, set_attribute, visible_attributes};
use crate::service::Ctx;

pub(crate) fn get(ctx: &Ctx<'_>, request: GetRequest) -> Result<GetResponse, OpError> {
    let uid = ctx.uid(request.unique_identifier)?;
    let mut stored = ctx.load_readable(&uid)?;
    // > KMIP 1.4 §3.48 (Sensitive): "If True then the server SHALL prevent the object value
    // > being retrieved (via the Get operation) unless it is wrapped".
    let sensitive = stored.first(Tag::SENSITIVE).is_some_and(|a| a.value.value == Value::Boolean(true));
    if sensitive && request.key_wrapping_specification.is_none() {
        return Err(OpError::Attribute { reason: ResultReason::SENSITIVE, message: "the object is Sensitive".into() });
    }
    // > KMIP 1.1 §3.34 (Fresh): "set to False when the object is first retrieved".
    if stored.first(Tag::FRESH).is_some_and(|a| a.value.value == Value::Boolean(true)) && stored.object.is_some() {
        set_attribute(&mut stored, Tag::FRESH, Value::Boolean(false));
        ctx.svc.store.commit(vec![Change::Update(stored.clone())])?;
    }
    let kind = KeyKind::of(&stored);
    let cmk = crate::consumers::cmk_version_of(&stored);
    let Some(object) = stored.object else {
        return Err(OpError::Destroyed(uid));
    };
    let object = match request.key_format_type {
        None => object,
        Some(format) => convert(object, kind, format)?,
    };
    let object = match request.key_wrapping_specification {
        None => object,
        Some(spec) => super::wrap::wrap(ctx, object, *spec)?,
    };
    // Which version each client fetches, for the consumers view.
    if let Some(cmk) = cmk {
        ctx.svc.note_use(ctx.client.subject(), &uid, cmk);
    }
    Ok(GetResponse { object_type: stored.object_type, unique_identifier: uid, object })
}

/// Key Format Type conversion for symmetric keys: Raw and Transparent Symmetric Key carry
/// the same bytes, one as a Byte String, the other in a `Key` field.
///
/// > KMIP 1.4 §2.1.7.1: "Transparent Symmetric Key: Key, Byte String".
fn convert(object: ManagedObject, kind: Option<KeyKind>, format: KeyFormatType) -> Result<ManagedObject, OpError> {
    let ManagedObject::SymmetricKey(mut key) = object else {
        return match (object, kind) {
            (ManagedObject::PrivateKey(mut key), Some(kind)) => {
                convert_asymmetric(&mut key, |from, bytes| formats::private_as(kind, from, bytes, format), format)?;
                Ok(ManagedObject::PrivateKey(key))
            }
            (ManagedObject::PublicKey(mut key), Some(kind)) => {
                convert_asymmetric(
                    &mut key,
                    |from, bytes| formats::public_as(kind, from, bytes.secret_bytes(), format),
                    format,
                )?;
                Ok(ManagedObject::PublicKey(key))
            }
            (object, _) => match object.key_block() {
                Some(block) if block.key_format_type == format => Ok(object),
                _ => Err(not_supported(format)),
            },
        };
    };
    let block = &mut key.key_block;
    if block.key_format_type == format {
        return Ok(ManagedObject::SymmetricKey(key));
    }
    let bytes = match &block.key_value {
        Some(KeyValue::Plain { material: KeyMaterial::Bytes(b), .. }) => b.clone(),
        Some(KeyValue::Plain { material: KeyMaterial::Transparent(t), .. }) => {
            match t.0.child(Tag::KEY).map(|k| &k.value) {
                Some(Value::ByteString(b)) => kmip_proto::SecretBytes::new(b.clone()),
                _ => return Err(not_supported(format)),
            }
        }
        _ => return Err(not_supported(format)),
    };
    let material = match format {
        KeyFormatType::RAW => KeyMaterial::Bytes(bytes),
        KeyFormatType::TRANSPARENT_SYMMETRIC_KEY => KeyMaterial::Transparent(SecretItem(Item::structure(
            Tag::KEY_MATERIAL,
            vec![Item::new(Tag::KEY, Value::ByteString(bytes.secret_bytes().to_vec()))],
        ))),
        other => return Err(not_supported(other)),
    };
    block.key_format_type = format;
    block.key_value = Some(KeyValue::Plain { material, attributes: Vec::new() });
    Ok(ManagedObject::SymmetricKey(key))
}

/// Re-encodes a public or private key's material in `format`.
fn convert_asymmetric(
    key: &mut KeyObject,
    to: impl FnOnce(KeyFormatType, &kmip_proto::SecretBytes) -> Result<KeyMaterial, OpError>,
    format: KeyFormatType,
) -> Result<(), OpError> {
    let block = &mut key.key_block;
    if block.key_format_type == format {
        return Ok(());
    }
    let Some(KeyValue::Plain { material: KeyMaterial::Bytes(bytes), .. }) = &block.key_value else {
        return Err(not_supported(format));
    };
    let material = to(block.key_format_type, bytes)?;
    block.key_format_type = format;
    block.key_value = Some(KeyValue::Plain { material, attributes: Vec::new() });
    Ok(())
}

pub(crate) fn get_attributes(ctx: &Ctx<'_>, request: GetAttributesRequest) -> Result<GetAttributesResponse, OpError> {
    let uid = ctx.uid(request.unique_identifier)?;
    let stored = ctx.load_readable(&uid)?;
    let visible = for_version(visible_attributes(&stored, ctx.now), ctx.version);
    let mut attributes = select_attributes(visible, &request.names);
    if !ctx.version.is_2x() {
        number_instances(&mut attributes);
    }
    Ok(GetAttributesResponse { unique_identifier: uid, attributes })
}

pub(crate) fn get_attribute_list(
    ctx: &Ctx<'_>,
    request: GetAttributeListRequest,
) -> Result<GetAttributeListResponse, OpError> {
    let uid = ctx.uid(request.unique_identifier)?;
    let stored = ctx.load_readable(&uid)?;
    let mut names: Vec<AttributeName> = Vec::new();
    for attribute in for_version(visible_attributes(&stored, ctx.now), ctx.version) {
        if !names.contains(&attribute.name) {
            names.push(attribute.name);
        }
    }
    Ok(GetAttributeListResponse { unique_identifier: uid, names })
}
