//! Configuration values read on the hot path, readable from any executor without a lock.
//!
//! Owns: the atomics that mirror the few directives commands consult per call. CONFIG SET and
//! start-up write them; everything else reads them.

use std::sync::atomic::{AtomicU64, Ordering};

static PROTO_MAX_BULK_LEN: AtomicU64 = AtomicU64::new(512 * 1024 * 1024);

/// `proto-max-bulk-len`: the longest bulk string a request may carry, and the longest string
/// SETRANGE/APPEND may build.
pub fn proto_max_bulk_len() -> u64 {
    PROTO_MAX_BULK_LEN.load(Ordering::Relaxed)
}

/// Sets `proto-max-bulk-len`.
pub fn set_proto_max_bulk_len(v: u64) {
    PROTO_MAX_BULK_LEN.store(v, Ordering::Relaxed);
}

static CLIENT_QUERY_BUFFER_LIMIT: AtomicU64 = AtomicU64::new(1024 * 1024 * 1024);
static MAXCLIENTS: AtomicU64 = AtomicU64::new(10000);

/// `client-query-buffer-limit`: the most unparsed input a client may accumulate.
pub fn client_query_buffer_limit() -> u64 {
    CLIENT_QUERY_BUFFER_LIMIT.load(Ordering::Relaxed)
}

/// Sets `client-query-buffer-limit`.
pub fn set_client_query_buffer_limit(v: u64) {
    CLIENT_QUERY_BUFFER_LIMIT.store(v, Ordering::Relaxed);
}

/// `maxclients`: the most connections the server accepts at once.
pub fn maxclients() -> u64 {
    MAXCLIENTS.load(Ordering::Relaxed)
}

/// Sets `maxclients`.
pub fn set_maxclients(v: u64) {
    MAXCLIENTS.store(v, Ordering::Relaxed);
}

/// Encoding thresholds the data types consult on every write that may convert a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    /// `list-max-listpack-size` (negative: a byte limit per node, -2 = 8 KiB).
    ListMaxListpackSize,
    /// `hash-max-listpack-entries`.
    HashMaxListpackEntries,
    /// `hash-max-listpack-value`.
    HashMaxListpackValue,
    /// `set-max-intset-entries`.
    SetMaxIntsetEntries,
    /// `set-max-listpack-entries`.
    SetMaxListpackEntries,
    /// `set-max-listpack-value`.
    SetMaxListpackValue,
    /// `zset-max-listpack-entries`.
    ZsetMaxListpackEntries,
    /// `zset-max-listpack-value`.
    ZsetMaxListpackValue,
    /// `stream-node-max-bytes`.
    StreamNodeMaxBytes,
    /// `stream-node-max-entries`.
    StreamNodeMaxEntries,
}

use std::sync::atomic::AtomicI64;

static THRESHOLDS: [AtomicI64; 10] = [
    AtomicI64::new(-2),
    AtomicI64::new(512),
    AtomicI64::new(64),
    AtomicI64::new(512),
    AtomicI64::new(128),
    AtomicI64::new(64),
    AtomicI64::new(128),
    AtomicI64::new(64),
    AtomicI64::new(4096),
    AtomicI64::new(100),
];

/// The current value of an encoding threshold.
pub fn threshold(t: Threshold) -> i64 {
    THRESHOLDS[t as usize].load(Ordering::Relaxed)
}

/// Sets an encoding threshold.
pub fn set_threshold(t: Threshold, v: i64) {
    THRESHOLDS[t as usize].store(v, Ordering::Relaxed);
}
