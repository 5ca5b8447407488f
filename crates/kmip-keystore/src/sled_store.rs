//! The embedded default store, on sled.
//!
//! One tree holds everything: `o<uid>` → the object's record, and `i<kind><len><value><uid>`
//! → nothing, one entry per index key ([`IndexKey`]). A commit is one sled transaction over
//! that tree, so an object and its index entries change together, then waits for a flush it
//! shares with concurrent commits ([`GroupCommit`]).

use std::path::Path;

use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};

use crate::group_commit::GroupCommit;
use crate::{Change, CmkRecord, IndexKey, KeyStore, StoreError, StoredObject};

const OBJECT_PREFIX: u8 = b'o';
/// `c<key_id>` → a CMK record (JSON).
const CMK_PREFIX: u8 = b'c';
/// `d<due time, 8 bytes big-endian, sign bit flipped><key_id>` → nothing: CMKs by due time.
const DUE_PREFIX: u8 = b'd';
/// `p<project length, 4 bytes><project><key_id>` → nothing: CMKs by project.
const PROJECT_PREFIX: u8 = b'p';
/// `m<name>` → a side-API record.
const META_PREFIX: u8 = b'm';

/// A [`KeyStore`] in a sled database directory.
#[derive(Debug)]
pub struct SledStore {
    db: sled::Db,
    tree: sled::Tree,
    group: GroupCommit,
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

fn decode(uid: &str, bytes: &[u8]) -> Result<StoredObject, StoreError> {
    StoredObject::from_bytes(bytes).map_err(|e| StoreError::Corrupt { uid: uid.to_owned(), reason: e.to_string() })
}

impl SledStore {
    /// Opens (or creates) the store in `dir`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        // sled's own periodic flush is off: durability comes from the commit path alone, so
        // that no acknowledgement can run ahead of the disk.
        let db = sled::Config::new().path(dir).flush_every_ms(None).open().map_err(backend)?;
        let tree = db.open_tree("kmip").map_err(backend)?;
        Ok(SledStore { db, tree, group: GroupCommit::default() })
    }

    fn apply(tx: &TransactionalTree, change: &Change) -> Result<(), ConflictableTransactionError<StoreError>> {
        let abort = ConflictableTransactionError::Abort;
        let (object, must_exist) = match change {
            Change::Insert(o) => (o, false),
            Change::Update(o) => (o, true),
            Change::PutCmk(record) => return Self::put_cmk(tx, record),
            Change::PutMeta { key, value } => {
                tx.insert([&[META_PREFIX][..], key.as_bytes()].concat(), value.as_slice())?;
                return Ok(());
            }
        };
        let key = object_key(&object.uid);
        match (tx.get(&key)?, must_exist) {
            (Some(_), false) => return Err(abort(StoreError::Exists(object.uid.clone()))),
            (None, true) => {
                return Err(abort(StoreError::Backend(format!("object {} vanished", object.uid))));
            }
            (Some(old), true) => {
                let old = decode(&object.uid, &old).map_err(abort)?;
                for index in IndexKey::all_for(&old) {
                    tx.remove(index.entry(&old.uid))?;
                }
            }
            (None, false) => {}
        }
        tx.insert(key, object.to_bytes())?;
        for index in IndexKey::all_for(object) {
            tx.insert(index.entry(&object.uid), &[][..])?;
        }
        Ok(())
    }
}

impl SledStore {
    fn put_cmk(tx: &TransactionalTree, record: &CmkRecord) -> Result<(), ConflictableTransactionError<StoreError>> {
        let key = cmk_key(&record.key_id);
        if let Some(old) = tx.get(&key)? {
            let old = decode_cmk(&record.key_id, &old).map_err(ConflictableTransactionError::Abort)?;
            for index in cmk_index_keys(&old) {
                tx.remove(index)?;
            }
        }
        let bytes = serde_json::to_vec(record)
            .map_err(|e| ConflictableTransactionError::Abort(StoreError::Backend(e.to_string())))?;
        tx.insert(key, bytes)?;
        for index in cmk_index_keys(record) {
            tx.insert(index, &[][..])?;
        }
        Ok(())
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
        match self.tree.get(object_key(uid)).map_err(backend)? {
            Some(bytes) => decode(uid, &bytes).map(Some),
            None => Ok(None),
        }
    }

    fn commit(&self, changes: Vec<Change>) -> Result<(), StoreError> {
        let result = self.tree.transaction(|tx| {
            for change in &changes {
                Self::apply(tx, change)?;
            }
            Ok(())
        });
        match result {
            Ok(()) => {}
            Err(TransactionError::Abort(e)) => return Err(e),
            Err(TransactionError::Storage(e)) => return Err(backend(e)),
        }
        self.group.wait_durable(|| self.db.flush().map(drop).map_err(|e| e.to_string())).map_err(|e| {
            StoreError::Backend(format!("flush failed: {}", e.unwrap_or_else(|| "in a shared flush".into())))
        })
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
        Ok(self.tree.get([&[META_PREFIX][..], key.as_bytes()].concat()).map_err(backend)?.map(|v| v.to_vec()))
    }

    fn due_cmks(&self, now: i64, limit: usize) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        for entry in self.tree.range(vec![DUE_PREFIX]..due_key(now.saturating_add(1), "")) {
            let (k, _) = entry.map_err(backend)?;
            if out.len() >= limit {
                break;
            }
            out.push(String::from_utf8_lossy(&k[9..]).into_owned());
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

    fn count(&self) -> Result<u64, StoreError> {
        Ok(self.tree.scan_prefix([OBJECT_PREFIX]).count() as u64)
    }
}
