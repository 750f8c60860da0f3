//! The per-shard lock that makes multi-shard commands atomic.
//!
//! Owns: who holds this shard (at most one multi-shard transaction), the transactions waiting for
//! it in arrival order, the hops and local commands deferred while it is held. A transaction locks
//! its shards in ascending order (see `shards::MultiShard`), so waiting never forms a cycle.
//! Runs on: the owning executor only.

use std::collections::VecDeque;
use std::sync::OnceLock;
use std::task::Waker;

use super::shards::ShardId;

/// Identifies one multi-shard transaction: the coordinating shard in the top 16 bits, a counter
/// below.
pub type TxId = u64;

/// A held key, by its hash: two keys with the same hash only wait for each other, and the lock
/// table keeps and compares 8 bytes instead of sharing the key's bytes between executors (a
/// reference count touched from two cores for every key of every MSET).
pub type KeyId = u64;

/// The id of `key`, the same on every executor.
pub fn key_id(key: &[u8]) -> KeyId {
    static HASHER: OnceLock<ahash::RandomState> = OnceLock::new();
    HASHER.get_or_init(ahash::RandomState::new).hash_one(key)
}

/// Work deferred until the shard is free.
pub type Job = Box<dyn FnOnce() + Send>;

/// Work a transaction does on a shard the moment its lock there is granted. What it returns runs
/// on the transaction's own shard, sent with the grant (its answer, say): one message for both.
pub type GrantJob = Box<dyn FnOnce() -> Option<Job> + Send>;

/// A lock request that has to wait: the transaction and how to tell it that it holds the lock.
pub struct LockWaiter {
    /// The transaction asking.
    pub tx: TxId,
    /// `None`: the whole shard. `Some`: only these keys (of any db), for a command whose keys
    /// are all it touches and whose work here is done the moment the lock is granted.
    pub keys: Option<Vec<KeyId>>,
    /// True for the last keys a transaction locks: its work here completes it, so it needs the
    /// keys free when granted but holds nothing after (see `runtime::tx_lock`).
    pub last: bool,
    /// The shard to tell once granted.
    pub origin: ShardId,
    /// Runs on `origin` once the lock is granted (after what `on_grant` returned): the
    /// transaction's next step.
    pub then: Job,
    /// Runs on this shard the moment the lock is granted, before the grant is sent: the
    /// transaction's work here rides on its lock request.
    pub on_grant: Option<GrantJob>,
}

/// One shard's gate.
///
/// Two kinds of holder. A transaction holding the whole shard (EXEC, a command moving values
/// between shards) excludes everything else. Transactions holding keys (a multi-key command
/// split over shards: MSET, MGET, DEL…) exclude only what touches those keys, so such commands
/// on different keys run side by side instead of one at a time: each holds its shards for a
/// round trip between executors, which serialized every MSET of a `threads 2` server (41k
/// MSETs a second against 171k with one thread).
///
/// Nothing waits forever: a transaction holding keys is granted only when nothing else waits
/// (no transaction in line, no deferred work), so whatever waits for the keys to drain gets its
/// turn once the current holders release.
#[derive(Default)]
pub struct Gate {
    holder: Option<TxId>,
    /// Held keys, and the transaction holding each.
    held_keys: hashbrown::HashMap<KeyId, TxId, ahash::RandomState>,
    /// Each key-holding transaction's keys, to release them.
    key_holders: Vec<(TxId, Vec<KeyId>)>,
    /// A key-holding transaction whose work runs now (its grant's job).
    running: Option<TxId>,
    waiting: VecDeque<LockWaiter>,
    deferred: VecDeque<Job>,
    local_waiters: Vec<Waker>,
}

impl Gate {
    /// True when no transaction holds the shard or any of its keys.
    pub fn is_free(&self) -> bool {
        self.holder.is_none() && self.held_keys.is_empty()
    }

    /// True when no transaction holds the whole shard (some may hold keys).
    pub fn is_unheld(&self) -> bool {
        self.holder.is_none()
    }

    /// True when a command touching `keys` may run now: no transaction holds the shard or any of
    /// them. A command without keys needs the shard free.
    pub fn admits<'a>(&self, keys: impl IntoIterator<Item = &'a [u8]>) -> bool {
        if self.holder.is_some() {
            return false;
        }
        if self.held_keys.is_empty() {
            return true;
        }
        let mut any = false;
        for key in keys {
            if self.held_keys.contains_key(&key_id(key)) {
                return false;
            }
            any = true;
        }
        any
    }

    /// The transaction on whose behalf this shard's keyspace is being changed, if any: the one
    /// holding the whole shard, or a key-holding one while its work runs.
    pub fn holder(&self) -> Option<TxId> {
        self.holder.or(self.running)
    }

    /// True when `tx` holds the whole shard.
    pub fn held_by(&self, tx: TxId) -> bool {
        self.holder == Some(tx)
    }

    /// Marks `tx` as the key-holding transaction whose work runs now (`None` when done).
    pub fn set_running(&mut self, tx: Option<TxId>) {
        self.running = tx;
    }

    fn can_grant(&self, w: &LockWaiter) -> bool {
        match &w.keys {
            None => self.is_free(),
            Some(keys) => {
                self.holder.is_none()
                    && self.deferred.is_empty()
                    && self.local_waiters.is_empty()
                    && keys.iter().all(|k| !self.held_keys.contains_key(k))
            }
        }
    }

    fn take(&mut self, w: &LockWaiter) {
        match &w.keys {
            None => self.holder = Some(w.tx),
            Some(_) if w.last => {}
            Some(keys) => {
                for &k in keys {
                    self.held_keys.insert(k, w.tx);
                }
                self.key_holders.push((w.tx, keys.clone()));
            }
        }
    }

    /// Takes the lock for `w.tx` if it can be granted now (returning the waiter so the caller
    /// can tell it), or queues the request behind the ones already waiting.
    pub fn request(&mut self, w: LockWaiter) -> Option<LockWaiter> {
        if self.waiting.is_empty() && self.can_grant(&w) {
            self.take(&w);
            Some(w)
        } else {
            self.waiting.push_back(w);
            None
        }
    }

    /// Defers `job` until the shard is released.
    pub fn defer(&mut self, job: Job) {
        self.deferred.push_back(job);
    }

    /// Registers a local task to wake when the shard is released.
    pub fn wait_free(&mut self, waker: Waker) {
        self.local_waiters.push(waker);
    }

    /// Releases the lock held by `tx` (the shard, or its keys). Returns the work that may now
    /// run, in order: deferred jobs (each checks again whether it may run), then the local
    /// waiters to wake. Then call `grant_next` until it returns `None`.
    pub fn release(&mut self, tx: TxId) -> Released {
        if self.holder == Some(tx) {
            self.holder = None;
        } else if let Some(i) = self.key_holders.iter().position(|(t, _)| *t == tx) {
            let (_, keys) = self.key_holders.swap_remove(i);
            for k in keys {
                if self.held_keys.get(&k) == Some(&tx) {
                    self.held_keys.remove(&k);
                }
            }
        } else {
            return Released::default();
        }
        let jobs: Vec<Job> = self.deferred.drain(..).collect();
        let wakers = std::mem::take(&mut self.local_waiters);
        Released { jobs, wakers }
    }

    /// Grants the lock to the first waiting transaction, if it can be granted now.
    pub fn grant_next(&mut self) -> Option<LockWaiter> {
        if !self.can_grant(self.waiting.front()?) {
            return None;
        }
        let w = self.waiting.pop_front()?;
        self.take(&w);
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
