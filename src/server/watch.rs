//! WATCH bookkeeping on the shard that owns the watched keys.
//!
//! Owns: the registry of watched keys of this executor's keyspace shard (which clients, on any
//! executor, watch each key) and the rule that a change to a watched key marks every watcher's
//! transaction as doomed. The watcher's own side (its flag, the keys it watches) lives with its
//! connection in `server::transaction`.

use bytes::Bytes;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use crate::storage::clock::UnixMillis;
use crate::storage::keyspace::Keyspace;

/// Set once a key the client watches changed: its next EXEC fails. Shared between the client's
/// executor and the executors owning its watched keys.
#[derive(Debug)]
pub struct WatchFlag {
    dirty: AtomicBool,
    /// The earliest deadline (Unix ms) of a watched key that had one when it was watched: a key
    /// that expires before EXEC changed too, as Redis 7.0 sees it.
    first_deadline: AtomicU64,
}

impl Default for WatchFlag {
    fn default() -> WatchFlag {
        WatchFlag {
            dirty: AtomicBool::new(false),
            first_deadline: AtomicU64::new(u64::MAX),
        }
    }
}

impl WatchFlag {
    /// True once a watched key changed, or expired by `now`.
    pub fn is_dirty(&self, now: UnixMillis) -> bool {
        self.dirty.load(Ordering::Acquire) || self.first_deadline.load(Ordering::Acquire) < now.0
    }

    /// Marks the transaction as doomed.
    pub fn set_dirty(&self) {
        self.dirty.store(true, Ordering::Release);
    }

    /// Notes that a watched key expires at `at` (Unix ms) unless changed before.
    fn expires_at(&self, at: u64) {
        self.first_deadline.fetch_min(at, Ordering::AcqRel);
    }
}

/// A key of one DB.
type DbKey = (usize, Bytes);

thread_local! {
    /// (db, key) → the flags of the clients watching it. Weak: a client that unwatched or went
    /// away leaves a dead entry, dropped the next time the key is touched or watched.
    static WATCHED: RefCell<HashMap<DbKey, Vec<Weak<WatchFlag>>>> = RefCell::new(HashMap::new());
}

/// Registers `flag` as watching `key` of DB `db` on this shard's `ks`.
pub fn watch(ks: &mut Keyspace, db: usize, key: Bytes, flag: &Arc<WatchFlag>) {
    let now = UnixMillis::now();
    if let Some(d) = ks.dbs[db].peek(&key, now).and_then(|e| e.deadline) {
        flag.expires_at(d.ms());
    }
    WATCHED.with(|w| {
        let mut w = w.borrow_mut();
        let list = w.entry((db, key)).or_default();
        list.retain(|f| f.strong_count() > 0);
        if !list.iter().any(|f| f.ptr_eq(&Arc::downgrade(flag))) {
            list.push(Arc::downgrade(flag));
        }
    });
    super::key_events::interest_changed();
}

/// Drops `flag` from the watchers of `keys` (UNWATCH, EXEC, DISCARD, a closed connection).
pub fn unwatch(keys: &[(usize, Bytes)], flag: &Weak<WatchFlag>) {
    WATCHED.with(|w| {
        let mut w = w.borrow_mut();
        for k in keys {
            if let Some(list) = w.get_mut(k) {
                list.retain(|f| f.strong_count() > 0 && !f.ptr_eq(flag));
                if list.is_empty() {
                    w.remove(k);
                }
            }
        }
    });
    super::key_events::interest_changed();
}

/// Number of watched keys on this shard.
pub fn watched_keys() -> usize {
    WATCHED.with(|w| w.borrow().len())
}

/// A change to `key` of DB `db`: every client watching it will see its EXEC fail.
pub fn touch(db: usize, key: &[u8]) {
    WATCHED.with(|w| {
        let mut w = w.borrow_mut();
        if w.is_empty() {
            return;
        }
        // The map is keyed by owned bytes; a borrowed lookup needs the same tuple shape.
        let probe = (db, Bytes::copy_from_slice(key));
        if let Some(list) = w.remove(&probe) {
            mark(&list);
        }
    });
}

/// A change to an unknown set of keys of DB `db` (a command whose keys are found by parsing):
/// every watcher of a key in `db` is doomed.
pub fn touch_db(db: usize) {
    touch_where(|d, _| d == db);
}

/// Before DB `db` of `ks` (every DB when `None`) is emptied or swapped: the watched keys that
/// exist there now are changed by it; watched keys that do not exist are not.
pub fn touch_existing(ks: &mut Keyspace, db: Option<usize>) {
    if watched_keys() == 0 {
        return;
    }
    let now = UnixMillis::now();
    touch_where(|d, key| db.is_none_or(|x| x == d) && ks.dbs[d].peek(key, now).is_some());
}

fn touch_where(mut pred: impl FnMut(usize, &Bytes) -> bool) {
    WATCHED.with(|w| {
        let mut w = w.borrow_mut();
        w.retain(|(d, key), list| {
            if pred(*d, key) {
                mark(list);
                false
            } else {
                true
            }
        });
    });
}

fn mark(list: &[Weak<WatchFlag>]) {
    for f in list.iter().filter_map(Weak::upgrade) {
        f.set_dirty();
    }
}
