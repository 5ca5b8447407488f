//! Add, Set, Modify and Delete Attribute.

use crate::rotation::rotation_settings;
use kmip_keystore::{Change, IndexKey, StoredObject};
use kmip_proto::dict::{ResultReason, State};
use kmip_proto::payload::{
    AddAttributeRequest, AttributeChangeResponse, DeleteAttributeRequest, ModifyAttributeRequest, SetAttributeRequest,
};
use kmip_proto::{Attribute, AttributeName, Name};
use ttlv::Tag;

use crate::OpError;
use crate::objects::{SERVER_MANAGED, effective_state, settle_state, touch};
use crate::service::Ctx;
use kmip_proto::attribute::is_single_valued;

fn attribute_error(reason: ResultReason, message: String) -> OpError {
    OpError::Attribute { reason, message }
}

/// Refuses changes to what the server manages.
fn check_writable(ctx: &Ctx<'_>, name: &AttributeName) -> Result<(), OpError> {
    let reason = if ctx.version.is_2x() { ResultReason::ATTRIBUTE_READ_ONLY } else { ResultReason::PERMISSION_DENIED };
    match name {
        AttributeName::Standard(tag)
            if SERVER_MANAGED.contains(tag) || crate::certificate::is_read_from_certificate(*tag) =>
        {
            Err(attribute_error(reason, format!("{tag} is set by the server")))
        }
        AttributeName::Custom { .. } if crate::rotation::is_engine_written(name) => {
            Err(attribute_error(reason, format!("{} is set by the rotation engine", name.v1_name())))
        }
        _ => Ok(()),
    }
}

/// The lifecycle dates may change only while they are still in the future of the state
/// machine: an Activation Date only while Pre-Active.
///
/// > KMIP 1.4 §3.24: the Activation Date "MAY be changed ... only if the object is in the
/// > Pre-Active state".
fn check_change(ctx: &Ctx<'_>, stored: &StoredObject, attribute: &Attribute) -> Result<(), OpError> {
    if attribute.name == AttributeName::Standard(Tag::ACTIVATION_DATE)
        && effective_state(stored, ctx.now) != State::PRE_ACTIVE
    {
        return Err(OpError::NotNow("the Activation Date changes only while Pre-Active"));
    }
    if attribute.name == AttributeName::Standard(Tag::NAME) {
        check_unique_name(ctx, attribute)?;
    }
    Ok(())
}

/// > KMIP 2.1 §4.44 (Name): "the Name attribute SHALL be unique within the key management
/// > domain"; 2.x answers a duplicate with Non Unique Name Attribute. Checked where a client
/// > names an existing object (Add, Set, Modify); Create and Register take the client's
/// > names as given, since storage clusters re-create keys under one name.
fn check_unique_name(ctx: &Ctx<'_>, attribute: &Attribute) -> Result<(), OpError> {
    let Ok(name) = kmip_proto::attribute::typed_value::<Name>(&attribute.value) else {
        return Err(OpError::InvalidField("a Name is a Name Value and a Name Type".into()));
    };
    let taken = ctx.svc.store.scan(&IndexKey::Name(name.value.clone()), None, 1)?;
    if !taken.is_empty() {
        let reason =
            if ctx.version.is_2x() { ResultReason::NON_UNIQUE_NAME_ATTRIBUTE } else { ResultReason::INVALID_FIELD };
        return Err(attribute_error(reason, format!("the name {:?} is taken", name.value)));
    }
    Ok(())
}

fn save(ctx: &Ctx<'_>, mut stored: StoredObject) -> Result<(), OpError> {
    touch(&mut stored, ctx.now);
    settle_state(&mut stored, ctx.now);
    ctx.svc.store.commit(vec![Change::Update(stored)])?;
    Ok(())
}

/// The reply: 1.x echoes the attribute, 2.x returns only the identifier.
fn reply(ctx: &Ctx<'_>, uid: String, attribute: Attribute) -> AttributeChangeResponse {
    AttributeChangeResponse { unique_identifier: uid, attribute: (!ctx.version.is_2x()).then_some(attribute) }
}

