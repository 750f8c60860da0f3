//! Sleeping on an executor, and how long its network driver may sleep.
//!
//! Owns: the deadlines this executor's tasks sleep until. glommio runs timers only when the
//! driver gives it a turn, and the driver sleeps in its own ring, where glommio's timers cannot
//! wake it; so every sleep of ours goes through [`sleep`], and the driver sleeps no longer than
//! until the nearest deadline. Without them it had to wake every 10 ms to be safe: 100 wake-ups
//! a second per executor, which cost an idle `threads 2` server 1.1 % of a core (0.4 % now).

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// The longest a sleeping driver waits even with no deadline near: a bound on how late it
/// notices anything that woke a task without ringing its doorbell.
const LONGEST_SLEEP: Duration = Duration::from_millis(100);

thread_local! {
    /// Each sleeping task's deadline, with a number telling equal deadlines apart. A sleep
    /// leaves the set when it ends or is dropped, not when its deadline passes: a turn of
    /// glommio's may pass without running its timers, and a deadline dropped then would let the
    /// driver sleep past it.
    static DEADLINES: RefCell<BTreeSet<(Instant, u64)>> = const { RefCell::new(BTreeSet::new()) };
    static NEXT: Cell<u64> = const { Cell::new(0) };
}

/// Takes its deadline out of the set when the sleep ends or is dropped.
struct Registered((Instant, u64));

impl Drop for Registered {
    fn drop(&mut self) {
        DEADLINES.with(|t| t.borrow_mut().remove(&self.0));
    }
}

/// Sleeps for `d` on this executor. Use it instead of glommio's `sleep`: see the module.
pub async fn sleep(d: Duration) {
    let entry = (Instant::now() + d, NEXT.with(|n| n.replace(n.get() + 1)));
    DEADLINES.with(|t| t.borrow_mut().insert(entry));
    let _registered = Registered(entry);
    glommio::timer::sleep(d).await;
}

/// How long the driver may sleep: until the nearest deadline (not at all if one has passed and
/// its sleeper has not run yet), at most `LONGEST_SLEEP`.
pub fn sleep_allowance() -> Duration {
    DEADLINES.with(|t| {
        t.borrow().first().map_or(LONGEST_SLEEP, |(d, _)| {
            d.saturating_duration_since(Instant::now())
                .min(LONGEST_SLEEP)
        })
    })
}
