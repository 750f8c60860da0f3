//! Active expiry: reclaiming keys whose deadline passed without anyone reading them.
//!
//! Owns: the per-shard background task that, `hz` times a second, samples keys with a deadline
//! and deletes the expired ones, repeating while a large share of the sample was expired, within
//! a time budget so clients barely notice (Redis's active expire cycle, per shard).

use std::time::{Duration, Instant};

use super::runtime::{local, wait_gate_unheld, with_keyspace};
use super::shared::shared;
use crate::storage::clock::UnixMillis;

/// Keys looked at per step.
const STEP_BUDGET: usize = 200;
/// Share of each cycle's period the cycle may use (Redis: 25 %).
const CYCLE_SHARE_PERCENT: u32 = 25;

/// Runs the active expiry cycle forever.
pub async fn run() {
    loop {
        let hz = shared()
            .config
            .read()
            .map(|c| c.hz())
            .unwrap_or(10)
            .clamp(1, 500);
        let period = Duration::from_millis(1000 / hz as u64);
        crate::server::timers::sleep(period).await;
        // A cycle due while a multi-shard command holds the keyspace waits for it rather than
        // skipping: commands that lock arriving in step with the cycle would otherwise starve it.
        // A transaction holding keys only does not stop it: its work on this shard was done when
        // its lock was granted.
        wait_gate_unheld().await;
        let budget = period * CYCLE_SHARE_PERCENT / 100;
        let start = Instant::now();
        loop {
            if !local().gate.borrow().is_unheld() {
                break;
            }
            let more = with_keyspace(|ks| ks.expire_step(UnixMillis::now(), STEP_BUDGET));
            if !more || start.elapsed() >= budget {
                break;
            }
            glommio::yield_if_needed().await;
        }
    }
}
