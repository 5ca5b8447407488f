//! A local store whose waits step off the async threads.
//!
//! The listener serves cheap reads of a local store on the async thread that read the
//! request ([`kmip_ops::Service::serves_inline`]). Such a read may still commit now and then
//! (a CMK version's first use of the hour is recorded durably), and a commit waits for a
//! flush to disk. This wrapper runs every commit and re-seal step through
//! [`tokio::task::block_in_place`], which hands the async thread's other tasks to another
//! thread for the wait, so that a flush never stalls the connections that share the thread.
//! Reads pass straight through.

use kmip_keystore::{Change, CmkRecord, IndexKey, KeyStore, Listing, ResealStep, StoreError, StoredObject};
use tokio::runtime::{Handle, RuntimeFlavor};

/// Runs `f`, which may block, stepping off the async thread when called from one of a
/// multi-threaded runtime's; elsewhere (a blocking thread, no runtime, a current-thread
/// runtime, where `block_in_place` is not allowed) it simply runs `f`.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// `S`, with its commits run by [`blocking`]. Every method forwards, those with a default
/// too: the default would stand in for the inner store's own (`commit_each`'s shared flushes
/// were lost this way, and the scheduler's sweeps flushed once per rotation, until
/// 2026-11-24).
#[derive(Debug)]
pub(crate) struct CommitsOffRuntime<S>(pub(crate) S);

impl<S: KeyStore> KeyStore for CommitsOffRuntime<S> {
    fn get(&self, uid: &str) -> Result<Option<StoredObject>, StoreError> {
        self.0.get(uid)
    }

    fn commit(&self, changes: Vec<Change>) -> Result<(), StoreError> {
        blocking(|| self.0.commit(changes))
    }

    fn commit_each(&self, commits: Vec<Vec<Change>>) -> Vec<Result<(), StoreError>> {
        blocking(|| self.0.commit_each(commits))
    }

    fn scan(&self, key: &IndexKey, after: Option<&str>, limit: usize) -> Result<Vec<String>, StoreError> {
        self.0.scan(key, after, limit)
    }

    fn count(&self) -> Result<u64, StoreError> {
        self.0.count()
    }

    fn cmk(&self, key_id: &str) -> Result<Option<CmkRecord>, StoreError> {
        self.0.cmk(key_id)
    }

    fn due_cmks(&self, now: i64, limit: usize) -> Result<Vec<String>, StoreError> {
        self.0.due_cmks(now, limit)
    }

    fn scheduled_cmks(
        &self,
        after: Option<(i64, String)>,
        until: i64,
        limit: usize,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        self.0.scheduled_cmks(after, until, limit)
    }

    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.0.meta(key)
    }

    fn project_cmks(&self, project: &str, after: Option<&str>, limit: usize) -> Result<Vec<String>, StoreError> {
        self.0.project_cmks(project, after, limit)
    }

    fn reseal(&self, from: Option<&[u8]>, limit: usize) -> Result<ResealStep, StoreError> {
        blocking(|| self.0.reseal(from, limit))
    }

    fn list(&self, listing: Listing, after: Option<&str>, limit: usize) -> Result<Vec<String>, StoreError> {
        self.0.list(listing, after, limit)
    }

    fn lease(&self, name: &str, holder: &str, ttl: std::time::Duration) -> Result<bool, StoreError> {
        self.0.lease(name, holder, ttl)
    }

    fn reads_in_memory(&self) -> bool {
        self.0.reads_in_memory()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use kmip_keystore::MemoryStore;

    use super::*;

    fn put(store: &dyn KeyStore, key: &str) {
        store.commit(vec![Change::PutMeta { key: key.into(), value: b"v".to_vec() }]).expect("commit");
    }

    /// On a multi-threaded runtime's async thread the commit steps aside, and the runtime
    /// keeps serving; on a current-thread runtime and outside any runtime it just runs.
    #[test]
    fn commits_run_on_every_kind_of_thread() {
        let store = Arc::new(CommitsOffRuntime(MemoryStore::default()));
        put(store.as_ref(), "outside");
        let multi = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().expect("runtime");
        let inner = store.clone();
        multi.block_on(async move {
            tokio::spawn(async move { put(inner.as_ref(), "async thread") }).await.expect("task");
        });
        let current = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        current.block_on(async { put(store.as_ref(), "current thread") });
        for key in ["outside", "async thread", "current thread"] {
            assert!(store.meta(key).expect("meta").is_some(), "{key}");
        }
        assert!(store.reads_in_memory());
    }
}
