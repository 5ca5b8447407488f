//! The rotation engine: customer master keys (CMKs) that rotate on a schedule or on demand,
//! each rotation a new KMIP object linked to the last (ReKey semantics), so that the bytes a
//! Unique Identifier names never change (F1) and earlier versions stay Active (F2).
//!
//! Every change to a CMK (a rotation, a policy change) is one store commit: the new version,
//! the previous version's links, and the CMK record go to disk together, before the change
//! counts. One mutex serialises CMK changes within a node, and the record's revision, which
//! the store checks at commit, serialises them across nodes: a due time rotates once.
//!
//! Each version carries the KMIP 2.1 rotation attributes: Rotate Name (the CMK's key id),
//! Rotate Generation, Rotate Latest; the current version also Rotate Automatic, Rotate
//! Interval and Rotate Date (the next rotation), so a KMIP 2.1 client can watch the engine.

use std::sync::{MutexGuard, PoisonError};

use kmip_keystore::{Change, CmkRecord, CmkState, CmkVersion, RotationPolicy, StoreError, StoredObject, VersionOrigin};
use kmip_proto::dict::{CryptographicAlgorithm, NameType, ObjectType, State};
use kmip_proto::{Attribute, AttributeName};
use ttlv::{Item, Tag, Value};

use crate::keys::{new_uid, random_bytes, rng_attribute, symmetric_key};
use crate::objects::{set_attribute, settle_state, touch};
use crate::{OpError, Service};

/// Seconds in a day.
pub const DAY: i64 = 86_400;
/// The shortest and longest rotation intervals, in days.
///
/// > Huawei KMS (seed `get-key-rotation-status`): "an integer ranging from 30 to 365".
pub const INTERVAL_DAYS: std::ops::RangeInclusive<u32> = 30..=365;

