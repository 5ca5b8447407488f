//! Group commit: concurrent writers share one application and one flush.
//!
//! Each committer queues its job and waits. The first one to find no leader applying
//! becomes the leader: it takes every job queued so far and applies them together (one sled
//! transaction for the whole batch, each job still all-or-nothing on its own). Then it
//! steps aside, waking the next committer in the queue to lead the next batch, flushes once
//! for its own batch, and hands every job of it its outcome. So one batch is applied while
//! the one before it is flushed, and each committer is woken once, when it has something to
//! do: lead, or return.
//!
//! Why both, and not the flush alone: one sled transaction per Create, with the flush shared,
//! ran at 3,200 to 5,100 durable Creates/s, the transactions themselves the bound (BENCHMARKS.md,
//! "Where a durable Create's CPU goes"): each took sled's transaction lock, and 32 threads
//! took turns at it. One transaction per batch costs a fraction of that per job.

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use crate::StoreError;

/// Coordinates the batches of concurrent committers of jobs `J`.
#[derive(Debug)]
pub(crate) struct GroupCommit<J> {
    state: Mutex<State<J>>,
}

impl<J> Default for GroupCommit<J> {
    fn default() -> Self {
        let state = State { issued: 0, queue: Vec::new(), outcomes: HashMap::new(), applying: false };
        GroupCommit { state: Mutex::new(state) }
    }
}

/// The state is a queue, a map and two scalars, each changed in one step under the lock, and
/// a leader that unwinds leaves it consistent ([`Lead`]'s `Drop`): a poisoned lock is safe to
/// take over.
fn lock<J>(m: &Mutex<State<J>>) -> MutexGuard<'_, State<J>> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A committer: its ticket, and what wakes it (each waits on its own, under the one lock).
#[derive(Debug, Clone)]
struct Committer {
    ticket: u64,
    wake: Arc<Condvar>,
}

#[derive(Debug)]
struct State<J> {
    /// Tickets handed out so far.
    issued: u64,
    /// Jobs no leader has taken yet, with their committers, oldest first.
    queue: Vec<(Committer, J)>,
    /// Outcomes of taken jobs that their committers have not collected yet.
    outcomes: HashMap<u64, Result<(), StoreError>>,
    /// A leader is applying a batch.
    applying: bool,
}

impl<J> State<J> {
    /// What wakes the oldest queued committer, to lead the next batch.
    fn next_leader(&self) -> Option<Arc<Condvar>> {
        self.queue.first().map(|(next, _)| Arc::clone(&next.wake))
    }
}

/// Wakes the committers of `wakes`. Called after the lock is released: a committer woken
/// while it is held would only wait for it again. None can miss its wake-up: what it waits
/// for was written under the lock, which it holds from its check until it waits.
fn wake_all(wakes: impl IntoIterator<Item = Arc<Condvar>>) {
    for wake in wakes {
        wake.notify_one();
    }
}

/// What a leader applies a batch with: the outcome of each job, in the batch's order.
pub(crate) type Outcomes = Vec<Result<(), StoreError>>;

impl<J> GroupCommit<J> {
    /// Queues `job` and returns its outcome once it is applied and flushed, or refused.
    ///
    /// If this call leads, it applies the batch with `apply`, which returns one outcome per
    /// job (a job it refuses must leave nothing of itself applied), and then, if any job was
    /// applied, makes the batch durable with `flush`, which must cover everything applied
    /// before it is called. A failed flush fails every job of the batch that was applied:
    /// none of them may be acknowledged as durable.
    pub(crate) fn commit(
        &self,
        job: J,
        apply: impl FnMut(&[J]) -> Outcomes,
        flush: impl FnMut() -> Result<(), String>,
    ) -> Result<(), StoreError> {
        let mut outcomes = self.commit_each(vec![job], apply, flush);
        outcomes.pop().unwrap_or_else(|| Err(StoreError::Backend("the commit's outcome went missing".into())))
    }

