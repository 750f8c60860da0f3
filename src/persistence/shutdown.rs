//! Stopping the server the way Redis does: SHUTDOWN and SIGTERM/SIGINT save first when asked to.
//!
//! Owns: the shutdown sequence (`prepare_for_shutdown`): kill a running snapshot child and remove
//! its temp file; save when `SAVE` was given, or when save points are configured and `NOSAVE`
//! was not (never while loading: the file on disk is the only complete copy); stop if the save
//! worked or `FORCE` was given, else keep running and report the failure. Also the pending
//! shutdown a signal asks for (`SHUTDOWN_ASAP`), which shard 0's cron carries out, and
//! SHUTDOWN ABORT's cancelling of it.
//!
//! On success the shards stay held until the process exits, so no write slips in after the
//! final save.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use super::reap::kill_child;
use super::save::save_locked;
use super::settings::save_points;
use super::status::is_loading;
use crate::server::shards::MultiShard;

/// SHUTDOWN's modifiers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShutdownFlags {
    /// Do not save, even with save points configured.
    pub nosave: bool,
    /// Save, even without save points.
    pub save: bool,
    /// Do not wait for lagging replicas (there are none to wait for yet).
    pub now: bool,
    /// Stop even if the final save fails.
    pub force: bool,
}

/// Set while a shutdown sequence runs (and for good once it succeeded).
static STARTED: AtomicBool = AtomicBool::new(false);

/// The signal that asked for a shutdown not carried out yet; 0 when none.
static SHUTDOWN_ASAP: AtomicI32 = AtomicI32::new(0);

/// Called by the signal thread for SIGTERM or SIGINT. A second SIGINT while the first is still
/// pending ends the process at once, with status 1, as in Redis.
pub fn on_signal(sig: i32) {
    let name = if sig == libc::SIGINT {
        "SIGINT"
    } else {
        "SIGTERM"
    };
    if sig == libc::SIGINT && SHUTDOWN_ASAP.load(Ordering::SeqCst) != 0 {
        tracing::warn!("You insist... exiting now.");
        let dir_temp = super::settings::read_config(|c| {
            super::settings::temp_path(&c.rdb_path(), std::process::id())
        });
        let _ = std::fs::remove_file(dir_temp);
        std::process::exit(1);
    }
    if is_loading() {
        tracing::warn!(
            signal = name,
            "Received shutdown signal during loading, scheduling shutdown."
        );
    } else {
        tracing::warn!(signal = name, "Received {name} scheduling shutdown...");
    }
    SHUTDOWN_ASAP.store(sig, Ordering::SeqCst);
    // Shard 0's cron carries it out; wake it if it sleeps.
    crate::server::runtime::ring(0);
}

/// The pending signal's number, if a signal asked for a shutdown.
pub(crate) fn pending_signal() -> Option<i32> {
    match SHUTDOWN_ASAP.load(Ordering::SeqCst) {
        0 => None,
        sig => Some(sig),
    }
}

/// Forgets the pending signal (carried out, failed, or aborted).
pub(crate) fn clear_pending_signal() {
    SHUTDOWN_ASAP.store(0, Ordering::SeqCst);
}

/// SHUTDOWN ABORT: cancels a shutdown a signal asked for and that has not run yet. False when
/// there is none.
pub fn abort_shutdown() -> bool {
    if SHUTDOWN_ASAP.swap(0, Ordering::SeqCst) != 0 {
        tracing::info!("Shutdown manually aborted.");
        true
    } else {
        false
    }
}

/// Runs the shutdown sequence (module documentation). `Ok` means the executors are stopping
/// and the process will exit; `Err` means the server keeps running (the reason is logged).
/// Runs on: a shard executor.
pub async fn prepare_for_shutdown(mut flags: ShutdownFlags) -> Result<(), ()> {
    if STARTED.swap(true, Ordering::SeqCst) {
        // Another shutdown is under way; it decides.
        return Err(());
    }
    let r = shutdown_sequence(&mut flags).await;
    if r.is_err() {
        STARTED.store(false, Ordering::SeqCst);
    }
    r
}

async fn shutdown_sequence(flags: &mut ShutdownFlags) -> Result<(), ()> {
    if is_loading() {
        flags.save = false;
        flags.nosave = true;
    }
    tracing::warn!("User requested shutdown...");
    if super::status::child_running() {
        tracing::warn!("There is a child saving an .rdb. Killing it!");
        kill_child().await;
    }
    let must_save = flags.save || (!flags.nosave && !save_points().is_empty());
    if must_save {
        tracing::info!("Saving the final RDB snapshot before exiting.");
        let tx = MultiShard::lock_all().await;
        match save_locked(&tx).await {
            Ok(()) => {
                // Held until the process exits: nothing may change after the final save.
                std::mem::forget(tx);
            }
            Err(_) if flags.force => {
                tracing::warn!("Error trying to save the DB. Exit anyway.");
                std::mem::forget(tx);
            }
            Err(_) => {
                tracing::warn!("Error trying to save the DB, can't exit.");
                tracing::warn!(
                    "Errors trying to shut down the server. Check the logs for more information."
                );
                clear_pending_signal();
                return Err(());
            }
        }
    }
    crate::server::signals::request_shutdown();
    Ok(())
}
