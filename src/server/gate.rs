//! The per-shard lock that makes multi-shard commands atomic.
//!
//! Owns: who holds this shard (at most one multi-shard transaction), the transactions waiting for
//! it in arrival order, the hops and local commands deferred while it is held. A transaction locks
//! its shards in ascending order (see `shards::MultiShard`), so waiting never forms a cycle.
//! Runs on: the owning executor only.

use std::collections::VecDeque;
use std::task::Waker;

use super::shards::ShardId;

/// Identifies one multi-shard transaction: the coordinating shard in the top 16 bits, a counter
/// below.
pub type TxId = u64;

/// Work deferred until the shard is free.
pub type Job = Box<dyn FnOnce() + Send>;

/// A lock request that has to wait: the transaction and how to tell it that it holds the lock.
pub struct LockWaiter {
    /// The transaction asking.
    pub tx: TxId,
    /// Completed when the lock is granted.
    pub granted: futures_channel::oneshot::Sender<()>,
    /// The shard to wake once granted.
    pub origin: ShardId,
    /// Runs on this shard the moment the lock is granted, before the grant is sent: the
    /// transaction's work here rides on its lock request.
    pub on_grant: Option<Job>,
}

/// One shard's gate.
#[derive(Default)]
pub struct Gate {
    holder: Option<TxId>,
    waiting: VecDeque<LockWaiter>,
    deferred: VecDeque<Job>,
    local_waiters: Vec<Waker>,
}

impl Gate {
    /// True when no transaction holds the shard.
    pub fn is_free(&self) -> bool {
        self.holder.is_none()
    }

    /// The transaction holding the shard, if any.
    pub fn holder(&self) -> Option<TxId> {
        self.holder
    }

    /// True when `tx` holds the shard.
    pub fn held_by(&self, tx: TxId) -> bool {
        self.holder == Some(tx)
    }

    /// Takes the lock for `w.tx` if free (returning the waiter so the caller can tell it), or
    /// queues the request.
    pub fn request(&mut self, w: LockWaiter) -> Option<LockWaiter> {
        if self.holder.is_none() {
            self.holder = Some(w.tx);
            Some(w)
        } else {
            self.waiting.push_back(w);
            None
        }
    }

    /// Defers `job` until the shard is free.
    pub fn defer(&mut self, job: Job) {
        self.deferred.push_back(job);
    }

    /// Registers a local task to wake when the shard is free.
    pub fn wait_free(&mut self, waker: Waker) {
        self.local_waiters.push(waker);
    }

    /// Releases the lock held by `tx`. Returns the work that may now run, in order: deferred
    /// hops, then the local waiters to wake, then the next transaction granted the lock (if any).
    pub fn release(&mut self, tx: TxId) -> Released {
        if self.holder != Some(tx) {
            return Released::default();
        }
        self.holder = None;
        let jobs: Vec<Job> = self.deferred.drain(..).collect();
        let wakers = std::mem::take(&mut self.local_waiters);
        Released { jobs, wakers }
    }

    /// Grants the lock to the next waiting transaction, if the shard is free and one waits.
    pub fn grant_next(&mut self) -> Option<LockWaiter> {
        if self.holder.is_some() {
            return None;
        }
        let w = self.waiting.pop_front()?;
        self.holder = Some(w.tx);
        Some(w)
    }
}

/// What a release frees.
#[derive(Default)]
pub struct Released {
    /// Deferred hops, to run now in order.
    pub jobs: Vec<Job>,
    /// Local tasks waiting for the shard.
    pub wakers: Vec<Waker>,
}
