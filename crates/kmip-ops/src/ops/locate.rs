//! Locate: find objects by attributes, through an index, never by reading every object.

use kmip_keystore::{IndexKey, StoredObject};
use kmip_proto::dict::{ObjectGroupMember, ObjectType, State, StorageStatusMask};
use kmip_proto::payload::{LocateRequest, LocateResponse};
use kmip_proto::{Attribute, AttributeName, Link, Name, ProtocolVersion};
use ttlv::{Tag, Value};

use crate::OpError;
use crate::objects::{effective_state, visible_attributes};
use crate::service::Ctx;

/// How many index entries are read at a time.
const SCAN_CHUNK: usize = 512;

pub(crate) fn locate(ctx: &Ctx<'_>, request: LocateRequest) -> Result<LocateResponse, OpError> {
    // The most objects one Locate may match, whatever Maximum Items says: a bound on the work
    // and the response a single request can cause.
    let cap = ctx.svc.config.max_locate_results;
    if request.attributes.len() > ctx.svc.config.max_attributes {
        return Err(OpError::InvalidField(format!(
            "Locate takes at most {} attributes",
            ctx.svc.config.max_attributes
        )));
    }
    let filters = Filters { attributes: &request.attributes };
    let index = filters.best_index(ctx);
    let mask = request.storage_status_mask.map_or(StorageStatusMask::ONLINE_STORAGE.0, |m| m.0);
    let mut matches: Vec<StoredObject> = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let chunk = ctx.svc.store.scan(&index, after.as_deref(), SCAN_CHUNK)?;
        for uid in &chunk {
            let Some(object) = ctx.svc.store.get(uid)? else {
                continue;
            };
            if ctx.may_see(&object) && in_storage(&object, ctx.now, mask) && filters.matches(&object, ctx.now) {
                matches.push(object);
                if matches.len() > cap {
                    return Err(OpError::InvalidField(format!("more than {cap} objects match: narrow the search")));
                }
            }
        }
        if chunk.len() < SCAN_CHUNK {
            break;
        }
        after = chunk.last().cloned();
    }
    // Newest first: a client that takes the first match gets the latest key of a name.
    matches.sort_by(|a, b| initial_date(b).cmp(&initial_date(a)).then_with(|| a.uid.cmp(&b.uid)));
    // > KMIP 1.4 §4.9: with Group Member Fresh, only fresh members of the group (never yet
    // > retrieved) match; with Group Member Default, the group's default member, which here is
    // > its newest.
    match request.object_group_member {
        Some(ObjectGroupMember::GROUP_MEMBER_FRESH) => {
            matches.retain(|o| o.first(Tag::FRESH).is_some_and(|a| a.value.value == Value::Boolean(true)));
        }
        Some(ObjectGroupMember::GROUP_MEMBER_DEFAULT) => matches.truncate(1),
        _ => {}
    }
    let located = matches.len();
    let paged = request.maximum_items.is_some() || request.offset_items.is_some();
    let offset = request.offset_items.map_or(0, |o| o.max(0) as usize);
    let max = request.maximum_items.map_or(usize::MAX, |m| m.max(0) as usize);
    let unique_identifiers = matches.into_iter().skip(offset).take(max).map(|o| o.uid).collect();
    Ok(LocateResponse {
        // > KMIP 1.4 §4.9: Located Items is returned when the client paged (Maximum Items or
        // > Offset Items), so that it can tell how many matches there are in all.
        located_items: (ctx.version >= ProtocolVersion::V1_3 && paged).then_some(located as i32),
        unique_identifiers,
    })
}

fn initial_date(object: &StoredObject) -> i64 {
    match object.first(Tag::INITIAL_DATE).map(|a| &a.value.value) {
        Some(Value::DateTime(t)) => *t,
        _ => 0,
    }
}

/// > KMIP 1.4 §9.1.3.3.2 Storage Status Mask: on-line storage, archival storage, and (2.x)
/// > destroyed storage. Nothing here is archived; destroyed objects are found only when asked.
fn in_storage(object: &StoredObject, now: i64, mask: u32) -> bool {
    let destroyed = matches!(effective_state(object, now), State::DESTROYED | State::DESTROYED_COMPROMISED);
    if destroyed {
        mask & StorageStatusMask::DESTROYED_STORAGE.0 != 0
    } else {
        mask & StorageStatusMask::ONLINE_STORAGE.0 != 0
    }
}

/// The attributes every match must have.
struct Filters<'a> {
    attributes: &'a [Attribute],
}

impl Filters<'_> {
    fn first(&self, tag: Tag) -> Option<&Value> {
        self.attributes.iter().find(|a| a.tag() == Some(tag)).map(|a| &a.value.value)
    }

    /// The narrowest index the filters allow: a name, a link target, a group; for an admin,
    /// a type or a state; failing all of them, the client's own objects. (Algorithm and
    /// Length narrow nothing an owner's objects do not: `kmip_keystore::IndexKey`.)
    fn best_index(&self, ctx: &Ctx<'_>) -> IndexKey {
        for attribute in self.attributes {
            match attribute.tag() {
                Some(Tag::NAME) => {
                    if let Ok(name) = kmip_proto::attribute::typed_value::<Name>(&attribute.value) {
                        return IndexKey::Name(name.value);
                    }
                }
                Some(Tag::LINK) => {
                    if let Ok(link) = kmip_proto::attribute::typed_value::<Link>(&attribute.value) {
                        return IndexKey::LinkedTo(link.linked_object_identifier);
                    }
                }
                Some(Tag::OBJECT_GROUP) => {
                    if let Value::TextString(group) = &attribute.value.value {
                        return IndexKey::ObjectGroup(group.clone());
                    }
                }
                _ => {}
            }
        }
        if ctx.is_admin() {
            if let Some(Value::Enumeration(t)) = self.first(Tag::OBJECT_TYPE) {
                return IndexKey::ObjectType(ObjectType(*t));
            }
            if let Some(Value::Enumeration(s)) = self.first(Tag::STATE) {
                return IndexKey::State(State(*s));
            }
        }
        IndexKey::Owner(ctx.client.subject().to_owned())
    }

    /// Whether the object has every filter attribute. Two values of one date attribute are a
    /// range; a usage mask matches when the object's has every bit asked for.
    ///
    /// > KMIP 1.4 §4.9: "If ... two instances of a date attribute are given, the server SHALL
    /// > ... locate objects whose date is within the range".
    fn matches(&self, object: &StoredObject, now: i64) -> bool {
        let have = visible_attributes(object, now);
        let mut checked: Vec<&AttributeName> = Vec::new();
        for filter in self.attributes {
            if checked.contains(&&filter.name) {
                continue;
            }
            let wanted: Vec<&Value> =
                self.attributes.iter().filter(|a| a.name == filter.name).map(|a| &a.value.value).collect();
            let present: Vec<&Value> = have.iter().filter(|a| a.name == filter.name).map(|a| &a.value.value).collect();
            let ok = match (filter.tag(), wanted.as_slice()) {
                (Some(Tag::CRYPTOGRAPHIC_USAGE_MASK), [Value::Integer(bits)]) => {
                    present.iter().any(|v| matches!(v, Value::Integer(m) if m & bits == *bits))
                }
                (_, [Value::DateTime(from), Value::DateTime(to)]) => {
                    present.iter().any(|v| matches!(v, Value::DateTime(t) if t >= from && t <= to))
                }
                _ => wanted.iter().all(|w| present.contains(w)),
            };
            if !ok {
                return false;
            }
            checked.push(&filter.name);
        }
        true
    }
}
