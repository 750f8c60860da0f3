//! The keyspace shard of one executor: its numbered databases and their counters.
//!
//! Owns: every key whose hash maps to this shard, in each of the `databases` DBs, and the
//! keyspace statistics INFO sums over shards. Runs on: the owning executor only.

use super::clock::UnixMillis;
use super::db::Db;

/// Counters of one shard, summed by INFO.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct KeyspaceStats {
    /// Successful key lookups by read commands.
    pub hits: u64,
    /// Failed key lookups by read commands.
    pub misses: u64,
    /// Keys deleted because their deadline passed (lazily or actively).
    pub expired: u64,
    /// Writes since the last successful save (`rdb_changes_since_last_save`).
    pub dirty: u64,
}

/// One shard's databases.
pub struct Keyspace {
    /// The numbered databases, `databases` of them.
    pub dbs: Vec<Db>,
    /// Counters for INFO.
    pub stats: KeyspaceStats,
}

impl Keyspace {
    /// A keyspace with `databases` empty DBs.
    pub fn new(databases: usize) -> Keyspace {
        Keyspace {
            dbs: (0..databases).map(Db::with_index).collect(),
            stats: KeyspaceStats::default(),
        }
    }

    /// Runs one active-expiry step over every DB, looking at up to `budget` keys in all.
    /// Returns true when the step found enough expired keys that another step soon is worth it
    /// (Redis repeats while more than a quarter of the sampled keys were expired).
    pub fn expire_step(&mut self, now: UnixMillis, budget: usize) -> bool {
        let mut sampled = 0;
        let mut expired = 0;
        let per_db = (budget / self.dbs.len().max(1)).max(20);
        for db in &mut self.dbs {
            if db.volatile_len() == 0 {
                continue;
            }
            let s = db.expire_step(now, per_db);
            sampled += s.sampled;
            expired += s.expired;
        }
        self.stats.expired += expired as u64;
        sampled > 0 && expired * 4 > sampled
    }
}
