//! Typed views of the directives the server itself acts on.
//!
//! Owns: one method per setting the server reads at start or per tick, returning the type the
//! server wants: `u16` for the port, units in the name (`_secs`, `_ms`), paths resolved against
//! `dir`.
//! Anything not here is reachable through `Config::flag`/`int`/`text`/`choice` with an `Id`.

use std::path::{Path, PathBuf};

use super::store::Config;
use super::table::Id;
use super::value::{ObufLimit, SavePoint, Value};

impl Config {
    /// `port`: the TCP port to listen on; 0 disables TCP.
    pub fn port(&self) -> u16 {
        self.int(Id::Port) as u16
    }

    /// `bind`: the addresses to listen on. A leading `-` marks an address that may be missing
    /// (Redis's convention, as in the default `* -::*`).
    pub fn bind(&self) -> &[String] {
        match self.value(Id::Bind) {
            Value::Bind(addrs) => addrs,
            _ => &[],
        }
    }

    /// `protected-mode`.
    pub fn protected_mode(&self) -> bool {
        self.flag(Id::ProtectedMode)
    }

    /// `requirepass`: the default user's password, if one is set.
    pub fn requirepass(&self) -> Option<&str> {
        non_empty(self.text(Id::Requirepass))
    }

    /// `daemonize`.
    pub fn daemonize(&self) -> bool {
        self.flag(Id::Daemonize)
    }

    /// `pidfile`, resolved against `dir` when relative; `None` when unset.
    pub fn pidfile(&self) -> Option<PathBuf> {
        non_empty(self.text(Id::Pidfile)).map(|p| self.dir().join(p))
    }

    /// `logfile` as written: "" means standard output.
    pub fn logfile(&self) -> &str {
        self.text(Id::Logfile)
    }

    /// `logfile` resolved against `dir` when relative; `None` for standard output.
    pub fn logfile_path(&self) -> Option<PathBuf> {
        non_empty(self.logfile()).map(|p| self.dir().join(p))
    }

