//! Where keys live: the [`KeyStore`] trait every backend implements, the schema of a
//! [`StoredObject`], [`SledStore`], the embedded default, and [`PostgresStore`], which
//! several nodes share.
//!
//! The contract every backend keeps:
//! - [`KeyStore::commit`] applies a set of changes atomically, and returns only once they are
//!   durable (flushed to disk): a response built after it can never describe a change a crash
//!   would lose. Concurrent commits share flushes (group commit).
//! - Locate never scans every object: [`KeyStore::scan`] reads one index.
//!
//! - Object records and side-API records are sealed at rest under a root key ([`Keyring`]),
//!   which lives outside the data directory: a copy of the data directory alone reveals no
//!   key material.
//!
//! Nothing here knows KMIP semantics (states, ownership rules); `kmip-ops` does.

#![warn(missing_docs)]

mod cmk;
mod group_commit;
mod index;
mod memory_store;
mod object_cache;
mod postgres_store;
mod seal;
mod sled_store;
mod stored;

pub use cmk::{CmkRecord, CmkState, CmkVersion, RotationPolicy, VersionOrigin};
pub use index::IndexKey;
pub use memory_store::MemoryStore;
pub use postgres_store::{PostgresOptions, PostgresStore};
pub use seal::{Keyring, RootKey};
pub use sled_store::{DEFAULT_CACHE_BYTES as DEFAULT_SLED_CACHE_BYTES, SledStore};
pub use stored::{SCHEMA_VERSION, StoredObject};

/// What a backend can fail with. Messages never include key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The storage engine failed (I/O, corruption).
    #[error("storage: {0}")]
    Backend(String),
    /// A stored object did not decode: the data dir is damaged or from a newer version.
    #[error("stored object {uid} is unreadable: {reason}")]
    Corrupt {
        /// The object's key.
        uid: String,
        /// Why.
        reason: String,
    },
    /// An insert collided with an existing object.
    #[error("object {0} already exists")]
    Exists(String),
    /// A CMK write lost to a concurrent write of the same record (another node, usually):
    /// nothing of the commit was applied; read the record again.
    #[error("concurrent change: {0}")]
    Conflict(String),
}

/// One change of a commit.
#[derive(Debug, Clone)]
pub enum Change {
    /// Create the object, which must not exist.
    Insert(StoredObject),
    /// Replace the object, which must exist; its index entries follow.
    Update(StoredObject),
    /// Create or replace a CMK record; its due-time and project index entries follow. The
    /// record's `revision` must be the stored one (0 for a new record), or the whole commit
    /// fails with [`StoreError::Conflict`]; the store writes the next revision.
    PutCmk(CmkRecord),
    /// Create or replace a small named record of the side API (a cluster binding, a key-store
    /// configuration). Never key material.
    PutMeta {
        /// Its name, `kind/...`.
        key: String,
        /// Its bytes.
        value: Vec<u8>,
    },
}

impl Change {
    /// The identifier of the object this change writes, if it writes one.
    pub fn object_uid(&self) -> Option<&str> {
        match self {
            Change::Insert(o) | Change::Update(o) => Some(&o.uid),
            Change::PutCmk(_) | Change::PutMeta { .. } => None,
        }
    }
}

/// A key store: objects by Unique Identifier, indexes for Locate, atomic durable commits.
pub trait KeyStore: Send + Sync + std::fmt::Debug {
    /// The object with this identifier.
    fn get(&self, uid: &str) -> Result<Option<StoredObject>, StoreError>;

    /// Applies `changes` atomically and durably: when this returns `Ok`, all of them are on
    /// disk; when it fails, none is visible.
    fn commit(&self, changes: Vec<Change>) -> Result<(), StoreError>;

    /// Applies each of `commits` as [`KeyStore::commit`] would, each atomic on its own (one
    /// refused leaves the others applied), and returns their outcomes in order once all are
    /// durable: how one caller with many independent commits (the rotation sweep) shares
    /// flushes among them. The default commits them one after another.
    fn commit_each(&self, commits: Vec<Vec<Change>>) -> Vec<Result<(), StoreError>> {
        commits.into_iter().map(|changes| self.commit(changes)).collect()
    }

    /// The identifiers under one index key, in identifier order, after `after` if given, at
    /// most `limit`.
    fn scan(&self, key: &IndexKey, after: Option<&str>, limit: usize) -> Result<Vec<String>, StoreError>;

    /// How many objects the store holds.
    fn count(&self) -> Result<u64, StoreError>;

    /// The CMK with this key id.
    fn cmk(&self, key_id: &str) -> Result<Option<CmkRecord>, StoreError>;

    /// Key ids of CMKs whose next rotation is due at or before `now`, soonest first: read from
    /// an index on the due time, never by reading every CMK.
    fn due_cmks(&self, now: i64, limit: usize) -> Result<Vec<String>, StoreError> {
        Ok(self.scheduled_cmks(None, now, limit)?.into_iter().map(|(_, key_id)| key_id).collect())
    }

    /// `(next rotation, key id)` of CMKs whose next rotation falls at or before `until`, in
    /// time order, strictly after the cursor `after` (a previous page's last entry), at most
    /// `limit`: the rotation calendar, read from the due-time index.
    fn scheduled_cmks(
        &self,
        after: Option<(i64, String)>,
        until: i64,
        limit: usize,
    ) -> Result<Vec<(i64, String)>, StoreError>;

    /// A named record written with [`Change::PutMeta`].
    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Key ids of one project's CMKs, in key id order, after `after` if given, at most `limit`.
    fn project_cmks(&self, project: &str, after: Option<&str>, limit: usize) -> Result<Vec<String>, StoreError>;

    /// Looks at the next `limit` records from the cursor `from` (the previous step's
    /// [`ResealStep::next`]; `None` to begin) and seals again, under the current root key,
    /// those an older key sealed or that predate sealing; each in its own atomic change, so
    /// that the store serves throughout. Done when `next` is `None`.
    fn reseal(&self, from: Option<&[u8]>, limit: usize) -> Result<ResealStep, StoreError>;

    /// The names of every record of one kind, in byte order, strictly after `after`, at most
    /// `limit`: what a migration from one store to another walks.
    fn list(&self, listing: Listing, after: Option<&str>, limit: usize) -> Result<Vec<String>, StoreError>;

    /// Takes or renews the lease `name` for `holder` for `ttl`: `true` while `holder` holds
    /// it. Several nodes on one shared store elect the one that runs the rotation scheduler
    /// this way. A store that one process owns alone (sled locks its data dir; memory) always
    /// grants it.
    fn lease(&self, name: &str, holder: &str, ttl: std::time::Duration) -> Result<bool, StoreError> {
        let _ = (name, holder, ttl);
        Ok(true)
    }

    /// Whether reads are served from this process's memory (or its page cache), never
    /// across a network: what lets a server answer a Get without a blocking thread. Writes
    /// wait for a flush on every store.
    fn reads_in_memory(&self) -> bool {
        false
    }
}

/// The kinds of record [`KeyStore::list`] walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// Managed objects, by Unique Identifier.
    Objects,
    /// CMK records, by key id.
    Cmks,
    /// Side-API records, by name.
    Meta,
}

/// One step of [`KeyStore::reseal`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResealStep {
    /// Records sealed again in this step.
    pub resealed: u64,
    /// Where the next step starts; `None` when every record has been looked at.
    pub next: Option<Vec<u8>>,
}