pub(crate) fn add(ctx: &Ctx<'_>, request: AddAttributeRequest) -> Result<AttributeChangeResponse, OpError> {
    let uid = ctx.uid(request.unique_identifier)?;
    let mut stored = ctx.load_owned(&uid)?;
    let mut attribute = request.attribute;
    check_writable(ctx, &attribute.name)?;
    check_change(ctx, &stored, &attribute)?;
    let rotation = rotation_settings(&stored, &attribute).map_err(OpError::from)?;
    // An object's attributes grow one Add at a time: bounded like a request's.
    if stored.attributes.len() >= ctx.svc.config.max_attributes {
        let max = ctx.svc.config.max_attributes;
        return Err(OpError::InvalidField(format!("the object has {max} attributes, the most it may have")));
    }
    let existing = stored.attributes.iter().filter(|a| a.name == attribute.name).count();
    if let AttributeName::Standard(tag) = attribute.name {
        if existing > 0 && is_single_valued(tag) {
            return Err(attribute_error(ResultReason::ATTRIBUTE_SINGLE_VALUED, format!("{tag} already has a value")));
        }
    }
    // > KMIP 1.4 §2.1.1: "If the Attribute Index is not specified it is assumed to be 0": the
    // > first instance goes without one, later ones carry theirs.
    attribute.index = (existing > 0).then_some(existing as i32);
    stored.attributes.push(Attribute { index: None, ..attribute.clone() });
    save(ctx, stored)?;
    ctx.svc.rotation_attribute_set(&uid, rotation).map_err(OpError::from)?;
    Ok(reply(ctx, uid, attribute))
}

pub(crate) fn set(ctx: &Ctx<'_>, request: SetAttributeRequest) -> Result<AttributeChangeResponse, OpError> {
    let uid = ctx.uid(request.unique_identifier)?;
    let mut stored = ctx.load_owned(&uid)?;
    let attribute = request.attribute;
    check_writable(ctx, &attribute.name)?;
    check_change(ctx, &stored, &attribute)?;
    let rotation = rotation_settings(&stored, &attribute).map_err(OpError::from)?;
    if let AttributeName::Standard(tag) = attribute.name {
        if !is_single_valued(tag) {
            return Err(attribute_error(
                ResultReason::ATTRIBUTE_SINGLE_VALUED,
                format!("{tag} is multi-valued: use Add or Modify"),
            ));
        }
    }
    stored.attributes.retain(|a| a.name != attribute.name);
    stored.attributes.push(attribute.clone());
    save(ctx, stored)?;
    ctx.svc.rotation_attribute_set(&uid, rotation).map_err(OpError::from)?;
    Ok(reply(ctx, uid, attribute))
}

/// Which stored instance a Modify or Delete means: by value (2.x Current Attribute), by
/// index (1.x Attribute Index), or the first.
fn position(
    stored: &StoredObject,
    name: &AttributeName,
    index: Option<i32>,
    current: Option<&Attribute>,
) -> Option<usize> {
    let mut same = stored.attributes.iter().enumerate().filter(|(_, a)| &a.name == name);
    match (current, index) {
        (Some(current), _) => same.find(|(_, a)| a.value.value == current.value.value).map(|(i, _)| i),
        (None, Some(index)) => same.nth(usize::try_from(index).ok()?).map(|(i, _)| i),
        (None, None) => same.next().map(|(i, _)| i),
    }
}

fn not_found(ctx: &Ctx<'_>, name: &AttributeName) -> OpError {
    let reason = if ctx.version.is_2x() { ResultReason::ATTRIBUTE_NOT_FOUND } else { ResultReason::ITEM_NOT_FOUND };
    attribute_error(reason, format!("the object has no {} to change", name.v1_name()))
}

pub(crate) fn modify(ctx: &Ctx<'_>, request: ModifyAttributeRequest) -> Result<AttributeChangeResponse, OpError> {
    let uid = ctx.uid(request.unique_identifier)?;
    let mut stored = ctx.load_owned(&uid)?;
    let attribute = request.attribute;
    check_writable(ctx, &attribute.name)?;
    check_change(ctx, &stored, &attribute)?;
    let rotation = rotation_settings(&stored, &attribute).map_err(OpError::from)?;
    let at = position(&stored, &attribute.name, attribute.index, request.current.as_ref())
        .ok_or_else(|| not_found(ctx, &attribute.name))?;
    stored.attributes[at] = Attribute { index: None, ..attribute.clone() };
    // The reply names the instance the request named (PyKMIP reads the index back).
    save(ctx, stored)?;
    ctx.svc.rotation_attribute_set(&uid, rotation).map_err(OpError::from)?;
    Ok(reply(ctx, uid, attribute))
}

pub(crate) fn delete(ctx: &Ctx<'_>, request: DeleteAttributeRequest) -> Result<AttributeChangeResponse, OpError> {
    let uid = ctx.uid(request.unique_identifier)?;
    let mut stored = ctx.load_owned(&uid)?;
    check_writable(ctx, &request.name)?;
    let at = position(&stored, &request.name, request.index, request.current.as_ref())
        .ok_or_else(|| not_found(ctx, &request.name))?;
    let mut removed = stored.attributes.remove(at);
    removed.index = request.index;
    save(ctx, stored)?;
    Ok(reply(ctx, uid, removed))
}
