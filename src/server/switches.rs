//! Process-wide switches that DEBUG flips at run time, for tests.
//!
//! Owns: the atomics behind `DEBUG SET-ACTIVE-EXPIRE`. Readable from any executor without a lock.

use std::sync::atomic::{AtomicBool, Ordering};

static ACTIVE_EXPIRE: AtomicBool = AtomicBool::new(true);

/// True unless `DEBUG SET-ACTIVE-EXPIRE 0` turned the active expiry cycle off. Keys still expire
/// lazily, when a command reads them, either way.
pub fn active_expire_enabled() -> bool {
    ACTIVE_EXPIRE.load(Ordering::Relaxed)
}

/// Turns the active expiry cycle on or off (`DEBUG SET-ACTIVE-EXPIRE 1|0`).
pub fn set_active_expire(on: bool) {
    ACTIVE_EXPIRE.store(on, Ordering::Relaxed);
}
