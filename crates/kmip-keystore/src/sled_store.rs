//! The embedded default store, on sled.
//!
//! One tree holds everything: `o<uid>` → the object's record, and `i<kind><len><value><uid>`
//! → nothing, one entry per index key ([`IndexKey`]). Concurrent commits are applied in
//! batches, one sled transaction over that tree per batch, so that an object and its index
//! entries change together and each commit is all-or-nothing; each batch is then flushed
//! once ([`GroupCommit`]). Reads go through a bounded cache of
//! decoded objects ([`ObjectCache`]), which every commit updates before it returns.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use std::convert::Infallible;

use sled::IVec;
use sled::transaction::{
    ConflictableTransactionError, TransactionError, TransactionalTree, UnabortableTransactionError,
};

use crate::group_commit::{GroupCommit, Outcomes};
use crate::object_cache::ObjectCache;
use crate::seal::{Domain, Keyring};
use crate::{Change, CmkRecord, IndexKey, KeyStore, Listing, ResealStep, StoreError, StoredObject};

const OBJECT_PREFIX: u8 = b'o';
/// `c<key_id>` → a CMK record (JSON).
const CMK_PREFIX: u8 = b'c';
/// `d<due time, 8 bytes big-endian, sign bit flipped><key_id>` → nothing: CMKs by due time.
const DUE_PREFIX: u8 = b'd';
/// `p<project length, 4 bytes><project><key_id>` → nothing: CMKs by project.
const PROJECT_PREFIX: u8 = b'p';
/// `m<name>` → a side-API record.
const META_PREFIX: u8 = b'm';

/// A [`KeyStore`] in a sled database directory. Object records and side-API records are
/// sealed under the [`Keyring`]'s current root key; CMK records and index entries hold no
/// secrets and are not.
#[derive(Debug)]
pub struct SledStore {
    db: sled::Db,
    tree: sled::Tree,
    group: GroupCommit<Vec<Change>>,
    keyring: Arc<Keyring>,
    cache: ObjectCache,
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn object_key(uid: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(uid.len() + 1);
    key.push(OBJECT_PREFIX);
    key.extend_from_slice(uid.as_bytes());
    key
}

fn cmk_key(key_id: &str) -> Vec<u8> {
    [&[CMK_PREFIX][..], key_id.as_bytes()].concat()
}

/// Due times sort as bytes in time order: big-endian with the sign bit flipped.
fn due_key(at: i64, key_id: &str) -> Vec<u8> {
    [&[DUE_PREFIX][..], &((at as u64) ^ (1 << 63)).to_be_bytes(), key_id.as_bytes()].concat()
}

fn project_prefix(project: &str) -> Vec<u8> {
    [&[PROJECT_PREFIX][..], &(project.len() as u32).to_be_bytes(), project.as_bytes()].concat()
}

fn cmk_index_keys(record: &CmkRecord) -> Vec<Vec<u8>> {
    let mut keys = vec![[project_prefix(&record.project), record.key_id.as_bytes().to_vec()].concat()];
    if let Some(at) = record.due_at() {
        keys.push(due_key(at, &record.key_id));
    }
    keys
}

fn decode_cmk(key_id: &str, bytes: &[u8]) -> Result<CmkRecord, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt { uid: key_id.to_owned(), reason: e.to_string() })
}

fn meta_key(key: &str) -> Vec<u8> {
    [&[META_PREFIX][..], key.as_bytes()].concat()
}

/// How long [`open_db`] waits for a data dir's lock before it calls the dir taken.
const LOCK_WAIT: Duration = Duration::from_secs(2);

