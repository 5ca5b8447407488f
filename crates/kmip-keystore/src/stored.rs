//! The stored form of a managed object, and its serialisation.
//!
//! An object is stored as TTLV, in our own envelope (extension tags 0x54FFxx) around the KMIP
//! 2.1 shapes of its attributes and its Managed Object: the codec we already trust, no second
//! serialisation format, and a schema version in every record so that a later release can
//! migrate what it reads.

use kmip_proto::dict::{CryptographicAlgorithm, ObjectType, State};
use kmip_proto::{Attribute, Attributes, Decode, Encode, Encoder, Link, ManagedObject, Name, ProtocolVersion};
use ttlv::{DecodeContext, DecodeError, DecodeErrorKind, Limits, Tag};

/// The version of the stored-object layout this code writes. It reads this one and version 1,
/// which had no revision (read as 0).
pub const SCHEMA_VERSION: i32 = 2;

/// Envelope of a stored object.
const STORED_OBJECT: Tag = Tag(0x54_FF01);
/// Layout version of the record.
const SCHEMA: Tag = Tag(0x54_FF02);
/// The client identity that owns the object.
const OWNER: Tag = Tag(0x54_FF03);
/// How many times the record has been updated (schema 2).
const REVISION: Tag = Tag(0x54_FF04);

/// A managed object as the store keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredObject {
    /// Unique Identifier.
    pub uid: String,
    /// The client identity that created or registered it.
    pub owner: String,
    /// Object Type.
    pub object_type: ObjectType,
    /// State.
    pub state: State,
    /// Every other attribute, in the neutral (2.x) form.
    pub attributes: Vec<Attribute>,
    /// The object itself: key block, certificate... Cleared of key material once destroyed.
    pub object: Option<ManagedObject>,
    /// How many times the record has been updated. An update carries the revision it read,
    /// and the store refuses it ([`crate::StoreError::Conflict`]) unless that is still the
    /// stored one: two operations that read the same object (a ReKey and a Destroy, say, or
    /// two nodes) cannot both write it, so neither can undo the other.
    pub revision: u64,
}

impl StoredObject {
    /// Every attribute with this tag.
    pub fn all(&self, tag: Tag) -> impl Iterator<Item = &Attribute> {
        self.attributes.iter().filter(move |a| a.tag() == Some(tag))
    }

    /// The first attribute with this tag.
    pub fn first(&self, tag: Tag) -> Option<&Attribute> {
        self.all(tag).next()
    }

    /// The Name values.
    pub fn names(&self) -> Vec<String> {
        self.all(Tag::NAME)
            .filter_map(|a| kmip_proto::attribute::typed_value::<Name>(&a.value).ok())
            .map(|n| n.value)
            .collect()
    }

    /// The Object Groups.
    pub fn object_groups(&self) -> Vec<String> {
        self.all(Tag::OBJECT_GROUP)
            .filter_map(|a| match &a.value.value {
                ttlv::Value::TextString(g) => Some(g.clone()),
                _ => None,
            })
            .collect()
    }

    /// The Links.
    pub fn links(&self) -> Vec<Link> {
        self.all(Tag::LINK).filter_map(|a| kmip_proto::attribute::typed_value(&a.value).ok()).collect()
    }

    /// Cryptographic Algorithm.
    pub fn algorithm(&self) -> Option<CryptographicAlgorithm> {
        match self.first(Tag::CRYPTOGRAPHIC_ALGORITHM)?.value.value {
            ttlv::Value::Enumeration(v) => Some(CryptographicAlgorithm(v)),
            _ => None,
        }
    }

    /// Cryptographic Length.
    pub fn length(&self) -> Option<i32> {
        match self.first(Tag::CRYPTOGRAPHIC_LENGTH)?.value.value {
            ttlv::Value::Integer(v) => Some(v),
            _ => None,
        }
    }

    /// The object as the store keeps it after an update of this one: the next revision.
    pub(crate) fn updated(&self) -> StoredObject {
        StoredObject { revision: self.revision + 1, ..self.clone() }
    }

