//! Which client uses which version of a rotating key: for each client identity, the last
//! version of each CMK it fetched (Get) or used (Encrypt, Decrypt), and when. Operators read
//! it to see who still uses an old version; a version is *safe to retire* once no client's
//! last use of the CMK is that version within the last `retire_after_unused_days`, and the
//! opt-in deactivation of old versions waits for that.
//!
//! Coarse and cheap: at most one durable write per client, CMK and hour. A use updates this
//! node's entry in memory (a map lookup); the entry is written when it is the first of its
//! hour, and otherwise by [`Service::flush_consumers`], which the server calls between
//! sweeps, once its hour has passed. This node's view merges what it has not written yet. Each
//! client's entry for a CMK is a side-API record of its own (`consumers/<key id>/<identity>`,
//! sealed like any), so nodes writing different clients never overwrite each other, and an
//! entry older than the stored one is not written.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use kmip_keystore::{Change, CmkRecord, StoredObject};
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
    /// When, in seconds since the epoch.
    pub last_used: i64,
}

const HOUR: i64 = 3_600;

/// The records of one CMK's consumers all start with this.
fn record_prefix(key_id: &str) -> String {
    format!("consumers/{key_id}/")
}

/// One client's entry for one CMK.
fn record_name(key_id: &str, identity: &str) -> String {
    format!("{}{identity}", record_prefix(key_id))
}

fn decode(bytes: &[u8]) -> Result<Consumer, RotationError> {
    serde_json::from_slice(bytes)
        .map_err(|e| RotationError::BadParameter(format!("a consumer record is unreadable: {e}")))
}

/// One client's use of one CMK, as this node knows it.
#[derive(Debug, Clone)]
struct Entry {
    consumer: Consumer,
    /// The hour of this entry's last durable write; `None` before the first.
    written: Option<i64>,
    /// Whether it changed since that write.
    dirty: bool,
}

/// Which CMK an object is a version of, and which version.
#[derive(Debug, Clone)]
pub(crate) struct CmkVersionOf {
    key_id: String,
    generation: i32,
}

/// The CMK `object` is a version of (its Rotate Name), and its Rotate Generation; `None` for
/// objects that are no CMK's version.
pub(crate) fn cmk_version_of(object: &StoredObject) -> Option<CmkVersionOf> {
    let key_id = cmk_of(object)?;
    let generation = match object.first(Tag::ROTATE_GENERATION).map(|a| &a.value.value) {
        Some(Value::Integer(g)) => *g,
        _ => 0,
    };
    Some(CmkVersionOf { key_id, generation })
}

/// This node's entries, by (identity, key id).
#[derive(Debug, Default)]
pub(crate) struct ConsumerCache {
    entries: Mutex<HashMap<(String, String), Entry>>,
    /// Serialises this node's read-modify-writes of consumer records.
    writing: Mutex<()>,
}

