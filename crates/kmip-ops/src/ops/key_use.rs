//! Using a key the server holds: the checks every cryptographic operation makes first (owner,
//! state, dates, usage mask), and the Usage Limits it charges.

use kmip_keystore::StoredObject;
use kmip_proto::dict::{CryptographicAlgorithm, CryptographicUsageMask, KeyFormatType, ObjectType, State};
use kmip_proto::{CryptographicParameters, SecretBytes};
use ttlv::{Tag, Value};

use crate::OpError;
use crate::asymmetric::KeyKind;
use crate::keys::stored_bytes;
use crate::objects::effective_state;
use crate::service::Ctx;

/// A key ready for use: owned by the client, Active, allowed the operation by its mask.
pub(crate) struct UsableKey {
    pub(crate) uid: String,
    pub(crate) object_type: ObjectType,
    pub(crate) algorithm: CryptographicAlgorithm,
    /// The asymmetric kind, for public and private keys.
    pub(crate) kind: Option<KeyKind>,
    pub(crate) format: KeyFormatType,
    pub(crate) bytes: SecretBytes,
    /// The key's own Cryptographic Parameters attribute.
    pub(crate) parameters: Option<CryptographicParameters>,
    /// The CMK it is a version of, for the consumers view.
    pub(crate) cmk: Option<crate::consumers::CmkVersionOf>,
}

pub(crate) fn usable_key(
    ctx: &Ctx<'_>,
    uid: Option<String>,
    needs: CryptographicUsageMask,
) -> Result<UsableKey, OpError> {
    let uid = ctx.uid(uid)?;
    let stored: StoredObject = ctx.load_owned(&uid)?;
    // > KMIP 1.4 §3.22: "Active: the object MAY be used for all cryptographic purposes"; a
    // > Deactivated or Compromised one only to process (decrypt, verify) what exists.
    let state = effective_state(&stored, ctx.now);
    let processing = matches!(
        needs,
        CryptographicUsageMask::DECRYPT | CryptographicUsageMask::MAC_VERIFY | CryptographicUsageMask::VERIFY
    );
    let allowed = state == State::ACTIVE || (processing && matches!(state, State::DEACTIVATED | State::COMPROMISED));
    if !allowed {
        return Err(OpError::WrongState("the key is not Active"));
    }
    // > KMIP 1.4 §3.25-3.26: no protection (encrypt, MAC) after the Protect Stop Date; no
    // > processing (decrypt, verify) before the Process Start Date.
    let date = |tag| match stored.first(tag).map(|a| &a.value.value) {
        Some(Value::DateTime(t)) => Some(*t),
        _ => None,
    };
    if !processing && date(Tag::PROTECT_STOP_DATE).is_some_and(|t| t <= ctx.now) {
        return Err(OpError::NotNow("the key's Protect Stop Date has passed"));
    }
    if processing && date(Tag::PROCESS_START_DATE).is_some_and(|t| t > ctx.now) {
        return Err(OpError::NotNow("the key's Process Start Date has not come"));
    }
    if let Some(Value::Integer(mask)) = stored.first(Tag::CRYPTOGRAPHIC_USAGE_MASK).map(|a| &a.value.value) {
        if (*mask as u32) & needs.0 == 0 {
            return Err(OpError::UsageMask);
        }
    }
    let algorithm =
        stored.algorithm().ok_or(OpError::IllegalObjectType("the object has no Cryptographic Algorithm"))?;
    let parameters =
        stored.first(Tag::CRYPTOGRAPHIC_PARAMETERS).and_then(|a| kmip_proto::attribute::typed_value(&a.value).ok());
    let (format, bytes) = stored
        .object
        .as_ref()
        .and_then(stored_bytes)
        .map(|(f, b)| (f, b.clone()))
        .ok_or(OpError::IllegalObjectType("the object holds no key bytes"))?;
    let kind = match stored.object_type {
        ObjectType::PUBLIC_KEY | ObjectType::PRIVATE_KEY => KeyKind::of(&stored),
        _ => None,
    };
    let cmk = crate::consumers::cmk_version_of(&stored);
    Ok(UsableKey { uid, object_type: stored.object_type, algorithm, kind, format, bytes, parameters, cmk })
}

pub(crate) fn no_streaming(
    init: Option<bool>,
    fin: Option<bool>,
    correlation: &Option<Vec<u8>>,
) -> Result<(), OpError> {
    if init == Some(true) || fin == Some(true) || correlation.is_some() {
        return Err(OpError::FeatureNotSupported("streaming cryptographic operations"));
    }
    Ok(())
}

/// Counts a protection use against the key's Usage Limits, if it has any.
///
/// > KMIP 1.4 §3.21 (Usage Limits): "the server SHALL ... decrement the Usage Limits Count
/// > ... and SHALL deny the operation if the count would be exceeded", in bytes or objects.
pub(crate) fn charge_usage(ctx: &Ctx<'_>, uid: &str, bytes: usize) -> Result<(), OpError> {
    let mut stored = ctx.load_owned(uid)?;
    let Some(limits) = stored.first(Tag::USAGE_LIMITS) else { return Ok(()) };
    let field = |tag| limits.value.child(tag).map(|f| f.value.clone());
    let total = match field(Tag::USAGE_LIMITS_TOTAL) {
        Some(Value::LongInteger(t)) => t,
        _ => return Ok(()),
    };
    let remaining = match field(Tag::USAGE_LIMITS_COUNT) {
        Some(Value::LongInteger(c)) => c,
        _ => total,
    };
    let unit = match field(Tag::USAGE_LIMITS_UNIT) {
        Some(Value::Enumeration(u)) => kmip_proto::dict::UsageLimitsUnit(u),
        _ => kmip_proto::dict::UsageLimitsUnit::OBJECT,
    };
    let cost = if unit == kmip_proto::dict::UsageLimitsUnit::BYTE { bytes as i64 } else { 1 };
    if cost > remaining {
        return Err(OpError::PermissionDenied("the key's Usage Limits are used up"));
    }
    let mut children: Vec<ttlv::Item> =
        limits.value.children().iter().filter(|c| c.tag != Tag::USAGE_LIMITS_COUNT).cloned().collect();
    children.push(ttlv::Item::new(Tag::USAGE_LIMITS_COUNT, Value::LongInteger(remaining - cost)));
    crate::objects::set_attribute(&mut stored, Tag::USAGE_LIMITS, Value::Structure(children));
    ctx.svc.store.commit(vec![kmip_keystore::Change::Update(stored)])?;
    Ok(())
}
