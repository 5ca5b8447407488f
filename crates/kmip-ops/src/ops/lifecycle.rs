//! Activate, Revoke, Destroy, ReKey and Check: the object state machine.
//!
//! > KMIP 1.4 §3.22, the states: Pre-Active → Active (Activate, or the Activation Date) →
//! > Deactivated (Revoke, or the Deactivation Date); Compromised from any of them (Revoke with
//! > a compromise reason); Destroyed and Destroyed Compromised (Destroy).

use kmip_keystore::{Change, StoredObject};
use kmip_proto::dict::{LinkType, ObjectType, RevocationReasonCode, State};
use kmip_proto::payload::{
    CheckRequest, CheckResponse, ReKeyRequest, ReKeyResponse, RevokeRequest, UidRequest, UidResponse,
};
use kmip_proto::{Attribute, ManagedObject};
use ttlv::{Item, Tag, Value};

use crate::OpError;
use crate::keys::{check_length, digest_attribute, new_uid, random_bytes, symmetric_key};
use crate::objects::{effective_state, link, set_attribute, settle_state, touch};
use crate::ops::create::client_attributes;
use crate::service::Ctx;

pub(crate) fn activate(ctx: &Ctx<'_>, request: UidRequest) -> Result<UidResponse, OpError> {
    let uid = ctx.uid(request.unique_identifier)?;
    let mut stored = ctx.load_owned(&uid)?;
    if effective_state(&stored, ctx.now) != State::PRE_ACTIVE {
        return Err(OpError::WrongState("only a Pre-Active object can be activated"));
    }
    set_attribute(&mut stored, Tag::ACTIVATION_DATE, Value::DateTime(ctx.now));
    stored.state = State::ACTIVE;
    touch(&mut stored, ctx.now);
    ctx.svc.store.commit(vec![Change::Update(stored)])?;
    Ok(UidResponse { unique_identifier: uid })
}

pub(crate) fn revoke(ctx: &Ctx<'_>, request: RevokeRequest) -> Result<UidResponse, OpError> {
    let uid = ctx.uid(request.unique_identifier)?;
    let mut stored = ctx.load_owned(&uid)?;
    settle_state(&mut stored, ctx.now);
    let code = request.revocation_reason.code;
    let compromise = matches!(code, RevocationReasonCode::KEY_COMPROMISE | RevocationReasonCode::CA_COMPROMISE);
    stored.state = match (stored.state, compromise) {
        // > KMIP 1.4 §4.20: "If the revocation reason is 'key compromise' or 'CA compromise',
        // > then the object is placed into the 'compromised' state ... Otherwise ... into the
        // > 'deactivated' state."
        (State::DESTROYED, true) => State::DESTROYED_COMPROMISED,
        (State::DESTROYED | State::DESTROYED_COMPROMISED, _) => {
            return Err(OpError::WrongState("a destroyed object cannot be revoked"));
        }
        (_, true) => State::COMPROMISED,
        (State::ACTIVE | State::PRE_ACTIVE, false) => State::DEACTIVATED,
        (state, false) => state,
    };
    if compromise {
        set_attribute(&mut stored, Tag::COMPROMISE_DATE, Value::DateTime(ctx.now));
        let occurred = request.compromise_occurrence_date.map_or(ctx.now, |d| d.0);
        set_attribute(&mut stored, Tag::COMPROMISE_OCCURRENCE_DATE, Value::DateTime(occurred));
    } else if stored.state == State::DEACTIVATED && stored.first(Tag::DEACTIVATION_DATE).is_none() {
        set_attribute(&mut stored, Tag::DEACTIVATION_DATE, Value::DateTime(ctx.now));
    }
    let mut reason = vec![Item::new(Tag::REVOCATION_REASON_CODE, Value::Enumeration(code.0))];
    if let Some(message) = request.revocation_reason.message {
        reason.push(Item::new(Tag::REVOCATION_MESSAGE, Value::TextString(message)));
    }
    stored.attributes.retain(|a| a.tag() != Some(Tag::REVOCATION_REASON));
    stored.attributes.push(Attribute::from_item(Item::structure(Tag::REVOCATION_REASON, reason)));
    touch(&mut stored, ctx.now);
    ctx.svc.store.commit(vec![Change::Update(stored)])?;
    Ok(UidResponse { unique_identifier: uid })
}

