//! What a replica refuses to ordinary clients: writes (`replica-read-only`) and, while a full
//! sync loads the master's dataset, everything not allowed while loading.
//!
//! Owns: two process-wide bits read by the dispatcher before every command, set by the
//! replication code when the role or the loading state changes. Costs one relaxed atomic load
//! per command on a master. The master link's own client (flag `M`) is never refused.

use std::sync::atomic::{AtomicU8, Ordering};

use crate::commands::table::{flags, CommandSpec};
use crate::protocol::error::CmdError;
use crate::server::client::ClientState;

/// This server follows a master.
const REPLICA: u8 = 1;
/// A full sync is loading the master's dataset.
const LOADING: u8 = 2;

static BITS: AtomicU8 = AtomicU8::new(0);

fn set_bit(bit: u8, on: bool) {
    if on {
        BITS.fetch_or(bit, Ordering::SeqCst);
    } else {
        BITS.fetch_and(!bit, Ordering::SeqCst);
    }
}

/// Marks this server as a replica (or not).
pub(crate) fn set_replica(on: bool) {
    set_bit(REPLICA, on);
}

/// Marks a full sync's load as in progress (or over).
pub(crate) fn set_loading(on: bool) {
    set_bit(LOADING, on);
}

/// True while a full sync loads the master's dataset.
pub fn loading() -> bool {
    BITS.load(Ordering::Relaxed) & LOADING != 0
}

/// True when this server follows a master.
pub fn is_replica() -> bool {
    BITS.load(Ordering::Relaxed) & REPLICA != 0
}

/// Refuses `spec` for `client` the way a Redis replica does: `-READONLY` for a write while
/// `replica-read-only` is on, `-LOADING` for a command not allowed while the dataset loads.
/// Redis checks the first before the second. Commands of the master link pass.
#[inline]
pub fn check(client: &ClientState, spec: &CommandSpec) -> Result<(), CmdError> {
    let bits = BITS.load(Ordering::Relaxed);
    if bits == 0 {
        return Ok(());
    }
    check_slow(bits, client, spec)
}

#[cold]
fn check_slow(bits: u8, client: &ClientState, spec: &CommandSpec) -> Result<(), CmdError> {
    if client.flags.contains('M') {
        return Ok(());
    }
    if bits & REPLICA != 0 && spec.is_write && replica_read_only() {
        return Err(CmdError::ReadOnly);
    }
    if bits & LOADING != 0 && !spec.has(flags::LOADING) {
        return Err(CmdError::Loading);
    }
    Ok(())
}

/// `replica-read-only`, read from the live configuration.
fn replica_read_only() -> bool {
    crate::server::shared::shared()
        .config
        .read()
        .map(|c| c.replica_read_only())
        .unwrap_or(true)
}
