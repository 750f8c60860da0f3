//! The end of a snapshot child: reaping it, or killing it, and what its outcome changes.
//!
//! Owns: `waitpid` on the child and the bookkeeping Redis does when a background save ends
//! (`backgroundSaveDoneHandlerDisk`): on success the dirty counts at the fork are subtracted
//! from the shards' (writes made during the save still count), LASTSAVE moves and the status
//! is `ok`; on failure the status is `err` (which turns on MISCONF); a child killed by a signal
//! leaves its temp file behind, so it is removed (SIGUSR1, the server's own kill, is not a
//! failure). Then the waiter, if any, gets the outcome on its own executor.
//! Runs on: shard 0's cron (reaping) or the executor that kills the child.

use super::snapshot::ChildOutcome;
use super::status::{record_save_result, status, unix_now, ChildSlot, RunningChild};
use crate::server::runtime::deliver;
use crate::server::shards::hop;

/// What `waitpid` said about a child.
fn outcome_of(wstatus: libc::c_int, child: &RunningChild) -> ChildOutcome {
    if libc::WIFSIGNALED(wstatus) {
        return ChildOutcome::Killed(libc::WTERMSIG(wstatus));
    }
    match libc::WEXITSTATUS(wstatus) {
        0 => ChildOutcome::Done,
        code => ChildOutcome::Failed(
            child
                .report
                .error()
                .unwrap_or_else(|| format!("the child exited with code {code}")),
        ),
    }
}

/// Takes the running child out of the slot if it has exited, leaving the slot reserved until
/// its outcome is applied (so no new snapshot reads dirty counts that are about to change).
fn take_if_exited() -> Option<(RunningChild, libc::c_int)> {
    let mut s = status();
    let ChildSlot::Running(c) = &s.child else {
        return None;
    };
    let mut wstatus = 0;
    // SAFETY: waits without blocking for our own child; `wstatus` is a valid out pointer.
    let r = unsafe { libc::waitpid(c.pid, &mut wstatus, libc::WNOHANG) };
    if r == 0 {
        return None;
    }
    if r < 0 {
        // Reaped elsewhere, or never ours: treat it as lost.
        wstatus = 1 << 8;
    }
    let ChildSlot::Running(c) = std::mem::replace(&mut s.child, ChildSlot::Forking) else {
        unreachable!("checked above");
    };
    Some((c, wstatus))
}

/// Reaps the snapshot child if it has exited, and applies its outcome. Called by the cron.
pub(crate) async fn reap() {
    let Some((child, wstatus)) = take_if_exited() else {
        return;
    };
    let outcome = outcome_of(wstatus, &child);
    finish(child, outcome, true).await;
}

/// Kills the running snapshot child (SHUTDOWN, FLUSHALL), waits for it, removes its temp file,
/// and applies the outcome. Returns true if there was one. Safe to call while holding every
/// shard: it makes no hop (a child that finished just before the kill keeps the dirty counts,
/// which the caller's own save then resets).
pub async fn kill_child() -> bool {
    let child = {
        let mut s = status();
        if !matches!(s.child, ChildSlot::Running(_)) {
            return false;
        }
        let ChildSlot::Running(c) = std::mem::replace(&mut s.child, ChildSlot::Forking) else {
            unreachable!("checked above");
        };
        c
    };
    let mut wstatus = 0;
    // SAFETY: signals and then waits for our own child; `wstatus` is a valid out pointer. The
    // child ends at once on SIGUSR1 (default action), so the blocking wait is short.
    unsafe {
        libc::kill(child.pid, libc::SIGUSR1);
        libc::waitpid(child.pid, &mut wstatus, 0);
    }
    let outcome = outcome_of(wstatus, &child);
    finish(child, outcome, false).await;
    true
}

/// Applies `outcome`; subtracts the dirty counts at the fork (one hop per shard) only when
/// `subtract_dirty`.
async fn finish(child: RunningChild, outcome: ChildOutcome, subtract_dirty: bool) {
    let (cow, _) = child.report.cow();
    if let Some(disk) = &child.disk {
        match &outcome {
            ChildOutcome::Done => {
                tracing::info!(
                    pid = child.pid,
                    keys = child.report.keys_processed(),
                    bytes = child.report.bytes_written(),
                    cow_bytes = cow,
                    "Background saving terminated with success"
                );
                let dirty = if subtract_dirty {
                    disk.dirty_at_fork.as_slice()
                } else {
                    &[]
                };
                for (shard, &d) in dirty.iter().enumerate() {
                    hop(shard, move |ks| {
                        ks.stats.dirty = ks.stats.dirty.saturating_sub(d);
                    })
                    .await;
                }
                record_save_result(true);
            }
            ChildOutcome::Failed(why) => {
                tracing::warn!(pid = child.pid, "Background saving error: {why}");
                record_save_result(false);
            }
            ChildOutcome::Killed(sig) => {
                tracing::warn!(
                    pid = child.pid,
                    "Background saving terminated by signal {sig}"
                );
                let _ = std::fs::remove_file(&disk.temp);
                if *sig != libc::SIGUSR1 {
                    record_save_result(false);
                }
            }
        }
    } else {
        match &outcome {
            ChildOutcome::Done => tracing::info!(
                pid = child.pid,
                "Background RDB transfer terminated with success"
            ),
            ChildOutcome::Failed(why) => {
                tracing::warn!(pid = child.pid, "Background transfer error: {why}")
            }
            ChildOutcome::Killed(sig) => tracing::warn!(
                pid = child.pid,
                "Background transfer terminated by signal {sig}"
            ),
        }
    }
    {
        let mut s = status();
        if child.disk.is_some() {
            s.save_time_last = unix_now().saturating_sub(child.started_unix) as i64;
            if outcome == ChildOutcome::Done {
                s.last_cow_size = cow;
            }
        }
        s.cow_peak = 0;
        s.child = ChildSlot::None;
    }
    if let Some((shard, tx)) = child.notify {
        deliver(shard, move || {
            let _ = tx.send(outcome);
        });
    }
}
