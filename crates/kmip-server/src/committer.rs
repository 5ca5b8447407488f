//! The committer: threads that commit the changes connections hand over, many at a time.
//!
//! A request whose commit is left to the server ([`kmip_ops::Served::commit`]: a lone Create,
//! Register or Create Key Pair) is answered only once that commit is durable. Its
//! connection's task hands the changes to the committer and awaits the outcome, so the async
//! thread that read the request goes on serving other connections meanwhile. Each committer
//! thread takes every commit queued so far and gives them to the store together
//! ([`KeyStore::commit_each`]): with sled, one transaction and one flush for all of them;
//! with PostgreSQL, one transaction with a savepoint each. Each is still all-or-nothing on
//! its own, and gets its own outcome.
//!
//! The queue needs no cap of its own: a connection reads its next request only once it has
//! answered the last, so it holds at most one commit per open connection, and the
//! connection cap bounds those.
//!
//! Why threads of its own rather than a blocking task per request: a write that was handed
//! to a blocking thread, waited there for its batch's flush and then woke its async task
//! cost three thread wake-ups per request, a fifth of kmipd's CPU per durable Create. A
//! committer that is busy is not woken at all; an idle one is woken once per batch.
//!
//! How many threads depends on the store. On a local store (sled) one: it applies a batch
//! and flushes it while the next batch gathers. Two, which let one batch be applied while
//! the one before it is flushed, made smaller batches and ran fewer Creates (8,278 and
//! 8,414/s against 10,371 and 10,603/s alternated with one, over 32 connections; three,
//! 8,912 and 8,489/s). On a store across a network (PostgreSQL) four: a batch is one
//! transaction of round trips, and several in flight keep the database busy while each
//! waits for the network (1,120 and 1,063 Creates/s with one thread, 1,480 and 1,602 with
//! four, 1,601 and 1,718 with eight, database and client on the same two cores). Commits
//! made elsewhere (the rotation engine, the other writes) still share batches through the
//! store's group commit.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use kmip_keystore::{Change, KeyStore, StoreError};
use tokio::sync::oneshot;

/// Committer threads for a store that keeps its reads in memory, and for one across a
/// network (see the module documentation).
const LOCAL_THREADS: usize = 1;
const REMOTE_THREADS: usize = 4;

type Outcome = Result<(), StoreError>;