    /// Checks an update of this object against the stored one.
    pub(crate) fn check_revision(&self, stored: &StoredObject) -> Result<(), crate::StoreError> {
        if stored.revision == self.revision {
            return Ok(());
        }
        Err(crate::StoreError::Conflict(format!(
            "object {} changed meanwhile (revision {}, the update read {})",
            self.uid, stored.revision, self.revision
        )))
    }

    /// The record's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut e = Encoder::new(ProtocolVersion::V2_1);
        e.structure(STORED_OBJECT, |e| {
            e.w.integer(SCHEMA, SCHEMA_VERSION);
            e.w.text(Tag::UNIQUE_IDENTIFIER, &self.uid);
            e.w.text(OWNER, &self.owner);
            e.w.long_integer(REVISION, i64::try_from(self.revision).unwrap_or(i64::MAX));
            self.object_type.encode(Tag::OBJECT_TYPE, e);
            self.state.encode(Tag::STATE, e);
            let attributes = Attributes { list: self.attributes.clone(), template_names: Vec::new() };
            attributes.encode(Tag::ATTRIBUTES, e);
            if let Some(object) = &self.object {
                object.encode_object(e);
            }
        });
        e.into_bytes()
    }

    /// Reads a record.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        // A stored record is our own, but it is read back from disk: decode it as strictly
        // as anything from the network.
        let limits = Limits { max_message_size: usize::MAX, ..Limits::default() };
        let ctx = DecodeContext::new(limits);
        let mut reader = ctx.reader(bytes)?;
        let envelope = reader.next_field()?.ok_or(DecodeError::new(DecodeErrorKind::MissingField(STORED_OBJECT), 0))?;
        let offset = envelope.offset;
        let mut fields = envelope.into_structure()?;
        let missing = |tag| DecodeError::new(DecodeErrorKind::MissingField(tag), offset).within(STORED_OBJECT);
        let (mut schema, mut uid, mut owner, mut object_type, mut state) = (None, None, None, None, None);
        let mut revision = 0;
        let (mut attributes, mut object) = (Vec::new(), None);
        while let Some(f) = fields.next_field()? {
            match f.tag {
                SCHEMA => schema = Some(f.integer()?),
                Tag::UNIQUE_IDENTIFIER => uid = Some(f.text()?.to_owned()),
                OWNER => owner = Some(f.text()?.to_owned()),
                REVISION => revision = u64::try_from(f.long_integer()?).unwrap_or(0),
                Tag::OBJECT_TYPE => object_type = Some(ObjectType::decode(f)?),
                Tag::STATE => state = Some(State::decode(f)?),
                Tag::ATTRIBUTES => attributes = Attributes::decode(f)?.list,
                t if ManagedObject::TAGS.contains(&t) => object = Some(ManagedObject::decode(f)?),
                _ => return Err(f.error(DecodeErrorKind::UnexpectedTag(f.tag))),
            }
        }
        if !matches!(schema, Some(1 | SCHEMA_VERSION)) {
            return Err(DecodeError::new(DecodeErrorKind::BadValue("unknown stored-object schema version"), offset));
        }
        Ok(StoredObject {
            uid: uid.ok_or_else(|| missing(Tag::UNIQUE_IDENTIFIER))?,
            owner: owner.ok_or_else(|| missing(OWNER))?,
            object_type: object_type.ok_or_else(|| missing(Tag::OBJECT_TYPE))?,
            state: state.ok_or_else(|| missing(Tag::STATE))?,
            attributes,
            object,
            revision,
        })
    }
}

#[cfg(test)]
impl StoredObject {
    /// An active symmetric key of owner `o` with no attributes and no key material: what the
    /// store's own unit tests write and read.
    pub(crate) fn bare(uid: &str, revision: u64) -> Self {
        StoredObject {
            uid: uid.into(),
            owner: "o".into(),
            object_type: kmip_proto::dict::ObjectType::SYMMETRIC_KEY,
            state: kmip_proto::dict::State::ACTIVE,
            attributes: Vec::new(),
            object: None,
            revision,
        }
    }
}
