//! The two refusals persistence adds to every command, checked by the dispatcher before a
//! handler runs, in Redis's order (`processCommand`):
//!
//! 1. MISCONF: after a failed background save, with `stop-writes-on-bgsave-error yes` and save
//!    points configured, writes (and PING) are refused until a save succeeds.
//! 2. LOADING: while the dataset loads, every command without the `loading` flag is refused.
//!
//! Owns: nothing but the checks. Each costs one relaxed atomic load when nothing is wrong.

use std::sync::atomic::Ordering;

use super::settings::read_config;
use super::status::{BGSAVE_FAILED, LOADING};
use crate::commands::table::{flags, CommandSpec};
use crate::protocol::error::CmdError;

/// MISCONF for `spec` if writes are refused after a failed background save.
#[inline]
pub fn refuse_write(spec: &CommandSpec) -> Option<CmdError> {
    if !BGSAVE_FAILED.load(Ordering::Relaxed) || !(spec.is_write || spec.name == "ping") {
        return None;
    }
    let stop = read_config(|c| c.stop_writes_on_bgsave_error() && !c.save_points().is_empty());
    stop.then_some(CmdError::Misconf)
}

/// LOADING for `spec` if the dataset is loading and `spec` may not run meanwhile.
#[inline]
pub fn refuse_while_loading(spec: &CommandSpec) -> Option<CmdError> {
    // `then`, not `then_some`: building the error eagerly costs a drop on every command.
    (LOADING.load(Ordering::Relaxed) && !spec.has(flags::LOADING)).then(|| CmdError::Loading)
}
