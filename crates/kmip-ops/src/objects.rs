//! Objects as operations see them: who may touch them, what state they are really in, and
//! the attributes the server itself maintains.

use kmip_keystore::StoredObject;
use kmip_proto::dict::State;
use kmip_proto::{Attribute, AttributeName};
use ttlv::{Item, Tag, Value};

/// Attributes the server sets and a client may not set, change or delete.
///
/// > KMIP 1.4 §3 tables: these are "Modifiable by client: No".
pub(crate) const SERVER_MANAGED: [Tag; 12] = [
    Tag::UNIQUE_IDENTIFIER,
    Tag::OBJECT_TYPE,
    Tag::STATE,
    Tag::INITIAL_DATE,
    Tag::LAST_CHANGE_DATE,
    Tag::DIGEST,
    Tag::ORIGINAL_CREATION_DATE,
    Tag::DESTROY_DATE,
    Tag::COMPROMISE_DATE,
    Tag::REVOCATION_REASON,
    Tag::ALWAYS_SENSITIVE,
    Tag::NEVER_EXTRACTABLE,
];

fn date(object: &StoredObject, tag: Tag) -> Option<i64> {
    match object.first(tag)?.value.value {
        Value::DateTime(t) => Some(t),
        _ => None,
    }
}

/// The state the object is in at `now`, with its Activation and Deactivation Dates applied.
///
/// > KMIP 1.4 §3.22 (State): a Pre-Active object becomes Active "when the Activation Date
/// > is reached", and an Active one Deactivated "when the Deactivation Date is reached".
pub(crate) fn effective_state(object: &StoredObject, now: i64) -> State {
    let activated = date(object, Tag::ACTIVATION_DATE).is_some_and(|t| t <= now);
    let deactivated = date(object, Tag::DEACTIVATION_DATE).is_some_and(|t| t <= now);
    match object.state {
        State::PRE_ACTIVE if deactivated => State::DEACTIVATED,
        State::PRE_ACTIVE if activated => State::ACTIVE,
        State::ACTIVE if deactivated => State::DEACTIVATED,
        other => other,
    }
}

/// Brings the stored state up to date (so that what is written back is what is true).
pub(crate) fn settle_state(object: &mut StoredObject, now: i64) {
    object.state = effective_state(object, now);
}

/// Sets a single-valued attribute, replacing any value it had.
pub(crate) fn set_attribute(object: &mut StoredObject, tag: Tag, value: Value) {
    object.attributes.retain(|a| a.tag() != Some(tag));
    object.attributes.push(Attribute::new(tag, value));
}

/// Sets Last Change Date.
pub(crate) fn touch(object: &mut StoredObject, now: i64) {
    set_attribute(object, Tag::LAST_CHANGE_DATE, Value::DateTime(now));
}

/// Every attribute of the object as a client sees it: the stored ones plus Unique
/// Identifier, Object Type and State, which live in their own fields.
pub(crate) fn visible_attributes(object: &StoredObject, now: i64) -> Vec<Attribute> {
    let mut out = vec![
        Attribute::new(Tag::UNIQUE_IDENTIFIER, Value::TextString(object.uid.clone())),
        Attribute::new(Tag::OBJECT_TYPE, Value::Enumeration(object.object_type.0)),
        Attribute::new(Tag::STATE, Value::Enumeration(effective_state(object, now).0)),
    ];
    // > KMIP 2.0 §4.26: Key Format Type is an attribute of keys, read from the key block
    // > (`for_version` keeps it from 1.x clients, where it is not one).
    if let Some(block) = object.object.as_ref().and_then(|o| o.key_block()) {
        out.push(Attribute::new(Tag::KEY_FORMAT_TYPE, Value::Enumeration(block.key_format_type.0)));
    }
    out.extend(object.attributes.iter().cloned());
    out
}

/// The attributes a client of `version` may be sent: none that its version does not define
/// (a KMIP 1.0 client must not see the 1.1 Fresh attribute, a 2.x client the 1.x Operation
/// Policy Name). Vendor attributes always go.
pub(crate) fn for_version(attributes: Vec<Attribute>, version: kmip_proto::ProtocolVersion) -> Vec<Attribute> {
    attributes
        .into_iter()
        .filter(|a| a.tag().is_none_or(|tag| kmip_proto::attribute::defined_in(tag, version)))
        .collect()
}

/// The attributes named, in the order named; names the object does not have are skipped
/// (vCenter asks for attributes a server may not know: F5).
pub(crate) fn select_attributes(all: Vec<Attribute>, names: &[AttributeName]) -> Vec<Attribute> {
    if names.is_empty() {
        return all;
    }
    names.iter().flat_map(|n| all.iter().filter(move |a| &a.name == n).cloned()).collect()
}

/// Numbers the instances of each multi-instance attribute (Name, Link, Object Group...) for a
/// 1.x reply, 0 first, in stored order.
///
/// > KMIP 1.4 §2.1.1: the Attribute Index "is used to identify the particular instance",
/// > and "Attribute Indices SHALL start with 0". PyKMIP reads it back from Get Attributes.
pub(crate) fn number_instances(attributes: &mut [Attribute]) {
    let mut seen: Vec<(AttributeName, i32)> = Vec::new();
    for attribute in attributes.iter_mut() {
        let multi = attribute.tag().is_some_and(|t| !kmip_proto::attribute::is_single_valued(t));
        if !multi {
            continue;
        }
        let next = match seen.iter_mut().find(|(n, _)| *n == attribute.name) {
            Some((_, count)) => {
                *count += 1;
                *count
            }
            None => {
                seen.push((attribute.name.clone(), 0));
                0
            }
        };
        attribute.index = Some(next);
    }
}

/// A Link attribute value.
pub(crate) fn link(link_type: kmip_proto::dict::LinkType, uid: &str) -> Attribute {
    Attribute::from_item(Item::structure(
        Tag::LINK,
        vec![
            Item::new(Tag::LINK_TYPE, Value::Enumeration(link_type.0)),
            Item::new(Tag::LINKED_OBJECT_IDENTIFIER, Value::TextString(uid.to_owned())),
        ],
    ))
}