    /// `loglevel`: debug, verbose, notice, warning or nothing.
    pub fn loglevel(&self) -> &'static str {
        self.choice(Id::Loglevel)
    }

    /// `dir`: the absolute directory for snapshots. Relative `logfile`, `pidfile` and
    /// `dbfilename` resolve against it, as they do in Redis, which changes into it.
    pub fn dir(&self) -> &Path {
        match self.value(Id::Dir) {
            Value::Dir(p) => p,
            _ => Path::new("."),
        }
    }

    /// `dbfilename`: the snapshot's file name, without directory.
    pub fn dbfilename(&self) -> &str {
        self.text(Id::Dbfilename)
    }

    /// Where the snapshot is written and read: `dir`/`dbfilename`.
    pub fn rdb_path(&self) -> PathBuf {
        self.dir().join(self.dbfilename())
    }

    /// `save`: the automatic snapshot triggers; empty when disabled.
    pub fn save_points(&self) -> &[SavePoint] {
        match self.value(Id::Save) {
            Value::Save(points) => points,
            _ => &[],
        }
    }

    /// `databases`: how many numbered databases exist.
    pub fn databases(&self) -> usize {
        self.int(Id::Databases) as usize
    }

    /// `threads`: how many shard executors to run. 0 (the default) means one per CPU this
    /// process may run on.
    pub fn threads(&self) -> usize {
        match self.int(Id::Threads) {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n as usize,
        }
    }

    /// `hz`: background task frequency, already clamped to 1..=500.
    pub fn hz(&self) -> u32 {
        self.int(Id::Hz) as u32
    }

    /// `maxclients`.
    pub fn maxclients(&self) -> u64 {
        self.int(Id::Maxclients) as u64
    }

    /// `timeout`: close a client idle for this many seconds; 0 never.
    pub fn timeout_secs(&self) -> u64 {
        self.int(Id::Timeout) as u64
    }

    /// `tcp-keepalive`: seconds between TCP keepalive probes; 0 disables them.
    pub fn tcp_keepalive_secs(&self) -> u64 {
        self.int(Id::TcpKeepalive) as u64
    }

    /// `tcp-backlog`: the listen queue length.
    pub fn tcp_backlog(&self) -> u32 {
        self.int(Id::TcpBacklog) as u32
    }

    /// `replicaof`: the master to follow, if any.
    pub fn replicaof(&self) -> Option<(&str, u16)> {
        match self.value(Id::Replicaof) {
            Value::ReplicaOf(Some((host, port))) => Some((host, *port)),
            _ => None,
        }
    }

    /// `masterauth`: the password to send the master, if any.
    pub fn masterauth(&self) -> Option<&str> {
        non_empty(self.text(Id::Masterauth))
    }

    /// `masteruser`: the user to authenticate as with the master, if any.
    pub fn masteruser(&self) -> Option<&str> {
        non_empty(self.text(Id::Masteruser))
    }

    /// `replica-read-only`.
    pub fn replica_read_only(&self) -> bool {
        self.flag(Id::ReplicaReadOnly)
    }

    /// `repl-backlog-size` in bytes.
    pub fn repl_backlog_size(&self) -> u64 {
        self.int(Id::ReplBacklogSize) as u64
    }

    /// `repl-timeout` in seconds.
    pub fn repl_timeout_secs(&self) -> u64 {
        self.int(Id::ReplTimeout) as u64
    }

    /// `repl-ping-replica-period` in seconds.
    pub fn repl_ping_replica_period_secs(&self) -> u64 {
        self.int(Id::ReplPingReplicaPeriod) as u64
    }

    /// `repl-diskless-sync`.
    pub fn repl_diskless_sync(&self) -> bool {
        self.flag(Id::ReplDisklessSync)
    }

    /// `repl-diskless-sync-delay` in seconds.
    pub fn repl_diskless_sync_delay_secs(&self) -> u64 {
        self.int(Id::ReplDisklessSyncDelay) as u64
    }

    /// `repl-diskless-load`: disabled, on-empty-db or swapdb.
    pub fn repl_diskless_load(&self) -> &'static str {
        self.choice(Id::ReplDisklessLoad)
    }

    /// `min-replicas-to-write`.
    pub fn min_replicas_to_write(&self) -> u32 {
        self.int(Id::MinReplicasToWrite) as u32
    }

    /// `min-replicas-max-lag` in seconds.
    pub fn min_replicas_max_lag_secs(&self) -> u64 {
        self.int(Id::MinReplicasMaxLag) as u64
    }

    /// `proto-max-bulk-len` in bytes.
    pub fn proto_max_bulk_len(&self) -> u64 {
        self.int(Id::ProtoMaxBulkLen) as u64
    }

    /// `client-query-buffer-limit` in bytes.
    pub fn client_query_buffer_limit(&self) -> u64 {
        self.int(Id::ClientQueryBufferLimit) as u64
    }

    /// `client-output-buffer-limit` for normal clients, replicas and pub/sub clients.
    pub fn client_output_buffer_limits(&self) -> [ObufLimit; 3] {
        match self.value(Id::ClientOutputBufferLimit) {
            Value::Obuf(limits) => *limits,
            _ => Default::default(),
        }
    }

    /// `rdbcompression`.
    pub fn rdbcompression(&self) -> bool {
        self.flag(Id::Rdbcompression)
    }

    /// `rdb-key-save-delay`: microseconds a save sleeps after each key (negative: 1 µs with a
    /// chance of 1 in -N), for tests.
    pub fn rdb_key_save_delay(&self) -> i32 {
        self.int(Id::RdbKeySaveDelay) as i32
    }

    /// `key-load-delay`: as `rdb-key-save-delay`, for each key loaded.
    pub fn key_load_delay(&self) -> i32 {
        self.int(Id::KeyLoadDelay) as i32
    }

    /// `stop-writes-on-bgsave-error`.
    pub fn stop_writes_on_bgsave_error(&self) -> bool {
        self.flag(Id::StopWritesOnBgsaveError)
    }

    /// `rdbchecksum`.
    pub fn rdbchecksum(&self) -> bool {
        self.flag(Id::Rdbchecksum)
    }

    /// `maxmemory` in bytes; 0 means no limit.
    pub fn maxmemory(&self) -> u64 {
        self.int(Id::Maxmemory) as u64
    }

    /// `maxmemory-policy`.
    pub fn maxmemory_policy(&self) -> &'static str {
        self.choice(Id::MaxmemoryPolicy)
    }

    /// `notify-keyspace-events` as `NOTIFY_*` bits (see `config::value`).
    pub fn keyspace_events(&self) -> u32 {
        match self.value(Id::NotifyKeyspaceEvents) {
            Value::Events(bits) => *bits,
            _ => 0,
        }
    }

    /// `slowlog-log-slower-than` in microseconds; negative disables the slow log.
    pub fn slowlog_log_slower_than_us(&self) -> i64 {
        self.int(Id::SlowlogLogSlowerThan)
    }

    /// `slowlog-max-len`.
    pub fn slowlog_max_len(&self) -> u64 {
        self.int(Id::SlowlogMaxLen) as u64
    }

    /// `latency-monitor-threshold` in milliseconds; 0 disables the monitor.
    pub fn latency_monitor_threshold_ms(&self) -> u64 {
        self.int(Id::LatencyMonitorThreshold) as u64
    }
}

fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_read_through_typed_accessors() {
        let c = Config::default();
        assert_eq!(c.port(), 6379);
        assert_eq!(c.bind(), ["*", "-::*"]);
        assert_eq!(c.requirepass(), None);
        assert_eq!(c.pidfile(), None);
        assert_eq!(c.logfile_path(), None);
        assert_eq!(c.save_points().len(), 3);
        assert_eq!(
            c.save_points()[0],
            SavePoint {
                seconds: 3600,
                changes: 1
            }
        );
        assert_eq!(c.replicaof(), None);
        assert_eq!(c.maxmemory_policy(), "noeviction");
        assert_eq!(c.client_output_buffer_limits()[1].hard_bytes, 256 << 20);
        assert!(c.dir().is_absolute());
        assert_eq!(c.rdb_path(), c.dir().join("dump.rdb"));
    }

    #[test]
    fn zero_threads_means_one_per_cpu() {
        let c = Config::default();
        assert_eq!(c.int(Id::Threads), 0);
        assert!(c.threads() >= 1);
    }
}