pub(crate) fn destroy(ctx: &Ctx<'_>, request: UidRequest) -> Result<UidResponse, OpError> {
    let uid = ctx.uid(request.unique_identifier)?;
    let mut stored = ctx.load_owned(&uid)?;
    settle_state(&mut stored, ctx.now);
    // > KMIP 1.4 §4.21: "Cryptographic Objects MAY only be destroyed if they are in either
    // > Pre-Active or Deactivated state."
    stored.state = match stored.state {
        State::ACTIVE => return Err(OpError::NotNow("an Active object must be revoked before it is destroyed")),
        State::DESTROYED | State::DESTROYED_COMPROMISED => return Err(OpError::NotFound(uid)),
        State::COMPROMISED => State::DESTROYED_COMPROMISED,
        _ => State::DESTROYED,
    };
    // The value goes; the object's metadata stays, so that a client asking about it learns
    // it was destroyed and when.
    stored.object = None;
    set_attribute(&mut stored, Tag::DESTROY_DATE, Value::DateTime(ctx.now));
    touch(&mut stored, ctx.now);
    ctx.svc.store.commit(vec![Change::Update(stored)])?;
    Ok(UidResponse { unique_identifier: uid })
}

/// > KMIP 1.4 §4.4: ReKey makes a replacement key with the old key's attributes and a fresh
/// > value; the old key keeps its bytes (F1: a client holding its UID keeps its key), gains a
/// > Replacement Object Link and gives its Names to the new key, which gets a Replaced Object
/// > Link back.
pub(crate) fn rekey(ctx: &Ctx<'_>, request: ReKeyRequest) -> Result<ReKeyResponse, OpError> {
    let uid = ctx.uid(request.unique_identifier)?;
    let old = ctx.load_owned(&uid)?;
    let overrides = client_attributes(request.attributes, ctx.svc.config.max_attributes)?;
    // A version of a rotating key: ReKey is an on-demand rotation of the whole key.
    if let Some(key_id) = crate::rotation::cmk_of(&old) {
        let record = ctx.svc.rotate_cmk(&key_id, kmip_keystore::VersionOrigin::OnDemand).map_err(OpError::from)?;
        let current = record.current_uid().unwrap_or_default().to_owned();
        return Ok(ReKeyResponse { unique_identifier: current, template_attribute: None });
    }
    let (new, old) = replacement(ctx.svc, ctx.now, old, request.offset.map(|o| o.0), overrides)?;
    let new_uid = new.uid.clone();
    ctx.svc.store.commit(vec![Change::Insert(new), Change::Update(old)])?;
    Ok(ReKeyResponse { unique_identifier: new_uid, template_attribute: None })
}

/// What ReKey makes, without committing it: the replacement key, and the old key with its
/// names moved and its Replacement link set. The rotation engine commits the pair together
/// with its own record.
///
/// > KMIP 1.4 §4.4: the replacement gets the old key's attributes and a fresh value; the old
/// > key keeps its bytes (F1: a client holding its UID keeps its key), gains a Replacement
/// > Object Link and gives its Names to the new key, which gets a Replaced Object Link back.
pub(crate) fn replacement(
    svc: &crate::Service,
    now: i64,
    old: StoredObject,
    offset: Option<u32>,
    overrides: Vec<Attribute>,
) -> Result<(StoredObject, StoredObject), OpError> {
    if old.object_type != ObjectType::SYMMETRIC_KEY {
        return Err(OpError::IllegalObjectType("ReKey replaces Symmetric Keys; use ReKey Key Pair for key pairs"));
    }
    let algorithm =
        old.algorithm().ok_or_else(|| OpError::InvalidField("the key has no Cryptographic Algorithm".into()))?;
    let length = check_length(algorithm, old.length())?;
    let bytes = random_bytes(&svc.rng, crate::keys::key_bytes(algorithm, length))?;
    replacement_with(svc, now, old, offset, overrides, symmetric_key(algorithm, length, bytes))
}