/// Opens the sled database, waiting a little for its lock. sled takes an exclusive `flock`
/// on the dir and a dropped `sled::Db` releases it from a background thread, not in `drop`
/// (spacejam/sled#1289), so an in-process reopen can find the lock briefly held by itself.
/// Another process that holds it past the wait is a second server on the same data dir,
/// and gets an error that says so. sled reports the lock as an `Other` I/O error whose
/// text alone tells it apart (sled 0.34, `config.rs`).
fn open_db(dir: &Path, cache_bytes: u64) -> Result<sled::Db, StoreError> {
    let config = sled::Config::new().path(dir).flush_every_ms(None).cache_capacity(cache_bytes);
    let deadline = Instant::now() + LOCK_WAIT;
    loop {
        match config.open() {
            Err(sled::Error::Io(e)) if e.to_string().starts_with("could not acquire lock") => {
                if Instant::now() >= deadline {
                    return Err(StoreError::Backend(format!(
                        "the data dir {} is in use by another process: {e}",
                        dir.display()
                    )));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other.map_err(backend),
        }
    }
}

/// The page cache sled keeps by default: enough for the hot keys, while the process stays
/// small with a million keys stored (sled's own default is 1 GiB, which its cache fills).
/// Measured by `benches/million-keys.sh`: with 1,000,000 keys kmipd's RSS is 286 MiB with
/// 16 MiB, 352 MiB with 64 MiB; durable Creates run about 15% faster with 64 MiB (their
/// transactions read index pages back), so a write-heavy node may raise `[store] cache_mb`.
pub const DEFAULT_CACHE_BYTES: u64 = 16 << 20;

/// Retired index entries removed per batch when a data dir is opened.
const RETIRED_BATCH: usize = 10_000;

impl SledStore {
    /// Opens (or creates) the store in `dir`, sealing under `keyring`, with the default page
    /// cache. Refuses a data dir whose records the keyring cannot open, rather than serve
    /// errors object by object.
    pub fn open(dir: &Path, keyring: Arc<Keyring>) -> Result<Self, StoreError> {
        Self::open_with_cache(dir, keyring, DEFAULT_CACHE_BYTES)
    }

    /// [`SledStore::open`], with a page cache of `cache_bytes`; reads beyond it go to the
    /// operating system's file cache.
    pub fn open_with_cache(dir: &Path, keyring: Arc<Keyring>, cache_bytes: u64) -> Result<Self, StoreError> {
        // sled's own periodic flush is off: durability comes from the commit path alone, so
        // that no acknowledgement can run ahead of the disk.
        let db = open_db(dir, cache_bytes)?;
        let tree = db.open_tree("kmip").map_err(backend)?;
        let cache = ObjectCache::new(crate::object_cache::DEFAULT_CAPACITY);
        let store = SledStore { db, tree, group: GroupCommit::default(), keyring, cache };
        if let Some(entry) = store.tree.scan_prefix([OBJECT_PREFIX]).next() {
            let (k, v) = entry.map_err(backend)?;
            let uid = String::from_utf8_lossy(&k[1..]).into_owned();
            store.keyring.open_object(&uid, &v).map_err(|e| {
                StoreError::Backend(format!("the configured root keys do not open this data directory: {e}"))
            })?;
        }
        store.remove_retired_index_entries()?;
        Ok(store)
    }

    /// Removes the entries of indexes this version no longer keeps (`index::retired_prefixes`),
    /// left by an older one: nothing reads or updates them any more. Batches of
    /// [`RETIRED_BATCH`], then one flush; with none left, one empty range read.
    fn remove_retired_index_entries(&self) -> Result<(), StoreError> {
        let mut removed = 0u64;
        for prefix in crate::index::retired_prefixes() {
            loop {
                let mut batch = sled::Batch::default();
                let mut n = 0;
                for entry in self.tree.scan_prefix(prefix).keys().take(RETIRED_BATCH) {
                    batch.remove(entry.map_err(backend)?);
                    n += 1;
                }
                if n == 0 {
                    break;
                }
                self.tree.apply_batch(batch).map_err(backend)?;
                removed += n as u64;
            }
        }
        if removed > 0 {
            self.flush().map_err(StoreError::Backend)?;
            tracing::info!(removed, "removed the entries of retired indexes");
        }
        Ok(())
    }

    /// Applies a batch of commits in one transaction, each all-or-nothing on its own: a
    /// commit refused (an insert that collides, a stale revision) is left out and told why,
    /// the others are applied. Commits later in the batch see the earlier ones.
    fn apply_batch(&self, batch: &[Vec<Change>]) -> Outcomes {
        // Until the transaction is applied or failed, reads of these objects bypass the cache.
        let writing = self.cache.writing(batch.iter().flatten().filter_map(Change::object_uid));
        let result = self.tree.transaction(|tx| {
            let mut outcomes = Vec::with_capacity(batch.len());
            for changes in batch {
                let mut staged = Staged { tx, writes: Vec::new() };
                match changes.iter().try_for_each(|change| Self::plan(&self.keyring, &mut staged, change)) {
                    Ok(()) => {
                        staged.apply()?;
                        outcomes.push(Ok(()));
                    }
                    Err(Planned::Refused(e)) => outcomes.push(Err(e)),
                    Err(Planned::Tx(e)) => return Err(e.into()),
                }
            }
            Ok::<_, ConflictableTransactionError<Infallible>>(outcomes)
        });
        drop(writing);
        match result {
            Ok(outcomes) => outcomes,
            Err(TransactionError::Abort(never)) => match never {},
            Err(TransactionError::Storage(e)) => batch.iter().map(|_| Err(backend(&e))).collect(),
        }
    }

    /// Stages one change: checks it against the store and the commit's earlier changes, and
    /// records its writes without applying them.
    fn plan(keyring: &Keyring, staged: &mut Staged<'_>, change: &Change) -> Result<(), Planned> {
        let (object, must_exist) = match change {
            Change::Insert(o) => (o, false),
            Change::Update(o) => (o, true),
            Change::PutCmk(record) => return Self::plan_cmk(staged, record),
            Change::PutMeta { key, value } => {
                staged.insert(meta_key(key), keyring.seal(Domain::Meta, key, value)?);
                return Ok(());
            }
        };
        let key = object_key(&object.uid);
        let updated;
        let object = match (staged.get(&key)?, must_exist) {
            (Some(_), false) => return Err(StoreError::Exists(object.uid.clone()).into()),
            (None, true) => return Err(StoreError::Backend(format!("object {} vanished", object.uid)).into()),
            (Some(old), true) => {
                let old = keyring.open_object(&object.uid, &old)?;
                object.check_revision(&old)?;
                for index in IndexKey::all_for(&old) {
                    staged.remove(index.entry(&old.uid));
                }
                updated = object.updated();
                &updated
            }
            (None, false) => object,
        };
        staged.insert(key, keyring.seal_object(object)?);
        for index in IndexKey::all_for(object) {
            staged.insert(index.entry(&object.uid), Vec::new());
        }
        Ok(())
    }

    fn plan_cmk(staged: &mut Staged<'_>, record: &CmkRecord) -> Result<(), Planned> {
        let key = cmk_key(&record.key_id);
        let old = match staged.get(&key)? {
            Some(old) => Some(decode_cmk(&record.key_id, &old)?),
            None => None,
        };
        let record = &record.next_revision(old.as_ref())?;
        for index in old.iter().flat_map(cmk_index_keys) {
            staged.remove(index);
        }
        let bytes = serde_json::to_vec(record).map_err(backend)?;
        staged.insert(key, bytes);
        for index in cmk_index_keys(record) {
            staged.insert(index, Vec::new());
        }
        Ok(())
    }
}

/// Why a change could not be staged.
enum Planned {
    /// The store refuses this commit alone.
    Refused(StoreError),
    /// The transaction must retry (a conflict) or fail (storage): every commit of the batch.
    Tx(UnabortableTransactionError),
}

impl From<StoreError> for Planned {
    fn from(e: StoreError) -> Self {
        Planned::Refused(e)
    }
}

impl From<UnabortableTransactionError> for Planned {
    fn from(e: UnabortableTransactionError) -> Self {
        Planned::Tx(e)
    }
}

/// One commit's writes, held back until every change of it has been checked, so that a
/// refused commit leaves nothing in the batch's transaction. Its reads see its own writes
/// first, then the transaction (which holds the batch's earlier commits).
struct Staged<'a> {
    tx: &'a TransactionalTree,
    /// `(key, Some(value))` to insert, `(key, None)` to remove, in order.
    writes: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl Staged<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<IVec>, UnabortableTransactionError> {
        match self.writes.iter().rev().find(|(k, _)| k == key) {
            Some((_, value)) => Ok(value.as_deref().map(IVec::from)),
            None => self.tx.get(key),
        }
    }

    fn insert(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.writes.push((key, Some(value)));
    }

    fn remove(&mut self, key: Vec<u8>) {
        self.writes.push((key, None));
    }

    fn apply(self) -> Result<(), UnabortableTransactionError> {
        for (key, value) in self.writes {
            match value {
                Some(value) => drop(self.tx.insert(key, value)?),
                None => drop(self.tx.remove(key)?),
            }
        }
        Ok(())
    }
}

impl SledStore {
    /// Makes everything applied so far durable. sled's `flush` writes its log and `fsync`s it.
    fn flush(&self) -> Result<(), String> {
        self.db.flush().map(drop).map_err(|e| e.to_string())
    }

    /// The suffixes (after `prefix`) of keys from `start`, at most `limit`, while they keep the prefix.
    fn suffixes(&self, prefix: &[u8], start: Vec<u8>, limit: usize) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        for entry in self.tree.range(start..) {
            let (k, _) = entry.map_err(backend)?;
            if !k.starts_with(prefix) || out.len() >= limit {
                break;
            }
            out.push(String::from_utf8_lossy(&k[prefix.len()..]).into_owned());
        }
        Ok(out)
    }
}

