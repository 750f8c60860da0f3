//! The counters INFO reports that no command owns, gathered from every shard.
//!
//! Owns: `ShardReport` (one shard's counters, copied out on a hop), the per-shard reset behind
//! CONFIG RESETSTAT, the sampled "instantaneous" rates, and the replication id a master without
//! replicas reports. The operating system's view of the process is `server::probes`. Must not:
//! format INFO text (`commands::info` does) or keep any reference into a shard after a hop
//! returns.

use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use super::connection::connections;
use super::runtime::local;
use super::stats::ShardStats;
use crate::storage::keyspace::{Keyspace, KeyspaceStats};

/// One DB's key counts on one shard (or summed over shards).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DbCounts {
    /// Keys, counting expired keys not reclaimed yet.
    pub keys: u64,
    /// Keys with a deadline.
    pub expires: u64,
}

/// The counters of one shard, or their sum over every shard.
#[derive(Debug, Default, Clone)]
pub struct ShardReport {
    /// Connection and command counters.
    pub stats: ShardStats,
    /// Keyspace counters.
    pub keyspace: KeyspaceStats,
    /// Key counts per DB, indexed by DB number.
    pub dbs: Vec<DbCounts>,
    /// Clients waiting in a blocking command.
    pub blocked_clients: u64,
    /// The longest query buffer of any connection, in bytes.
    pub max_input_buffer: u64,
    /// The longest pending reply buffer of any connection, in bytes.
    pub max_output_buffer: u64,
}

impl ShardReport {
    /// Adds `other` into `self`: counters and key counts are summed, buffer maxima are maxed.
    pub fn merge(&mut self, other: &ShardReport) {
        let (a, b) = (&mut self.stats, &other.stats);
        a.connections_received += b.connections_received;
        a.connected_clients += b.connected_clients;
        a.rejected_connections += b.rejected_connections;
        a.commands_processed += b.commands_processed;
        a.net_input_bytes += b.net_input_bytes;
        a.net_output_bytes += b.net_output_bytes;
        a.error_replies += b.error_replies;
        self.blocked_clients += other.blocked_clients;
        let (a, b) = (&mut self.keyspace, &other.keyspace);
        a.hits += b.hits;
        a.misses += b.misses;
        a.expired += b.expired;
        a.dirty += b.dirty;
        if self.dbs.len() < other.dbs.len() {
            self.dbs.resize(other.dbs.len(), DbCounts::default());
        }
        for (a, b) in self.dbs.iter_mut().zip(&other.dbs) {
            a.keys += b.keys;
            a.expires += b.expires;
        }
        self.max_input_buffer = self.max_input_buffer.max(other.max_input_buffer);
        self.max_output_buffer = self.max_output_buffer.max(other.max_output_buffer);
    }

    /// The sum of every shard's report.
    pub fn total(reports: &[ShardReport]) -> ShardReport {
        let mut sum = ShardReport::default();
        for r in reports {
            sum.merge(r);
        }
        sum
    }
}

/// Copies this shard's counters. Runs on: the shard's executor, inside a hop.
pub fn shard_report(ks: &mut Keyspace) -> ShardReport {
    let mut max_in = 0u64;
    let mut max_out = 0u64;
    for conn in connections() {
        // A connection is never borrowed while a hop runs; skip rather than panic if one is.
        if let Ok(c) = conn.try_borrow() {
            max_in = max_in.max(c.query_buffer_len() as u64);
            max_out = max_out.max(c.out.len() as u64);
        }
    }
    ShardReport {
        stats: *local().stats.borrow(),
        keyspace: ks.stats,
        dbs: ks
            .dbs
            .iter()
            .map(|db| DbCounts {
                keys: db.len() as u64,
                expires: db.volatile_len() as u64,
            })
            .collect(),
        max_input_buffer: max_in,
        max_output_buffer: max_out,
        blocked_clients: super::blocking::blocked_clients() as u64,
    }
}

/// Zeroes this shard's counters, as CONFIG RESETSTAT does. Gauges survive: the number of open
/// connections, and the writes since the last save (which decide when the next save runs).
/// Runs on: the shard's executor, inside a hop.
pub fn reset_shard_stats(ks: &mut Keyspace) {
    let mut s = local().stats.borrow_mut();
    *s = ShardStats {
        connected_clients: s.connected_clients,
        ..ShardStats::default()
    };
    ks.stats = KeyspaceStats {
        dirty: ks.stats.dirty,
        ..KeyspaceStats::default()
    };
}

