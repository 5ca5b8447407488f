//! Index keys: what Locate can find an object by without reading every object.
//!
//! Each entry is one more insert in every Create, so an attribute is indexed only when its
//! entries narrow a search. Cryptographic Algorithm and Length are not (they were until
//! 2026-11-24, under the kind byte `a`, [`RETIRED_KINDS`]): nearly every key is AES-256, so
//! their entries listed nearly every object of every client, never fewer than a client's own
//! (the Owner index), and a client's Locate by them read everyone's objects.

use kmip_proto::dict::{ObjectType, State};

use crate::StoredObject;

/// Kind bytes of index entries no longer written; a store removes what is left of them.
const RETIRED_KINDS: &[u8] = b"a";

/// The key prefixes of retired index entries ([`RETIRED_KINDS`]).
pub(crate) fn retired_prefixes() -> impl Iterator<Item = [u8; 2]> {
    RETIRED_KINDS.iter().map(|kind| [b'i', *kind])
}

/// One entry of one index: the attribute and its value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IndexKey {
    /// Every object of one owner (the client identity that created it).
    Owner(String),
    /// A Name value.
    Name(String),
    /// Object Type.
    ObjectType(ObjectType),
    /// State.
    State(State),
    /// An Object Group.
    ObjectGroup(String),
    /// Objects that link to this identifier.
    LinkedTo(String),
}

impl IndexKey {
    /// The bytes every entry of this key starts with. Each part is length-prefixed, so that
    /// no value can be a prefix of another's entries.
    pub(crate) fn prefix(&self) -> Vec<u8> {
        let (kind, value): (u8, Vec<u8>) = match self {
            IndexKey::Owner(v) => (b'o', v.as_bytes().to_vec()),
            IndexKey::Name(v) => (b'n', v.as_bytes().to_vec()),
            IndexKey::ObjectType(t) => (b't', t.0.to_be_bytes().to_vec()),
            IndexKey::State(s) => (b's', s.0.to_be_bytes().to_vec()),
            IndexKey::ObjectGroup(v) => (b'g', v.as_bytes().to_vec()),
            IndexKey::LinkedTo(v) => (b'l', v.as_bytes().to_vec()),
        };
        let mut out = Vec::with_capacity(value.len() + 6);
        out.push(b'i');
        out.push(kind);
        out.extend_from_slice(&(value.len() as u32).to_be_bytes());
        out.extend_from_slice(&value);
        out
    }

    /// The full entry for one object.
    pub(crate) fn entry(&self, uid: &str) -> Vec<u8> {
        let mut key = self.prefix();
        key.extend_from_slice(uid.as_bytes());
        key
    }

    /// Every index entry of an object.
    pub(crate) fn all_for(object: &StoredObject) -> Vec<IndexKey> {
        let mut keys = vec![
            IndexKey::Owner(object.owner.clone()),
            IndexKey::ObjectType(object.object_type),
            IndexKey::State(object.state),
        ];
        keys.extend(object.names().into_iter().map(IndexKey::Name));
        keys.extend(object.object_groups().into_iter().map(IndexKey::ObjectGroup));
        keys.extend(object.links().into_iter().map(|l| IndexKey::LinkedTo(l.linked_object_identifier)));
        keys
    }
}
