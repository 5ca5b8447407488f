//! A store in memory, for the fuzz targets and for tests that need no disk: the same
//! contract as [`crate::SledStore`] (atomic commits, index entries that follow updates),
//! minus durability. kmipd never runs on it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use crate::{Change, CmkRecord, IndexKey, KeyStore, Listing, ResealStep, StoreError, StoredObject};

#[derive(Debug, Default, Clone)]
struct State {
    objects: BTreeMap<String, StoredObject>,
    /// Index entries, as [`IndexKey::entry`] spells them.
    index: BTreeSet<Vec<u8>>,
    cmks: BTreeMap<String, CmkRecord>,
    /// `(due time, key id)`.
    due: BTreeSet<(i64, String)>,
    /// `(project, key id)`.
    projects: BTreeSet<(String, String)>,
    meta: BTreeMap<String, Vec<u8>>,
}

impl State {
    fn apply(&mut self, change: Change) -> Result<(), StoreError> {
        match change {
            Change::Insert(object) => {
                if self.objects.contains_key(&object.uid) {
                    return Err(StoreError::Exists(object.uid));
                }
                self.put(object);
            }
            Change::Update(object) => {
                let old = self
                    .objects
                    .get(&object.uid)
                    .ok_or_else(|| StoreError::Backend(format!("object {} vanished", object.uid)))?;
                object.check_revision(old)?;
                for key in IndexKey::all_for(old) {
                    self.index.remove(&key.entry(&old.uid));
                }
                self.put(object.updated());
            }
            Change::PutCmk(record) => {
                let record = record.next_revision(self.cmks.get(&record.key_id))?;
                if let Some(old) = self.cmks.get(&record.key_id) {
                    if let Some(at) = old.due_at() {
                        self.due.remove(&(at, old.key_id.clone()));
                    }
                }
                if let Some(at) = record.due_at() {
                    self.due.insert((at, record.key_id.clone()));
                }
                self.projects.insert((record.project.clone(), record.key_id.clone()));
                self.cmks.insert(record.key_id.clone(), record);
            }
            Change::PutMeta { key, value } => {
                self.meta.insert(key, value);
            }
        }
        Ok(())
    }

    fn put(&mut self, object: StoredObject) {
        for key in IndexKey::all_for(&object) {
            self.index.insert(key.entry(&object.uid));
        }
        self.objects.insert(object.uid.clone(), object);
    }
}

/// A [`KeyStore`] in memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves no half-applied commit (commits apply to a
        // copy), so the state is sound to go on with.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl KeyStore for MemoryStore {
    fn get(&self, uid: &str) -> Result<Option<StoredObject>, StoreError> {
        Ok(self.state().objects.get(uid).cloned())
    }

    fn commit(&self, changes: Vec<Change>) -> Result<(), StoreError> {
        let mut state = self.state();
        let mut next = state.clone();
        for change in changes {
            next.apply(change)?;
        }
        *state = next;
        Ok(())
    }

    fn scan(&self, key: &IndexKey, after: Option<&str>, limit: usize) -> Result<Vec<String>, StoreError> {
        let prefix = key.prefix();
        let start = match after {
            Some(uid) => [key.entry(uid), vec![0]].concat(),
            None => prefix.clone(),
        };
        let state = self.state();
        Ok(state
            .index
            .range(start..)
            .take_while(|entry| entry.starts_with(&prefix))
            .take(limit)
            .map(|entry| String::from_utf8_lossy(&entry[prefix.len()..]).into_owned())
            .collect())
    }

    fn count(&self) -> Result<u64, StoreError> {
        Ok(self.state().objects.len() as u64)
    }

    fn reads_in_memory(&self) -> bool {
        true
    }

    fn cmk(&self, key_id: &str) -> Result<Option<CmkRecord>, StoreError> {
        Ok(self.state().cmks.get(key_id).cloned())
    }

    fn scheduled_cmks(
        &self,
        after: Option<(i64, String)>,
        until: i64,
        limit: usize,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let state = self.state();
        let from = match after {
            Some((at, key_id)) => std::ops::Bound::Excluded((at, key_id)),
            None => std::ops::Bound::Unbounded,
        };
        Ok(state
            .due
            .range((from, std::ops::Bound::Unbounded))
            .take_while(|(at, _)| *at <= until)
            .take(limit)
            .cloned()
            .collect())
    }

    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.state().meta.get(key).cloned())
    }

    fn project_cmks(&self, project: &str, after: Option<&str>, limit: usize) -> Result<Vec<String>, StoreError> {
        let state = self.state();
        Ok(state
            .projects
            .range((project.to_owned(), after.map_or(String::new(), |a| format!("{a}\0")))..)
            .take_while(|(p, _)| p == project)
            .take(limit)
            .map(|(_, id)| id.clone())
            .collect())
    }

    fn list(&self, listing: Listing, after: Option<&str>, limit: usize) -> Result<Vec<String>, StoreError> {
        let state = self.state();
        let from = (
            after.map_or(std::ops::Bound::Unbounded, |a| std::ops::Bound::Excluded(a.to_owned())),
            std::ops::Bound::Unbounded,
        );
        Ok(match listing {
            Listing::Objects => state.objects.range(from).take(limit).map(|(k, _)| k.clone()).collect(),
            Listing::Cmks => state.cmks.range(from).take(limit).map(|(k, _)| k.clone()).collect(),
            Listing::Meta => state.meta.range(from).take(limit).map(|(k, _)| k.clone()).collect(),
        })
    }

    /// Nothing is sealed in memory, so nothing is ever stale.
    fn reseal(&self, _from: Option<&[u8]>, _limit: usize) -> Result<ResealStep, StoreError> {
        Ok(ResealStep { resealed: 0, next: None })
    }
}