/// Commits handed over by connections; see the module documentation.
#[derive(Debug)]
pub(crate) struct Committer {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

#[derive(Debug)]
struct Shared {
    store: Arc<dyn KeyStore>,
    queue: Mutex<Queue>,
    /// Signalled when a commit is queued and a thread is idle, or when closing.
    work: Condvar,
}

#[derive(Debug, Default)]
struct Queue {
    commits: Vec<(Vec<Change>, oneshot::Sender<Outcome>)>,
    /// Threads waiting for work.
    idle: usize,
    /// No more commits will come: finish the queue and stop.
    closing: bool,
}

/// The queue is a list and two scalars, each changed in one step under the lock: a poisoned
/// lock is safe to take over.
fn lock(shared: &Shared) -> MutexGuard<'_, Queue> {
    shared.queue.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Committer {
    /// Starts the committer threads over `store`.
    pub(crate) fn start(store: Arc<dyn KeyStore>) -> std::io::Result<Self> {
        let threads = if store.reads_in_memory() { LOCAL_THREADS } else { REMOTE_THREADS };
        let shared = Arc::new(Shared { store, queue: Mutex::default(), work: Condvar::new() });
        let threads = (0..threads)
            .map(|i| {
                let shared = shared.clone();
                std::thread::Builder::new().name(format!("kmipd-commit-{i}")).spawn(move || run(&shared))
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        Ok(Committer { shared, threads })
    }

    /// Queues `changes`, to be committed atomically and durably with whatever else is
    /// queued; the future returns the outcome, `Ok` once they are on disk. Queued, a commit
    /// is made whether or not the future is awaited.
    pub(crate) fn commit(&self, changes: Vec<Change>) -> impl Future<Output = Outcome> + use<> {
        let (done, outcome) = oneshot::channel();
        let mut queue = lock(&self.shared);
        queue.commits.push((changes, done));
        let wake = queue.idle > 0;
        drop(queue);
        if wake {
            self.shared.work.notify_one();
        }
        async move {
            // The sender is dropped unsent only if the store panicked on this commit's batch.
            outcome.await.unwrap_or_else(|_| Err(StoreError::Backend("the commit's batch failed in the middle".into())))
        }
    }
}

impl Drop for Committer {
    /// Commits what is queued, then stops the threads.
    fn drop(&mut self) {
        lock(&self.shared).closing = true;
        self.shared.work.notify_all();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// A committer thread: takes every queued commit, commits them together, hands out the
/// outcomes; sleeps when there is nothing to take.
fn run(shared: &Shared) {
    loop {
        let mut queue = lock(shared);
        while queue.commits.is_empty() && !queue.closing {
            queue.idle += 1;
            queue = shared.work.wait(queue).unwrap_or_else(PoisonError::into_inner);
            queue.idle -= 1;
        }
        if queue.commits.is_empty() {
            return; // closing, and nothing left
        }
        let batch = std::mem::take(&mut queue.commits);
        drop(queue);
        let (changes, senders): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        // A store that panics fails this batch (its senders are dropped unsent), not the thread.
        let store = &shared.store;
        let outcomes = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| store.commit_each(changes)));
        match outcomes {
            Ok(outcomes) if outcomes.len() == senders.len() => {
                for (sender, outcome) in senders.into_iter().zip(outcomes) {
                    // A connection that went away no longer waits: its commit stands all the same.
                    let _ = sender.send(outcome);
                }
            }
            Ok(_) => tracing::error!("the store lost track of a batch's commits"),
            Err(_) => tracing::error!("the store panicked on a batch of commits"),
        }
    }
}

#[cfg(test)]
mod tests {
    use kmip_keystore::MemoryStore;

    use super::*;

    fn put(key: &str) -> Vec<Change> {
        vec![Change::PutMeta { key: key.into(), value: b"v".to_vec() }]
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_commits_each_get_their_outcome_and_all_land() {
        let store = Arc::new(MemoryStore::new());
        let committer = Arc::new(Committer::start(store.clone()).expect("threads"));
        let tasks: Vec<_> = (0..64)
            .map(|i| {
                let committer = committer.clone();
                tokio::spawn(async move { committer.commit(put(&format!("k{i}"))).await })
            })
            .collect();
        for task in tasks {
            task.await.expect("task").expect("committed");
        }
        for i in 0..64 {
            assert!(store.meta(&format!("k{i}")).expect("meta").is_some());
        }
    }

    #[tokio::test]
    async fn a_refused_commit_is_told_why_and_spares_the_others() {
        let store = Arc::new(MemoryStore::new());
        let committer = Committer::start(store.clone()).expect("threads");
        let object = |uid: &str| kmip_keystore::StoredObject {
            uid: uid.into(),
            owner: "o".into(),
            object_type: kmip_proto::dict::ObjectType::SYMMETRIC_KEY,
            state: kmip_proto::dict::State::ACTIVE,
            attributes: Vec::new(),
            object: None,
            revision: 0,
        };
        committer.commit(vec![Change::Insert(object("a"))]).await.expect("first insert");
        let again = committer.commit(vec![Change::Insert(object("a"))]).await;
        assert!(matches!(again, Err(StoreError::Exists(uid)) if uid == "a"));
        committer.commit(put("after")).await.expect("the committer goes on");
    }

    #[test]
    fn dropping_it_commits_what_is_queued_though_no_one_waits() {
        let store = Arc::new(MemoryStore::new());
        let committer = Committer::start(store.clone()).expect("threads");
        let pending: Vec<_> = (0..16).map(|i| committer.commit(put(&format!("k{i}")))).collect();
        drop(pending);
        drop(committer);
        for i in 0..16 {
            assert!(store.meta(&format!("k{i}")).expect("meta").is_some(), "k{i}");
        }
    }
}
