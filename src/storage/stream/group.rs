//! Consumer groups: where a group has read up to, what it delivered and nobody acknowledged yet
//! (its pending entries list, the PEL), and its consumers.
//!
//! Owns: `ConsumerGroup`, `Consumer` and `Pending`, and the rule that the group's PEL and its
//! consumers' PELs always hold the same IDs: every pending ID is owned by exactly one consumer,
//! the one its `Pending` names. Must not: read the stream's entries (the operations that need
//! both live in `delivery.rs`).

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;

use super::StreamId;
use crate::storage::clock::UnixMillis;

/// A delivered entry not yet acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The consumer it was last delivered to.
    pub consumer: Bytes,
    /// When it was last delivered.
    pub delivery_time: UnixMillis,
    /// How many times it was delivered.
    pub delivery_count: u64,
}

/// One consumer of a group.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Consumer {
    /// The last time it read or claimed (Redis 7.0's `seen-time`).
    pub seen_time: UnixMillis,
    /// The IDs pending for it, a subset of the group's PEL.
    pending: BTreeSet<StreamId>,
}

impl Consumer {
    /// A consumer with nothing pending, last seen at `seen_time`.
    pub fn new(seen_time: UnixMillis) -> Consumer {
        Consumer {
            seen_time,
            pending: BTreeSet::new(),
        }
    }

    /// The IDs pending for this consumer, in order.
    pub fn pending(&self) -> &BTreeSet<StreamId> {
        &self.pending
    }
}

/// A consumer group of one stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerGroup {
    /// The last ID delivered to the group (`last-delivered-id`).
    pub last_id: StreamId,
    /// How many entries the group has read, when known (`entries-read`; Redis stores -1 for
    /// unknown, here `None`).
    pub entries_read: Option<i64>,
    pel: BTreeMap<StreamId, Pending>,
    consumers: BTreeMap<Bytes, Consumer>,
}

impl ConsumerGroup {
    /// A group with no consumers and nothing pending.
    pub fn new(last_id: StreamId, entries_read: Option<i64>) -> ConsumerGroup {
        ConsumerGroup {
            last_id,
            entries_read,
            pel: BTreeMap::new(),
            consumers: BTreeMap::new(),
        }
    }

    /// The pending entries, in ID order.
    pub fn pel(&self) -> &BTreeMap<StreamId, Pending> {
        &self.pel
    }

    /// The consumers, in name order.
    pub fn consumers(&self) -> &BTreeMap<Bytes, Consumer> {
        &self.consumers
    }

    /// The consumer called `name`.
    pub fn consumer(&self, name: &[u8]) -> Option<&Consumer> {
        self.consumers.get(name)
    }

    /// Marks `name` as seen at `now` when it exists (Redis's `streamLookupConsumer`). Returns
    /// whether it exists.
    pub fn touch_consumer(&mut self, name: &[u8], now: UnixMillis) -> bool {
        match self.consumers.get_mut(name) {
            Some(c) => {
                c.seen_time = now;
                true
            }
            None => false,
        }
    }

    /// Creates the consumer `name`, seen at `now`. Returns false when it already exists.
    pub fn create_consumer(&mut self, name: &[u8], now: UnixMillis) -> bool {
        if self.consumers.contains_key(name) {
            return false;
        }
        self.consumers
            .insert(Bytes::copy_from_slice(name), Consumer::new(now));
        true
    }

    /// Marks `name` as seen at `now`, creating it if needed. Returns true when it was created.
    pub fn touch_or_create_consumer(&mut self, name: &[u8], now: UnixMillis) -> bool {
        !self.touch_consumer(name, now) && self.create_consumer(name, now)
    }