impl KeyStore for SledStore {
    fn get(&self, uid: &str) -> Result<Option<StoredObject>, StoreError> {
        let miss = match self.cache.get(uid) {
            Ok(object) => return Ok(Some(object)),
            Err(miss) => miss,
        };
        match self.tree.get(object_key(uid)).map_err(backend)? {
            Some(bytes) => {
                let object = self.keyring.open_object(uid, &bytes)?;
                self.cache.insert(miss, &object);
                Ok(Some(object))
            }
            None => Ok(None),
        }
    }

    fn commit(&self, changes: Vec<Change>) -> Result<(), StoreError> {
        self.group.commit(changes, |batch| self.apply_batch(batch), || self.flush())
    }

    fn commit_each(&self, commits: Vec<Vec<Change>>) -> Vec<Result<(), StoreError>> {
        self.group.commit_each(commits, |batch| self.apply_batch(batch), || self.flush())
    }

    fn scan(&self, key: &IndexKey, after: Option<&str>, limit: usize) -> Result<Vec<String>, StoreError> {
        let prefix = key.prefix();
        // The first entry strictly after `after`: its key with a zero byte appended.
        let start = match after {
            Some(uid) => [key.entry(uid), vec![0]].concat(),
            None => prefix.clone(),
        };
        self.suffixes(&prefix, start, limit)
    }

