//! Group commit: concurrent writers share one flush.
//!
//! Each committer applies its transaction in memory, takes a ticket, and waits until a flush
//! that started after its ticket has finished. The first waiter with no flush under way
//! becomes the leader and flushes for everyone who took a ticket before the flush began;
//! the rest sleep until then. One fsync thus serves a whole burst of Creates.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// Coordinates flushes among concurrent committers.
#[derive(Debug, Default)]
pub(crate) struct GroupCommit {
    state: Mutex<State>,
    done: Condvar,
}

/// The state is a few counters that every path leaves consistent, so a panic elsewhere while
/// the lock was held leaves nothing half-done: a poisoned lock is safe to take over.
fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug, Default)]
struct State {
    /// Tickets handed out so far.
    issued: u64,
    /// Every ticket up to this one is durable.
    durable: u64,
    /// A flush is running.
    flushing: bool,
    /// The last flush failed: its waiters must not be told their data is durable.
    failed_upto: u64,
}

impl GroupCommit {
    /// Waits until everything written before this call is durable, flushing with `flush` if
    /// no one else is. Returns the flush's error to every writer that depended on it.
    pub(crate) fn wait_durable<E: Clone>(&self, flush: impl Fn() -> Result<(), E>) -> Result<(), Option<E>> {
        let mut state = lock(&self.state);
        state.issued += 1;
        let ticket = state.issued;
        loop {
            if state.durable >= ticket {
                return if state.failed_upto >= ticket { Err(None) } else { Ok(()) };
            }
            if !state.flushing {
                // Lead: flush everything written up to the latest ticket.
                state.flushing = true;
                let upto = state.issued;
                drop(state);
                let result = flush();
                state = lock(&self.state);
                state.flushing = false;
                state.durable = state.durable.max(upto);
                if result.is_err() {
                    state.failed_upto = upto;
                }
                self.done.notify_all();
                return result.map_err(Some);
            }
            state = self.done.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
    }
}
