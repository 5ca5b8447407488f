//! The embedded default store, on sled.
//!
//! One tree holds everything: `o<uid>` → the object's record, and `i<kind><len><value><uid>`
//! → nothing, one entry per index key ([`IndexKey`]). A commit is one sled transaction over
//! that tree, so an object and its index entries change together, then waits for a flush it
//! shares with concurrent commits ([`GroupCommit`]).

use std::path::Path;

use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};

use crate::group_commit::GroupCommit;
use crate::{Change, IndexKey, KeyStore, StoreError, StoredObject};

const OBJECT_PREFIX: u8 = b'o';

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
        let start = match after {
            // The first entry strictly after `after`: its key with a zero byte appended.
            Some(uid) => {
                let mut k = key.entry(uid);
                k.push(0);
                k
            }
            None => prefix.clone(),
        };
        let mut out = Vec::new();
        for entry in self.tree.range(start..) {
            let (k, _) = entry.map_err(backend)?;
            if !k.starts_with(&prefix) || out.len() >= limit {
                break;
            }
            out.push(String::from_utf8_lossy(&k[prefix.len()..]).into_owned());
        }
        Ok(out)
    }

    fn count(&self) -> Result<u64, StoreError> {
        Ok(self.tree.scan_prefix([OBJECT_PREFIX]).count() as u64)
    }
}