/// [`replacement`] with the new value given: ReKey Key Pair makes each half this way.
pub(crate) fn replacement_with(
    svc: &crate::Service,
    now: i64,
    mut old: StoredObject,
    offset: Option<u32>,
    overrides: Vec<Attribute>,
    value: ManagedObject,
) -> Result<(StoredObject, StoredObject), OpError> {
    settle_state(&mut old, now);
    if matches!(old.state, State::DESTROYED | State::DESTROYED_COMPROMISED | State::COMPROMISED) {
        return Err(OpError::WrongState("a compromised or destroyed key cannot be re-keyed"));
    }

    // Carried over: everything the client set, except what is the old key's own history.
    const NOT_CARRIED: [Tag; 14] = [
        Tag::INITIAL_DATE,
        Tag::LAST_CHANGE_DATE,
        Tag::DIGEST,
        Tag::ACTIVATION_DATE,
        Tag::DEACTIVATION_DATE,
        Tag::PROCESS_START_DATE,
        Tag::PROTECT_STOP_DATE,
        Tag::REVOCATION_REASON,
        Tag::COMPROMISE_DATE,
        Tag::COMPROMISE_OCCURRENCE_DATE,
        Tag::DESTROY_DATE,
        Tag::LINK,
        Tag::ORIGINAL_CREATION_DATE,
        Tag::FRESH,
    ];
    let mut attributes: Vec<Attribute> = old
        .attributes
        .iter()
        .filter(|a| a.tag().is_none_or(|t| !NOT_CARRIED.contains(&t)))
        .filter(|a| !overrides.iter().any(|o| o.name == a.name))
        .cloned()
        .collect();
    attributes.extend(overrides);
    let new_uid = new_uid(&svc.rng, &*svc.clock)?;
    attributes.push(Attribute::new(Tag::INITIAL_DATE, Value::DateTime(now)));
    attributes.push(Attribute::new(Tag::LAST_CHANGE_DATE, Value::DateTime(now)));
    attributes.push(Attribute::new(Tag::FRESH, Value::Boolean(true)));
    attributes.extend(digest_attribute(&value));
    attributes.push(link(LinkType::REPLACED_OBJECT_LINK, &old.uid));
    // > "Activation Date: Set to the Initial Date plus the Offset, if an Offset was given."
    // Without one, a replacement for an Active key is Active at once, so that the key's
    // users never find it without a usable version.
    match offset {
        Some(offset) => attributes.push(Attribute::new(Tag::ACTIVATION_DATE, Value::DateTime(now + i64::from(offset)))),
        None if old.state == State::ACTIVE => {
            attributes.push(Attribute::new(Tag::ACTIVATION_DATE, Value::DateTime(now)))
        }
        None => {}
    }
    let mut new = StoredObject {
        uid: new_uid.clone(),
        owner: old.owner.clone(),
        object_type: old.object_type,
        state: State::PRE_ACTIVE,
        attributes,
        object: Some(value),
        revision: 0,
    };
    settle_state(&mut new, now);

    // The names move to the replacement.
    old.attributes.retain(|a| a.tag() != Some(Tag::NAME));
    old.attributes.retain(|a| {
        a.tag() != Some(Tag::LINK)
            || kmip_proto::attribute::typed_value::<kmip_proto::Link>(&a.value)
                .is_ok_and(|l| l.link_type != LinkType::REPLACEMENT_OBJECT_LINK)
    });
    old.attributes.push(link(LinkType::REPLACEMENT_OBJECT_LINK, &new_uid));
    touch(&mut old, now);
    Ok((new, old))
}

pub(crate) fn check(ctx: &Ctx<'_>, request: CheckRequest) -> Result<CheckResponse, OpError> {
    let uid = ctx.uid(request.unique_identifier)?;
    let stored = ctx.load_readable(&uid)?;
    if let Some(wanted) = request.cryptographic_usage_mask {
        let have = match stored.first(Tag::CRYPTOGRAPHIC_USAGE_MASK).map(|a| &a.value.value) {
            Some(Value::Integer(m)) => *m as u32,
            _ => 0,
        };
        if have & wanted.0 != wanted.0 {
            return Err(OpError::UsageMask);
        }
    }
    Ok(CheckResponse {
        unique_identifier: uid,
        usage_limits_count: None,
        cryptographic_usage_mask: None,
        lease_time: None,
    })
}