/// Zeroes the process-wide statistics that are not per shard (the rate samples, the memory
/// peak). The other half of CONFIG RESETSTAT.
pub fn reset_process_stats() {
    *sampler().lock().unwrap_or_else(|e| e.into_inner()) = Sampler::default();
    super::probes::reset_peak_memory();
    crate::persistence::status::reset_stats();
}

/// Rates over the last sampling interval, per second.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Rates {
    /// Commands per second.
    pub ops_per_sec: u64,
    /// Bytes read per second.
    pub input_bytes_per_sec: f64,
    /// Bytes written per second.
    pub output_bytes_per_sec: f64,
}

#[derive(Default)]
struct Sampler {
    last: Option<(Instant, u64, u64, u64)>,
    rates: Rates,
}

/// Samples shorter than this keep the previous rates: a burst of INFO calls would otherwise
/// divide tiny deltas by tiny intervals.
const MIN_SAMPLE_INTERVAL_MS: u128 = 100;

fn sampler() -> &'static Mutex<Sampler> {
    static SAMPLER: OnceLock<Mutex<Sampler>> = OnceLock::new();
    SAMPLER.get_or_init(|| Mutex::new(Sampler::default()))
}

/// The rates since the previous sample, taking `totals` as a new sample when the previous one is
/// at least 100 ms old. Redis samples every 100 ms in its cron; Tessera samples when INFO asks,
/// so the rates cover the interval between two INFO calls (0 until the second one).
pub fn sample_rates(totals: &ShardStats) -> Rates {
    let now = Instant::now();
    let mut s = sampler().lock().unwrap_or_else(|e| e.into_inner());
    let cur = (
        totals.commands_processed,
        totals.net_input_bytes,
        totals.net_output_bytes,
    );
    match s.last {
        Some((at, ops, inb, outb)) => {
            let ms = now.duration_since(at).as_millis();
            if ms >= MIN_SAMPLE_INTERVAL_MS {
                let secs = ms as f64 / 1000.0;
                s.rates = Rates {
                    ops_per_sec: (cur.0.saturating_sub(ops) as f64 / secs) as u64,
                    input_bytes_per_sec: cur.1.saturating_sub(inb) as f64 / secs,
                    output_bytes_per_sec: cur.2.saturating_sub(outb) as f64 / secs,
                };
                s.last = Some((now, cur.0, cur.1, cur.2));
            }
        }
        None => s.last = Some((now, cur.0, cur.1, cur.2)),
    }
    s.rates
}

/// The replication id this server reports as `master_replid`: 40 random hex characters, fixed
/// for the life of the process.
pub fn master_replid() -> &'static str {
    static REPLID: OnceLock<String> = OnceLock::new();
    REPLID.get_or_init(super::shared::Shared::random_run_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_sum_counters_and_max_buffers() {
        let a = ShardReport {
            stats: ShardStats {
                commands_processed: 3,
                connected_clients: 1,
                ..ShardStats::default()
            },
            keyspace: KeyspaceStats {
                hits: 2,
                ..KeyspaceStats::default()
            },
            dbs: vec![DbCounts {
                keys: 5,
                expires: 1,
            }],
            max_input_buffer: 10,
            max_output_buffer: 0,
            blocked_clients: 1,
        };
        let b = ShardReport {
            stats: ShardStats {
                commands_processed: 4,
                ..ShardStats::default()
            },
            keyspace: KeyspaceStats {
                hits: 1,
                misses: 7,
                ..KeyspaceStats::default()
            },
            dbs: vec![
                DbCounts {
                    keys: 2,
                    expires: 0,
                },
                DbCounts {
                    keys: 1,
                    expires: 1,
                },
            ],
            max_input_buffer: 4,
            max_output_buffer: 9,
            blocked_clients: 2,
        };
        let t = ShardReport::total(&[a, b]);
        assert_eq!(t.stats.commands_processed, 7);
        assert_eq!(t.blocked_clients, 3);
        assert_eq!(t.stats.connected_clients, 1);
        assert_eq!(t.keyspace.hits, 3);
        assert_eq!(t.keyspace.misses, 7);
        assert_eq!(
            t.dbs,
            vec![
                DbCounts {
                    keys: 7,
                    expires: 1
                },
                DbCounts {
                    keys: 1,
                    expires: 1
                }
            ]
        );
        assert_eq!((t.max_input_buffer, t.max_output_buffer), (10, 9));
    }

    #[test]
    fn the_replication_id_is_forty_hex_digits_and_stable() {
        let id = master_replid();
        assert_eq!(id.len(), 40);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(id, master_replid());
    }
}