    /// Queues several jobs at once, each still applied all-or-nothing on its own, and returns
    /// their outcomes in order once every one is flushed or refused: a caller with many
    /// independent commits (the rotation sweep) shares flushes without a thread for each.
    pub(crate) fn commit_each(
        &self,
        jobs: Vec<J>,
        mut apply: impl FnMut(&[J]) -> Outcomes,
        mut flush: impl FnMut() -> Result<(), String>,
    ) -> Outcomes {
        let mut state = lock(&self.state);
        // Tickets issued under one lock are consecutive: this caller's are `first..=last`.
        let first = state.issued + 1;
        let wake = Arc::new(Condvar::new());
        for job in jobs {
            state.issued += 1;
            let ticket = state.issued;
            state.queue.push((Committer { ticket, wake: Arc::clone(&wake) }, job));
        }
        let mine = first..=state.issued;
        loop {
            if mine.clone().all(|ticket| state.outcomes.contains_key(&ticket)) {
                return mine.map(|ticket| state.outcomes.remove(&ticket).expect("checked just above")).collect();
            }
            // Lead if no one is applying and no leader has taken one of these jobs yet: a
            // leader that took them is flushing them and will hand them their outcomes.
            // (Woken to lead and beaten to it by a newcomer, this committer waits again;
            // whoever applies next wakes the next one in the queue when done.)
            if !state.applying && state.queue.iter().any(|(c, _)| mine.contains(&c.ticket)) {
                state = self.lead(state, mine.clone(), &mut apply, &mut flush);
                continue;
            }
            state = wake.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Takes the whole queue and applies it; steps aside so the next batch can be applied;
    /// flushes; leaves every job's outcome for its committer (this one's too) and wakes the
    /// others. Returns with the lock taken again.
    fn lead<'a>(
        &'a self,
        mut state: MutexGuard<'a, State<J>>,
        own: RangeInclusive<u64>,
        apply: &mut impl FnMut(&[J]) -> Outcomes,
        flush: &mut impl FnMut() -> Result<(), String>,
    ) -> MutexGuard<'a, State<J>> {
        state.applying = true;
        let (batch, jobs): (Vec<Committer>, Vec<J>) = std::mem::take(&mut state.queue).into_iter().unzip();
        drop(state);
        let mut lead = Lead { group: self, batch, own, applying: true };
        let mut outcomes = apply(&jobs);
        if outcomes.len() != jobs.len() {
            outcomes = jobs.iter().map(|_| Err(StoreError::Backend("a batch lost track of its jobs".into()))).collect();
        }
        lead.step_aside();
        if outcomes.iter().any(Result::is_ok) {
            if let Err(e) = flush() {
                for outcome in outcomes.iter_mut().filter(|o| o.is_ok()) {
                    *outcome = Err(StoreError::Backend(format!("flush failed: {e}")));
                }
            }
        }
        lead.finish(outcomes);
        lock(&self.state)
    }
}

/// A leader at work. Dropped without [`Lead::finish`] (the batch panicked), it fails the
/// batch's jobs and steps aside, so that no committer waits forever.
struct Lead<'a, J> {
    group: &'a GroupCommit<J>,
    batch: Vec<Committer>,
    /// The leader's own tickets: it collects their outcomes itself, after [`Lead::finish`].
    own: RangeInclusive<u64>,
    /// Still applying: the next batch waits.
    applying: bool,
}

impl<J> Lead<'_, J> {
    /// Done applying: the next batch may be applied while this one flushes.
    fn step_aside(&mut self) {
        let mut state = lock(&self.group.state);
        state.applying = false;
        self.applying = false;
        let next = state.next_leader();
        drop(state);
        wake_all(next);
    }

    /// Leaves the batch its outcomes and wakes their committers.
    fn finish(mut self, outcomes: Outcomes) {
        self.hand_out(outcomes.into_iter().map(Some), true);
    }

    /// Stores each committer's outcome (`None`: its batch failed in the middle) and wakes it,
    /// once per committer however many of its jobs the batch held. The leader's own are
    /// stored only when it will come back for them (`keep_own`), and it is never woken.
    fn hand_out(&mut self, outcomes: impl Iterator<Item = Option<Result<(), StoreError>>>, keep_own: bool) {
        let mut wakes: Vec<Arc<Condvar>> = Vec::with_capacity(self.batch.len());
        let mut state = lock(&self.group.state);
        for (committer, outcome) in std::mem::take(&mut self.batch).into_iter().zip(outcomes) {
            let own = self.own.contains(&committer.ticket);
            if own && !keep_own {
                continue;
            }
            let outcome =
                outcome.unwrap_or_else(|| Err(StoreError::Backend("the commit's batch failed in the middle".into())));
            state.outcomes.insert(committer.ticket, outcome);
            if !own && !wakes.last().is_some_and(|w| Arc::ptr_eq(w, &committer.wake)) {
                wakes.push(committer.wake);
            }
        }
        if self.applying {
            state.applying = false;
            self.applying = false;
            wakes.extend(state.next_leader());
        }
        drop(state);
        wake_all(wakes);
    }
}

