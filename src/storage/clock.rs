//! Time as the keyspace sees it.
//!
//! Owns: `UnixMillis` (a wall-clock instant) and `Deadline` (a stored expiry). A command reads the
//! clock once per batch, so one command sees one time.

use std::num::NonZeroU64;
use std::time::{SystemTime, UNIX_EPOCH};

thread_local! {
    /// Seconds since the epoch as of the executor's current turn (0 = not set on this thread).
    static COARSE_SECS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Sets the coarse clock of this thread (once per network turn).
pub fn set_coarse_now(now: UnixMillis) {
    COARSE_SECS.with(|c| c.set(now.as_secs() as u32));
}

/// Seconds since the epoch, from the coarse clock of this thread (read from the system clock
/// where it is not kept).
pub fn coarse_secs() -> u32 {
    let s = COARSE_SECS.with(|c| c.get());
    if s != 0 {
        s
    } else {
        UnixMillis::now().as_secs() as u32
    }
}

/// Milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UnixMillis(pub u64);

impl UnixMillis {
    /// The current wall-clock time.
    pub fn now() -> UnixMillis {
        let d = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        UnixMillis(d.as_millis() as u64)
    }

    /// Whole seconds since the epoch.
    pub fn as_secs(self) -> u64 {
        self.0 / 1000
    }
}

/// The instant a key expires, in Unix milliseconds. Never zero, so `Option<Deadline>` costs
/// eight bytes per key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Deadline(NonZeroU64);

impl Deadline {
    /// A deadline at `ms` Unix milliseconds; `ms` = 0 is moved to 1 (long past either way).
    pub fn at_ms(ms: u64) -> Deadline {
        Deadline(NonZeroU64::new(ms.max(1)).expect("max(1) is non-zero"))
    }

    /// The deadline in Unix milliseconds.
    pub fn ms(self) -> u64 {
        self.0.get()
    }

    /// True once `now` has reached the deadline (Redis expires a key when now > when; a key whose
    /// deadline equals now is still alive).
    pub fn passed(self, now: UnixMillis) -> bool {
        now.0 > self.0.get()
    }

    /// Milliseconds left at `now` (0 when already due).
    pub fn remaining_ms(self, now: UnixMillis) -> u64 {
        self.0.get().saturating_sub(now.0)
    }
}