    /// Deletes the consumer `name` and its pending entries (from the group's PEL too). Returns
    /// how many were pending for it, or `None` when it does not exist.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let c = self.consumers.remove(name)?;
        for id in &c.pending {
            self.pel.remove(id);
        }
        Some(c.pending.len())
    }

    /// Acknowledges `id`: removes it from the PEL. Returns whether it was pending.
    pub fn ack(&mut self, id: StreamId) -> bool {
        match self.pel.remove(&id) {
            Some(p) => {
                if let Some(c) = self.consumers.get_mut(&p.consumer) {
                    c.pending.remove(&id);
                }
                true
            }
            None => false,
        }
    }

    /// Records that `id` was delivered to `consumer` (which must exist) at `now`: a new pending
    /// entry delivered once, or, when `id` was already pending (an admin moved the group back
    /// with XGROUP SETID), the entry handed to `consumer` with its count reset to 1.
    pub fn deliver(&mut self, id: StreamId, consumer: &[u8], now: UnixMillis) {
        let name = self.consumer_name(consumer);
        if let Some(old) = self.pel.get(&id) {
            if let Some(c) = self.consumers.get_mut(&old.consumer) {
                c.pending.remove(&id);
            }
        }
        self.pel.insert(
            id,
            Pending {
                consumer: name.clone(),
                delivery_time: now,
                delivery_count: 1,
            },
        );
        self.consumers
            .get_mut(&name)
            .expect("the consumer exists")
            .pending
            .insert(id);
    }

    /// The pending entry of `id`, for an update in place (delivery time and count). Its owner
    /// changes only through [`ConsumerGroup::hand_over`].
    pub fn pending_mut(&mut self, id: StreamId) -> Option<&mut Pending> {
        self.pel.get_mut(&id)
    }

    /// Creates a pending entry for `id` owned by `consumer` (which must exist), delivered once
    /// at `now` (XCLAIM FORCE). Returns false, changing nothing, when `id` is already pending.
    pub fn insert_pending(&mut self, id: StreamId, consumer: &[u8], now: UnixMillis) -> bool {
        if self.pel.contains_key(&id) {
            return false;
        }
        self.deliver(id, consumer, now);
        true
    }

    /// Makes the pending `id` owned by `consumer` (which must exist), moving it out of its
    /// previous owner's PEL.
    pub fn hand_over(&mut self, id: StreamId, consumer: &[u8]) {
        let name = self.consumer_name(consumer);
        let Some(p) = self.pel.get_mut(&id) else {
            return;
        };
        if p.consumer == name {
            return;
        }
        let old = std::mem::replace(&mut p.consumer, name.clone());
        if let Some(c) = self.consumers.get_mut(&old) {
            c.pending.remove(&id);
        }
        self.consumers
            .get_mut(&name)
            .expect("the consumer exists")
            .pending
            .insert(id);
    }

    /// The stored name of consumer `name`, shared with its pending entries.
    fn consumer_name(&self, name: &[u8]) -> Bytes {
        self.consumers
            .get_key_value(name)
            .map(|(k, _)| k.clone())
            .expect("the consumer exists")
    }

    /// Adds a loaded consumer with its pending IDs (an RDB load, after the group's PEL was
    /// loaded with [`ConsumerGroup::load_pending`]): each ID becomes owned by it.
    pub fn load_consumer(&mut self, name: Bytes, seen_time: UnixMillis, pending: &[StreamId]) {
        for id in pending {
            if let Some(p) = self.pel.get_mut(id) {
                p.consumer = name.clone();
            }
        }
        let consumer = Consumer {
            seen_time,
            pending: pending
                .iter()
                .copied()
                .filter(|id| self.pel.contains_key(id))
                .collect(),
        };
        self.consumers.insert(name, consumer);
    }

    /// Adds a loaded PEL entry, owned by nobody until a consumer loaded with
    /// [`ConsumerGroup::load_consumer`] names it.
    pub fn load_pending(&mut self, id: StreamId, delivery_time: UnixMillis, delivery_count: u64) {
        self.pel.insert(
            id,
            Pending {
                consumer: Bytes::new(),
                delivery_time,
                delivery_count,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: UnixMillis = UnixMillis(1000);

    fn id(n: u64) -> StreamId {
        StreamId::new(n, 0)
    }

    fn owned(g: &ConsumerGroup, name: &str) -> Vec<u64> {
        g.consumer(name.as_bytes())
            .unwrap()
            .pending()
            .iter()
            .map(|i| i.ms)
            .collect()
    }

    #[test]
    fn delivery_and_ack_keep_both_pels_in_step() {
        let mut g = ConsumerGroup::new(StreamId::MIN, Some(0));
        assert!(g.touch_or_create_consumer(b"alice", T));
        assert!(!g.touch_or_create_consumer(b"alice", UnixMillis(2000)));
        assert_eq!(g.consumer(b"alice").unwrap().seen_time, UnixMillis(2000));
        g.create_consumer(b"bob", T);
        g.deliver(id(1), b"alice", T);
        g.deliver(id(2), b"alice", T);
        g.deliver(id(2), b"bob", UnixMillis(5));
        assert_eq!(owned(&g, "alice"), [1]);
        assert_eq!(owned(&g, "bob"), [2]);
        assert_eq!(g.pel()[&id(2)].delivery_time, UnixMillis(5));
        assert!(g.ack(id(1)));
        assert!(!g.ack(id(1)));
        assert!(owned(&g, "alice").is_empty());
        g.hand_over(id(2), b"alice");
        assert_eq!(owned(&g, "alice"), [2]);
        assert!(owned(&g, "bob").is_empty());
        assert_eq!(g.delete_consumer(b"alice"), Some(1));
        assert!(g.pel().is_empty());
        assert_eq!(g.delete_consumer(b"alice"), None);
    }

    #[test]
    fn forced_entries_are_created_once() {
        let mut g = ConsumerGroup::new(StreamId::MIN, None);
        g.create_consumer(b"c", T);
        assert!(g.insert_pending(id(3), b"c", T));
        assert!(!g.insert_pending(id(3), b"c", T));
        assert_eq!(owned(&g, "c"), [3]);
        assert_eq!(g.pel()[&id(3)].consumer, "c");
    }
}