    fn cmk(&self, key_id: &str) -> Result<Option<CmkRecord>, StoreError> {
        match self.tree.get(cmk_key(key_id)).map_err(backend)? {
            Some(bytes) => decode_cmk(key_id, &bytes).map(Some),
            None => Ok(None),
        }
    }

    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match self.tree.get(meta_key(key)).map_err(backend)? {
            Some(record) => Ok(Some(self.keyring.open(Domain::Meta, key, &record)?.plain.secret_bytes().to_vec())),
            None => Ok(None),
        }
    }

    fn reseal(&self, from: Option<&[u8]>, limit: usize) -> Result<ResealStep, StoreError> {
        let start = match from {
            Some(k) => k.to_vec(),
            None => vec![META_PREFIX],
        };
        let mut step = ResealStep { resealed: 0, next: None };
        let mut seen = 0;
        // Meta records ('m') and then object records ('o') sort together: stop after them.
        for entry in self.tree.range(start..vec![OBJECT_PREFIX + 1]) {
            let (k, v) = entry.map_err(backend)?;
            let domain = match k.first() {
                Some(&OBJECT_PREFIX) => Domain::Object,
                Some(&META_PREFIX) => Domain::Meta,
                _ => continue,
            };
            if seen >= limit {
                step.next = Some(k.to_vec());
                return Ok(step);
            }
            seen += 1;
            // Most records are current: tell from the header, and open only the stale ones.
            if !self.keyring.is_stale(&v) {
                continue;
            }
            let name = String::from_utf8_lossy(&k[1..]).into_owned();
            // Re-read in a transaction: a commit may have rewritten the record meanwhile, and
            // then it is sealed under the current key already.
            let result = self.tree.transaction(|tx| {
                let Some(record) = tx.get(&k)? else { return Ok(false) };
                let opened = self.keyring.open(domain, &name, &record).map_err(ConflictableTransactionError::Abort)?;
                if !opened.stale {
                    return Ok(false);
                }
                let sealed = self
                    .keyring
                    .seal(domain, &name, opened.plain.secret_bytes())
                    .map_err(ConflictableTransactionError::Abort)?;
                tx.insert(&*k, sealed)?;
                Ok(true)
            });
            match result {
                Ok(true) => step.resealed += 1,
                Ok(false) => {}
                Err(TransactionError::Abort(e)) => return Err(e),
                Err(TransactionError::Storage(e)) => return Err(backend(e)),
            }
        }
        if step.resealed > 0 {
            // An empty commit: it waits for a flush that starts after the records above.
            self.commit(Vec::new())?;
        }
        Ok(step)
    }

    fn scheduled_cmks(
        &self,
        after: Option<(i64, String)>,
        until: i64,
        limit: usize,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let start = match &after {
            Some((at, key_id)) => [due_key(*at, key_id), vec![0]].concat(),
            None => vec![DUE_PREFIX],
        };
        let mut out = Vec::new();
        for entry in self.tree.range(start..due_key(until.saturating_add(1), "")) {
            let (k, _) = entry.map_err(backend)?;
            if out.len() >= limit {
                break;
            }
            let mut at = [0u8; 8];
            at.copy_from_slice(&k[1..9]);
            let at = (u64::from_be_bytes(at) ^ (1 << 63)) as i64;
            out.push((at, String::from_utf8_lossy(&k[9..]).into_owned()));
        }
        Ok(out)
    }

    fn project_cmks(&self, project: &str, after: Option<&str>, limit: usize) -> Result<Vec<String>, StoreError> {
        let prefix = project_prefix(project);
        let start = match after {
            Some(key_id) => [prefix.clone(), key_id.as_bytes().to_vec(), vec![0]].concat(),
            None => prefix.clone(),
        };
        self.suffixes(&prefix, start, limit)
    }

    fn list(&self, listing: Listing, after: Option<&str>, limit: usize) -> Result<Vec<String>, StoreError> {
        let prefix = match listing {
            Listing::Objects => OBJECT_PREFIX,
            Listing::Cmks => CMK_PREFIX,
            Listing::Meta => META_PREFIX,
        };
        let start = match after {
            Some(name) => [&[prefix][..], name.as_bytes(), &[0]].concat(),
            None => vec![prefix],
        };
        self.suffixes(&[prefix], start, limit)
    }

    fn count(&self) -> Result<u64, StoreError> {
        Ok(self.tree.scan_prefix([OBJECT_PREFIX]).count() as u64)
    }

    /// sled serves reads from its page cache, or with a read of a local file.
    fn reads_in_memory(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use kmip_proto::SecretBytes;

    use super::*;
    use crate::RootKey;

    fn object(uid: &str) -> StoredObject {
        StoredObject::bare(uid, 0)
    }

    fn store(dir: &Path) -> SledStore {
        let root = RootKey::from_bytes(&SecretBytes::new(vec![1; 32])).expect("a root key");
        SledStore::open(dir, Arc::new(Keyring::new(root, Vec::new()))).expect("opens")
    }

    /// Entries of a retired index, as an older version wrote them, are gone once the data dir
    /// is opened again; the live index entries beside them stay.
    #[test]
    fn opening_removes_entries_of_retired_indexes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = store(dir.path());
        first.commit(vec![Change::Insert(object("a"))]).expect("commit");
        let retired: Vec<Vec<u8>> = (0..3).map(|i| [&b"ia"[..], format!("old-{i}").as_bytes()].concat()).collect();
        for key in &retired {
            first.tree.insert(key, Vec::new()).expect("insert");
        }
        first.flush().expect("flush");
        drop(first);
        let reopened = store(dir.path());
        assert_eq!(reopened.tree.scan_prefix(b"ia").count(), 0);
        assert_eq!(reopened.scan(&IndexKey::Owner("o".into()), None, 10).expect("scan"), ["a"]);
    }

    /// One batch, one transaction: a commit refused in the middle leaves nothing of itself,
    /// and neither stops the commits around it nor hides the earlier ones from it.
    #[test]
    fn a_batch_applies_each_commit_whole_or_not_at_all() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = store(dir.path());
        let batch = vec![
            vec![Change::Insert(object("a"))],
            // Collides with the commit before it in the same batch: `b` must not land.
            vec![Change::Insert(object("b")), Change::Insert(object("a"))],
            // Collides with itself.
            vec![Change::Insert(object("c")), Change::Insert(object("c"))],
            vec![Change::Insert(object("d"))],
        ];
        let outcomes = store.apply_batch(&batch);
        assert!(outcomes[0].is_ok() && outcomes[3].is_ok(), "{outcomes:?}");
        assert!(matches!(&outcomes[1], Err(StoreError::Exists(uid)) if uid == "a"), "{outcomes:?}");
        assert!(matches!(&outcomes[2], Err(StoreError::Exists(uid)) if uid == "c"), "{outcomes:?}");
        for (uid, there) in [("a", true), ("b", false), ("c", false), ("d", true)] {
            assert_eq!(store.get(uid).expect("get").is_some(), there, "{uid}");
        }
        let owned = store.scan(&IndexKey::Owner("o".into()), None, 10).expect("scan");
        assert_eq!(owned, ["a", "d"], "index entries of refused commits are not written either");
    }
}
