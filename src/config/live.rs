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
