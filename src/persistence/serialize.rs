//! Walking keyspaces into an `RdbWriter`: the one loop every save runs, in the snapshot child
//! over every shard at once, and in SAVE one shard at a time.
//!
//! Owns: the order of a file's keys (database by database; within a database, shard by shard),
//! the per-database sizes written before the keys (RESIZEDB takes the sum over shards, so they
//! are counted first), progress reports every [`PROGRESS_EVERY`] keys, and `rdb-key-save-delay`.
//! Must not: log, allocate per key, or reach a keyspace it was not handed.

use std::io::{self, Write};

use crate::rdb::RdbWriter;
use crate::storage::db::Db;
use crate::storage::keyspace::Keyspace;

/// Keys between two progress reports.
pub const PROGRESS_EVERY: u64 = 1024;

/// Keys and keys with an expiry of each database of one shard, by database number.
pub fn db_sizes(ks: &Keyspace) -> Vec<(u64, u64)> {
    ks.dbs
        .iter()
        .map(|d| (d.len() as u64, d.volatile_len() as u64))
        .collect()
}

/// Sums per-shard [`db_sizes`] database by database.
pub fn sum_sizes(per_shard: &[Vec<(u64, u64)>]) -> Vec<(u64, u64)> {
    let dbs = per_shard.iter().map(Vec::len).max().unwrap_or(0);
    (0..dbs)
        .map(|db| {
            per_shard
                .iter()
                .filter_map(|s| s.get(db))
                .fold((0, 0), |(k, v), &(k2, v2)| (k + k2, v + v2))
        })
        .collect()
}

/// Counts keys written and calls back every [`PROGRESS_EVERY`] of them; sleeps after each key
/// when `rdb-key-save-delay` asks for it.
pub struct Progress<'a> {
    keys: u64,
    key_delay: i32,
    tick: &'a mut dyn FnMut(u64),
}

impl<'a> Progress<'a> {
    /// Starts at 0 keys. `tick` gets the count so far every [`PROGRESS_EVERY`] keys.
    pub fn new(key_delay: i32, tick: &'a mut dyn FnMut(u64)) -> Progress<'a> {
        Progress {
            keys: 0,
            key_delay,
            tick,
        }
    }

    /// Keys written so far.
    pub fn keys(&self) -> u64 {
        self.keys
    }

    fn key_done(&mut self) {
        self.keys += 1;
        if self.keys.is_multiple_of(PROGRESS_EVERY) {
            (self.tick)(self.keys);
        }
        debug_delay(self.key_delay);
    }
}

/// Sleeps as Redis's `debugDelay` does: `usec` microseconds when positive; when negative, one
/// microsecond with a chance of one in `-usec` (short sleeps on average without a system call
/// per key); nothing when 0.
pub fn debug_delay(usec: i32) {
    let usec = match usec {
        0 => return,
        n if n < 0 => u32::from(rand::random::<u32>().is_multiple_of(n.unsigned_abs())),
        n => n as u32,
    };
    if usec > 0 {
        std::thread::sleep(std::time::Duration::from_micros(usec as u64));
    }
}

/// Writes every key of `db` (one shard's part of a database), expired or not: whoever loads
/// the file drops what has expired by then, as Redis does.
pub fn write_db_part<W: Write>(
    rdb: &mut RdbWriter<W>,
    db: &Db,
    progress: &mut Progress<'_>,
) -> io::Result<()> {
    for (key, entry) in db.iter() {
        let expire = entry.deadline.map(|d| d.ms() as i64);
        rdb.write_entry(key, &entry.value, expire)?;
        progress.key_done();
    }
    Ok(())
}

/// Writes every database of `shards`, in database order, each preceded by SELECTDB and the
/// summed RESIZEDB hint; empty databases are left out. Returns the keys written.
pub fn write_keyspaces<W: Write>(
    rdb: &mut RdbWriter<W>,
    shards: &[&Keyspace],
    progress: &mut Progress<'_>,
) -> io::Result<u64> {
    let sizes: Vec<Vec<(u64, u64)>> = shards.iter().map(|ks| db_sizes(ks)).collect();
    for (db, &(keys, volatile)) in sum_sizes(&sizes).iter().enumerate() {
        if keys == 0 {
            continue;
        }
        rdb.select_db(db as u64, keys, volatile)?;
        for ks in shards {
            if let Some(d) = ks.dbs.get(db) {
                write_db_part(rdb, d, progress)?;
            }
        }
    }
    Ok(progress.keys())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rdb::{read_all, AuxFields, ReadOptions, WriteOptions};
    use crate::storage::clock::Deadline;
    use crate::storage::db::Entry;
    use crate::storage::value::Value;
    use bytes::Bytes;

    fn shard(keys: &[(usize, &str)]) -> Keyspace {
        let mut ks = Keyspace::new(16);
        for &(db, k) in keys {
            let mut e = Entry::new(Value::Str(Bytes::copy_from_slice(k.as_bytes()).into()));
            if k.starts_with('x') {
                e.deadline = Some(Deadline::at_ms(4_000_000_000_000));
            }
            ks.dbs[db].insert(Bytes::copy_from_slice(k.as_bytes()), e);
        }
        ks
    }

    #[test]
    fn shards_are_merged_database_by_database() {
        let a = shard(&[(0, "a"), (3, "xb")]);
        let b = shard(&[(0, "c"), (0, "xd"), (9, "e")]);
        let mut ticks = Vec::new();
        let mut tick = |n| ticks.push(n);
        let mut progress = Progress::new(0, &mut tick);
        let mut rdb =
            RdbWriter::new(Vec::new(), WriteOptions::default(), &AuxFields::default()).unwrap();
        let n = write_keyspaces(&mut rdb, &[&a, &b], &mut progress).unwrap();
        assert_eq!(n, 5);
        let bytes = rdb.finish().unwrap();
        let (_, keys) = read_all(&bytes[..], ReadOptions::default()).unwrap();
        let got: Vec<(u64, String, bool)> = keys
            .iter()
            .map(|k| {
                (
                    k.db,
                    String::from_utf8_lossy(&k.key).into_owned(),
                    k.expire_ms.is_some(),
                )
            })
            .collect();
        let mut db0: Vec<_> = got.iter().filter(|k| k.0 == 0).cloned().collect();
        db0.sort();
        assert_eq!(
            db0,
            [
                (0, "a".into(), false),
                (0, "c".into(), false),
                (0, "xd".into(), true)
            ]
        );
        assert_eq!(got[3], (3, "xb".into(), true));
        assert_eq!(got[4], (9, "e".into(), false));
    }

    #[test]
    fn progress_ticks_every_thousand_and_twenty_four_keys() {
        let names: Vec<String> = (0..2500).map(|i| format!("k{i}")).collect();
        let keys: Vec<(usize, &str)> = names.iter().map(|n| (1, n.as_str())).collect();
        let ks = shard(&keys);
        let mut ticks = Vec::new();
        let mut tick = |n| ticks.push(n);
        let mut progress = Progress::new(0, &mut tick);
        let mut rdb = RdbWriter::new(
            std::io::sink(),
            WriteOptions::default(),
            &AuxFields::default(),
        )
        .unwrap();
        write_keyspaces(&mut rdb, &[&ks], &mut progress).unwrap();
        assert_eq!(ticks, [1024, 2048]);
    }

    #[test]
    fn sizes_sum_over_shards() {
        let s = sum_sizes(&[vec![(1, 0), (2, 1)], vec![(3, 3)]]);
        assert_eq!(s, [(4, 3), (2, 1)]);
    }
}
