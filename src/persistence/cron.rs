//! The persistence cron: shard 0's timer task, Redis's `serverCron` for everything RDB.
//!
//! Owns, every tick (`1000 / hz` ms, kept within 10..=100 ms): reaping the snapshot child;
//! carrying out a shutdown a signal asked for; starting a scheduled BGSAVE; following the
//! child's copy-on-write peak. Once a second: starting a background save when a `save <seconds>
//! <changes>` rule is met (at least `changes` writes and more than `seconds` since the last
//! successful save; after a failed save, not before 5 s have passed). Nothing here runs while the
//! dataset is loading, except reaping and the signal.
//! Runs on: shard 0's executor only.

use std::time::Duration;

use super::reap::reap;
use super::settings::{read_config, save_points, SaveSettings};
use super::shutdown::{clear_pending_signal, pending_signal, prepare_for_shutdown, ShutdownFlags};
use super::snapshot::{fork_snapshot, SnapshotTarget};
use super::status::{is_loading, status, unix_now, ChildSlot, BGSAVE_FAILED};
use crate::server::shards::on_all_shards;
use crate::server::shared::shared;

/// Seconds a failed background save waits before a rule may start another (Redis's
/// `CONFIG_BGSAVE_RETRY_DELAY`).
const RETRY_DELAY_SECS: u64 = 5;

/// Runs the cron forever. Spawn on shard 0 only.
pub async fn run() {
    let mut last_rules_check = std::time::Instant::now();
    loop {
        let hz = read_config(|c| c.hz()).max(1);
        let period = Duration::from_millis((1000 / hz as u64).clamp(10, 100));
        crate::server::timers::sleep(period).await;
        reap().await;
        if let Some(sig) = pending_signal() {
            if prepare_for_shutdown(ShutdownFlags::default())
                .await
                .is_err()
            {
                let name = if sig == libc::SIGINT {
                    "SIGINT"
                } else {
                    "SIGTERM"
                };
                tracing::warn!(
                    "{name} received but errors trying to shut down the server, check the logs \
                     for more information"
                );
                clear_pending_signal();
            }
            continue;
        }
        follow_cow_peak();
        // Rules count whole seconds, and reading the write counts costs a hop per shard: once
        // a second is enough for them. A scheduled BGSAVE starts at the next tick.
        let rules_due = last_rules_check.elapsed() >= RULES_EVERY;
        if rules_due {
            last_rules_check = std::time::Instant::now();
        }
        if !is_loading() {
            check_save_rules(rules_due).await;
        }
    }
}

fn follow_cow_peak() {
    let mut s = status();
    let cow = match &s.child {
        ChildSlot::Running(c) => c.report.cow().0,
        _ => return,
    };
    s.cow_peak = s.cow_peak.max(cow);
}

/// True when a failed background save is recent enough that a new one must wait.
fn retry_blocked(now: u64) -> bool {
    let last_try = status().last_bgsave_try;
    BGSAVE_FAILED.load(std::sync::atomic::Ordering::Relaxed)
        && now.saturating_sub(last_try) <= RETRY_DELAY_SECS
}

/// How often the `save` rules are evaluated.
const RULES_EVERY: Duration = Duration::from_secs(1);

/// Starts a background save when one is scheduled, or (when `rules` is set) when a `save` rule
/// is met.
async fn check_save_rules(rules: bool) {
    if !matches!(status().child, ChildSlot::None) {
        return;
    }
    let now = unix_now();
    if retry_blocked(now) {
        return;
    }
    let scheduled = status().bgsave_scheduled;
    let last_save = shared()
        .last_save
        .load(std::sync::atomic::Ordering::Relaxed);
    let points = if rules { save_points() } else { Vec::new() };
    // Only a rule whose window has passed needs the write count, which costs a hop per shard.
    let due: Vec<_> = points
        .iter()
        .filter(|p| now.saturating_sub(last_save) > p.seconds)
        .collect();
    let mut start = scheduled;
    if !start && !due.is_empty() {
        let dirty: u64 = on_all_shards(|ks| ks.stats.dirty).await.iter().sum();
        if let Some(p) = due.iter().find(|p| dirty >= p.changes) {
            tracing::info!("{} changes in {} seconds. Saving...", p.changes, p.seconds);
            start = true;
        }
    }
    if !start {
        return;
    }
    let path = SaveSettings::current().path;
    if fork_snapshot(SnapshotTarget::File(path), async |_| None)
        .await
        .is_ok()
    {
        status().bgsave_scheduled = false;
    }
}