impl<J> Drop for Lead<'_, J> {
    fn drop(&mut self) {
        if !self.batch.is_empty() || self.applying {
            self.hand_out(std::iter::repeat_with(|| None), false);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn concurrent_jobs_share_batches_and_each_gets_its_own_outcome() {
        let group = Arc::new(GroupCommit::<u32>::default());
        let flushes = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8u32)
            .map(|t| {
                let (group, flushes) = (Arc::clone(&group), Arc::clone(&flushes));
                std::thread::spawn(move || {
                    (0..100u32)
                        .map(|i| {
                            let job = t * 1000 + i;
                            let apply = |jobs: &[u32]| {
                                std::thread::sleep(std::time::Duration::from_micros(50));
                                jobs.iter()
                                    .map(|j| if j % 2 == 0 { Ok(()) } else { Err(StoreError::Exists(j.to_string())) })
                                    .collect()
                            };
                            let flush = || {
                                flushes.fetch_add(1, Ordering::Relaxed);
                                Ok(())
                            };
                            (job, group.commit(job, apply, flush))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for thread in threads {
            for (job, outcome) in thread.join().expect("no panic") {
                match outcome {
                    Ok(()) => assert_eq!(job % 2, 0),
                    Err(StoreError::Exists(j)) => assert_eq!(j, job.to_string()),
                    Err(e) => panic!("job {job}: {e}"),
                }
            }
        }
        assert!(flushes.load(Ordering::Relaxed) < 800, "some flushes were shared");
        assert!(lock(&group.state).outcomes.is_empty(), "every outcome was collected");
    }

    #[test]
    fn one_callers_jobs_share_a_flush_and_keep_their_own_outcomes() {
        let group = Arc::new(GroupCommit::<u32>::default());
        let flushes = AtomicUsize::new(0);
        let odd_fails = |jobs: &[u32]| -> Outcomes {
            jobs.iter().map(|j| if j % 2 == 0 { Ok(()) } else { Err(StoreError::Exists(j.to_string())) }).collect()
        };
        let flush = || {
            flushes.fetch_add(1, Ordering::Relaxed);
            Ok(())
        };
        let outcomes = group.commit_each(vec![2, 3, 4, 5], odd_fails, flush);
        let oks: Vec<bool> = outcomes.iter().map(Result::is_ok).collect();
        assert_eq!(oks, [true, false, true, false]);
        assert_eq!(flushes.load(Ordering::Relaxed), 1, "alone, its jobs are one batch");

        // Beside single-job committers, every job of each caller still gets its own outcome.
        let threads: Vec<_> = (0..6u32)
            .map(|t| {
                let group = Arc::clone(&group);
                std::thread::spawn(move || {
                    for round in 0..50u32 {
                        let jobs: Vec<u32> = (0..=t % 3).map(|i| t * 10_000 + round * 10 + i).collect();
                        let outcomes = group.commit_each(jobs.clone(), odd_fails, || Ok(()));
                        assert_eq!(outcomes.len(), jobs.len());
                        for (job, outcome) in jobs.iter().zip(outcomes) {
                            assert_eq!(outcome.is_ok(), job % 2 == 0, "job {job}");
                        }
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("no panic");
        }
        assert!(lock(&group.state).outcomes.is_empty(), "every outcome was collected");
    }

    #[test]
    fn a_failed_flush_fails_every_applied_job_of_its_batch() {
        let group = GroupCommit::<u32>::default();
        let outcome = group.commit(1, |jobs| jobs.iter().map(|_| Ok(())).collect(), || Err("disk full".into()));
        assert!(matches!(outcome, Err(StoreError::Backend(m)) if m.contains("disk full")));
        // A refused job needs no flush: its outcome is its own.
        let outcome = group.commit(2, |_| vec![Err(StoreError::Exists("2".into()))], || panic!("no flush"));
        assert!(matches!(outcome, Err(StoreError::Exists(_))));
    }

    #[test]
    fn a_leader_that_panics_fails_its_batch_and_steps_down() {
        let group = GroupCommit::<u32>::default();
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            group.commit(1, |_| panic!("bug in apply"), || Ok(()))
        }));
        assert!(caught.is_err());
        let state = lock(&group.state);
        assert!(!state.applying && state.queue.is_empty() && state.outcomes.is_empty());
        drop(state);
        assert!(group.commit(2, |jobs| jobs.iter().map(|_| Ok(())).collect(), || Ok(())).is_ok());
    }
}
