//! One numbered database of one shard: its keys, their values and deadlines.
//!
//! Owns: the key table of one `DbIndex` on one shard, lazy expiry on access and the active expiry
//! step. Runs on: the owning shard's executor only. Must not: await, touch a socket or a file, or
//! reach another shard.

use bytes::Bytes;
use hashbrown::HashMap;

use super::clock::{Deadline, UnixMillis};
use super::value::Value;

/// A key's value and its deadline.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// What the key holds.
    pub value: Value,
    /// When the key expires; `None` = never.
    pub deadline: Option<Deadline>,
}

impl Entry {
    /// An entry without a deadline.
    pub fn new(value: Value) -> Entry {
        Entry {
            value,
            deadline: None,
        }
    }

    /// True when the entry's deadline has passed at `now`.
    pub fn is_expired(&self, now: UnixMillis) -> bool {
        self.deadline.is_some_and(|d| d.passed(now))
    }
}

/// One database of one shard.
#[derive(Default)]
pub struct Db {
    map: HashMap<Bytes, Entry, ahash::RandomState>,
    volatile: usize,
    /// On a replica, expired keys read as absent but stay until the master's DEL arrives.
    keep_expired: bool,
}

/// What one active-expiry step did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ExpireStep {
    /// Keys with a deadline looked at.
    pub sampled: usize,
    /// Of those, keys deleted because their deadline had passed.
    pub expired: usize,
}

impl Db {
    /// An empty database.
    pub fn new() -> Db {
        Db::default()
    }

    /// Number of keys, counting expired keys not yet reclaimed (as Redis's DBSIZE does).
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when the database holds no key.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Number of keys with a deadline (`INFO keyspace` expires=).
    pub fn volatile_len(&self) -> usize {
        self.volatile
    }

    /// Makes expired keys read as absent without deleting them (replica mode) or not.
    pub fn set_keep_expired(&mut self, keep: bool) {
        self.keep_expired = keep;
    }

    /// Looks `key` up. Side effect: a key whose deadline passed is deleted (unless in replica mode,
    /// where it only reads as absent) and `None` is returned. Counts nothing: hit/miss statistics
    /// are the caller's (`ShardCtx`).
    pub fn get(&mut self, key: &[u8], now: UnixMillis) -> Option<&mut Entry> {
        if self.expire_if_due(key, now) {
            return None;
        }
        self.map.get_mut(key)
    }

    /// Looks `key` up without any side effect; expired keys read as absent.
    pub fn peek(&self, key: &[u8], now: UnixMillis) -> Option<&Entry> {
        self.map.get(key).filter(|e| !e.is_expired(now))
    }

    /// True when `key` exists and has not expired (deleting it if it has).
    pub fn contains(&mut self, key: &[u8], now: UnixMillis) -> bool {
        self.get(key, now).is_some()
    }

    /// Stores `entry` under `key`, replacing whatever was there (value and deadline). Returns the
    /// previous entry, expired or not.
    pub fn insert(&mut self, key: Bytes, entry: Entry) -> Option<Entry> {
        let new_volatile = entry.deadline.is_some();
        let old = self.map.insert(key, entry);
        self.adjust_volatile(
            old.as_ref().is_some_and(|o| o.deadline.is_some()),
            new_volatile,
        );
        old
    }

    /// Removes `key`, returning its entry (expired or not).
    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let old = self.map.remove(key);
        if old.as_ref().is_some_and(|o| o.deadline.is_some()) {
            self.volatile -= 1;
        }
        old
    }

    /// Sets or clears the deadline of an existing key. Returns false when the key is absent.
    pub fn set_deadline(&mut self, key: &[u8], deadline: Option<Deadline>) -> bool {
        let Some(e) = self.map.get_mut(key) else {
            return false;
        };
        let was = e.deadline.is_some();
        e.deadline = deadline;
        self.adjust_volatile(was, deadline.is_some());
        true
    }

    /// Removes every key.
    pub fn clear(&mut self) {
        self.map.clear();
        self.volatile = 0;
    }

    /// Every key and entry, expired or not, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&Bytes, &Entry)> {
        self.map.iter()
    }

    /// One step of active expiry: looks at up to `budget` keys with a deadline and deletes those
    /// whose deadline passed. Returns what it did.
    pub fn expire_step(&mut self, now: UnixMillis, budget: usize) -> ExpireStep {
        let mut step = ExpireStep::default();
        if self.volatile == 0 || self.keep_expired {
            return step;
        }
        let mut due = Vec::new();
        for (k, e) in self.map.iter() {
            if e.deadline.is_some() {
                step.sampled += 1;
                if e.is_expired(now) {
                    due.push(k.clone());
                }
                if step.sampled >= budget {
                    break;
                }
            }
        }
        for k in due {
            self.remove(&k);
            step.expired += 1;
        }
        step
    }

    fn expire_if_due(&mut self, key: &[u8], now: UnixMillis) -> bool {
        let due = self.map.get(key).is_some_and(|e| e.is_expired(now));
        if due && !self.keep_expired {
            self.remove(key);
        }
        due
    }

    fn adjust_volatile(&mut self, was: bool, is: bool) {
        match (was, is) {
            (false, true) => self.volatile += 1,
            (true, false) => self.volatile -= 1,
            _ => {}
        }
    }
}
