//! Which client uses which version of a rotating key: for each client identity, the last
//! version of each CMK it fetched (Get) or used (Encrypt, Decrypt), and when. Operators read
//! it to see who still uses an old version; a version is *safe to retire* once no client's
//! last use of the CMK is that version within the last `retire_after_unused_days`, and the
//! opt-in deactivation of old versions waits for that.
//!
//! Coarse and cheap: a node writes a client's entry for a CMK only when the client moves to
//! another version, or once an hour while it keeps using the same one; between those, a use
//! costs a map lookup. The entries of one CMK are one side-API record (`consumers/<key id>`),
//! sealed like any; concurrent writers on different nodes may each drop the other's newest
//! entry for an hour at most, which only delays retirement.

use std::collections::HashMap;
use std::sync::Mutex;

use kmip_keystore::{Change, CmkRecord};
use serde::{Deserialize, Serialize};
use ttlv::{Tag, Value};

use crate::Service;
use crate::rotation::{DAY, RotationError, cmk_of};

/// A client's last use of a CMK.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consumer {
    /// The client certificate subject.
    pub identity: String,
    /// The version it last used.
    pub version: String,
    /// That version's Rotate Generation (from 1).
    pub generation: i32,
    /// When, in seconds since the epoch (to the hour: uses within the hour are not written).
    pub last_used: i64,
}

/// Seconds between two writes of the same client, CMK and version.
const HOUR: i64 = 3_600;

fn record_name(key_id: &str) -> String {
    format!("consumers/{key_id}")
}

/// What this node last wrote, by (identity, version): the version's CMK and the hour.
#[derive(Debug, Default)]
pub(crate) struct ConsumerCache {
    written: Mutex<HashMap<(String, String), i64>>,
    /// Serialises this node's read-modify-writes of consumer records.
    writing: Mutex<()>,
}

impl ConsumerCache {
    fn written(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), i64>> {
        // A cache: a poisoned one is still a usable one.
        self.written.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Service {
    /// Notes that `identity` used the object `uid` (Get, Encrypt, Decrypt succeeded). Does
    /// nothing for objects that are no CMK's version. Never fails the operation: a write that
    /// fails is logged, and tried again at the next use.
    pub(crate) fn note_use(&self, identity: &str, uid: &str) {
        let now = self.clock.now();
        let key = (identity.to_owned(), uid.to_owned());
        if self.consumers.written().get(&key).is_some_and(|at| now - at < HOUR) {
            return;
        }
        match self.write_use(identity, uid, now) {
            Ok(()) => {
                self.consumers.written().insert(key, now);
            }
            Err(e) => tracing::warn!(error = %e, "recording a key consumer failed"),
        }
    }

    fn write_use(&self, identity: &str, uid: &str, now: i64) -> Result<(), RotationError> {
        let Some(object) = self.store.get(uid)? else { return Ok(()) };
        let Some(key_id) = cmk_of(&object) else { return Ok(()) };
        let generation = match object.first(Tag::ROTATE_GENERATION).map(|a| &a.value.value) {
            Some(Value::Integer(g)) => *g,
            _ => 0,
        };
        let _guard = self.consumers.writing.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut consumers = self.consumers_of(&key_id)?;
        consumers.retain(|c| c.identity != identity);
        consumers.push(Consumer { identity: identity.to_owned(), version: uid.to_owned(), generation, last_used: now });
        consumers.sort_by(|a, b| a.identity.cmp(&b.identity));
        let value = serde_json::to_vec(&consumers).map_err(|e| RotationError::BadParameter(e.to_string()))?;
        self.store.commit(vec![Change::PutMeta { key: record_name(&key_id), value }])?;
        Ok(())
    }

    /// Every client's last use of the CMK `key_id`, by identity.
    pub fn consumers_of(&self, key_id: &str) -> Result<Vec<Consumer>, RotationError> {
        match self.store.meta(&record_name(key_id))? {
            Some(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| RotationError::BadParameter(format!("the consumer record is unreadable: {e}"))),
            None => Ok(Vec::new()),
        }
    }

    /// Whether no client's last use of `record` is `version` within the last
    /// `retire_after_unused_days`. The current version is never safe to retire.
    pub fn safe_to_retire(&self, record: &CmkRecord, consumers: &[Consumer], version: &str, now: i64) -> bool {
        let window = i64::from(self.config.retire_after_unused_days) * DAY;
        record.current_uid() != Some(version)
            && !consumers.iter().any(|c| c.version == version && now - c.last_used < window)
    }
}
