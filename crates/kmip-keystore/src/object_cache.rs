//! A bounded cache of decoded objects in front of an embedded store's reads.
//!
//! A Get spends more on the stored record than on the lookup: unsealing it (AES-GCM) and
//! decoding its TTLV (most of it attributes) cost about three times the sled lookup
//! (BENCHMARKS.md, the Get profile). Hot keys are read far more often than written, so the
//! store keeps the decoded form of recently read objects.
//!
//! The one rule: once a reader has seen a commit's record, no reader sees the one before it.
//! sled's tree keeps that rule by itself; the cache must not break it by serving, or keeping,
//! a record older than one somebody has already read from the tree. So a commit brackets the
//! change it applies to the tree, for each object it writes:
//!
//! - before: under the shard's lock, it marks a write under way and removes the object;
//! - after (also when it fails, from a guard's `Drop`): under the lock, it counts one more
//!   commit, ends the mark and removes the object again.
//!
//! A reader that misses notes the shard's commit count; after reading the tree it may keep
//! what it read only if no write is under way in the shard and the count is unchanged,
//! checked and inserted under one lock. So while a write is under way nothing is cached for
//! its shard and every read goes to the tree; and nothing a reader read before the write
//! ended can be kept after it.
//!
//! What it holds is plaintext, as every decoded object in the process is: key material in it
//! zeroizes when its entry is evicted or forgotten, and a Destroy is a commit, so a destroyed
//! key's bytes leave the cache with it.
//!
//! Eviction is by sampling: a full shard drops one entry, the first its hash map yields,
//! which for a hashed map is an arbitrary one. Hot objects are read again and come back;
//! an LRU's bookkeeping on every hit would cost more than the misses it saves here.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::StoredObject;

/// Shards: enough that the async threads and the blocking pool rarely meet on one lock.
const SHARDS: usize = 32;

/// How many objects the cache holds: the hot keys of a KMS are few (a storage cluster uses
/// a handful), and a decoded record is about a kilobyte, so this costs about a megabyte of
/// the memory bound (300 MB with a million keys stored, `benches/million-keys.sh`).
pub(crate) const DEFAULT_CAPACITY: usize = 1024;

#[derive(Debug, Default)]
struct Shard {
    objects: HashMap<String, Arc<StoredObject>>,
    /// Commits that touched this shard. Wraps only after 2^64 commits.
    commits: u64,
    /// Commits under way that touch this shard.
    writing: u32,
}

/// The decoded objects most recently read.
#[derive(Debug)]
pub(crate) struct ObjectCache {
    shards: Vec<Mutex<Shard>>,
    per_shard: usize,
    hasher: RandomState,
}

/// What a miss remembers, to insert what it then reads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Miss {
    shard: usize,
    commits: u64,
}

/// A shard's state is a map and a counter, each changed in one step: a panic elsewhere while
/// the lock was held leaves nothing half-done, so a poisoned lock is safe to take over.
fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ObjectCache {
    /// A cache of about `capacity` objects; 0 turns it off.
    pub(crate) fn new(capacity: usize) -> Self {
        ObjectCache {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            per_shard: capacity.div_ceil(SHARDS),
            hasher: RandomState::new(),
        }
    }

    fn shard_of(&self, uid: &str) -> usize {
        (self.hasher.hash_one(uid) as usize) % SHARDS
    }

    /// The cached object, or what a later [`ObjectCache::insert`] needs.
    pub(crate) fn get(&self, uid: &str) -> Result<StoredObject, Miss> {
        let shard = self.shard_of(uid);
        let guard = lock(&self.shards[shard]);
        match guard.objects.get(uid) {
            // Cloned outside the lock: the clone copies the attributes and key bytes.
            Some(object) => {
                let object = Arc::clone(object);
                drop(guard);
                Ok(StoredObject::clone(&object))
            }
            None => Err(Miss { shard, commits: guard.commits }),
        }
    }

    /// Keeps `object`, read from the store after `miss`, unless a commit touched its shard
    /// since.
    pub(crate) fn insert(&self, miss: Miss, object: &StoredObject) {
        if self.per_shard == 0 {
            return;
        }
        let mut shard = lock(&self.shards[miss.shard]);
        if shard.commits != miss.commits || shard.writing > 0 {
            return;
        }
        if shard.objects.len() >= self.per_shard && !shard.objects.contains_key(&object.uid) {
            if let Some(victim) = shard.objects.keys().next().cloned() {
                shard.objects.remove(&victim);
            }
        }
        shard.objects.insert(object.uid.clone(), Arc::new(object.clone()));
    }

    /// Marks a commit of `uids` under way until the returned guard drops: call it before the
    /// commit changes the store, and drop the guard once the change is applied or failed.
    pub(crate) fn writing<'a>(&'a self, uids: impl IntoIterator<Item = &'a str>) -> Writing<'a> {
        let objects: Vec<(usize, &'a str)> = uids.into_iter().map(|uid| (self.shard_of(uid), uid)).collect();
        for &(shard, uid) in &objects {
            let mut shard = lock(&self.shards[shard]);
            shard.writing += 1;
            shard.objects.remove(uid);
        }
        Writing { cache: self, objects }
    }

    /// How many objects it holds (tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).objects.len()).sum()
    }
}