/// Why a CMK request failed. The HTTP side API maps each to its KMS.XXXX code in one place.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RotationError {
    /// No such CMK (or not this project's).
    #[error("the key does not exist")]
    NotFound,
    /// The CMK is disabled.
    #[error("the key is disabled")]
    Disabled,
    /// The CMK is pending deletion.
    #[error("the key is pending deletion")]
    PendingDeletion,
    /// The CMK was imported: only keys generated here rotate.
    #[error("imported keys cannot be rotated")]
    Imported,
    /// Rotation is off and the request needs it on.
    #[error("key rotation is not enabled")]
    NotEnabled,
    /// Rotation is already on.
    #[error("key rotation is already enabled")]
    AlreadyEnabled,
    /// An interval outside 30 to 365 days.
    #[error("the rotation interval must be 30 to 365 days")]
    BadInterval,
    /// A state change that does not apply (enable an enabled key...).
    #[error("{0}")]
    BadState(&'static str),
    /// A parameter out of range.
    #[error("{0}")]
    BadParameter(String),
    /// The key operation underneath failed.
    #[error(transparent)]
    Op(#[from] OpError),
}

impl From<StoreError> for RotationError {
    fn from(e: StoreError) -> Self {
        RotationError::Op(OpError::Store(e))
    }
}

impl From<RotationError> for OpError {
    fn from(e: RotationError) -> Self {
        match e {
            RotationError::Op(op) => op,
            RotationError::NotFound => OpError::NotFound("rotating key".into()),
            RotationError::Disabled | RotationError::PendingDeletion => OpError::WrongState("the key is disabled"),
            other => OpError::InvalidField(other.to_string()),
        }
    }
}

/// What a new CMK is made of.
#[derive(Debug, Clone)]
pub struct NewCmk {
    /// The project (or client identity) it belongs to.
    pub project: String,
    /// The KMIP owner of its versions (a client certificate subject).
    pub owner: String,
    /// Alias.
    pub alias: String,
    /// Description.
    pub description: String,
}

/// The CMK a stored object is a version of, from its Rotate Name attribute.
pub(crate) fn cmk_of(object: &StoredObject) -> Option<String> {
    let name = object.first(Tag::ROTATE_NAME)?;
    match &name.value.child(Tag::ROTATE_NAME_VALUE)?.value {
        Value::TextString(key_id) => Some(key_id.clone()),
        _ => None,
    }
}

/// When the next automatic rotation falls after one that was due at `due` ran at `now`.
///
/// The schedule holds: the next is one interval after the due time. But a key overdue by more
/// than a whole interval (the server was down) rotates once, not once per missed interval,
/// and its schedule restarts from now.
///
/// > Huawei KMS (rotating CMKs): "a key more than one period overdue rotates ... otherwise the
/// > original schedule continues".
pub fn next_after(due: i64, now: i64, interval_days: u32) -> i64 {
    if now > one_interval_after(due, interval_days) {
        one_interval_after(now, interval_days)
    } else {
        one_interval_after(due, interval_days)
    }
}

/// One rotation interval of `interval_days` after `at` (seconds since the epoch): where every
/// schedule change (enabling, a new interval, a rotation) puts the next due time.
pub fn one_interval_after(at: i64, interval_days: u32) -> i64 {
    at + i64::from(interval_days) * DAY
}

impl Service {
    pub(crate) fn cmk_lock(&self) -> MutexGuard<'_, ()> {
        // The mutex guards no data, only the order of CMK changes: poisoning cannot leave
        // anything half-done behind it.
        self.cmk_lock.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A side-API record (cluster bindings, key-store settings): never key material.
    pub fn record(&self, key: &str) -> Result<Option<Vec<u8>>, RotationError> {
        Ok(self.store.meta(key)?)
    }

    /// Writes a side-API record durably.
    pub fn put_record(&self, key: &str, value: Vec<u8>) -> Result<(), RotationError> {
        Ok(self.store.commit(vec![Change::PutMeta { key: key.to_owned(), value }])?)
    }

    /// The service's current time, from its injected clock.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Key ids of a project's CMKs, in key id order, after `after`, at most `limit`.
    pub fn project_cmks(&self, project: &str, after: Option<&str>, limit: usize) -> Result<Vec<String>, RotationError> {
        Ok(self.store.project_cmks(project, after, limit)?)
    }

    /// A CMK.
    pub fn cmk(&self, key_id: &str) -> Result<CmkRecord, RotationError> {
        self.store.cmk(key_id)?.ok_or(RotationError::NotFound)
    }

    /// Creates a CMK with a fresh, Active AES-256 key as its first version.
    pub fn create_cmk(&self, spec: NewCmk) -> Result<CmkRecord, RotationError> {
        let mut created = self.create_cmks(vec![spec], RotationPolicy::default())?;
        created.pop().ok_or(RotationError::NotFound)
    }

    /// Creates CMKs in one atomic commit (one flush for all: a bulk import), each with a
    /// fresh key and `policy`; an enabled policy's first rotation falls one interval from now.
    pub fn create_cmks(&self, specs: Vec<NewCmk>, policy: RotationPolicy) -> Result<Vec<CmkRecord>, RotationError> {
        let _guard = self.cmk_lock();
        let now = self.clock.now();
        let mut policy = policy;
        if policy.enabled {
            policy.next_rotation = Some(one_interval_after(now, policy.interval_days));
        }
        let mut records = Vec::with_capacity(specs.len());
        let mut changes = Vec::with_capacity(2 * specs.len());
        for spec in specs {
            let (record, object) = self.new_cmk(spec, policy.clone(), now)?;
            changes.extend([Change::Insert(object), Change::PutCmk(record.clone())]);
            records.push(record);
        }
        self.store.commit(changes)?;
        Ok(records)
    }

    /// A CMK record and its first version, not yet stored.
    fn new_cmk(
        &self,
        spec: NewCmk,
        policy: RotationPolicy,
        now: i64,
    ) -> Result<(CmkRecord, StoredObject), RotationError> {
        let key_id = new_uid(&self.rng, &*self.clock)?;
        let uid = new_uid(&self.rng, &*self.clock)?;
        let bytes = random_bytes(&self.rng, 32)?;
        let record = CmkRecord {
            key_id: key_id.clone(),
            project: spec.project,
            owner: spec.owner.clone(),
            alias: spec.alias.clone(),
            description: spec.description,
            key_spec: "AES_256".into(),
            origin: "kms".into(),
            created: now,
            state: CmkState::Enabled,
            policy,
            versions: vec![CmkVersion { uid: uid.clone(), created: now, origin: VersionOrigin::Initial }],
            revision: 0,
        };
        let mut object = StoredObject {
            uid,
            owner: spec.owner,
            object_type: ObjectType::SYMMETRIC_KEY,
            state: State::ACTIVE,
            attributes: vec![
                Attribute::new(Tag::CRYPTOGRAPHIC_ALGORITHM, Value::Enumeration(CryptographicAlgorithm::AES.0)),
                Attribute::new(Tag::CRYPTOGRAPHIC_LENGTH, Value::Integer(256)),
                Attribute::new(Tag::CRYPTOGRAPHIC_USAGE_MASK, Value::Integer(0x0C)),
                Attribute::new(Tag::INITIAL_DATE, Value::DateTime(now)),
                Attribute::new(Tag::ACTIVATION_DATE, Value::DateTime(now)),
                Attribute::new(Tag::LAST_CHANGE_DATE, Value::DateTime(now)),
                Attribute::name(&spec.alias),
                rng_attribute(),
            ],
            object: Some(symmetric_key(CryptographicAlgorithm::AES, 256, bytes)),
            revision: 0,
        };
        object.attributes.extend(object.object.as_ref().and_then(crate::keys::digest_attribute));
        reflect(&mut object, &record, 1, true);
        Ok((record, object))
    }

    /// Changes a CMK's policy or state with `change`, then writes the record and the
    /// current version's rotation attributes together.
    pub fn update_cmk(
        &self,
        key_id: &str,
        change: impl FnOnce(&mut CmkRecord, i64) -> Result<(), RotationError>,
    ) -> Result<CmkRecord, RotationError> {
        let _guard = self.cmk_lock();
        let now = self.clock.now();
        let mut record = self.cmk(key_id)?;
        change(&mut record, now)?;
        let mut changes = Vec::new();
        if let Some(uid) = record.current_uid() {
            if let Some(mut current) = self.store.get(uid)? {
                reflect(&mut current, &record, record.versions.len() as i32, true);
                touch(&mut current, now);
                changes.push(Change::Update(current));
            }
        }
        changes.push(Change::PutCmk(record.clone()));
        self.store.commit(changes)?;
        Ok(record)
    }

    /// Rotates a CMK now: a new version becomes current; the old one keeps its bytes and stays
    /// Active (unless the CMK opted into deactivating old versions).
    pub fn rotate_cmk(&self, key_id: &str, origin: VersionOrigin) -> Result<CmkRecord, RotationError> {
        let _guard = self.cmk_lock();
        let now = self.clock.now();
        let record = self.cmk(key_id)?;
        self.rotate_locked(record, origin, now)
    }

    pub(crate) fn rotate_locked(
        &self,
        record: CmkRecord,
        origin: VersionOrigin,
        now: i64,
    ) -> Result<CmkRecord, RotationError> {
        let (record, changes) = self.plan_rotation(record, origin, now)?;
        self.store.commit(changes)?;
        self.count_rotation(origin);
        Ok(record)
    }

    /// A rotation's new record and the commit that makes it: the caller holds the CMK lock
    /// and commits it (nothing is written here).
    fn plan_rotation(
        &self,
        mut record: CmkRecord,
        origin: VersionOrigin,
        now: i64,
    ) -> Result<(CmkRecord, Vec<Change>), RotationError> {
        match record.state {
            CmkState::Enabled => {}
            CmkState::Disabled => return Err(RotationError::Disabled),
            CmkState::PendingDeletion { .. } => return Err(RotationError::PendingDeletion),
        }
        if record.origin != "kms" {
            return Err(RotationError::Imported);
        }
        let current_uid = record.current_uid().ok_or(RotationError::NotFound)?.to_owned();
        let current = self.store.get(&current_uid)?.ok_or(RotationError::NotFound)?;
        let (mut new, mut old) = crate::ops::lifecycle::replacement(self, now, current, None, Vec::new())?;
        record.versions.push(CmkVersion { uid: new.uid.clone(), created: now, origin });
        let due = record.policy.next_rotation;
        record.policy.rotations += 1;
        record.policy.last_rotation = Some(now);
        // The new version's encryption count starts at nothing.
        record.policy.encryptions_reserved = 0;
        if record.policy.enabled {
            let interval = record.policy.interval_days;
            record.policy.next_rotation = Some(match (origin, due) {
                (VersionOrigin::Automatic, Some(due)) => next_after(due, now, interval),
                _ => one_interval_after(now, interval),
            });
        }
        let generation = record.versions.len() as i32;
        reflect(&mut new, &record, generation, true);
        reflect(&mut old, &record, generation - 1, false);
        let mut changes = vec![Change::Insert(new), Change::Update(old)];
        changes.extend(self.retire_old_versions(&record, now)?);
        changes.push(Change::PutCmk(record.clone()));
        Ok((record, changes))
    }

    fn count_rotation(&self, origin: VersionOrigin) {
        let counter = match origin {
            VersionOrigin::Automatic | VersionOrigin::UsageLimit => &self.metrics.rotations_automatic,
            _ => &self.metrics.rotations_on_demand,
        };
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// The opt-in deactivation of versions older than the CMK's setting (never the current).
    fn retire_old_versions(&self, record: &CmkRecord, now: i64) -> Result<Vec<Change>, RotationError> {
        let Some(days) = record.policy.deactivate_after_days else { return Ok(Vec::new()) };
        let mut changes = Vec::new();
        // A version some client still uses stays Active until it has moved on.
        let consumers = self.consumers_of(&record.key_id)?;
        // The last two versions are being written by the caller already.
        let keep = record.versions.len().saturating_sub(2);
        for version in &record.versions[..keep] {
            if now - version.created < i64::from(days) * DAY
                || !self.safe_to_retire(record, &consumers, &version.uid, now)
            {
                continue;
            }
            if let Some(mut object) = self.store.get(&version.uid)? {
                settle_state(&mut object, now);
                if object.state == State::ACTIVE {
                    object.state = State::DEACTIVATED;
                    set_attribute(&mut object, Tag::DEACTIVATION_DATE, Value::DateTime(now));
                    touch(&mut object, now);
                    changes.push(Change::Update(object));
                }
            }
        }
        Ok(changes)
    }

    /// Rotates every CMK that is due, at most `limit` of them; returns how many rotated.
    /// Found through the store's due-time index, never by reading every CMK.
    pub fn rotation_sweep(&self, limit: usize) -> Result<usize, RotationError> {
        let now = self.clock.now();
        self.metrics.sweeps.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let due = self.store.due_cmks(now, limit)?;
        // The whole batch under the lock: each CMK is read again (another sweep or an API
        // call may have got there), its rotation planned, and the batch's rotations handed
        // to the store together, each its own atomic commit, so that they share flushes
        // (`KeyStore::commit_each`: one flush per batch, not one per CMK).
        let _guard = self.cmk_lock();
        let mut planned = Vec::with_capacity(due.len());
        for key_id in due {
            let Some(record) = self.store.cmk(&key_id)? else { continue };
            if record.due_at().is_none_or(|at| at > now) {
                continue;
            }
            match self.plan_rotation(record, VersionOrigin::Automatic, now) {
                Ok((_, changes)) => planned.push((key_id, changes)),
                Err(e) => tracing::error!(key_id = %key_id, error = %e, "automatic rotation failed"),
            }
        }
        let (key_ids, commits): (Vec<String>, Vec<Vec<Change>>) = planned.into_iter().unzip();
        let mut rotated = 0;
        for (key_id, outcome) in key_ids.iter().zip(self.store.commit_each(commits)) {
            match outcome {
                Ok(()) => {
                    self.count_rotation(VersionOrigin::Automatic);
                    rotated += 1;
                }
                // Another node rotated it between our read and our commit; nothing was written.
                Err(StoreError::Conflict(_)) => tracing::info!(key_id = %key_id, "rotation done elsewhere meanwhile"),
                Err(e) => tracing::error!(key_id = %key_id, error = %e, "automatic rotation failed"),
            }
        }
        Ok(rotated)
    }
}

/// The rotation attributes a KMIP 1.x client can read (GetAttributes) and, for the interval,
/// set (Add/Modify Attribute): 1.x has no Rotate* attributes, so the same policy and state
/// go out as custom attributes too. Their values are Text Strings, because that is the one
/// type 1.x clients such as PyKMIP read custom attributes as.
pub const X_ROTATE_INTERVAL_DAYS: &str = "x-rotate-interval-days";
/// The next automatic rotation, RFC 3339 (on the current version, while rotation is on).
pub const X_ROTATE_NEXT: &str = "x-rotate-next";
/// The version's place in its CMK's chain, from 1.
pub const X_ROTATE_GENERATION: &str = "x-rotate-generation";
/// `true` on the current version, `false` on earlier ones.
pub const X_ROTATE_LATEST: &str = "x-rotate-latest";

/// Whether a custom attribute is one the engine writes (a client may set the interval only).
pub(crate) fn is_engine_written(name: &AttributeName) -> bool {
    [X_ROTATE_NEXT, X_ROTATE_GENERATION, X_ROTATE_LATEST].iter().any(|x| name == &AttributeName::from_v1(x))
}

fn set_text(object: &mut StoredObject, name: &str, value: Option<String>) {
    let name = AttributeName::from_v1(name);
    object.attributes.retain(|a| a.name != name);
    if let Some(value) = value {
        let value = Item::new(Tag::ATTRIBUTE_VALUE, Value::TextString(value));
        object.attributes.push(Attribute { name, index: None, value });
    }
}

/// Writes the KMIP 2.1 rotation attributes, and their 1.x custom twins, onto a version.
fn reflect(object: &mut StoredObject, record: &CmkRecord, generation: i32, latest: bool) {
    set_text(object, X_ROTATE_GENERATION, Some(generation.to_string()));
    set_text(object, X_ROTATE_LATEST, Some(latest.to_string()));
    let days = latest.then_some(if record.policy.enabled { record.policy.interval_days } else { 0 });
    set_text(object, X_ROTATE_INTERVAL_DAYS, days.map(|d| d.to_string()));
    set_text(object, X_ROTATE_NEXT, record.due_at().filter(|_| latest).map(crate::rfc3339));
    let name = Item::structure(
        Tag::ROTATE_NAME,
        vec![
            Item::new(Tag::ROTATE_NAME_VALUE, Value::TextString(record.key_id.clone())),
            Item::new(Tag::ROTATE_NAME_TYPE, Value::Enumeration(NameType::UNINTERPRETED_TEXT_STRING.0)),
        ],
    );
    object.attributes.retain(|a| a.tag() != Some(Tag::ROTATE_NAME));
    object.attributes.push(Attribute::from_item(name));
    set_attribute(object, Tag::ROTATE_GENERATION, Value::Integer(generation));
    set_attribute(object, Tag::ROTATE_LATEST, Value::Boolean(latest));
    if latest {
        set_attribute(object, Tag::ROTATE_AUTOMATIC, Value::Boolean(record.policy.enabled));
        let seconds = u32::try_from(i64::from(record.policy.interval_days) * DAY).unwrap_or(u32::MAX);
        set_attribute(object, Tag::ROTATE_INTERVAL, Value::Interval(seconds));
        match record.due_at() {
            Some(at) => set_attribute(object, Tag::ROTATE_DATE, Value::DateTime(at)),
            None => object.attributes.retain(|a| a.tag() != Some(Tag::ROTATE_DATE)),
        }
    } else {
        for tag in [Tag::ROTATE_AUTOMATIC, Tag::ROTATE_INTERVAL, Tag::ROTATE_DATE] {
            object.attributes.retain(|a| a.tag() != Some(tag));
        }
    }
}

impl Service {
    /// A KMIP client set Rotate Automatic or Rotate Interval on an object: make the object a
    /// CMK if it is not one (its first version), then apply the setting through the engine,
    /// which writes the canonical rotation attributes back.
    ///
    /// > KMIP 2.1 §4.49-4.55: Rotate Automatic "indicates whether the server SHALL rotate the
    /// > object automatically", every Rotate Interval.
    pub(crate) fn rotation_attribute_set(&self, uid: &str, settings: RotationSettings) -> Result<(), RotationError> {
        match settings.0 {
            Some(settings) => self.apply_settings(uid, &settings),
            None => Ok(()),
        }
    }

    /// Applies settings to the CMK `uid` is a version of, making it one if it is not yet.
    fn apply_settings(&self, uid: &str, settings: &[Setting]) -> Result<(), RotationError> {
        let object = self.store.get(uid)?.ok_or(RotationError::NotFound)?;
        let key_id = match cmk_of(&object) {
            Some(key_id) => key_id,
            None => self.adopt(object)?,
        };
        self.update_cmk(&key_id, |r, now| {
            for &setting in settings {
                match setting {
                    Setting::Automatic(on) => {
                        r.policy.enabled = on;
                        r.policy.next_rotation = on
                            .then(|| one_interval_after(r.policy.last_rotation.unwrap_or(now), r.policy.interval_days));
                    }
                    Setting::Interval(days) => {
                        r.policy.interval_days = days;
                        if r.policy.enabled {
                            r.policy.next_rotation =
                                Some(one_interval_after(r.policy.last_rotation.unwrap_or(now), days));
                        }
                    }
                }
            }
            Ok(())
        })?;
        Ok(())
    }

    /// Makes an existing symmetric key the first version of a new CMK owned by its owner.
    fn adopt(&self, object: StoredObject) -> Result<String, RotationError> {
        let _guard = self.cmk_lock();
        adoptable(&object)?;
        let now = self.clock.now();
        let alias = object.names().into_iter().next().unwrap_or_default();
        let record = CmkRecord {
            key_id: new_uid(&self.rng, &*self.clock)?,
            project: object.owner.clone(),
            owner: object.owner.clone(),
            alias,
            description: String::new(),
            key_spec: format!(
                "{:?}_{}",
                object.algorithm().unwrap_or(CryptographicAlgorithm::AES),
                object.length().unwrap_or(0)
            ),
            origin: "kms".into(),
            created: now,
            state: CmkState::Enabled,
            policy: RotationPolicy::default(),
            versions: vec![CmkVersion { uid: object.uid.clone(), created: now, origin: VersionOrigin::Initial }],
            revision: 0,
        };
        let mut object = object;
        reflect(&mut object, &record, 1, true);
        let key_id = record.key_id.clone();
        self.store.commit(vec![Change::Update(object), Change::PutCmk(record)])?;
        Ok(key_id)
    }
}

/// What a client's rotation attribute asks of the engine, checked before anything is
/// written: a value out of range, or an object that cannot rotate, fails the request whole.
#[derive(Debug)]
pub(crate) struct RotationSettings(Option<Vec<Setting>>);

/// The settings `attribute` asks for on `object` (none if it is no rotation attribute).
///
/// `x-rotate-interval-days` (1.x) is whole days, as text or an Integer: 30 to 365 turns
/// automatic rotation on at that interval, 0 turns it off.
pub(crate) fn rotation_settings(
    object: &StoredObject,
    attribute: &Attribute,
) -> Result<RotationSettings, RotationError> {
    let settings = if attribute.name == AttributeName::from_v1(X_ROTATE_INTERVAL_DAYS) {
        let days = match &attribute.value.value {
            Value::TextString(text) => text.trim().parse::<u32>().map_err(|_| RotationError::BadInterval)?,
            Value::Integer(days) => u32::try_from(*days).map_err(|_| RotationError::BadInterval)?,
            _ => return Err(RotationError::BadInterval),
        };
        match days {
            0 => vec![Setting::Automatic(false)],
            d if INTERVAL_DAYS.contains(&d) => vec![Setting::Interval(d), Setting::Automatic(true)],
            _ => return Err(RotationError::BadInterval),
        }
    } else {
        match (attribute.tag(), &attribute.value.value) {
            (Some(Tag::ROTATE_AUTOMATIC), Value::Boolean(on)) => vec![Setting::Automatic(*on)],
            (Some(Tag::ROTATE_INTERVAL), Value::Interval(seconds)) => {
                let days = u32::try_from(i64::from(*seconds) / DAY).unwrap_or(0);
                if i64::from(*seconds) % DAY != 0 || !INTERVAL_DAYS.contains(&days) {
                    return Err(RotationError::BadInterval);
                }
                vec![Setting::Interval(days)]
            }
            _ => return Ok(RotationSettings(None)),
        }
    };
    if cmk_of(object).is_none() {
        adoptable(object)?;
    }
    Ok(RotationSettings(Some(settings)))
}

/// Whether an object that is no CMK's version yet may become one.
fn adoptable(object: &StoredObject) -> Result<(), RotationError> {
    if object.object_type != ObjectType::SYMMETRIC_KEY {
        return Err(RotationError::BadParameter("only symmetric keys rotate".into()));
    }
    // Only keys this server generated rotate (Huawei KMS: "imported keys cannot be
    // rotated"); generated keys carry the Random Number Generator attribute.
    if object.first(Tag::RANDOM_NUMBER_GENERATOR).is_none() {
        return Err(RotationError::Imported);
    }
    Ok(())
}

#[derive(Clone, Copy, Debug)]
enum Setting {
    Automatic(bool),
    Interval(u32),
}