/// Caches and counters only: a poisoned lock still guards usable data.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Service {
    /// Notes that `identity` used (Get, Encrypt, Decrypt) the version `uid` of the CMK
    /// `version` names ([`cmk_version_of`]), read from the object the operation loaded
    /// anyway. Never fails the operation: a write that fails is logged, and tried again at
    /// the next flush.
    pub(crate) fn note_use(&self, identity: &str, uid: &str, version: CmkVersionOf) {
        let now = self.clock.now();
        let CmkVersionOf { key_id, generation } = version;
        let consumer = Consumer { identity: identity.to_owned(), version: uid.to_owned(), generation, last_used: now };
        let due = {
            let mut entries = lock(&self.consumers.entries);
            let entry = entries.entry((identity.to_owned(), key_id.clone())).or_insert(Entry {
                consumer: consumer.clone(),
                written: None,
                dirty: true,
            });
            entry.consumer = consumer;
            entry.dirty = true;
            // The first use of an hour is written at once; later ones wait for a flush.
            (entry.written != Some(now / HOUR)).then(|| entry.clone())
        };
        if let Some(entry) = due {
            self.write_entries(&key_id, &[entry.consumer], now);
        }
    }

    /// Writes the entries whose hour has passed since their last write and that changed
    /// since; the server calls it between sweeps (and at shutdown, with `all`).
    pub fn flush_consumers(&self, all: bool) {
        let now = self.clock.now();
        let due: Vec<(String, Consumer)> = lock(&self.consumers.entries)
            .iter()
            .filter(|(_, e)| e.dirty && (all || e.written != Some(now / HOUR)))
            .map(|((_, key_id), e)| (key_id.clone(), e.consumer.clone()))
            .collect();
        let mut by_key: HashMap<String, Vec<Consumer>> = HashMap::new();
        for (key_id, consumer) in due {
            by_key.entry(key_id).or_default().push(consumer);
        }
        for (key_id, consumers) in by_key {
            self.write_entries(&key_id, &consumers, now);
        }
    }

    /// Merges `consumers` into the CMK's record, durably; marks them written.
    fn write_entries(&self, key_id: &str, consumers: &[Consumer], now: i64) {
        let result = (|| -> Result<(), RotationError> {
            let _guard = lock(&self.consumers.writing);
            let mut changes = Vec::new();
            for c in consumers {
                let key = record_name(key_id, &c.identity);
                // Another node may have written a later use meanwhile: keep it.
                if let Some(stored) = self.store.meta(&key)? {
                    if decode(&stored)?.last_used > c.last_used {
                        continue;
                    }
                }
                let value = serde_json::to_vec(c).map_err(|e| RotationError::BadParameter(e.to_string()))?;
                changes.push(Change::PutMeta { key, value });
            }
            if !changes.is_empty() {
                self.store.commit(changes)?;
            }
            Ok(())
        })();
        match result {
            Ok(()) => {
                let mut entries = lock(&self.consumers.entries);
                for c in consumers {
                    if let Some(e) = entries.get_mut(&(c.identity.clone(), key_id.to_owned())) {
                        e.written = Some(now / HOUR);
                        // Still dirty if a newer use came in meanwhile.
                        e.dirty = e.consumer != *c;
                    }
                }
            }
            Err(e) => tracing::warn!(key_id, error = %e, "recording key consumers failed"),
        }
    }

    /// The CMK's consumer records, walked in name order from their common prefix.
    fn stored_consumers(&self, key_id: &str) -> Result<Vec<Consumer>, RotationError> {
        let prefix = record_prefix(key_id);
        let mut out = Vec::new();
        let mut after = prefix.clone();
        loop {
            let names = self.store.list(kmip_keystore::Listing::Meta, Some(&after), 256)?;
            let mine: Vec<&String> = names.iter().take_while(|n| n.starts_with(&prefix)).collect();
            for name in &mine {
                if let Some(bytes) = self.store.meta(name)? {
                    out.push(decode(&bytes)?);
                }
            }
            match mine.last() {
                Some(last) if mine.len() == names.len() && names.len() == 256 => after = (*last).clone(),
                _ => return Ok(out),
            }
        }
    }

    /// Every client's last use of the CMK `key_id`, by identity: the durable record, with
    /// what this node has seen since.
    pub fn consumers_of(&self, key_id: &str) -> Result<Vec<Consumer>, RotationError> {
        let mut consumers = self.stored_consumers(key_id)?;
        for ((_, entry_key), entry) in lock(&self.consumers.entries).iter() {
            if entry_key != key_id {
                continue;
            }
            match consumers.iter_mut().find(|c| c.identity == entry.consumer.identity) {
                // Not yet written, or newer than what is: this node's is the latest use.
                Some(c) if entry.dirty || c.last_used < entry.consumer.last_used => *c = entry.consumer.clone(),
                Some(_) => {}
                None => consumers.push(entry.consumer.clone()),
            }
        }
        consumers.sort_by(|a, b| a.identity.cmp(&b.identity));
        Ok(consumers)
    }

    /// Whether no client's last use of `record` is `version` within the last
    /// `retire_after_unused_days`. The current version is never safe to retire.
    pub fn safe_to_retire(&self, record: &CmkRecord, consumers: &[Consumer], version: &str, now: i64) -> bool {
        let window = i64::from(self.config.retire_after_unused_days) * DAY;
        record.current_uid() != Some(version)
            && !consumers.iter().any(|c| c.version == version && now - c.last_used < window)
    }
}