/// A commit under way (see [`ObjectCache::writing`]).
#[must_use = "the commit is under way until this drops"]
#[derive(Debug)]
pub(crate) struct Writing<'a> {
    cache: &'a ObjectCache,
    objects: Vec<(usize, &'a str)>,
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        for &(shard, uid) in &self.objects {
            let mut shard = lock(&self.cache.shards[shard]);
            shard.commits = shard.commits.wrapping_add(1);
            shard.writing -= 1;
            shard.objects.remove(uid);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(uid: &str, revision: u64) -> StoredObject {
        StoredObject::bare(uid, revision)
    }

    #[test]
    fn a_read_keeps_what_it_read_and_a_commit_forgets_it() {
        let cache = ObjectCache::new(64);
        let miss = cache.get("a").expect_err("a miss");
        cache.insert(miss, &object("a", 0));
        assert_eq!(cache.get("a").expect("a hit").revision, 0);
        drop(cache.writing(["a"]));
        assert!(cache.get("a").is_err());
    }

    /// A reader missed before a commit and tries to keep what it read after the commit.
    #[test]
    fn a_read_that_a_commit_overtook_is_not_kept() {
        let cache = ObjectCache::new(64);
        let miss = cache.get("a").expect_err("a miss");
        drop(cache.writing(["a"]));
        cache.insert(miss, &object("a", 0));
        assert!(cache.get("a").is_err(), "the old record must not be served after the commit");
    }

    /// While a commit is under way nothing is kept for its shard, even by a reader that missed
    /// during it (it may have read the tree before or after the change), and what was cached
    /// before it is gone.
    #[test]
    fn nothing_is_kept_while_a_commit_is_under_way() {
        let cache = ObjectCache::new(64);
        let miss = cache.get("a").expect_err("a miss");
        cache.insert(miss, &object("a", 0));
        let write = cache.writing(["a"]);
        assert!(cache.get("a").is_err(), "the record from before the commit is gone");
        let miss = cache.get("a").expect_err("a miss");
        cache.insert(miss, &object("a", 1));
        assert!(cache.get("a").is_err());
        drop(write);
        cache.insert(miss, &object("a", 1));
        assert!(cache.get("a").is_err(), "a miss from during the commit is not kept after it");
        let miss = cache.get("a").expect_err("a miss");
        cache.insert(miss, &object("a", 1));
        assert_eq!(cache.get("a").expect("a hit").revision, 1);
    }

    #[test]
    fn it_stays_within_its_capacity() {
        let cache = ObjectCache::new(SHARDS * 2);
        for i in 0..1000 {
            let uid = format!("k{i}");
            let miss = cache.get(&uid).expect_err("a miss");
            cache.insert(miss, &object(&uid, 0));
        }
        assert!(cache.len() <= SHARDS * 2, "{} objects", cache.len());
    }

    #[test]
    fn capacity_zero_keeps_nothing() {
        let cache = ObjectCache::new(0);
        let miss = cache.get("a").expect_err("a miss");
        cache.insert(miss, &object("a", 0));
        assert!(cache.get("a").is_err());
    }
}
