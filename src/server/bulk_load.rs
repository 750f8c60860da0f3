//! Handing keys read from an RDB (a file at start-up, or a master's full sync) to the shards
//! that own them, in batches, from a thread of the loader's own.
//!
//! Owns: `BulkLoader`. The reader thread parses; each shard inserts its own keys between its
//! commands, so loading uses every core and no shard's keyspace is touched by another thread.
//! At most `MAX_IN_FLIGHT` batches wait in the shards' mailboxes, so a fast reader cannot pile
//! the whole file up in memory.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::runtime::post_job;
use bytes::Bytes;

use super::shards::{key_slot, owner_of_slot, ShardId};
use crate::rdb::{KeyEntry, Payload};
use crate::storage::clock::UnixMillis;
use crate::storage::db::Entry;
use crate::storage::keyspace::Keyspace;

/// Keys per batch.
const BATCH: usize = 512;
/// Batches handed to shards and not inserted yet, at most.
const MAX_IN_FLIGHT: usize = 64;

/// What a load inserted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LoadCounts {
    /// Keys stored.
    pub loaded: u64,
    /// Keys dropped because their deadline had passed.
    pub expired: u64,
}

/// Where a shard puts one loaded key: its keyspace, DB index, key, entry. Runs on the shard.
pub type Sink = fn(&mut Keyspace, usize, Bytes, Entry);

/// Sends keys to their shards in batches. Usable from any thread.
pub struct BulkLoader {
    shards: usize,
    databases: usize,
    /// Keep keys whose deadline passed (a replica keeps them until its master deletes them).
    keep_expired: bool,
    batches: Vec<Vec<KeyEntry>>,
    in_flight: Arc<AtomicUsize>,
    counts: LoadCounts,
    sink: Sink,
}

/// The default sink: the key goes into the live keyspace, replacing any key of that name.
fn insert_live(ks: &mut Keyspace, db: usize, key: Bytes, entry: Entry) {
    ks.dbs[db].insert(key, entry);
}

impl BulkLoader {
    /// A loader for a server of `shards` shards and `databases` DBs.
    pub fn new(shards: usize, databases: usize, keep_expired: bool) -> BulkLoader {
        BulkLoader::with_sink(shards, databases, keep_expired, insert_live)
    }

    /// A loader whose shards hand each key to `sink` instead of their live keyspace (a replica
    /// loads its master's dataset aside while clients still read the old one).
    pub fn with_sink(
        shards: usize,
        databases: usize,
        keep_expired: bool,
        sink: Sink,
    ) -> BulkLoader {
        BulkLoader {
            shards,
            databases,
            keep_expired,
            batches: (0..shards).map(|_| Vec::with_capacity(BATCH)).collect(),
            in_flight: Arc::new(AtomicUsize::new(0)),
            counts: LoadCounts::default(),
            sink,
        }
    }

    /// Queues one key; sends its shard's batch when full. Keys of a DB beyond the server's
    /// count are dropped (the caller checked the file against `databases` already).
    pub fn add(&mut self, entry: KeyEntry, now: UnixMillis) {
        if entry.db as usize >= self.databases {
            return;
        }
        if !self.keep_expired && entry.is_expired_at(now) {
            self.counts.expired += 1;
            return;
        }
        self.counts.loaded += 1;
        let shard = owner_of_slot(key_slot(&entry.key), self.shards);
        self.batches[shard].push(entry);
        if self.batches[shard].len() >= BATCH {
            self.send(shard);
        }
    }

    fn send(&mut self, shard: ShardId) {
        let batch = std::mem::replace(&mut self.batches[shard], Vec::with_capacity(BATCH));
        if batch.is_empty() {
            return;
        }
        while self.in_flight.load(Ordering::Acquire) >= MAX_IN_FLIGHT {
            std::thread::sleep(Duration::from_micros(200));
        }
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        let in_flight = self.in_flight.clone();
        let sink = self.sink;
        post_job(
            shard,
            Box::new(move || {
                super::runtime::with_keyspace(|ks| {
                    for e in batch {
                        let deadline = e.deadline();
                        let Payload::Value(value) = e.value else {
                            continue;
                        };
                        let mut entry = Entry::new(value);
                        entry.deadline = deadline;
                        sink(ks, e.db as usize, e.key, entry);
                    }
                });
                in_flight.fetch_sub(1, Ordering::AcqRel);
            }),
        );
    }

    /// Sends what is left and waits until every shard inserted its keys.
    pub fn finish(mut self) -> LoadCounts {
        for s in 0..self.shards {
            self.send(s);
        }
        while self.in_flight.load(Ordering::Acquire) > 0 {
            std::thread::sleep(Duration::from_micros(200));
        }
        self.counts
    }

    /// What was handed out so far.
    pub fn counts(&self) -> LoadCounts {
        self.counts
    }
}
